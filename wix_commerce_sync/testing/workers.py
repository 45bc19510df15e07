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

import contextlib
import multiprocessing
import os
import pickle
import signal
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
                " site TEXT, queue TEXT, status TEXT, job BLOB, enqueued_at REAL, started_at REAL, ended_at REAL,"
                " worker_pid INTEGER)"
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
    def take(self, site: str, queues: Sequence[str], worker_pid: int | None = None):
        """The oldest queued job of the first queue that has one, now started by ``worker_pid`` (atomic across
        processes)."""
        with self._conn() as conn:
            for queue in queues:
                row = conn.execute("SELECT seq, job FROM rq_jobs WHERE site=? AND queue=? AND status='queued' ORDER BY seq"
                                   " LIMIT 1", (site, queue)).fetchone()  # fmt: skip
                if row:
                    conn.execute("UPDATE rq_jobs SET status='started', started_at=?, worker_pid=? WHERE seq=?",
                                 (time.time(), worker_pid, row[0]))  # fmt: skip
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

    def started_by(self, worker_pid: int) -> list[str]:
        """Methods of the jobs a worker process is running now."""
        with self._conn() as conn:
            rows = conn.execute("SELECT job FROM rq_jobs WHERE status='started' AND worker_pid=?", (worker_pid,)).fetchall()
        return [pickle.loads(r[0]).method_name for r in rows]  # noqa: S301 - our own table

    def abandon(self, worker_pid: int, reason: str) -> int:
        """RQ's answer to a work horse that died mid-job: its started jobs move to failed (so a deduplicated job id
        may be queued again). Returns how many."""
        with self._conn() as conn:
            rows = conn.execute("SELECT id, job FROM rq_jobs WHERE status='started' AND worker_pid=?", (worker_pid,)).fetchall()
            for job_key, blob in rows:
                job = pickle.loads(blob)  # noqa: S301 - our own table
                job.status, job.exc_info, job.exception = "failed", reason, None
                conn.execute("UPDATE rq_jobs SET status='failed', ended_at=?, job=? WHERE id=?",
                             (time.time(), pickle.dumps(job), job_key))  # fmt: skip
        return len(rows)

    def counts(self, queue: str | None = None) -> dict[str, int]:
        """Jobs per status (of one queue, or of all)."""
        with self._conn() as conn:
            return dict(conn.execute("SELECT status, COUNT(*) FROM rq_jobs WHERE ? IS NULL OR queue=? GROUP BY status",
                                     (queue, queue)).fetchall())  # fmt: skip

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


def _worker_main(site: SiteAddress, queue_path: str, queues: tuple[str, ...], stop: Any, ready: Any,
                 setup: str | None = None) -> None:  # fmt: skip
    """One ``bench worker`` process: take a job, run it like RQ's execute_job on a fresh connection, repeat.

    ``setup``: dotted path of a function called once in the process before the first job (a run's test settings).
    A job that raises out of execute_job (its connection dropped under it: even the rollback fails) is failed, as
    RQ fails it; the worker goes on.
    """
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    import frappe
    from frappe import standin

    if setup:
        module, _, name = setup.rpartition(".")
        getattr(__import__(module, fromlist=[name]), name)()
    shared = SharedJobQueue(queue_path)
    shared.install()
    ready.set()
    while not stop.is_set():
        job = shared.take(site.name, queues, os.getpid())
        if job is None:
            time.sleep(0.01)
            continue
        try:
            frappe.init(site.name, sites_path=site.sites_path, force=True)
            frappe.connect(set_admin_as_user=False)
            standin.execute_job(job)
        except Exception as exc:  # noqa: BLE001 - RQ records it on the job and takes the next one
            job.status, job.exc_info = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            with contextlib.suppress(Exception):
                frappe.destroy()
            shared.finish(job)


