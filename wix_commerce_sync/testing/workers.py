"""Background workers for the stand-in site the way a bench runs them: separate processes draining shared queues.

The stand-in keeps ``frappe.enqueue``'d jobs in the memory of the process that enqueued them. A bench keeps them in
Redis, where every process enqueues and every ``bench worker`` process takes them. :class:`SharedJobQueue` plays
Redis: one SQLite table that every process of the run writes to (``install()`` routes the stand-in's
``add_job`` / ``find_job`` / ``delete_job`` there, so ``deduplicate`` sees jobs queued or started by any process,
as RQ does). :class:`WorkerPool` starts ``bench worker``-like processes (each takes the oldest job of its first
non-empty queue, runs it through the stand-in's ``execute_job`` on its own connection) and a scheduler thread that
enqueues the app's per-minute cron event, as Frappe's scheduler does.

Benchmarks only: production code never imports this.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wix_commerce_sync.sync.queue import ImmediateTransaction

# supervisor's workers on a production bench: short+default, and long+default+short
PRODUCTION_WORKERS: tuple[tuple[str, ...], ...] = (("short", "default"), ("short", "default"), ("long", "default", "short"))
TICK = "wix_commerce_sync.tasks.scheduler.commerce_sync_tick"


class SharedJobQueue:
    """RQ's job registry for the stand-in, shared by processes through one SQLite file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS rq_jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, job_id TEXT,"
                " site TEXT, queue TEXT, status TEXT, job BLOB, enqueued_at REAL, started_at REAL, ended_at REAL)"
            )

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return ImmediateTransaction(conn)

    def install(self) -> None:
        """Route the stand-in's job registry (the current process) to this shared table."""
        from frappe import standin

        standin.add_job, standin.find_job, standin.delete_job = self.add_job, self.find_job, self.delete_job

    # -- what frappe.enqueue / get_job call -------------------------------------------------------------
    def add_job(self, method, queue, timeout, kwargs, job_id=None, at_front=False, event=None, job_name=None):
        import frappe
        from frappe import standin

        site = frappe.local.site
        method_name = method if isinstance(method, str) else f"{method.__module__}.{method.__qualname__}"
        job = standin.Job(id=f"{site}::{job_id or uuid.uuid4()}", job_id=job_id, site=site, method=method_name,
                          method_name=method_name, queue=queue, timeout=timeout, kwargs=dict(kwargs),
                          user=frappe.session.user, at_front=at_front, job_name=job_name or method_name,
                          sites_path=frappe.local.sites_path)  # fmt: skip
        with self._conn() as conn:
            conn.execute("DELETE FROM rq_jobs WHERE id=?", (job.id,))  # a finished job of that id (RQ replaces it)
            conn.execute("INSERT INTO rq_jobs (id, job_id, site, queue, status, job, enqueued_at) VALUES (?,?,?,?,?,?,?)",
                         (job.id, job_id, site, queue, "queued", pickle.dumps(job), time.time()))  # fmt: skip
        return job

    def find_job(self, job_id: str):
        import frappe

        with self._conn() as conn:
            row = conn.execute("SELECT job, status FROM rq_jobs WHERE id=?", (f"{frappe.local.site}::{job_id}",)).fetchone()
        if not row:
            return None
        job = pickle.loads(row[0])  # noqa: S301 - our own table
        job.status = row[1]
        return job

    def delete_job(self, job) -> None:
        with self._conn() as conn:
            conn.execute("DELETE FROM rq_jobs WHERE id=? AND status NOT IN ('queued', 'started')", (job.id,))

    # -- what a worker does ---------------------------------------------------------------------------
    def take(self, site: str, queues: Sequence[str]):
        """The oldest queued job of the first queue that has one, now started (atomic across processes)."""
        with self._conn() as conn:
            for queue in queues:
                row = conn.execute("SELECT seq, job FROM rq_jobs WHERE site=? AND queue=? AND status='queued' ORDER BY seq"
                                   " LIMIT 1", (site, queue)).fetchone()  # fmt: skip
                if row:
                    conn.execute("UPDATE rq_jobs SET status='started', started_at=? WHERE seq=?", (time.time(), row[0]))
                    job = pickle.loads(row[1])  # noqa: S301 - our own table
                    job.status = "started"
                    return job
        return None

    def finish(self, job) -> None:
        status = job.status if job.status in ("finished", "failed") else "finished"
        job.exception = None  # not always picklable; exc_info keeps the traceback text
        with self._conn() as conn:
            conn.execute("UPDATE rq_jobs SET status=?, ended_at=?, job=? WHERE id=? AND status='started'",
                         (status, time.time(), pickle.dumps(job), job.id))  # fmt: skip

    def counts(self) -> dict[str, int]:
        with self._conn() as conn:
            return dict(conn.execute("SELECT status, COUNT(*) FROM rq_jobs GROUP BY status").fetchall())

    def failures(self) -> list[str]:
        with self._conn() as conn:
            rows = conn.execute("SELECT job FROM rq_jobs WHERE status='failed'").fetchall()
        jobs = [pickle.loads(r[0]) for r in rows]  # noqa: S301 - our own table
        return [f"{job.method_name}: {' | '.join((job.exc_info or '').strip().splitlines()[-1:])}" for job in jobs]


