"""Background jobs (enqueue semantics, execute_job), doc_events dispatch, realtime capture."""

import uuid

import frappe
import pytest
import standin_test_api
from frappe.utils.background_jobs import is_job_enqueued


def _tag():
    return f"J-{uuid.uuid4().hex[:8]}"


def test_enqueue_dedupe(standin):
    job_id = _tag()
    first = frappe.enqueue("standin_test_api.job_create_uom", tag=_tag(), job_id=job_id, deduplicate=True)
    assert first is not None and is_job_enqueued(job_id)
    assert frappe.enqueue("standin_test_api.job_create_uom", tag=_tag(), job_id=job_id, deduplicate=True) is None
    assert len(standin.jobs(status="queued")) == 1
    with pytest.raises(frappe.ValidationError):
        frappe.enqueue("standin_test_api.job_create_uom", tag=_tag(), deduplicate=True)
    frappe.db.commit()
    standin.run_jobs()
    assert not is_job_enqueued(job_id)
    assert frappe.enqueue("standin_test_api.job_create_uom", tag=_tag(), job_id=job_id, deduplicate=True) is not None


def test_run_jobs_as_enqueuer_and_commit(standin):
    user = frappe.get_doc({"doctype": "User", "email": f"{_tag().lower()}@example.com", "first_name": "J",
                           "send_welcome_email": 0, "roles": [{"role": "System Manager"}]}).insert()
    frappe.db.commit()
    tag = _tag()
    frappe.set_user(user.name)
    frappe.enqueue("standin_test_api.job_create_uom", tag=tag)
    frappe.set_user("Administrator")
    [job] = standin.run_jobs()
    assert job.status == "finished"
    assert ("job", tag, user.name) in standin_test_api.CALLS
    assert frappe.session.user == "Administrator"
    frappe.db.rollback()
    assert frappe.db.exists("UOM", tag)


def test_failed_job_rolls_back_logs_and_commits_log(standin):
    tag = _tag()
    frappe.enqueue("standin_test_api.job_fails", tag=tag)
    [job] = standin.run_jobs()
    assert job.status == "failed" and isinstance(job.exception, RuntimeError)
    assert not frappe.db.exists("UOM", tag)
    assert frappe.db.exists("Error Log", {"method": "standin_test_api.job_fails"})


def test_isolated_job_runs_on_its_own_connection(standin):
    tag = _tag()
    frappe.enqueue("standin_test_api.job_create_uom", tag=tag)
    frappe.db.commit()
    [job] = standin.run_jobs(isolated=True)
    assert job.status == "finished", job.exc_info
    assert frappe.db.exists("UOM", tag)


def test_enqueue_now_runs_inline(standin):
    tag = _tag()
    frappe.enqueue("standin_test_api.job_create_uom", tag=tag, now=True)
    assert frappe.db.exists("UOM", tag) and standin.jobs() == []


def test_doc_events_dispatch_order(standin):
    standin_test_api.CALLS.clear()
    hooks = {"doc_events": {"UOM": {"validate": "standin_test_api.on_uom_validate"},
                            "*": {"validate": "standin_test_api.on_any_validate"},
                            ("UOM", "Brand"): {"after_insert": "standin_test_api.on_pair_insert"}}}
    with standin.hooks(**hooks):
        tag = _tag()
        frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert()
        frappe.get_doc({"doctype": "Brand", "brand": tag}).insert()
    assert standin_test_api.CALLS == [("uom", tag, "validate"), ("*", tag, "validate"), ("pair", "UOM", "after_insert"),
                                      ("pair", "Brand", "after_insert")]


def test_realtime_capture(standin):
    frappe.publish_realtime("sync_progress", {"done": 1}, user="Administrator")
    frappe.publish_progress(50, title="Sync")
    events = [(e.event, e.room) for e in standin.realtime_events]
    assert ("sync_progress", "user:Administrator") in events and ("progress", "user:Administrator") in events


def test_app_declares_its_own_before_tests_hook(standin):
    """`bench run-tests --app wix_commerce_sync` runs only this app's before_tests (get_hooks(..., app_name=app)), so
    the app must complete ERPNext's setup itself on a site without one; on a set-up site (a Company exists) the hook
    does nothing and never imports ERPNext's setup code."""
    from wix_commerce_sync import hooks

    hook = frappe.get_attr(hooks.before_tests)
    assert callable(hook)
    assert frappe.db.a_row_exists("Company") or frappe.get_doc(
        {"doctype": "Company", "company_name": "Hook Test Co", "abbr": "HTC", "default_currency": "USD",
         "country": "United States"}).insert(ignore_permissions=True)
    hook()  # would raise ImportError (no erpnext.setup.utils in the stand-in) if it tried to run the wizard
    frappe.db.rollback()
