"""Background jobs (RQ via ``frappe.enqueue``). Each runs the engine for one store.

Webhook endpoints and doc_events only *enqueue* these; no store is ever called inside a user's save.
"""

from __future__ import annotations

import time

import frappe

from wix_commerce_sync.sync.engine import RunStats
from wix_commerce_sync.sync.models import Entity

JOBS = "wix_commerce_sync.tasks.jobs"


def enqueue_store_work(method: str, store: str, *, job_key: str, queue: str = "default", after_commit: bool = True,
                       **kwargs) -> None:  # fmt: skip
    """One RQ job per (method, store, key), never queued twice at once."""
    frappe.enqueue(f"{JOBS}.{method}", queue=queue, store=store, enqueue_after_commit=after_commit,
                   job_id=f"commerce_sync::{store}::{method}::{job_key}", deduplicate=True, **kwargs)  # fmt: skip


def _engine(store: str):
    from wix_commerce_sync.shell import get_engine

    if frappe.session.user in (None, "Guest"):
        # jobs enqueued by a webhook run as Guest; ERPNext's own webhook helper switches user the same way
        frappe.set_user("Administrator")
    return get_engine(store)


def stats_dict(stats: RunStats) -> dict:
    return {"total": stats.processed, "synced": stats.succeeded, "failed": stats.failed, "skipped": stats.skipped,
            "errors": stats.errors[:50]}  # fmt: skip


def process_inbound(store: str, entity: str | None = None, limit: int = 100) -> dict:
    """Apply due inbound jobs of a store (fresh webhooks and due retries)."""
    engine = _engine(store)
    stats = engine.run_inbound_jobs(limit=limit, entity=Entity(entity) if entity else None)
    if stats.processed and engine.outbound_due():
        request_flush(store)  # a store product showing an older version than ERPNext's got ERPNext's queued again
    frappe.db.commit()  # each store's progress is kept even if a later store fails
    return stats_dict(stats)


# ---------------------------------------------------------------- event-driven flush
# A change queued for a store asks for one short flush job per store. RQ deduplicates by job_id while the job is
# queued OR started, so a change committed while a flush runs gets no job of its own: the running flush loops
# until nothing is left to claim (and looks once more after FLUSH_LINGER_SECONDS), so it takes those rows too.
# The per-minute tick requests the same job: every outbound push of a store goes through one job at a time,
# so two pushes of one record never race each other to the store.
FLUSH_ENTITIES = (Entity.ITEMS, Entity.STOCK, Entity.CUSTOMERS, Entity.ORDERS)
FLUSH_LINGER_SECONDS = 0.5  # one more look for rows committed while the last batch was pushed
FLUSH_BUDGET_SECONDS = 240.0  # below the "short" queue's 300 s timeout: a killed job would leave rows claimed
# RQ's deduplicate is check-then-enqueue: two requests at one moment make two flush jobs, and a desk action or
# "Process Queue Now" flushes as well. Every push of a store holds the store's flush lock (persistence/locks.py):
# two pushes racing would create one new store product twice (a look-first cannot see a create in flight).
FLUSH_LOCK = "flush"
FLUSH_LOCK_WAIT_SECONDS = 5.0  # a flush job that finds another pushing leaves the rows to it (or the next tick)
ACTION_LOCK_WAIT_SECONDS = 30.0  # a desk action or the long queue's queue-now waits its turn


def flush_job_id(store: str) -> str:
    return f"commerce_sync::{store}::flush"


def request_flush(store: str) -> None:
    """Enqueue the store's flush job once the current transaction commits (so it sees the queued rows).

    The dedupe check runs after the commit too: checked before it, a flush that finishes between the check and
    the commit would leave the new rows to the next tick.
    """

    def enqueue_flush() -> None:
        frappe.enqueue(f"{JOBS}.flush_store", queue="short", store=store, job_id=flush_job_id(store), deduplicate=True)

    frappe.db.after_commit.add(enqueue_flush)


def flush_store(store: str) -> dict:
    """Push everything due for the store, in the connector's batches, until nothing is left to claim."""
    from wix_commerce_sync.persistence.locks import store_lock

    with store_lock(FLUSH_LOCK, store, wait_seconds=FLUSH_LOCK_WAIT_SECONDS) as held:
        if not held:  # another push of this store runs: it takes these rows, or the next tick's flush does
            return {**stats_dict(RunStats()), "busy": True}
        return _flush_until_empty(_engine(store))


