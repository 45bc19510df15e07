"""``queue.JobStore`` on the Commerce Sync Job DocType (same contract as ``SqliteJobStore``).

- dedupe: ``dedupe_key`` is a unique column; a second insert raises a unique/duplicate error, which is
  caught inside a savepoint (the surrounding transaction stays usable on every database); no read first;
- supersede: an older Queued job of the same ``record_key`` (outbound: or Failed one) becomes Superseded, or the
  new one does when a newer change is already waiting;
- claim, without locking reads over ranges (under InnoDB REPEATABLE READ a range read ``FOR UPDATE`` locks every
  row and gap it scans, so one worker's claim hid the whole queue from the others): a plain read through the
  claim index (``on_doctype_update``) picks the next due names; a locking read of exactly those primary keys with
  ``SKIP LOCKED`` re-checks their status and takes the ones no other worker holds (record locks only); one
  UPDATE flips them to Processing and the claim is committed at once. Rows another worker holds are skipped,
  never waited for; when every candidate was taken, the next ones are read (a few rounds at most).
"""

# ruff: noqa: S608 - the claim's SQL: table and column names are constants, every value is bound

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import frappe

from wix_commerce_sync.persistence.times import from_db, to_db
from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.wix_commerce_sync.doctype.commerce_sync_job.commerce_sync_job import CLAIM_INDEX

JOB = "Commerce Sync Job"
CLAIM_ROUNDS = 8  # candidate reads per status when other workers took the ones read before
DUPLICATE_ERRORS = (frappe.DuplicateEntryError, frappe.UniqueValidationError)
_FIELDS = ["name", "store", "entity", "direction", "action", "dedupe_key", "record_key", "payload", "external_id",
           "ordering_key", "topic", "reference_doctype", "reference_name", "status", "attempts", "next_attempt_at",
           "last_error", "claimed_by", "creation", "alerted"]  # fmt: skip


def _job(row) -> q.Job:
    return q.Job(
        store=row.store, entity=row.entity, direction=row.direction, action=row.action or "upsert",
        dedupe_key=row.dedupe_key, record_key=row.record_key or "", payload=row.payload or "",
        external_id=row.external_id, ordering_key=row.ordering_key, topic=row.topic,
        reference_doctype=row.reference_doctype, reference_name=row.reference_name, name=row.name,
        status=row.status, attempts=int(row.attempts or 0), next_attempt_at=from_db(row.next_attempt_at),
        last_error=row.last_error, claimed_by=row.claimed_by, created_at=from_db(row.creation),
        alerted=bool(row.alerted),
    )  # fmt: skip



def claim_lease() -> timedelta:
    """How long a Processing job's claim holds before another worker may take it (its worker died mid-job).

    ``commerce_sync_claim_lease_seconds`` in site_config.json overrides the default (30 minutes, above the longest
    queue timeout): a bench with shorter queue timeouts may shorten it, and the chaos run compresses it."""
    seconds = frappe.conf.get("commerce_sync_claim_lease_seconds") if frappe.conf else None
    return timedelta(seconds=float(seconds)) if seconds else q.CLAIM_LEASE

