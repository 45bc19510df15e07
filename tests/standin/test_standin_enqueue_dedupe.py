"""The enqueue semantics the event-driven flush relies on, as Frappe has them (frappe/utils/background_jobs.py):
``deduplicate`` drops a job whose job_id is queued OR started, checked when ``enqueue`` is called; a finished one is
replaced; ``enqueue_after_commit`` defers the enqueue to the commit and drops it on rollback. The benchmarks' queue
shared across worker processes (testing/workers.py) keeps the same semantics."""

import uuid

import frappe
import pytest
from frappe.utils.background_jobs import is_job_enqueued

from wix_commerce_sync.testing.workers import SharedJobQueue

METHOD = "standin_test_api.job_create_uom"


def _tag():
    return f"D-{uuid.uuid4().hex[:8]}"


def test_a_started_job_swallows_a_deduplicated_enqueue_of_its_id(standin):
    job_id = _tag()
    job = frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True)
    job.status = "started"  # a worker is running it
    assert frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True) is None
    job.status = "finished"
    again = frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True)
    assert again is not None and again.status == "queued"


def test_enqueue_after_commit_waits_for_the_commit_and_dies_with_a_rollback(standin):
    job_id = _tag()
    frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True, enqueue_after_commit=True)
    assert not is_job_enqueued(job_id)
    frappe.db.rollback()
    frappe.db.commit()
    assert not is_job_enqueued(job_id)
    frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True, enqueue_after_commit=True)
    frappe.db.commit()
    assert is_job_enqueued(job_id)


@pytest.fixture
def shared_queue(standin, tmp_path, monkeypatch):
    for name in ("add_job", "find_job", "delete_job"):
        monkeypatch.setattr(standin, name, getattr(standin, name))  # restored after the test
    queue = SharedJobQueue(str(tmp_path / "rq.sqlite3"))
    queue.install()
    return queue


def test_the_shared_queue_deduplicates_like_rq(shared_queue):
    job_id = _tag()
    assert frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True) is not None
    assert frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True) is None  # queued
    taken = shared_queue.take(frappe.local.site, ["long", "default"])
    assert taken is not None and taken.job_id == job_id and taken.status == "started"
    assert shared_queue.take(frappe.local.site, ["default"]) is None  # a job is given to one worker only
    assert frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True) is None  # started
    taken.status = "finished"
    shared_queue.finish(taken)
    assert frappe.enqueue(METHOD, tag=_tag(), job_id=job_id, deduplicate=True) is not None
    assert shared_queue.counts() == {"queued": 1}


def test_a_worker_takes_its_first_queue_first(shared_queue):
    frappe.enqueue(METHOD, queue="long", tag=_tag())
    frappe.enqueue(METHOD, queue="short", tag=_tag())
    site = frappe.local.site
    assert shared_queue.take(site, ["short", "default"]).queue == "short"
    assert shared_queue.take(site, ["short", "default"]) is None
    assert shared_queue.take(site, ["long", "default", "short"]).queue == "long"
