"""Manual actions and API (``what-users-were-promised.md``), per store. Every method checks the role.

Callable as ``/api/method/wix_commerce_sync.api.actions.<name>`` and from the Commerce Store form.
Long work is enqueued and reports progress with ``frappe.publish_progress``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import frappe
from frappe import _

from wix_commerce_sync.shell import last_webhook_at
from wix_commerce_sync.sync.models import Entity, Platform

ROLES = {"System Manager", "Commerce Sync Manager"}
STORE = "Commerce Store"
JOB = "Commerce Sync Job"
JOBS = "wix_commerce_sync.tasks.jobs"
WEBHOOK_METHOD = {"Shopify": "shopify", "WooCommerce": "woocommerce", "Wix": "wix"}


def check_permission(store: str | None = None) -> None:
    """Only System Managers and Commerce Sync Managers; raises frappe.PermissionError (403)."""
    if frappe.session.user == "Guest" or not ROLES.intersection(frappe.get_roles()):
        frappe.throw(_("Only a Commerce Sync Manager or System Manager may do this."), frappe.PermissionError)
    if store is not None and not frappe.db.exists(STORE, store):
        frappe.throw(_("Commerce Store {0} does not exist").format(store), frappe.DoesNotExistError)


def _engine(store: str):
    from wix_commerce_sync.shell import get_engine

    return get_engine(store)


def _safe(store: str, result):
    """Answers never carry a store secret."""
    from wix_commerce_sync.connectors.http import redact
    from wix_commerce_sync.shell import store_secrets

    return redact(result, store_secrets(store))


def webhook_address(store: str) -> str:
    platform = frappe.db.get_value(STORE, store, "platform")
    path = f"/api/method/wix_commerce_sync.api.webhooks.{WEBHOOK_METHOD[platform]}?store={quote(store)}"
    base = frappe.db.get_single_value("Commerce Sync Settings", "webhook_base_url")
    return base.rstrip("/") + path if base else frappe.utils.get_url(path)


@frappe.whitelist(methods=["POST"])
def test_connection(store: str) -> dict:
    check_permission(store)
    from wix_commerce_sync.sync.errors import SyncError

    try:
        info = _engine(store).connector.check_connection()
    except SyncError as exc:
        return _safe(store, {"ok": False, "error": exc.message})
    return _safe(store, {"ok": info.ok, "shop_name": info.shop_name, "currency": info.currency})


@frappe.whitelist(methods=["POST"])
def register_webhooks(store: str) -> dict:
    check_permission(store)
    engine = _engine(store)
    address = webhook_address(store)
    inbound = [e for e in Entity if engine.settings.direction(e).inbound]
    engine.connector.unregister_webhooks(address)
    registered = engine.connector.register_webhooks(address, engine.connector.topics_for(inbound))
    _keep_generated_secret(store, engine.connector.config.webhook_secret)
    frappe.db.set_value(STORE, store, "webhooks_registered_at", frappe.utils.now_datetime(), update_modified=False)
    return _safe(store, {"address": address, "webhooks": [{"id": w.external_id, "topic": w.topic, "active": w.active}
                                                          for w in registered]})  # fmt: skip


def _keep_generated_secret(store: str, secret: str | None) -> None:
    """WooCommerce webhooks get a secret generated at registration: it must be stored to verify them."""
    doc = frappe.get_doc(STORE, store)
    if doc.platform == "Wix" or not secret or secret == doc.get_password("webhook_secret", raise_exception=False):
        return
    doc.webhook_secret = secret
    doc.save(ignore_permissions=True)


@frappe.whitelist(methods=["POST"])
def unregister_webhooks(store: str) -> dict:
    check_permission(store)
    removed = _engine(store).connector.unregister_webhooks(webhook_address(store))
    frappe.db.set_value(STORE, store, "webhooks_registered_at", None, update_modified=False)
    return {"removed": removed}


@frappe.whitelist()
def webhook_status(store: str) -> dict:
    check_permission(store)
    address = webhook_address(store)
    hooks = _engine(store).connector.list_webhooks()
    return _safe(store, {
        "address": address,
        "last_webhook_at": str(last_webhook_at(store) or ""),
        "webhooks": [{"id": w.external_id, "topic": w.topic, "active": w.active, "ours": w.address == address} for w in hooks],
    })  # fmt: skip


@frappe.whitelist(methods=["POST"])
def process_queue_now(store: str, wait: int = 0) -> dict:
    check_permission(store)
    if frappe.utils.cint(wait):
        from wix_commerce_sync.tasks.jobs import process_queue_now as run

        return _safe(store, run(store))
    frappe.enqueue(f"{JOBS}.process_queue_now", queue="long", store=store, job_id=f"commerce_sync::{store}::queue_now",
                   deduplicate=True)  # fmt: skip
    return {"queued": True}


@frappe.whitelist(methods=["POST"])
def full_sync(store: str, since: str | None = None) -> dict:
    check_permission(store)
    frappe.enqueue(f"{JOBS}.full_sync_from_store", queue="long", timeout=6 * 3600, store=store, since=since,
                   job_id=f"commerce_sync::{store}::full_sync", deduplicate=True)  # fmt: skip
    return {"queued": True, "message": _("Full sync started: products, customers and recent orders. "
                                         "Large stores can take a long time; progress shows on the store form.")}


def _apply_one(store: str, entity: Entity, record) -> dict:
    from wix_commerce_sync.sync.errors import SyncError

    engine = _engine(store)
    try:
        outcome = engine.apply_inbound(entity, record)
    except (SyncError, frappe.ValidationError) as exc:
        frappe.db.rollback()
        return _safe(store, {"ok": False, "error": getattr(exc, "message", None) or str(exc)})
    return {"ok": True, "outcome": outcome}


@frappe.whitelist(methods=["POST"])
def sync_product(store: str, external_id: str) -> dict:
    check_permission(store)
    return _apply_one(store, Entity.ITEMS, _engine(store).connector.get_product(str(external_id)))


@frappe.whitelist(methods=["POST"])
def sync_customer(store: str, external_id: str) -> dict:
    check_permission(store)
    return _apply_one(store, Entity.CUSTOMERS, _engine(store).connector.get_customer(str(external_id)))


@frappe.whitelist(methods=["POST"])
def process_order(store: str, order_id: str | None = None, payload: str | dict | None = None) -> dict:
    """Process one order: by its store id (read from the store), or from a platform order payload."""
    check_permission(store)
    engine = _engine(store)
    if payload:
        records = _parse(store, Entity.ORDERS, payload)
        order = records[0]
    elif order_id:
        order = engine.connector.get_order(str(order_id))
    else:
        frappe.throw(_("Give an order id or an order payload"))
    return _apply_one(store, Entity.ORDERS, order)


@frappe.whitelist(methods=["POST"])
def update_fulfilment(store: str, delivery_note: str) -> dict:
    """Send a submitted Delivery Note's fulfilment (with tracking) to the store now."""
    check_permission(store)
    from wix_commerce_sync.erpnext.outbound import fulfilment_from_delivery_note
    from wix_commerce_sync.sync.ports import OutboundChange

    dn = frappe.get_doc("Delivery Note", delivery_note)
    if dn.docstatus != 1:
        frappe.throw(_("Submit the Delivery Note first"))
    fulfilment = fulfilment_from_delivery_note(store, dn)
    if fulfilment is None:
        frappe.throw(_("Delivery Note {0} is not for an order of store {1}").format(delivery_note, store))
    engine = _engine(store)
    engine.queue_outbound(OutboundChange("orders", dn.name, fulfilment, action="fulfil", reference_doctype="Delivery Note",
                                         reference_name=dn.name))  # fmt: skip
    from wix_commerce_sync.tasks.jobs import stats_dict

    return _safe(store, stats_dict(engine.flush_outbound(Entity.ORDERS)))