class WorkerPool:
    """Worker processes on the shared queue, and the scheduler's per-minute tick.

    A worker process that dies (``kill_mid_job`` SIGKILLs one while it runs a job) is reaped by a monitor thread
    as RQ's worker reaps a dead work horse: its started jobs are failed, and a new process takes its queues.
    """

    def __init__(self, site: SiteAddress, queue: SharedJobQueue, *, workers: Sequence[tuple[str, ...]] = PRODUCTION_WORKERS,
                 tick_seconds: float = 60.0, setup: str | None = None) -> None:  # fmt: skip
        self.site = site
        self.queue = queue
        self.workers = list(workers)
        self.tick_seconds = tick_seconds
        self.setup = setup
        self.ticks = 0
        self.killed: list[str] = []  # what each SIGKILLed process was running
        self.abandoned_jobs = 0
        ctx = multiprocessing.get_context("spawn")
        self._ctx = ctx
        self._stop = ctx.Event()
        self._processes: list[tuple[Any, tuple[str, ...], Any]] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._threads_stop = threading.Event()

    def start(self) -> None:
        readies = [self._spawn(queues) for queues in self.workers]
        for ready in readies:
            if not ready.wait(120):
                raise RuntimeError("a worker process did not start")
        for target, name in ((self._schedule, "scheduler"), (self._monitor, "worker-monitor")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _spawn(self, queues: tuple[str, ...]) -> Any:
        ready = self._ctx.Event()
        process = self._ctx.Process(target=_worker_main, args=(self.site, self.queue.path, queues, self._stop, ready,
                                                               self.setup),
                                    name=f"worker-{'-'.join(queues)}", daemon=True)  # fmt: skip
        process.start()
        with self._lock:  # the Event is kept with its process: a collected one unlinks the semaphore it waits on
            self._processes.append((process, queues, ready))
        return ready

    def _schedule(self) -> None:
        """Frappe's scheduler: the cron ``* * * * *`` event is enqueued once a minute."""
        import frappe
        from frappe import standin

        site = standin.Site(self.site.name, self.site.sites_path, self.site.site_path, self.site.db_path)
        while not self._threads_stop.wait(self.tick_seconds):
            with standin.connection(site):
                frappe.enqueue(TICK, queue="default")
                self.ticks += 1

    def _monitor(self) -> None:
        while not self._threads_stop.wait(0.2):
            self.reap()

    def reap(self) -> int:
        """Fail the started jobs of dead worker processes and start new processes in their place."""
        with self._lock:
            dead = [entry for entry in self._processes if entry[0].exitcode is not None]
            self._processes = [entry for entry in self._processes if entry[0].exitcode is None]
        for process, queues, _ready in dead:
            if self._stop.is_set():
                continue
            self.abandoned_jobs += self.queue.abandon(
                process.pid, f"Work-horse terminated unexpectedly; waitpid returned {process.exitcode}")
            self._spawn(queues)
        return len(dead)

    def kill_mid_job(self, timeout: float = 10.0, spare: Sequence[tuple[str, ...]] = ()) -> str | None:
        """SIGKILL a worker process while it runs a job; returns the job's method (None: none busy in time).
        ``spare``: processes serving these queues are never the target."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                alive = [p for p, queues, _ in self._processes if p.exitcode is None and queues not in spare]
            for process in alive:
                running = self.queue.started_by(process.pid)
                if running:
                    os.kill(process.pid, signal.SIGKILL)
                    process.join(10)
                    self.killed.append(running[0])
                    return running[0]
            time.sleep(0.005)
        return None

    def idle(self, queue: str | None = None) -> bool:
        """Nothing queued or running (on one queue, or on any)."""
        counts = self.queue.counts(queue)
        return not counts.get("queued") and not counts.get("started")

    def stop(self) -> None:
        self._threads_stop.set()
        self._stop.set()
        with self._lock:
            processes = [p for p, _, _ in self._processes]
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.terminate()
        for thread in self._threads:
            thread.join(10)