def _flush_until_empty(engine) -> dict:
    total = RunStats()
    started = time.monotonic()
    lingered = False
    while time.monotonic() - started < FLUSH_BUDGET_SECONDS:
        pushed = _flush_pass(engine)
        total.add(pushed)
        if pushed.processed:
            lingered = False
            continue
        if lingered:
            break
        lingered = True
        time.sleep(FLUSH_LINGER_SECONDS)
    return stats_dict(total)


def _flush_pass(engine) -> RunStats:
    stats = RunStats()
    for entity in FLUSH_ENTITIES:
        stats.add(engine.flush_outbound(entity, force=True))
        frappe.db.commit()  # results of calls already made to the store must be kept
    return stats


def flush_outbound(store: str, force: bool = False) -> dict:
    engine = _engine(store)
    total = RunStats()
    for entity in (Entity.ITEMS, Entity.STOCK, Entity.CUSTOMERS, Entity.ORDERS):
        total.add(flush_locked(engine, store, entity, force=force))
    frappe.db.commit()  # results of calls already made to the store must be kept
    return stats_dict(total)


def flush_locked(engine, store: str, entity: Entity, *, force: bool = True) -> RunStats:
    """One entity's push outside the flush job (desk actions, queue-now), under the store's flush lock; when a
    flush job keeps the lock past the wait, the queued change goes out with that job (or the next)."""
    from wix_commerce_sync.persistence.locks import store_lock

    with store_lock(FLUSH_LOCK, store, wait_seconds=ACTION_LOCK_WAIT_SECONDS) as held:
        if held:
            return engine.flush_outbound(entity, force=force)
    request_flush(store)
    stats = RunStats()
    stats.skipped += 1
    return stats


def process_queue_now(store: str) -> dict:
    result = process_inbound(store, limit=1000)
    out = flush_outbound(store, force=True)
    return {k: result[k] + out[k] if k != "errors" else result[k] + out[k] for k in result}


def queue_item_change(item_code: str, from_store: str | None = None) -> int:
    """An Item or Item Price changed: queue the product for every store that pushes items. ``from_store``: the change
    came from that store (the sync applied it): it goes to the other stores that already carry the product, never
    back, and is no reason to create the product on a store that does not sell it."""
    from wix_commerce_sync.erpnext.outbound import product_from_item
    from wix_commerce_sync.sync.ports import OutboundChange

    queued = 0
    for store in _stores_with_outbound("items_direction", but=from_store):
        product = product_from_item(store, item_code)
        if product is None or (from_store and not product.external_id):
            continue
        template = frappe.db.get_value("Item", item_code, "variant_of") or item_code
        if _engine(store).queue_outbound(OutboundChange("items", template, product, reference_doctype="Item",
                                                        reference_name=template)) is not None:  # fmt: skip
            queued += 1
            request_flush(store)
    return queued


def queue_stock_change(item_codes: list[str]) -> int:
    """A stock transaction changed these items: queue absolute quantities that differ from the last push."""
    queued = 0
    for store in _stores_with_outbound("stock_direction"):
        skus = frappe.get_all("Commerce Item Mapping", filters={"store": store, "item_code": ["in", list(item_codes) or [""]]},
                              pluck="sku")  # fmt: skip
        skus = [s for s in skus if s]
        planned = _engine(store).plan_stock_push(skus=skus) if skus else 0
        if planned:
            queued += planned
            request_flush(store)
    return queued


def queue_customer_change(customer: str, from_store: str | None = None) -> int:
    """A Customer changed: queue it for every store that pushes customers (``from_store``: as ``queue_item_change``,
    only the other stores that already carry it)."""
    from wix_commerce_sync.erpnext.outbound import customer_from_erp
    from wix_commerce_sync.sync.ports import OutboundChange

    queued = 0
    for store in _stores_with_outbound("customers_direction", but=from_store):
        record = customer_from_erp(store, customer)
        if record is not None and from_store and not record.external_id:
            continue
        if record is not None and _engine(store).queue_outbound(OutboundChange(
                "customers", customer, record, reference_doctype="Customer", reference_name=customer)) is not None:  # fmt: skip
            queued += 1
            request_flush(store)
    return queued


