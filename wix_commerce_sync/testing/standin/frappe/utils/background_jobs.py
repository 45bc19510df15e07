"""frappe.utils.background_jobs for the stand-in: jobs are captured (no redis/RQ) and run by
``frappe.standin.run_jobs()`` the way ``execute_job`` runs them in a worker."""

from __future__ import annotations

import frappe
from frappe import _

QUEUE_TIMEOUTS = {"short": 300, "default": 300, "long": 1500}


def get_queues_timeout() -> dict:
    workers = (frappe.conf.get("workers") or {}) if frappe.conf else {}
    out = dict(QUEUE_TIMEOUTS)
    for name, worker in workers.items():
        out[name] = worker.get("timeout") or 300
    return out


def enqueue(
    method, queue="default", timeout=None, event=None, is_async=True, job_name=None, now=False,
    enqueue_after_commit=False, *, on_success=None, on_failure=None, at_front=False, job_id=None, deduplicate=False,
    **kwargs,
):
    from frappe import standin

    if deduplicate:
        if not job_id:
            frappe.throw(_("`job_id` paramater is required for deduplication."))
        existing = standin.find_job(job_id)
        if existing and existing.status in ("queued", "started"):
            return None
        if existing:
            standin.delete_job(existing)

    if not is_async and not frappe.flags.in_test:
        print("Using enqueue with is_async=False outside of tests is not recommended, use now=True instead.")
    if now or (not is_async and not frappe.flags.in_test):
        return frappe.call(method, **kwargs)

    timeouts = get_queues_timeout()
    if queue not in timeouts:
        frappe.throw(_("Queue should be one of {0}").format(", ".join(timeouts)))
    timeout = timeout or timeouts[queue]

    def _enqueue():
        job = standin.add_job(
            method=method, queue=queue, timeout=timeout, kwargs=kwargs, job_id=job_id, at_front=at_front,
            event=event, job_name=job_name,
        )
        if not is_async:  # in tests RQ runs is_async=False jobs synchronously through execute_job
            standin.execute_job(job)
        return job

    if enqueue_after_commit:
        frappe.db.after_commit.add(_enqueue)
        return None
    return _enqueue()


def enqueue_doc(doctype, name=None, method=None, queue="default", timeout=300, now=False, **kwargs):
    return enqueue(
        "frappe.utils.background_jobs.run_doc_method", doctype=doctype, name=name, doc_method=method, queue=queue,
        timeout=timeout, now=now, **kwargs,
    )


def run_doc_method(doctype, name, doc_method, **kwargs):
    getattr(frappe.get_doc(doctype, name), doc_method)(**kwargs)


def create_job_id(job_id: str | None = None) -> str:
    import uuid

    job_id = job_id or str(uuid.uuid4())
    return f"{frappe.local.site}::{job_id}"


def get_job(job_id: str):
    from frappe import standin

    return standin.find_job(job_id)


def get_job_status(job_id: str):
    job = get_job(job_id)
    return job.status if job else None


def is_job_enqueued(job_id: str) -> bool:
    return get_job_status(job_id) in ("queued", "started")


def get_jobs(site=None, queue=None, key="method"):
    from frappe import standin

    out: dict = {}
    for job in standin.jobs(status="queued"):
        if queue and job.queue != queue:
            continue
        out.setdefault(job.site, []).append(job.method_name if key == "method" else job.job_name)
    return out
