"""The SQLite job store: dedupe, supersede, atomic claims under concurrent workers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.testing.factories import T0


def new_job(i: int, record: str | None = None, ordering: str | None = None) -> q.NewJob:
    return q.NewJob(store="S", entity="orders", direction=q.INBOUND, action="upsert", dedupe_key=f"d{i}",
                    record_key=record or f"r{i}", payload="null", ordering_key=ordering)  # fmt: skip


def test_dedupe_key_is_unique(tmp_path):
    store = q.SqliteJobStore(str(tmp_path / "q.db"))
    assert store.enqueue(new_job(1), T0) is not None
    assert store.enqueue(new_job(1), T0) is None
    assert len(store.all()) == 1


def test_two_workers_never_claim_the_same_job(tmp_path):
    path = str(tmp_path / "q.db")
    store = q.SqliteJobStore(path)
    for i in range(400):
        store.enqueue(new_job(i), T0)
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        own = q.SqliteJobStore(path)  # its own connection, like a second RQ worker
        barrier.wait()
        while batch := own.claim(name, T0 + timedelta(seconds=1), limit=7):
            claimed[name] += [j.name for j in batch]
            time.sleep(0.002)  # the work itself; lets the other worker in

    threads = [threading.Thread(target=worker, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = set(claimed["a"]), set(claimed["b"])
    assert not a & b
    assert len(a) + len(b) == 400
    assert a and b  # both really worked


def test_failed_job_is_claimable_only_when_due(tmp_path):
    store = q.SqliteJobStore(str(tmp_path / "q.db"))
    store.enqueue(new_job(1), T0)
    job = store.claim("w", T0)[0]
    store.fail(job, "boom", T0, T0 + timedelta(minutes=5))
    assert store.claim("w", T0 + timedelta(minutes=4)) == []
    assert [j.name for j in store.claim("w", T0 + timedelta(minutes=5))] == [job.name]


def test_retry_policy_grows_and_caps():
    policy = q.RetryPolicy(base_seconds=10, factor=3, max_seconds=100, jitter=0)
    assert [policy.delay(n) for n in range(1, 5)] == [10, 30, 90, 100]
    jittered = q.RetryPolicy(base_seconds=10, jitter=0.2)
    assert all(8 <= jittered.delay(1) <= 12 for _ in range(50))


def test_a_job_whose_worker_died_is_claimable_after_the_lease(tmp_path):
    store = q.SqliteJobStore(str(tmp_path / "q.db"))
    store.enqueue(new_job(1), T0)
    (job,) = store.claim("killed-worker", T0)
    assert store.claim("other", T0 + q.CLAIM_LEASE - timedelta(seconds=1)) == []  # still leased
    (again,) = store.claim("other", T0 + q.CLAIM_LEASE)
    assert again.name == job.name and again.claimed_by == "other"


def test_due_count_is_what_a_claim_would_hand_out(tmp_path):
    store = q.SqliteJobStore(str(tmp_path / "q.db"))
    assert store.due_count("S", q.INBOUND, T0) == 0
    fresh, failed_due, failed_later = (store.enqueue(new_job(i), T0) for i in range(3))
    store.fail(failed_due, "503", T0, T0 + timedelta(seconds=30))
    store.fail(failed_later, "503", T0, T0 + timedelta(minutes=10))
    now = T0 + timedelta(minutes=1)
    assert store.due_count("S", q.INBOUND, now) == 2
    assert store.due_count("S", q.OUTBOUND, now) == 0
    assert store.due_count("other", q.INBOUND, now) == 0
    assert {j.name for j in store.claim("w", now, limit=10)} == {fresh.name, failed_due.name}
    assert store.due_count("S", q.INBOUND, now) == 0
    assert store.due_count("S", q.INBOUND, now + q.CLAIM_LEASE + timedelta(minutes=10)) == 3  # orphaned + now due


def test_a_newer_outbound_change_supersedes_an_older_failed_one_but_inbound_keeps_it(tmp_path):
    """An outbound job carries the record's whole state (absolute stock): a failed older one retried after a newer
    one went through would put the old figure back on the store. Inbound, the engine's ordering gate decides."""
    store = q.SqliteJobStore(str(tmp_path / "q.db"))
    for direction in (q.OUTBOUND, q.INBOUND):
        def job(i: int, ordering: str, d: str = direction) -> q.NewJob:
            return q.NewJob(store="S", entity="stock", direction=d, action="upsert", dedupe_key=f"{d}{i}",
                            record_key=f"{d}:SKU-1", payload=f'"{i}"', ordering_key=ordering)  # fmt: skip

        store.enqueue(job(1, "2026-01-01 10:00:00"), T0)
        (old,) = store.claim("w", T0, store="S", direction=direction)
        store.fail(old, "partial batch failure", T0, T0 + timedelta(minutes=5))
        newer = store.enqueue(job(2, "2026-01-01 10:01:00"), T0)
        assert newer.status == q.QUEUED
        expected = q.SUPERSEDED if direction == q.OUTBOUND else q.FAILED
        assert store.get(old.name).status == expected, direction