@frappe.whitelist()
def sync_status(store: str) -> dict:
    check_permission(store)
    doc = frappe.get_doc(STORE, store)
    entities = {}
    for entity, cursor, last in (("items", "products_cursor", "last_product_run"), ("orders", "orders_cursor", "last_order_run"),
                                 ("customers", "customers_cursor", "last_customer_run"), ("stock", "stock_cursor", "last_stock_run")):  # fmt: skip
        rows = frappe.get_all(JOB, filters={"store": store, "entity": entity}, fields=["status", "count(name) as n"], group_by="status")
        entities[entity] = {"direction": doc.get(f"{entity}_direction"), "cursor": str(doc.get(cursor) or ""),
                            "last_run": str(doc.get(last) or ""), "jobs": {r.status: int(r.n) for r in rows}}  # fmt: skip
    entities["items"]["mapped"] = frappe.db.count("Commerce Item Mapping", {"store": store})
    entities["customers"]["mapped"] = frappe.db.count("Commerce Customer Mapping", {"store": store})
    entities["orders"]["mapped"] = frappe.db.count("Commerce Order Mapping", {"store": store})
    return {"store": store, "enabled": bool(doc.enabled), "entities": entities,
            "last_webhook_at": str(last_webhook_at(doc.name, doc.last_webhook_at) or "")}  # fmt: skip


