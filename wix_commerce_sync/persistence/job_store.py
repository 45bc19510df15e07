"""``queue.JobStore`` on the Commerce Sync Job DocType (same contract as ``SqliteJobStore``).

- dedupe: ``dedupe_key`` is a unique column; a second insert raises a unique/duplicate error, which is
  caught inside a savepoint (the surrounding transaction stays usable on every database);
- supersede: an older Queued job of the same ``record_key`` becomes Superseded, or the new one does
  when a newer change is already waiting;
- claim: each due row is read with ``for_update=True, skip_locked=True`` and flipped to Processing,
  then the claim is committed, so two workers never run the same job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import frappe

from wix_commerce_sync.persistence.times import from_db, to_db
from wix_commerce_sync.sync import queue as q

JOB = "Commerce Sync Job"
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
        if frappe.db.exists(JOB, {"dedupe_key": job.dedupe_key}):
            return None
        frappe.db.savepoint("commerce_job_enqueue")
        try:
            doc.insert(ignore_permissions=True)
        except DUPLICATE_ERRORS:
            frappe.db.rollback(save_point="commerce_job_enqueue")
            return None
        full = _job(frappe._dict({f: doc.get(f) for f in _FIELDS}))
        full.created_at = now
        if job.ordering_key and frappe.db.exists(JOB, {"record_key": job.record_key, "status": q.QUEUED,
                                                      "name": ["!=", doc.name], "ordering_key": [">", job.ordering_key]}):  # fmt: skip
            frappe.db.set_value(JOB, doc.name, "status", q.SUPERSEDED, update_modified=False)
            full.status = q.SUPERSEDED
            return full
        older = frappe.get_all(JOB, filters={"record_key": job.record_key, "status": q.QUEUED, "name": ["!=", doc.name]},
                               fields=["name", "ordering_key"])  # fmt: skip
        for row in older:
            if not row.ordering_key or not job.ordering_key or row.ordering_key <= job.ordering_key:
                frappe.db.set_value(JOB, row.name, "status", q.SUPERSEDED, update_modified=False)
        return full

    def claim(self, worker, now, limit=50, *, store=None, entity=None, direction=None) -> list[q.Job]:
        base: dict = {"next_attempt_at": ["<=", to_db(now)]}
        for field, value in (("store", store), ("entity", entity), ("direction", direction)):
            if value is not None:
                base[field] = value
        claimed: list[q.Job] = []
        orphaned = {k: v for k, v in base.items() if k != "next_attempt_at"}
        orphaned["claimed_at"] = ["<=", to_db(now - q.CLAIM_LEASE)]  # its worker was killed mid-job
        for status, filters in ((q.QUEUED, base), (q.FAILED, base), (q.PROCESSING, orphaned)):
            while len(claimed) < limit:
                name = frappe.db.get_value(JOB, {**filters, "status": status}, "name",
                                           order_by="next_attempt_at asc, creation asc",
                                           for_update=True, skip_locked=True)  # fmt: skip
                if not name:
                    break
                frappe.db.set_value(JOB, name, {"status": q.PROCESSING, "claimed_by": worker[:140],
                                                "claimed_at": to_db(now)}, update_modified=False)  # fmt: skip
                claimed.append(self.get(name))
        if claimed and self.commit_claims:
            frappe.db.commit()  # the claim must be visible to every other worker now
        claimed.sort(key=lambda j: (j.next_attempt_at or now, j.created_at or now))
        return claimed

    def complete(self, job: q.Job, now: datetime) -> None:
        frappe.db.set_value(JOB, job.name, {"status": q.DONE, "last_error": None, "finished_at": to_db(now)},
                            update_modified=False)  # fmt: skip
        job.status = q.DONE

    def fail(self, job: q.Job, error: str, now: datetime, retry_at: datetime | None) -> None:
        job.attempts += 1
        job.status = q.FAILED if retry_at else q.DEAD
        job.last_error = error
        job.next_attempt_at = retry_at
        frappe.db.set_value(JOB, job.name, {"status": job.status, "attempts": job.attempts, "last_error": error,
                                            "next_attempt_at": to_db(retry_at), "finished_at": to_db(now)},
                            update_modified=False)  # fmt: skip

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
        filters = {"store": store} if store else {}
        rows = frappe.get_all(JOB, filters=filters, fields=["status", "count(name) as n"], group_by="status")
        return {r.status: int(r.n) for r in rows}

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
                                        "claimed_at": ["<=", to_db(now - q.CLAIM_LEASE)]}))  # fmt: skip

    def oldest_queued_at(self, store: str, entity: str, direction: str) -> datetime | None:
        value = frappe.db.get_value(JOB, {"store": store, "entity": entity, "direction": direction, "status": q.QUEUED},
                                    "creation", order_by="creation asc")  # fmt: skip
        return from_db(value)