@dataclass(frozen=True)
class SiteAddress:
    name: str
    sites_path: str
    site_path: str
    db_path: str


def _worker_main(site: SiteAddress, queue_path: str, queues: tuple[str, ...], stop: Any, ready: Any) -> None:
    """One ``bench worker`` process: take a job, run it like RQ's execute_job on a fresh connection, repeat."""
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    import frappe
    from frappe import standin

    shared = SharedJobQueue(queue_path)
    shared.install()
    ready.set()
    while not stop.is_set():
        job = shared.take(site.name, queues)
        if job is None:
            time.sleep(0.01)
            continue
        frappe.init(site.name, sites_path=site.sites_path, force=True)
        frappe.connect(set_admin_as_user=False)
        try:
            standin.execute_job(job)
        finally:
            frappe.destroy()
            shared.finish(job)


class WorkerPool:
    """Worker processes on the shared queue, and the scheduler's per-minute tick."""

    def __init__(self, site: SiteAddress, queue: SharedJobQueue, *, workers: Sequence[tuple[str, ...]] = PRODUCTION_WORKERS,
                 tick_seconds: float = 60.0) -> None:  # fmt: skip
        self.site = site
        self.queue = queue
        self.workers = list(workers)
        self.tick_seconds = tick_seconds
        self.ticks = 0
        ctx = multiprocessing.get_context("spawn")
        self._ctx = ctx
        self._stop = ctx.Event()
        self._processes: list[Any] = []
        self._scheduler: threading.Thread | None = None
        self._scheduler_stop = threading.Event()

    def start(self) -> None:
        readies = []
        for queues in self.workers:
            ready = self._ctx.Event()
            process = self._ctx.Process(target=_worker_main, args=(self.site, self.queue.path, queues, self._stop, ready),
                                        name=f"worker-{'-'.join(queues)}", daemon=True)  # fmt: skip
            process.start()
            self._processes.append(process)
            readies.append(ready)
        for ready in readies:
            if not ready.wait(120):
                raise RuntimeError("a worker process did not start")
        self._scheduler = threading.Thread(target=self._schedule, name="scheduler", daemon=True)
        self._scheduler.start()

    def _schedule(self) -> None:
        """Frappe's scheduler: the cron ``* * * * *`` event is enqueued once a minute."""
        import frappe
        from frappe import standin

        site = standin.Site(self.site.name, self.site.sites_path, self.site.site_path, self.site.db_path)
        while not self._scheduler_stop.wait(self.tick_seconds):
            with standin.connection(site):
                frappe.enqueue(TICK, queue="default")
                self.ticks += 1

    def stop(self) -> None:
        self._scheduler_stop.set()
        self._stop.set()
        for process in self._processes:
            process.join(30)
            if process.is_alive():
                process.terminate()
        if self._scheduler:
            self._scheduler.join(10)
