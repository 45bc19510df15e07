"""The Commerce Sync Job claim on MariaDB: 100,000 finished jobs of history and 2,000 queued, drained by 1, 2 and 4
worker PROCESSES (each its own connection, like RQ workers on a bench).

Per worker count: claim latency p50/p99 (one ``FrappeJobStore.claim`` call of up to 10 jobs, commit included) and
jobs per second to drain the queue (claim, complete each job, commit; no other work). Goal: claim p99 <= 20 ms
whatever the history, throughput growing with workers. Needs MariaDB: starts scripts/mariadb.sh when WCS_DB is not
set to a running server (``WCS_DB=sqlite`` runs it on the embedded stand-in for comparison).
Options: --quick (10,000 finished, 500 queued).
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.harness import report
from wix_commerce_sync.connectors.http import percentile
from wix_commerce_sync.testing.database import ensure_database

JOB = "Commerce Sync Job"
STORE = "Bench Queue Shop"
BATCH = 10


def _seed(finished: int, queued: int, now: datetime) -> None:
    import frappe

    from wix_commerce_sync.persistence.times import to_db

    columns = ["name", "creation", "modified", "owner", "modified_by", "store", "entity", "direction", "action",
               "dedupe_key", "record_key", "payload", "status", "attempts", "next_attempt_at", "finished_at"]  # fmt: skip
    rows = []
    for i in range(finished + queued):
        done = i < finished
        at = to_db(now - timedelta(seconds=finished + queued - i))
        rows.append((f"bq{i:08d}", at, at, "Administrator", "Administrator", STORE, "orders", "Inbound", "upsert",
                     f"bench::{i}", f"bench::rec{i}", "null", "Done" if done else "Queued", 0 if not done else 1, at,
                     at if done else None))  # fmt: skip
    insert = f"insert into `tab{JOB}` ({', '.join(f'`{c}`' for c in columns)}) values "  # noqa: S608
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        values = ", ".join("(" + ", ".join(["%s"] * len(columns)) + ")" for _ in chunk)
        frappe.db.sql(insert + values, [v for row in chunk for v in row])
        frappe.db.commit()


def _requeue(queued: int, finished: int) -> None:
    import frappe

    frappe.db.sql(
        f"update `tab{JOB}` set `status`='Queued', `claimed_by`=null, `claimed_at`=null where `name`>=%s",  # noqa: S608
        (f"bq{finished:08d}",),
    )
    frappe.db.commit()


def _worker(site: str, sites_path: str, name: str, now: datetime, barrier, out) -> None:
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    import frappe

    from wix_commerce_sync.persistence.job_store import FrappeJobStore

    frappe.init(site=site, sites_path=sites_path, force=True)
    frappe.connect()
    jobs = FrappeJobStore()
    claims: list[float] = []
    done, errors = 0, 0
    barrier.wait(timeout=300)
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        try:
            batch = jobs.claim(name, now, limit=BATCH, store=STORE)
            claims.append(time.perf_counter() - t0)
            if not batch:
                break
            for job in batch:
                jobs.complete(job, now)
            frappe.db.commit()
        except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):  # counted; a worker would retry the job later
            frappe.db.rollback()
            errors += 1
            if errors > 50:
                break
            continue
        done += len(batch)
    out.put((name, claims, done, time.perf_counter() - started, errors))
    frappe.destroy()


def _drain(site, workers: int, now: datetime) -> dict[str, object]:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(site.name, site.sites_path, f"w{i}", now, barrier, out))
             for i in range(workers)]  # fmt: skip
    for proc in procs:
        proc.start()
    results = [out.get(timeout=1800) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    claims = [c for r in results for c in r[1]]
    done = sum(r[2] for r in results)
    wall = max(r[3] for r in results)
    return {
        f"w{workers}_lock_errors": sum(r[4] for r in results),
        f"w{workers}_claim_p50_ms": round(percentile(claims, 50) * 1000, 2),
        f"w{workers}_claim_p99_ms": round(percentile(claims, 99) * 1000, 2),
        f"w{workers}_jobs_per_s": round(done / wall, 1),
        f"w{workers}_jobs": done,
        f"w{workers}_workers_taking_part": sum(1 for r in results if r[2]),
    }


def run(finished: int = 100_000, queued: int = 2_000) -> dict[str, object]:
    backend = ensure_database()
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    import frappe
    from frappe import standin

    figures: dict[str, object] = {"backend": backend, "finished_jobs": finished, "queued_jobs": queued}
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="wcs-bench-queue-") as tmp:
        site = standin.new_site(Path(tmp) / "bench-queue.localhost", db_type=backend)
        try:
            site.connect()
            _seed(finished, queued, now)
            explain = frappe.db.sql(
                f"explain select `name` from `tab{JOB}` force index (`claim_index`) where `status`='Queued' "  # noqa: S608
                f"and `store`=%s and `next_attempt_at`<=%s order by `next_attempt_at`, `creation` limit 10",
                (STORE, now.replace(tzinfo=None)), as_dict=True,
            ) if backend == "mariadb" else []  # fmt: skip
            if explain:
                figures["claim_plan"] = f"{explain[0].get('type')}:{explain[0].get('key')}:rows={explain[0].get('rows')}"
            for workers in (1, 2, 4):
                _requeue(queued, finished)
                figures.update(_drain(site, workers, now + timedelta(seconds=1)))
        finally:
            frappe.destroy()
            standin.drop_site(site)
    return figures


def main() -> None:
    quick = "--quick" in sys.argv
    report("job claim on a busy queue", run(10_000, 500) if quick else run())


if __name__ == "__main__":
    main()
