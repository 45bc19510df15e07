"""The persistent sync queue: job model, retry policy and the JobStore port.

The Frappe shell stores jobs in the ``Commerce Sync Job`` DocType
(``wix_commerce_sync.persistence.job_store``); ``SqliteJobStore`` here is the
same contract on plain SQLite, for engine tests and benchmarks. Both promise:

- ``enqueue`` is idempotent on ``dedupe_key`` (a unique column): a second
  delivery of the same event is refused by the database, not by a lookup race;
- a newer queued change for the same ``record_key`` supersedes older queued ones, and, outbound, older failed ones
  too: an outbound job carries the record's whole state (absolute stock, the item, the customer), so a failed
  older one retried after the newer one went through would put back what ERPNext no longer says (inbound jobs
  keep theirs: the engine's ordering gate refuses an older state);
- ``claim`` is atomic: two workers never receive the same job.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

QUEUED = "Queued"
PROCESSING = "Processing"
DONE = "Done"
FAILED = "Failed"
DEAD = "Dead"
SUPERSEDED = "Superseded"
INBOUND = "Inbound"
OUTBOUND = "Outbound"


def superseded_statuses(direction: str) -> tuple[str, str]:
    """The statuses of older jobs of a record that a newer change of it supersedes (see the module docstring)."""
    return (QUEUED, FAILED) if direction == OUTBOUND else (QUEUED, QUEUED)
# A job still Processing this long after its claim lost its worker (Frappe kills a job at its queue
# timeout, 25 minutes at most on "long"): it becomes claimable again.
CLAIM_LEASE = timedelta(minutes=30)


@dataclass
class NewJob:
    store: str
    entity: str
    direction: str
    action: str
    dedupe_key: str
    record_key: str
    payload: str  # serialize.dumps of the canonical record
    external_id: str | None = None
    ordering_key: str | None = None
    topic: str | None = None
    reference_doctype: str | None = None
    reference_name: str | None = None


@dataclass
class Job(NewJob):
    name: str = ""
    status: str = QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    created_at: datetime | None = None
    alerted: bool = False


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter: base * factor**(attempt-1), capped, +-jitter."""

    base_seconds: float = 60.0
    factor: float = 2.0
    max_seconds: float = 6 * 3600.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        raw = min(self.max_seconds, self.base_seconds * self.factor ** max(0, attempt - 1))
        return raw * (1 + self.rng.uniform(-self.jitter, self.jitter))


class JobStore(Protocol):
    def enqueue(self, job: NewJob, now: datetime) -> Job | None:
        """Insert a job; None when its dedupe_key was seen before.

        Older queued jobs of the same record are Superseded; if a newer one is already
        queued (out-of-order arrival), the new job itself is stored as Superseded.
        """

    def claim(
        self,
        worker: str,
        now: datetime,
        limit: int = 50,
        *,
        store: str | None = None,
        entity: str | None = None,
        direction: str | None = None,
    ) -> list[Job]:
        """Atomically move due jobs (Queued, or Failed whose time has come, or Processing past the
        claim lease) to Processing."""

    def complete(self, job: Job, now: datetime) -> None: ...

    def keep_progress(self) -> None:
        """The records applied so far are kept (committed, where this store commits its claims) and their row
        locks released: a poll of hundreds of records must not hold every record it touched until its end."""

    def fail(self, job: Job, error: str, now: datetime, retry_at: datetime | None) -> None:
        """Failed with a next attempt time, or Dead when ``retry_at`` is None."""

    def mark_alerted(self, job: Job) -> None: ...

    def get(self, name: str) -> Job | None: ...

    def requeue(self, names: Sequence[str], now: datetime) -> int:
        """Manual retry: Failed/Dead jobs back to Queued now, attempts reset."""

    def counts(self, store: str | None = None) -> dict[str, int]: ...

    def oldest_queued_at(self, store: str, entity: str, direction: str) -> datetime | None: ...

    def queued_payload(self, record_key: str) -> str | None:
        """The payload of the job waiting (Queued) for this record, if one is."""

    def due_count(self, store: str, direction: str, now: datetime) -> int:
        """Jobs ``claim`` would hand out now (any entity): Queued or Failed and due, or Processing past the lease."""

    def queued_count(self, store: str, entity: str, direction: str) -> int: ...