@frappe.whitelist(methods=["POST"])
def retry_failed(store: str | None = None, jobs: str | list | None = None) -> dict:
    check_permission(store)
    from wix_commerce_sync.persistence.job_store import FrappeJobStore
    from wix_commerce_sync.persistence.times import now_utc

    names = json.loads(jobs) if isinstance(jobs, str) else jobs
    if not names:
        filters = {"status": ["in", ["Failed", "Dead"]]}
        if store:
            filters["store"] = store
        names = frappe.get_all(JOB, filters=filters, pluck="name")
    count = FrappeJobStore().requeue(names, now_utc())
    for name in {frappe.db.get_value(JOB, n, "store") for n in names} - {None}:
        frappe.enqueue(f"{JOBS}.process_queue_now", queue="long", store=name, enqueue_after_commit=True,
                       job_id=f"commerce_sync::{name}::queue_now", deduplicate=True)  # fmt: skip
    return {"requeued": count}


@frappe.whitelist()
def find_duplicate_customers(limit: int = 200) -> list[dict]:
    check_permission()
    from wix_commerce_sync.erpnext.adapter import find_duplicate_customers as find

    return find(frappe.utils.cint(limit) or 200)  # a request may send "" (frappe passes it through uncoerced)


@frappe.whitelist(methods=["POST"])
def sync_orders(store: str, status: str | None = None, since: str | None = None, limit: int | None = None) -> dict:
    """Read orders from the store (filters: status, since, limit; default: the last 60 days) and apply them."""
    check_permission(store)
    from frappe.utils import add_days, get_datetime, now_datetime

    from wix_commerce_sync.persistence.times import from_db
    from wix_commerce_sync.tasks.jobs import stats_dict

    days = frappe.db.get_value(STORE, store, "order_backfill_days") or 60
    when = from_db(get_datetime(since)) if since else from_db(add_days(now_datetime(), -int(days)))
    statuses = [s.strip() for s in status.split(",") if s.strip()] if status else None
    stats = _engine(store).poll(Entity.ORDERS, since=when, statuses=statuses, limit=frappe.utils.cint(limit) or None)
    return _safe(store, stats_dict(stats))


@frappe.whitelist(methods=["POST"])
def push_stock(store: str, sku: str) -> dict:
    check_permission(store)
    from wix_commerce_sync.tasks.jobs import stats_dict

    engine = _engine(store)
    queued = engine.plan_stock_push(skus=[sku])
    result = stats_dict(engine.flush_outbound(Entity.STOCK))
    levels = engine.erp.stock_levels(store, [sku])
    return _safe(store, {"queued": queued, **result, "levels": [{"location": lv.location_id, "quantity": str(lv.quantity)}
                                                              for lv in levels]})  # fmt: skip


@frappe.whitelist(methods=["POST"])
def push_product(store: str, item_code: str) -> dict:
    check_permission(store)
    from wix_commerce_sync.erpnext.outbound import product_from_item
    from wix_commerce_sync.sync.ports import OutboundChange
    from wix_commerce_sync.tasks.jobs import stats_dict

    engine = _engine(store)
    product = product_from_item(store, item_code)
    if product is None:
        frappe.throw(_("Item {0} not found").format(item_code), frappe.DoesNotExistError)
    engine.queue_outbound(OutboundChange("items", item_code, product, reference_doctype="Item", reference_name=item_code))
    return _safe(store, stats_dict(engine.flush_outbound(Entity.ITEMS)))


def _parse(store: str, entity: Entity, payload) -> list:
    from importlib import import_module

    platform = Platform(frappe.db.get_value(STORE, store, "platform"))
    data = json.loads(payload) if isinstance(payload, str) else payload
    mapping = import_module(f"wix_commerce_sync.connectors.{platform.value.lower()}.mapping")
    records = mapping.parse_payload(entity, data)
    if not records:
        frappe.throw(_("The payload holds no {0}").format(entity.value))
    return records