def queue_order_change(doctype: str, name: str, doc_event: str) -> int:
    """Sales Order / Delivery Note / Sales Invoice events -> status, fulfilment, cancel, refund or create."""
    from wix_commerce_sync.erpnext import outbound
    from wix_commerce_sync.sync.models import OrderStatusUpdate
    from wix_commerce_sync.sync.ports import OutboundChange

    doc = frappe.get_doc(doctype, name)
    queued = 0
    for store in _stores_with_outbound("orders_direction"):
        engine = _engine(store)
        change = None
        if doctype == "Delivery Note" and doc_event == "on_submit" and doc.get("is_return"):
            returned = outbound.refund_from_return_delivery(store, doc)
            if returned:
                change = OutboundChange("orders", name, returned, action="refund", reference_doctype=doctype, reference_name=name)
        elif doctype == "Delivery Note" and doc_event == "on_submit":
            fulfilment = outbound.fulfilment_from_delivery_note(store, doc)
            if fulfilment:
                change = OutboundChange("orders", name, fulfilment, action="fulfil", reference_doctype=doctype, reference_name=name)
        elif doctype == "Sales Invoice" and doc_event == "on_submit":
            refund = outbound.refund_from_credit_note(store, doc)
            if refund:
                change = OutboundChange("orders", name, refund, action="refund", reference_doctype=doctype, reference_name=name)
        elif doctype == "Sales Order":
            external = frappe.db.get_value("Commerce Order Mapping", {"store": store, "sales_order": name}, "external_order_id")
            status = outbound.erp_order_status(doc)
            if external and doc_event == "on_cancel":
                change = OutboundChange("orders", name, OrderStatusUpdate(external, status), action="cancel",
                                        reference_doctype=doctype, reference_name=name)  # fmt: skip
            elif external:
                change = OutboundChange("orders", name, OrderStatusUpdate(external, status), action="status",
                                        reference_doctype=doctype, reference_name=name)  # fmt: skip
            elif doc.get("commerce_store") == store and doc_event == "on_submit" and engine.connector.capabilities.order_creation:
                change = OutboundChange("orders", name, outbound.order_from_sales_order(store, doc), action="create",
                                        reference_doctype=doctype, reference_name=name)  # fmt: skip
        if change is not None and engine.queue_outbound(change) is not None:
            queued += 1
            request_flush(store)
    return queued


def _stores_with_outbound(direction_field: str, but: str | None = None) -> list[str]:
    """The enabled stores that push this entity; ``but``: not that one (the store a change came from)."""
    return [name for name in frappe.get_all("Commerce Store", pluck="name", filters={
        "enabled": 1, direction_field: ["in", ["Bidirectional", "ERPNext to Store"]]}) if name != but]  # fmt: skip


# ---------------------------------------------------------------- long manual work


def full_sync_from_store(store: str, since: str | None = None) -> dict:
    """Products, orders of the last N days (store setting, default 60) and customers, with progress."""
    from frappe.utils import add_days, get_datetime, now_datetime

    from wix_commerce_sync.persistence.times import from_db

    engine = _engine(store)
    days = frappe.db.get_value("Commerce Store", store, "order_backfill_days") or 60
    order_since = from_db(get_datetime(since)) if since else from_db(add_days(now_datetime(), -int(days)))
    total = RunStats()
    steps = [(Entity.ITEMS, None), (Entity.CUSTOMERS, None), (Entity.ORDERS, order_since)]
    for i, (entity, entity_since) in enumerate(steps):
        frappe.publish_progress(i * 100 / len(steps), title=f"Full sync of {store}", description=f"Reading {entity.value}",
                                doctype="Commerce Store", docname=store)  # fmt: skip
        if entity is Entity.ORDERS:
            total.add(engine.poll(entity, since=entity_since))
        else:  # everything the store has; products through the platform's bulk export where it has one
            total.add(engine.poll(entity, full=True))
        frappe.db.commit()  # keep each finished entity
    frappe.publish_progress(100, title=f"Full sync of {store}", description="Done", doctype="Commerce Store", docname=store)
    return stats_dict(total)