_COLUMNS = (
    "name", "store", "entity", "direction", "action", "dedupe_key", "record_key", "payload", "external_id",
    "ordering_key", "topic", "reference_doctype", "reference_name", "status", "attempts", "next_attempt_at",
    "last_error", "claimed_by", "claimed_at", "created_at", "alerted",
)  # fmt: skip


class SqliteJobStore:
    """JobStore on SQLite. Each thread gets its own connection (like one RQ worker each)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute(
                """CREATE TABLE IF NOT EXISTS jobs (
                    name TEXT PRIMARY KEY, store TEXT, entity TEXT, direction TEXT, action TEXT,
                    dedupe_key TEXT UNIQUE, record_key TEXT, payload TEXT, external_id TEXT,
                    ordering_key TEXT, topic TEXT, reference_doctype TEXT, reference_name TEXT,
                    status TEXT, attempts INTEGER DEFAULT 0, next_attempt_at TEXT, last_error TEXT,
                    claimed_by TEXT, claimed_at TEXT, created_at TEXT, alerted INTEGER DEFAULT 0)"""
            )
            conn.execute("CREATE INDEX IF NOT EXISTS jobs_due ON jobs(status, next_attempt_at)")
            conn.execute("CREATE INDEX IF NOT EXISTS jobs_record ON jobs(record_key, status)")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return ImmediateTransaction(conn)

    def enqueue(self, job: NewJob, now: datetime) -> Job | None:
        full = Job(**vars(job), name=uuid.uuid4().hex[:12], created_at=now, next_attempt_at=now)
        with self._conn() as conn:
            try:
                conn.execute(
                    f"INSERT INTO jobs ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",  # noqa: S608 - constant columns
                    [_to_db(getattr(full, c)) for c in _COLUMNS],
                )
            except sqlite3.IntegrityError:
                return None
            if full.ordering_key and conn.execute(
                "SELECT 1 FROM jobs WHERE record_key=? AND status=? AND name<>? AND ordering_key>?",
                (full.record_key, QUEUED, full.name, full.ordering_key),
            ).fetchone():
                # a newer change of this record is already waiting: this one arrived late
                conn.execute("UPDATE jobs SET status=? WHERE name=?", (SUPERSEDED, full.name))
                full.status = SUPERSEDED
                return full
            conn.execute(
                "UPDATE jobs SET status=? WHERE record_key=? AND status IN (?, ?) AND name<>? "
                "AND (ordering_key IS NULL OR ? IS NULL OR ordering_key<=?)",
                (SUPERSEDED, full.record_key, *superseded_statuses(full.direction), full.name, full.ordering_key,
                 full.ordering_key),
            )
        return full

    def claim(self, worker, now, limit=50, *, store=None, entity=None, direction=None) -> list[Job]:
        where = ["((status=? OR status=?) AND next_attempt_at<=? OR status=? AND claimed_at<=?)"]
        args: list = [QUEUED, FAILED, _to_db(now), PROCESSING, _to_db(now - CLAIM_LEASE)]
        for column, value in (("store", store), ("entity", entity), ("direction", direction)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        with self._conn() as conn:  # BEGIN IMMEDIATE: one claimer at a time
            rows = conn.execute(
                f"SELECT {','.join(_COLUMNS)} FROM jobs WHERE {' AND '.join(where)} "  # noqa: S608 - columns are constants
                "ORDER BY next_attempt_at, created_at LIMIT ?",
                [*args, limit],
            ).fetchall()
            jobs = [_row_to_job(r) for r in rows]
            for job in jobs:
                conn.execute("UPDATE jobs SET status=?, claimed_by=?, claimed_at=? WHERE name=?",
                             (PROCESSING, worker, _to_db(now), job.name))  # fmt: skip
                job.status, job.claimed_by, job.claimed_at = PROCESSING, worker, now
        return jobs

    def complete(self, job: Job, now: datetime) -> None:
        self._update(job.name, status=DONE, last_error=None)
        job.status = DONE

    def keep_progress(self) -> None:
        """Nothing to do: every write here commits at once."""

    def fail(self, job: Job, error: str, now: datetime, retry_at: datetime | None) -> None:
        job.attempts += 1
        job.status = FAILED if retry_at else DEAD
        job.last_error = error
        job.next_attempt_at = retry_at
        self._update(job.name, status=job.status, attempts=job.attempts, last_error=error,
                     next_attempt_at=_to_db(retry_at))  # fmt: skip

    def mark_alerted(self, job: Job) -> None:
        self._update(job.name, alerted=1)
        job.alerted = True

    def get(self, name: str) -> Job | None:
        with self._conn() as conn:
            row = conn.execute(f"SELECT {','.join(_COLUMNS)} FROM jobs WHERE name=?", (name,)).fetchone()  # noqa: S608
        return _row_to_job(row) if row else None

    def requeue(self, names: Sequence[str], now: datetime) -> int:
        count = 0
        with self._conn() as conn:
            for name in names:
                cur = conn.execute(
                    "UPDATE jobs SET status=?, attempts=0, next_attempt_at=?, alerted=0 WHERE name=? AND status IN (?,?)",
                    (QUEUED, _to_db(now), name, FAILED, DEAD),
                )
                count += cur.rowcount
        return count

    def counts(self, store: str | None = None) -> dict[str, int]:
        sql, args = "SELECT status, COUNT(*) FROM jobs", []
        if store:
            sql, args = sql + " WHERE store=?", [store]
        with self._conn() as conn:
            return dict(conn.execute(sql + " GROUP BY status", args).fetchall())

    def queued_count(self, store: str, entity: str, direction: str) -> int:
        with self._conn() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE store=? AND entity=? AND direction=? AND status=?",
                (store, entity, direction, QUEUED),
            ).fetchone()[0]

    def queued_payload(self, record_key: str) -> str | None:
        with self._conn() as conn:
            row = conn.execute("SELECT payload FROM jobs WHERE record_key=? AND status=? ORDER BY created_at DESC LIMIT 1",
                               (record_key, QUEUED)).fetchone()  # fmt: skip
        return row[0] if row else None

    def due_count(self, store: str, direction: str, now: datetime) -> int:
        with self._conn() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE store=? AND direction=? AND ((status=? OR status=?) AND next_attempt_at<=? "
                "OR status=? AND claimed_at<=?)",
                (store, direction, QUEUED, FAILED, _to_db(now), PROCESSING, _to_db(now - CLAIM_LEASE)),
            ).fetchone()[0]

    def oldest_queued_at(self, store: str, entity: str, direction: str) -> datetime | None:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT MIN(created_at) FROM jobs WHERE store=? AND entity=? AND direction=? AND status=?",
                (store, entity, direction, QUEUED),
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def all(self) -> list[Job]:
        with self._conn() as conn:
            rows = conn.execute(f"SELECT {','.join(_COLUMNS)} FROM jobs ORDER BY created_at").fetchall()  # noqa: S608
        return [_row_to_job(r) for r in rows]

    def _update(self, name: str, **values) -> None:
        with self._conn() as conn:
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k}=?' for k in values)} WHERE name=?",  # noqa: S608 - keys are ours
                [*values.values(), name],
            )


class ImmediateTransaction:
    """``with`` block = one IMMEDIATE transaction on a shared autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, *exc) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _to_db(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _row_to_job(row) -> Job:
    data = dict(zip(_COLUMNS, row))
    for key in ("next_attempt_at", "claimed_at", "created_at"):
        data[key] = datetime.fromisoformat(data[key]) if data[key] else None
    data["alerted"] = bool(data["alerted"])
    return Job(**data)


def backoff_time(now: datetime, attempt: int, policy: RetryPolicy) -> datetime:
    return now + timedelta(seconds=policy.delay(attempt))