@frappe.whitelist(methods=["POST"])
def preview(store: str, entity: str, payload: str | dict) -> dict:
    """The ERPNext documents a platform payload would create for this store. Writes nothing."""
    check_permission(store)
    from wix_commerce_sync.erpnext import documents as d
    from wix_commerce_sync.erpnext.adapter import ErpNextAdapter

    kind = {"order": Entity.ORDERS, "product": Entity.ITEMS, "customer": Entity.CUSTOMERS}.get(entity) or Entity(entity)
    adapter = ErpNextAdapter()
    defaults = adapter.defaults(store)
    out: list[dict] = []
    warnings: list[str] = []
    for record in _parse(store, kind, payload):
        if kind is Entity.ITEMS:
            out += d.item_documents(record, defaults, adapter.item_codes_for_product(store, record))
        elif kind is Entity.CUSTOMERS:
            out += d.customer_documents(record, defaults)
        elif kind is Entity.ORDERS:
            codes = adapter.item_codes_for_order(store, record)
            for line in record.lines:
                if not d.lookup_code(codes, [line.variant_id and f"variant:{line.variant_id}", line.sku]):
                    codes[line.sku or line.title] = line.sku or d.slug(line.title)
                    warnings.append(f"SKU {line.sku!r} is not in ERPNext yet: the order would fail until it is")
            customer = adapter.find_customer(store, record.customer) if record.customer else None
            doc = d.sales_order_document(record, defaults, codes, customer or "(new customer)")
            doc["expected_grand_total"] = str(d.expected_grand_total(doc))
            out.append(doc)
    return {"documents": out, "warnings": warnings}


@frappe.whitelist()
def dashboard_summary(store: str | None = None, hours: int = 24) -> dict:
    check_permission(store)
    from frappe.utils import add_to_date, now_datetime

    since = add_to_date(now_datetime(), hours=-(frappe.utils.cint(hours) or 24))  # requests send strings
    filters: dict = {"creation": [">=", since]}
    if store:
        filters["store"] = store
    rows = frappe.get_all("Commerce Sync Log", filters=filters, fields=["status", "count(name) as n", "sum(records) as records",
                                                                        "avg(duration_ms) as avg_ms"], group_by="status")  # fmt: skip
    by_status = {r.status: int(r.n) for r in rows}
    total = sum(by_status.values())
    ok = by_status.get("Success", 0)
    job_filters = {"store": store} if store else {}
    pending = frappe.db.count(JOB, {**job_filters, "status": ["in", ["Queued", "Processing"]]})
    failed_jobs = frappe.db.count(JOB, {**job_filters, "status": ["in", ["Failed", "Dead"]]})
    durations = [r.avg_ms for r in rows if r.avg_ms]
    activity = frappe.get_all("Commerce Sync Log", filters={"store": store} if store else {}, order_by="creation desc", limit=30,
                              fields=["creation", "store", "entity", "direction", "operation", "status", "records", "message",
                                      "duration_ms"])  # fmt: skip
    stores = frappe.get_all(STORE, filters={"name": store} if store else {},
                            fields=["name", "platform", "enabled", "webhooks_registered_at", "last_webhook_at"])  # fmt: skip
    return {
        "since": str(since),
        "totals": {"operations": total, "success": ok, "failed": by_status.get("Failed", 0),
                   "rejected": by_status.get("Rejected", 0), "skipped": by_status.get("Skipped", 0),
                   "success_rate": round(100.0 * ok / total, 1) if total else None, "pending": pending,
                   "failed_jobs": failed_jobs},  # fmt: skip
        "performance": {"avg_duration_ms": round(sum(durations) / len(durations), 1) if durations else None,
                        "queue_length": pending},  # fmt: skip
        "webhooks": [{"store": s.name, "platform": s.platform, "enabled": bool(s.enabled),
                      "registered_at": str(s.webhooks_registered_at or ""), "last_triggered": str(last_webhook_at(s.name, s.last_webhook_at) or "")}
                     for s in stores],  # fmt: skip
        "activity": [{**a, "creation": str(a.creation)} for a in activity],
    }