class FrappeJobStore:
    def __init__(self, *, commit_claims: bool = True) -> None:
        self.commit_claims = commit_claims  # a claim must be visible to other workers at once

    def enqueue(self, job: q.NewJob, now: datetime) -> q.Job | None:
        doc = frappe.get_doc({
            "doctype": JOB, "store": job.store, "entity": job.entity, "direction": job.direction,
            "action": job.action, "dedupe_key": job.dedupe_key, "record_key": job.record_key, "payload": job.payload,
            "external_id": (job.external_id or "")[:140] or None, "ordering_key": job.ordering_key,
            "topic": (job.topic or "")[:140] or None, "reference_doctype": job.reference_doctype,
            "reference_name": job.reference_name, "status": q.QUEUED, "attempts": 0, "next_attempt_at": to_db(now),
        })  # fmt: skip
        doc.flags.ignore_links = True  # the store was just resolved by the caller; saves a read per job
        doc.flags.ignore_version = True  # a queue row needs no Version history of its insert
        frappe.db.savepoint("commerce_job_enqueue")
        try:
            doc.insert(ignore_permissions=True)  # dedupe_key is unique: a redelivery fails here
        except DUPLICATE_ERRORS:
            frappe.db.rollback(save_point="commerce_job_enqueue")
            return None
        full = _job(frappe._dict({f: doc.get(f) for f in _FIELDS}))
        full.created_at = now
        waiting = frappe.get_all(JOB, filters={"record_key": job.record_key, "name": ["!=", doc.name],
                                               "status": ["in", q.superseded_statuses(job.direction)]},
                                 fields=["name", "ordering_key", "status"], order_by=None)  # fmt: skip
        if job.ordering_key and any(r.status == q.QUEUED and r.ordering_key and r.ordering_key > job.ordering_key
                                    for r in waiting):
            frappe.db.set_value(JOB, doc.name, "status", q.SUPERSEDED, update_modified=False)  # a newer one waits
            full.status = q.SUPERSEDED
            return full
        older = [r.name for r in waiting
                 if not r.ordering_key or not job.ordering_key or r.ordering_key <= job.ordering_key]  # fmt: skip
        if older:
            frappe.db.set_value(JOB, {"name": ["in", older]}, "status", q.SUPERSEDED, update_modified=False)
        return full

    def claim(self, worker, now, limit=50, *, store=None, entity=None, direction=None) -> list[q.Job]:
        extra = {f: v for f, v in (("store", store), ("entity", entity), ("direction", direction)) if v is not None}
        if self.commit_claims:
            frappe.db.commit()  # a fresh snapshot: the candidate reads must see the other workers' last claims
        rows: list = []
        for status in (q.QUEUED, q.FAILED, q.PROCESSING):
            if status == q.PROCESSING:  # its worker was killed mid-job: claimable again after the lease
                due = ("claimed_at", to_db(now - claim_lease()))
            else:
                due = ("next_attempt_at", to_db(now))
            tried: list[str] = []
            for _round in range(CLAIM_ROUNDS):
                want = limit - len(rows)
                if want <= 0:
                    break
                names = self._candidates(status, due, extra, want, tried)
                if not names:
                    break
                tried += names
                rows += self._lock_free(names, status, due)
        if not rows:
            return []
        frappe.db.sql(f"update `tab{JOB}` set `status`=%s, `claimed_by`=%s, `claimed_at`=%s where `name` in %s",
                      (q.PROCESSING, worker[:140], to_db(now), [r.name for r in rows]))  # fmt: skip
        if self.commit_claims:
            frappe.db.commit()  # the claim must be visible to every other worker now, and its locks released
        claimed = []
        for row in rows:
            row.update({"status": q.PROCESSING, "claimed_by": worker[:140]})
            claimed.append(_job(row))
        claimed.sort(key=lambda j: (j.next_attempt_at or now, j.created_at or now))
        return claimed

    @staticmethod
    def _candidates(status: str, due: tuple[str, datetime], extra: dict, limit: int, tried: list[str]) -> list[str]:
        """The next due names in claim order: a plain read (no locks) through the claim index."""
        conditions = ["`status`=%(status)s", f"`{due[0]}`<=%(due)s"]
        conditions += [f"`{field}`=%({field})s" for field in extra]
        if tried:
            conditions.append("`name` not in %(tried)s")
        index = f" force index (`{CLAIM_INDEX}`)" if "store" in extra else ""
        return frappe.db.sql(
            f"select `name` from `tab{JOB}`{index} where {' and '.join(conditions)} "
            f"order by `next_attempt_at`, `creation` limit {int(limit)}",
            {"status": status, "due": due[1], "tried": tried, **extra}, pluck=True,
        )

    @staticmethod
    def _lock_free(names: list[str], status: str, due: tuple[str, datetime]) -> list:
        """Lock those of ``names`` no other worker holds and that are still due (the latest committed state)."""
        return frappe.db.sql(
            f"select {', '.join(f'`{f}`' for f in _FIELDS)} from `tab{JOB}` where `name` in %(names)s "
            f"and `status`=%(status)s and `{due[0]}`<=%(due)s for update skip locked",
            {"names": names, "status": status, "due": due[1]}, as_dict=True,
        )

    def complete(self, job: q.Job, now: datetime) -> None:
        frappe.db.set_value(JOB, job.name, {"status": q.DONE, "last_error": None, "finished_at": to_db(now)},
                            update_modified=False)  # fmt: skip
        job.status = q.DONE
        self.keep_progress()

    def keep_progress(self) -> None:
        """A worker keeps its progress job by job: one order's Sales Order and its job's Done (or Failed) status
        commit together, and the row locks the job took (ERPNext's Bin rows among them) are released. A claim of
        100 jobs held in one transaction made every Stock Entry wait on those locks for minutes, and a worker
        killed at the 99th job lost the 98 before it (chaos run, issue 16)."""
        if self.commit_claims:
            frappe.db.commit()

    def fail(self, job: q.Job, error: str, now: datetime, retry_at: datetime | None) -> None:
        job.attempts += 1
        job.status = q.FAILED if retry_at else q.DEAD
        job.last_error = error
        job.next_attempt_at = retry_at
        frappe.db.set_value(JOB, job.name, {"status": job.status, "attempts": job.attempts, "last_error": error,
                                            "next_attempt_at": to_db(retry_at), "finished_at": to_db(now)},
                            update_modified=False)  # fmt: skip
        self.keep_progress()

    def mark_alerted(self, job: q.Job) -> None:
        frappe.db.set_value(JOB, job.name, "alerted", 1, update_modified=False)
        job.alerted = True

    def get(self, name: str) -> q.Job | None:
        row = frappe.db.get_value(JOB, name, _FIELDS, as_dict=True)
        return _job(row) if row else None

    def requeue(self, names: Sequence[str], now: datetime) -> int:
        count = 0
        for name in names:
            if frappe.db.get_value(JOB, name, "status") in (q.FAILED, q.DEAD):
                frappe.db.set_value(JOB, name, {"status": q.QUEUED, "attempts": 0, "next_attempt_at": to_db(now),
                                                "alerted": 0}, update_modified=False)  # fmt: skip
                count += 1
        return count

    def counts(self, store: str | None = None) -> dict[str, int]:
        from wix_commerce_sync.persistence.aggregates import status_counts

        return status_counts(JOB, store=store)

    def queued_count(self, store: str, entity: str, direction: str) -> int:
        return frappe.db.count(JOB, {"store": store, "entity": entity, "direction": direction, "status": q.QUEUED})

    def queued_payload(self, record_key: str) -> str | None:
        return frappe.db.get_value(JOB, {"record_key": record_key, "status": q.QUEUED}, "payload", order_by="creation desc")

    def due_count(self, store: str, direction: str, now: datetime) -> int:
        """Jobs ``claim`` would hand out now: Queued or Failed and due, or Processing past the claim lease."""
        base = {"store": store, "direction": direction}
        due = {**base, "next_attempt_at": ["<=", to_db(now)]}
        return (frappe.db.count(JOB, {**due, "status": q.QUEUED}) + frappe.db.count(JOB, {**due, "status": q.FAILED})
                + frappe.db.count(JOB, {**base, "status": q.PROCESSING,
                                        "claimed_at": ["<=", to_db(now - claim_lease())]}))  # fmt: skip

    def oldest_queued_at(self, store: str, entity: str, direction: str) -> datetime | None:
        value = frappe.db.get_value(JOB, {"store": store, "entity": entity, "direction": direction, "status": q.QUEUED},
                                    "creation", order_by="creation asc")  # fmt: skip
        return from_db(value)
