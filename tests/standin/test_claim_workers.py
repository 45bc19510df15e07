"""Worker PROCESSES drain one store's Commerce Sync Job queue at once (run with WCS_DB=mariadb for InnoDB locks).

Each worker is a separate process with its own connection, like RQ workers on a bench. All make their first claim
at once (and none works before all have), then each stops at its first empty claim, as a draining worker does: a
claim that comes back empty while jobs are waiting (the old claim's full-scan lock on MariaDB) shows up as a
worker that took no part, or stopped with the queue still full.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta, timezone

import frappe
import pytest

JOB = "Commerce Sync Job"
JOBS = 200
LIMIT = 4


def _worker(site: str, sites_path: str, store: str, name: str, now: datetime, barrier, first_claims, out) -> None:
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    import frappe

    from wix_commerce_sync.persistence.job_store import FrappeJobStore

    frappe.init(site=site, sites_path=sites_path, force=True)
    frappe.connect()
    try:
        own = FrappeJobStore()
        mine: list[str] = []
        barrier.wait(timeout=120)
        batch = own.claim(name, now + timedelta(seconds=1), limit=LIMIT, store=store)  # all workers at once
        first_claims.wait(timeout=120)  # nobody drains the queue before every worker has made its first claim
        while batch:
            mine += [job.name for job in batch]
            for job in batch:
                time.sleep(0.002)  # the work itself
                own.complete(job, now)
            frappe.db.commit()
            batch = own.claim(name, now + timedelta(seconds=1), limit=LIMIT, store=store)
        frappe.db.rollback()  # a fresh read: what was still waiting when this worker found nothing
        waiting = frappe.db.count(JOB, {"store": store, "status": "Queued"})
        out.put((name, mine, waiting, None))
    except BaseException as exc:  # report, never hang the parent
        first_claims.abort()
        out.put((name, [], -1, repr(exc)))
    finally:
        frappe.destroy()


def _enqueue_jobs(store: str, now: datetime) -> None:
    from wix_commerce_sync.persistence.job_store import FrappeJobStore
    from wix_commerce_sync.sync import queue as q

    jobs = FrappeJobStore()
    for i in range(JOBS):
        jobs.enqueue(q.NewJob(store=store, entity="orders", direction=q.INBOUND, action="upsert",
                              dedupe_key=f"{store}::p{i}", record_key=f"{store}::rec{i}", payload="null",
                              external_id=f"rec{i}"), now)  # fmt: skip
    frappe.db.commit()


@pytest.mark.parametrize("workers", [2, 4])
def test_worker_processes_share_the_queue(frappe_site, workers):
    from wix_commerce_sync.tests import fixtures as fx

    store, _ = fx.make_store(fx.ensure_basics(), f"Claim Shop {frappe.generate_hash(length=6)}")
    frappe.db.commit()
    now = datetime.now(timezone.utc)
    _enqueue_jobs(store, now)

    ctx = multiprocessing.get_context("spawn")
    barrier, first_claims, out = ctx.Barrier(workers), ctx.Barrier(workers), ctx.Queue()
    names = [f"worker-{i}" for i in range(workers)]
    procs = [ctx.Process(target=_worker, args=(frappe_site.name, frappe_site.sites_path, store, n, now, barrier, first_claims, out))
             for n in names]  # fmt: skip
    for proc in procs:
        proc.start()
    results = [out.get(timeout=300) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)

    assert [r[3] for r in results if r[3]] == []
    claimed = {name: mine for name, mine, _, _ in results}
    every = [job for mine in claimed.values() for job in mine]
    assert len(every) == len(set(every)), "a job was claimed twice"
    assert len(every) == JOBS, f"jobs lost: {JOBS - len(every)}"
    assert all(claimed.values()), f"every worker should take part: {[len(m) for m in claimed.values()]}"
    # a worker may find nothing only when every waiting job is inside another worker's claim
    for name, _, waiting, _ in results:
        assert waiting <= (workers - 1) * LIMIT, f"{name} found no job while {waiting} were waiting"
    frappe.db.rollback()
    assert frappe.db.count(JOB, {"store": store, "status": "Done"}) == JOBS


def test_a_claim_in_progress_leaves_the_rest_of_the_queue_to_other_workers(frappe_site):
    """Deterministic form of the above: worker A's claim transaction is still open (its rows locked) while
    worker B claims on its own connection. B must get the next jobs at once, not an empty batch, and not wait."""
    if frappe.db.backend != "mariadb":
        pytest.skip("row locks: run with WCS_DB=mariadb (SQLite has one write lock per database)")
    from wix_commerce_sync.persistence.job_store import FrappeJobStore
    from wix_commerce_sync.tests import fixtures as fx

    store, _ = fx.make_store(fx.ensure_basics(), f"Claim Lock Shop {frappe.generate_hash(length=6)}")
    frappe.db.commit()
    now = datetime.now(timezone.utc)
    _enqueue_jobs(store, now)

    first = FrappeJobStore(commit_claims=False).claim("A", now + timedelta(seconds=1), limit=LIMIT, store=store)
    primary, other = frappe.local.db, frappe.local.db.new_connection()
    try:
        frappe.local.db = other
        started = time.monotonic()
        second = FrappeJobStore().claim("B", now + timedelta(seconds=1), limit=LIMIT, store=store)
        waited = time.monotonic() - started
    finally:
        frappe.local.db = primary
        other.close()
        frappe.db.rollback()
    assert len(first) == LIMIT
    assert len(second) == LIMIT, "B found nothing while A's claim was open: A's locking read locked the queue"
    assert {j.name for j in first}.isdisjoint(j.name for j in second)
    assert waited < 2, f"B waited {waited:.1f}s for A's locks"


def test_the_claim_index_is_added_to_a_site_that_lacks_it(frappe_site):
    """The post-model-sync patch adds the index the claim forces (FORCE INDEX fails without it)."""
    if frappe.db.backend != "mariadb":
        pytest.skip("index names: run with WCS_DB=mariadb")
    from wix_commerce_sync.patches import add_job_claim_index

    frappe.db.commit()
    frappe.db.sql(f"alter table `tab{JOB}` drop index `claim_index`")
    try:
        assert not frappe.db.has_index(f"tab{JOB}", "claim_index")
        add_job_claim_index.execute()
        add_job_claim_index.execute()  # idempotent
    finally:
        if not frappe.db.has_index(f"tab{JOB}", "claim_index"):  # leave the site as it was for the other tests
            frappe.db.add_index(JOB, ["status", "store", "next_attempt_at", "creation"], index_name="claim_index")
    assert frappe.db.has_index(f"tab{JOB}", "claim_index")
