"""Scheduler entry points (hooks.py ``scheduler_events``). Called with no arguments.

Every function catches and logs its own exceptions: a scheduled function that raises has its
transaction rolled back and, for frequent jobs, its failure recorded nowhere (frappe-api.md §10).
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, add_to_date, get_datetime, now_datetime

JOBS = "wix_commerce_sync.tasks.jobs"
SCHEDULE = "wix_commerce_sync.tasks.scheduler"
INTERVALS = {  # (last-run field, interval field)
    "stock": ("last_stock_run", "stock_interval_minutes"),
    "orders": ("last_order_run", "order_interval_minutes"),
    "items": ("last_product_run", "product_interval_minutes"),
    "customers": ("last_customer_run", "customer_interval_minutes"),
}


def _log_failure(title: str) -> None:
    frappe.db.rollback()
    frappe.log_error(title=title[:140], message=frappe.get_traceback())
    frappe.db.commit()  # keep the Error Log; the scheduler would roll it back


def _enabled() -> bool:
    return bool(frappe.db.get_single_value("Commerce Sync Settings", "enabled"))


def due_entities(store, now=None) -> list[str]:
    """Entities whose configured interval has passed since their last run."""
    now = now or now_datetime()
    due = []
    for entity, (last_field, interval_field) in INTERVALS.items():
        minutes = int(store.get(interval_field) or 0)
        last = store.get(last_field)
        if minutes > 0 and (not last or add_to_date(get_datetime(last), minutes=minutes) <= now):
            due.append(entity)
    return due


def commerce_sync_tick() -> None:
    """Every minute: queue each store's due work (retries, outbox flush, stock push, polls)."""
    try:
        if not _enabled():
            return
        for store in frappe.get_all("Commerce Store", filters={"enabled": 1}, fields=["name", *[f for pair in INTERVALS.values() for f in pair]]):
            due = due_entities(store)
            frappe.enqueue(f"{SCHEDULE}.run_store_work", queue="long", store=store.name, entities=due,
                           job_id=f"commerce_sync::{store.name}::tick", deduplicate=True)  # fmt: skip
    except Exception:
        _log_failure("Commerce sync tick failed")


def run_store_work(store: str, entities: list[str] | None = None) -> None:
    """Due retries and fresh inbound jobs, the due interval work, then a flush of whatever outbound work is due."""
    from wix_commerce_sync.shell import get_engine
    from wix_commerce_sync.sync.models import Entity
    from wix_commerce_sync.tasks.jobs import request_flush

    try:
        engine = get_engine(store)
        engine.run_inbound_jobs(limit=500)
        frappe.db.commit()
        now = now_datetime()
        for entity in entities or []:
            field = INTERVALS[entity][0]
            if entity == "stock":
                engine.plan_stock_push(changed_since=engine.state.get_cursor(store, "stock"))
                engine.state.set_cursor(store, "stock", engine.clock())
            else:
                engine.poll(Entity(entity))
            frappe.db.set_value("Commerce Store", store, field, now, update_modified=False)
            frappe.db.commit()
        # the safety net: rows whose own flush was lost, and failed pushes whose retry time has come, go out
        # through the store's one flush job (never a second flush racing it)
        if engine.outbound_due():
            request_flush(store)
        frappe.db.commit()
    except Exception:
        _log_failure(f"Commerce sync work for {store} failed")


def commerce_sync_hourly_reconcile() -> None:
    """Hourly: one reconciliation job per enabled store (a slow or unreachable store delays no other)."""
    from wix_commerce_sync.shell import persist_last_webhook_times

    try:
        if not _enabled():
            return
        persist_last_webhook_times()
        for store in frappe.get_all("Commerce Store", filters={"enabled": 1}, pluck="name"):
            frappe.enqueue("wix_commerce_sync.tasks.scheduler.reconcile_store", queue="long", store=store,
                           job_id=f"commerce_sync::{store}::reconcile", deduplicate=True)  # fmt: skip
    except Exception:
        _log_failure("Commerce sync reconciliation failed")


def reconcile_store(store: str) -> None:
    """Full stock comparison, order, product and customer polls and a webhook health check for one store (catches
    missed webhooks)."""
    from wix_commerce_sync.shell import get_engine
    from wix_commerce_sync.sync.models import Entity
    from wix_commerce_sync.tasks.jobs import request_flush

    try:
        engine = get_engine(store)
        drift = engine.plan_stock_push()
        _record_drift(store, drift)
        if drift:
            request_flush(store)  # differences found by the comparison go out now, not at the next tick
        engine.poll(Entity.ORDERS)
        # a product edit whose webhook never came (dropped, or the webhook disabled meanwhile) reaches ERPNext here,
        # and a store product that shows an older version than ERPNext's gets ERPNext's again (engine._gate)
        engine.poll(Entity.ITEMS)
        engine.poll(Entity.CUSTOMERS)  # a store customer's rename whose webhook never came, likewise
        if engine.outbound_due():
            request_flush(store)
        check_webhooks = getattr(engine.connector, "check_webhooks", None)
        if check_webhooks is not None and frappe.db.get_value("Commerce Store", store, "webhooks_registered_at"):
            # WooCommerce never retries and disables a webhook after repeated failures: re-activate it
            from wix_commerce_sync.api.actions import webhook_address

            check_webhooks(webhook_address(store))
        frappe.db.commit()
    except Exception:
        _log_failure(f"Commerce sync reconciliation for {store} failed")


DRIFT_OPERATION = "reconcile stock"  # the dashboard shows the drift of the last reconciliation (api/desk.py)


def _record_drift(store: str, drift: int) -> None:
    """One Sync Log row per reconciliation: how many stock levels differed and were queued again."""
    frappe.get_doc({
        "doctype": "Commerce Sync Log", "store": store, "entity": "stock", "direction": "Outbound",
        "operation": DRIFT_OPERATION, "status": "Success", "records": drift,
        "message": f"{drift} stock level(s) differed from what the store last got; queued again" if drift else
                   "no stock drift",
    }).insert(ignore_permissions=True)  # fmt: skip


def commerce_sync_daily_cleanup() -> None:
    """Delete sync logs and finished jobs older than the retention settings."""
    try:
        settings = frappe.get_cached_doc("Commerce Sync Settings")
        log_days = int(settings.log_retention_days or 30)
        job_days = int(settings.job_retention_days or 14)
        frappe.db.delete("Commerce Sync Log", {"creation": ["<", add_days(now_datetime(), -log_days)]})
        frappe.db.delete("Commerce Sync Job", {"creation": ["<", add_days(now_datetime(), -job_days)],
                                               "status": ["in", ["Done", "Superseded"]]})  # fmt: skip
        frappe.db.commit()
    except Exception:
        _log_failure("Commerce sync log cleanup failed")
