"""Manual actions and API (``what-users-were-promised.md``), per store. Every method checks the role.

Callable as ``/api/method/wix_commerce_sync.api.actions.<name>`` and from the Commerce Store form.
Long work is enqueued and reports progress with ``frappe.publish_progress``.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import frappe
from frappe import _

from wix_commerce_sync.api.answers import (
    explained,
    link,
    moment,
    reason,
    refuse,
    render_html,
    stats_summary,
    summary,
    when,
)
from wix_commerce_sync.persistence.aggregates import log_totals_by_status, status_counts
from wix_commerce_sync.shell import last_webhook_at
from wix_commerce_sync.sync.errors import SyncError
from wix_commerce_sync.sync.models import Entity, Platform

ROLES = {"System Manager", "Commerce Sync Manager"}
STORE = "Commerce Store"
JOB = "Commerce Sync Job"
JOBS = "wix_commerce_sync.tasks.jobs"
ACTIONS = "wix_commerce_sync.api.actions"
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
    """A check: a failure is the answer (ok False, with why and what to do), logged once, not an exception."""
    check_permission(store)
    from wix_commerce_sync.sync.errors import SyncError

    try:
        info = _engine(store).connector.check_connection()
    except SyncError as exc:
        why, todo = reason(exc)
        message = _("Could not connect to {0}: {1}. {2}").format(store, why, todo)
        frappe.log_error(title=f"Commerce Sync: Test Connection failed ({store})",
                         message=_safe(store, f"{message}\n{exc.message}"), reference_doctype=STORE, reference_name=store)  # fmt: skip
        return _safe(store, {"ok": False, "error": exc.message, "summary": summary(
            message, indicator="red", counts=[(_("Details"), exc.message[:300])])})  # fmt: skip
    shown = info.shop_name or store
    if info.ok:
        frappe.db.set_value(STORE, store, "connection_checked_at", frappe.utils.now_datetime(), update_modified=False)
    return _safe(store, {"ok": info.ok, "shop_name": info.shop_name, "currency": info.currency, "summary": summary(
        _("Connected to {0}.").format(shown), counts=[(_("Shop"), shown), (_("Currency"), info.currency or "")])})  # fmt: skip


def _webhook_rows(hooks, address: str | None = None) -> list[list]:
    rows = []
    for w in hooks:
        row = [w.topic, w.external_id, _("yes") if w.active else _("no")]
        if address is not None:
            row.append(_("this site") if w.address == address else (w.address or ""))
        rows.append(row)
    return rows


@frappe.whitelist(methods=["POST"])
def register_webhooks(store: str) -> dict:
    check_permission(store)
    with explained(_("Register Webhooks"), store):
        engine = _engine(store)
        address = webhook_address(store)
        inbound = [e for e in Entity if engine.settings.direction(e).inbound]
        engine.connector.unregister_webhooks(address)
        registered = engine.connector.register_webhooks(address, engine.connector.topics_for(inbound))
        _keep_generated_secret(store, engine.connector.config.webhook_secret)
    frappe.db.set_value(STORE, store, "webhooks_registered_at", frappe.utils.now_datetime(), update_modified=False)
    text = _("Registered {0} webhook(s) that send changes to {1}.").format(len(registered), address)
    return _safe(store, {"address": address, "webhooks": [{"id": w.external_id, "topic": w.topic, "active": w.active}
                                                          for w in registered],
                         "summary": summary(text, counts=[(_("Webhooks"), len(registered))],
                                            columns=[_("Topic"), _("Id"), _("Active")], rows=_webhook_rows(registered))})  # fmt: skip


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
    with explained(_("Unregister Webhooks"), store):
        removed = _engine(store).connector.unregister_webhooks(webhook_address(store))
    frappe.db.set_value(STORE, store, "webhooks_registered_at", None, update_modified=False)
    text = _("Removed {0} webhook(s) of this site from the store; changes now arrive only by the scheduled poll.").format(removed)
    return {"removed": removed, "summary": summary(text, indicator="orange" if removed else "blue",
                                                   counts=[(_("Removed"), removed)])}  # fmt: skip


@frappe.whitelist()
def webhook_status(store: str) -> dict:
    check_permission(store)
    address = webhook_address(store)
    with explained(_("Webhook Status"), store):
        hooks = _engine(store).connector.list_webhooks()
    last = last_webhook_at(store)
    ours = [w for w in hooks if w.address == address]
    inactive = [w for w in ours if not w.active]
    if not ours:
        text, indicator = _("No webhook of the store points to this site: use Register Webhooks."), "red"
    elif inactive:
        text, indicator = _("{0} of {1} webhook(s) are disabled by the store: use Register Webhooks.").format(
            len(inactive), len(ours)), "orange"  # fmt: skip
    else:
        text, indicator = _("{0} webhook(s) point to this site and are active.").format(len(ours)), "green"
    counts = [(_("Ours"), len(ours)), (_("Other addresses"), len(hooks) - len(ours)),
              (_("Last webhook received"), moment(last, _("never")))]  # fmt: skip
    return _safe(store, {
        "address": address,
        "last_webhook_at": when(last),
        "webhooks": [{"id": w.external_id, "topic": w.topic, "active": w.active, "ours": w.address == address} for w in hooks],
        "summary": summary(text, indicator=indicator, counts=counts,
                           columns=[_("Topic"), _("Id"), _("Active"), _("Sends to")], rows=_webhook_rows(hooks, address)),
    })  # fmt: skip


@frappe.whitelist(methods=["POST"])
def process_queue_now(store: str, wait: int = 0) -> dict:
    check_permission(store)
    if frappe.utils.cint(wait):
        from wix_commerce_sync.tasks.jobs import process_queue_now as run

        with explained(_("Process Queue Now"), store):
            result = run(store)
        return _safe(store, {**result, "summary": stats_summary(_("Queue of {0} processed").format(store), result,
                                                                empty=_("The queue of {0} is empty.").format(store))})  # fmt: skip
    frappe.enqueue(f"{ACTIONS}.run_and_report", queue="long", store=store, task="process_queue_now",
                   user=frappe.session.user, job_id=f"commerce_sync::{store}::queue_now", deduplicate=True)  # fmt: skip
    return {"queued": True, "summary": summary(
        _("Queue processing of {0} started in the background; the result is shown here when it ends.").format(store),
        indicator="blue")}  # fmt: skip


@frappe.whitelist(methods=["POST"])
def full_sync(store: str, since: str | None = None) -> dict:
    check_permission(store)
    since = _valid_since(since)
    frappe.enqueue(f"{ACTIONS}.run_and_report", queue="long", timeout=6 * 3600, store=store, task="full_sync_from_store",
                   since=since, user=frappe.session.user, job_id=f"commerce_sync::{store}::full_sync",
                   deduplicate=True)  # fmt: skip
    message = _("Full sync started: products, customers and recent orders. Large stores can take a long time; "
                "progress shows on the store form and the result when it ends.")  # fmt: skip
    return {"queued": True, "message": message, "summary": summary(message, indicator="blue")}


TASK_TITLES = {"process_queue_now": "Process Queue Now", "full_sync_from_store": "Full Sync from Store"}


def run_and_report(store: str, task: str, user: str | None = None, since: str | None = None) -> dict:
    """Background job of a form action: runs it, then shows its result to the user who asked (realtime msgprint)."""
    from wix_commerce_sync.tasks import jobs

    title = TASK_TITLES[task]
    kwargs = {"since": since} if task == "full_sync_from_store" else {}
    try:
        result = getattr(jobs, task)(store, **kwargs)
    except Exception as exc:
        frappe.db.rollback()
        why, todo = reason(exc) if isinstance(exc, SyncError) else (type(exc).__name__, _("See the Error Log."))
        _tell(user, title, summary(_("{0} of {1} failed: {2}. {3}").format(title, store, why, todo), indicator="red"))
        raise  # the job fails visibly: RQ logs it once (Error Log) like every background job
    if task == "full_sync_from_store":
        _stamp_full_sync(store)
        frappe.db.commit()
    _tell(user, title, stats_summary(_("{0} of {1} finished").format(title, store), result))
    return result


def _stamp_full_sync(store: str) -> None:
    """A finished full sync is the last run of every entity it read."""
    now = frappe.utils.now_datetime()
    frappe.db.set_value(STORE, store, {"last_product_run": now, "last_customer_run": now, "last_order_run": now},
                        update_modified=False)  # fmt: skip


def _tell(user: str | None, title: str, result: dict) -> None:
    """The desk shows a realtime ``msgprint`` event as a message dialog (frappe/public/js/frappe/desk.js)."""
    if user and user != "Guest":
        frappe.publish_realtime("msgprint", {"title": title, "message": render_html(result), "indicator":
                                             result["indicator"]}, user=user, after_commit=False)  # fmt: skip


def _apply_one(store: str, entity: Entity, label: str, fetch) -> dict:
    """Fetch one record from the store and apply it; says what was made, or why nothing was (the Sync Log row)."""
    from wix_commerce_sync.sync.errors import SyncError

    action = _("Sync {0}").format(label)
    with explained(action, store, subject=label):
        record = fetch()
    engine = _engine(store)
    entries = _recorded(engine)
    try:
        outcome = engine.apply_inbound(entity, record)
    except (SyncError, frappe.ValidationError) as exc:
        frappe.db.rollback()
        message = _safe(store, getattr(exc, "message", None) or str(exc))
        frappe.log_error(title=f"Commerce Sync: {action} failed ({store})", message=message,
                         reference_doctype=STORE, reference_name=store)  # fmt: skip
        text = _("{0} could not be applied: {1}. Fix the cause and sync it again.").format(label, message)
        return {"ok": False, "error": message, "summary": summary(text, indicator="red")}
    entry = entries[-1] if entries else None
    text = {"Success": _("{0} synced."), "Skipped": _("{0} was not changed."),
            "Conflict": _("{0} was not applied: ERPNext has a newer change.")}.get(outcome, "{0}: " + str(outcome)).format(label)  # fmt: skip
    if entry and entry.message:
        text += " " + _("Reason: {0}").format(entry.message)
    rows = [[entry.operation, entry.status, link(entry.reference_doctype, entry.reference_name) if entry.reference_name
             else ""]] if entry else []  # fmt: skip
    return {"ok": True, "outcome": outcome, "reason": entry.message if entry else None, "summary": summary(
        text, indicator="green" if outcome == "Success" else "blue", columns=[_("Operation"), _("Status"), _("Document")],
        rows=rows)}  # fmt: skip


def _recorded(engine) -> list:
    """Every log entry the engine writes during this call, Skipped ones included (the Sync Log keeps those only
    with Debug Logging on): the answer of a one-record sync says what happened and why."""
    entries: list = []
    write = engine.logger.log

    def log(entry) -> None:
        entries.append(entry)
        write(entry)

    engine.logger.log = log
    return entries


@frappe.whitelist(methods=["POST"])
def sync_product(store: str, external_id: str) -> dict:
    check_permission(store)
    external_id = _required(external_id, _("Store id"))
    return _apply_one(store, Entity.ITEMS, _("Product {0}").format(external_id),
                      lambda: _engine(store).connector.get_product(external_id))


@frappe.whitelist(methods=["POST"])
def sync_customer(store: str, external_id: str) -> dict:
    check_permission(store)
    external_id = _required(external_id, _("Store id"))
    return _apply_one(store, Entity.CUSTOMERS, _("Customer {0}").format(external_id),
                      lambda: _engine(store).connector.get_customer(external_id))


@frappe.whitelist(methods=["POST"])
def process_order(store: str, order_id: str | None = None, payload: str | dict | None = None) -> dict:
    """Process one order: by its store id (read from the store), or from a platform order payload."""
    check_permission(store)
    if payload:
        order = _parse(store, Entity.ORDERS, payload)[0]
        return _apply_one(store, Entity.ORDERS, _("Order {0}").format(order.external_id), lambda: order)
    if not str(order_id or "").strip():
        refuse(_("Give an order id or an order payload."))
    order_id = str(order_id).strip()
    return _apply_one(store, Entity.ORDERS, _("Order {0}").format(order_id),
                      lambda: _engine(store).connector.get_order(order_id))


def _required(value, label: str) -> str:
    text = str(value or "").strip()
    if not text:
        refuse(_("{0} is required.").format(label))
    return text


@frappe.whitelist(methods=["POST"])
def update_fulfilment(store: str, delivery_note: str) -> dict:
    """Send a submitted Delivery Note's fulfilment (with tracking) to the store now."""
    check_permission(store)
    from wix_commerce_sync.erpnext.outbound import fulfilment_from_delivery_note
    from wix_commerce_sync.sync.ports import OutboundChange
    from wix_commerce_sync.tasks.jobs import flush_locked, stats_dict

    if not frappe.db.exists("Delivery Note", delivery_note):
        refuse(_("Delivery Note {0} not found.").format(delivery_note), frappe.DoesNotExistError)
    dn = frappe.get_doc("Delivery Note", delivery_note)
    if dn.docstatus != 1:
        refuse(_("Submit the Delivery Note first"))
    fulfilment = fulfilment_from_delivery_note(store, dn)
    if fulfilment is None:
        refuse(_("Delivery Note {0} is not for an order of store {1}").format(delivery_note, store))
    with explained(_("Update Fulfilment"), store):
        engine = _engine(store)
        engine.queue_outbound(OutboundChange("orders", dn.name, fulfilment, action="fulfil",
                                             reference_doctype="Delivery Note", reference_name=dn.name))  # fmt: skip
        result = stats_dict(flush_locked(engine, store, Entity.ORDERS))
    return _safe(store, {**result, "summary": stats_summary(_("Fulfilment of {0} sent").format(dn.name), result)})


@frappe.whitelist()
def sync_status(store: str) -> dict:
    check_permission(store)
    doc = frappe.get_doc(STORE, store)
    entities = {}
    for entity, cursor, last in (("items", "products_cursor", "last_product_run"), ("orders", "orders_cursor", "last_order_run"),
                                 ("customers", "customers_cursor", "last_customer_run"), ("stock", "stock_cursor", "last_stock_run")):  # fmt: skip
        entities[entity] = {"direction": doc.get(f"{entity}_direction"), "cursor": str(doc.get(cursor) or ""),
                            "last_run": str(doc.get(last) or ""), "jobs": status_counts(JOB, store=store, entity=entity)}  # fmt: skip
    entities["items"]["mapped"] = frappe.db.count("Commerce Item Mapping", {"store": store})
    entities["customers"]["mapped"] = frappe.db.count("Commerce Customer Mapping", {"store": store})
    entities["orders"]["mapped"] = frappe.db.count("Commerce Order Mapping", {"store": store})
    return {"store": store, "enabled": bool(doc.enabled), "entities": entities,
            "last_webhook_at": str(last_webhook_at(doc.name, doc.last_webhook_at) or "")}  # fmt: skip


@frappe.whitelist()
def sync_status_report(store: str) -> dict:
    """``sync_status`` with a readable summary: one row per entity, times without microseconds."""
    status = sync_status(store)
    rows = []
    for entity, e in status["entities"].items():
        jobs = ", ".join(f"{k} {v}" for k, v in sorted(e["jobs"].items())) or _("none")
        rows.append([entity.title(), e.get("direction") or "", moment(e.get("last_run"), _("never")),
                     moment(e.get("cursor"), _("never")), jobs, e.get("mapped", "")])  # fmt: skip
    last = when(status.get("last_webhook_at"))
    text = _("{0} is {1}; last webhook received {2}.").format(
        store, _("enabled") if status["enabled"] else _("disabled"), last or _("never"))  # fmt: skip
    return {**status, "summary": summary(text, indicator="green" if status["enabled"] else "grey",
                                         columns=[_("Entity"), _("Direction"), _("Last full run"), _("Read up to"),
                                                  _("Jobs"), _("Mapped")], rows=rows)}  # fmt: skip


@frappe.whitelist(methods=["POST"])
def retry_failed(store: str | None = None, jobs: str | list | None = None) -> dict:
    check_permission(store)
    from wix_commerce_sync.persistence.job_store import FrappeJobStore
    from wix_commerce_sync.persistence.times import now_utc

    names = _job_names(jobs)
    if names:
        rows = frappe.get_all(JOB, filters={"name": ["in", names]}, fields=["name", "status", "store"])
        missing = sorted(set(names) - {r.name for r in rows})
        if missing:
            refuse(_("Commerce Sync Job {0} not found.").format(", ".join(missing)), frappe.DoesNotExistError)
        waiting = [r.name for r in rows if r.status not in ("Failed", "Dead")]
        if waiting:
            refuse(_("Only Failed or Dead jobs can be retried; {0} are not.").format(", ".join(waiting)))
        names += _failed_events_of_the_same_records(names)
    else:
        filters = {"status": ["in", ["Failed", "Dead"]]}
        if store:
            filters["store"] = store
        names = frappe.get_all(JOB, filters=filters, pluck="name")
    count = FrappeJobStore().requeue(names, now_utc())
    for name in {frappe.db.get_value(JOB, n, "store") for n in names} - {None}:
        frappe.enqueue(f"{JOBS}.process_queue_now", queue="long", store=name, enqueue_after_commit=True,
                       job_id=f"commerce_sync::{name}::queue_now", deduplicate=True)  # fmt: skip
    text = (_("{0} job(s) queued again; they run in the background now.").format(count) if count
            else _("No failed or dead job to retry."))  # fmt: skip
    return {"requeued": count, "summary": summary(text, indicator="green" if count else "blue",
                                                  counts=[(_("Queued again"), count)], columns=[_("Job")],
                                                  rows=[[link(JOB, n)] for n in names[:50]])}  # fmt: skip


def _failed_events_of_the_same_records(names: list[str]) -> list[str]:
    """The other Failed or Dead store events of the records these jobs are about. A store order with an unknown SKU
    fails on each of its events (created, paid, updated) until the merchant makes the Item and presses Retry on one;
    the others failed for the same reason and go with it (the engine's ordering gate still skips any an applied
    newer event made stale), so no Dead job is left behind for an order that came in."""
    records = frappe.get_all(JOB, filters={"name": ["in", names], "direction": "Inbound", "record_key": ["is", "set"]},
                             fields=["store", "record_key"], distinct=True)  # fmt: skip
    others: list[str] = []
    for record in records:
        others += frappe.get_all(JOB, filters={"store": record.store, "record_key": record.record_key, "direction": "Inbound",
                                               "status": ["in", ["Failed", "Dead"]], "name": ["not in", names]},
                                 pluck="name", order_by="creation asc")  # fmt: skip
    return list(dict.fromkeys(others))


def _job_names(jobs: str | list | None) -> list[str]:
    if not jobs:
        return []
    if isinstance(jobs, str):
        try:
            jobs = json.loads(jobs) if jobs.strip().startswith("[") else [j for j in jobs.split(",")]
        except ValueError:
            refuse(_("jobs must be a list of Commerce Sync Job names"))
    return [str(j).strip() for j in jobs if str(j).strip()]


@frappe.whitelist()
def find_duplicate_customers(store: str | None = None, limit: int = 200) -> dict:
    """Groups of Customers that look like one person; with a store, only groups holding one of its customers."""
    check_permission(store)
    from wix_commerce_sync.erpnext.adapter import find_duplicate_customers as find

    limit = frappe.utils.cint(limit) or 200  # a request may send "" (frappe passes it through uncoerced)
    groups = find(limit if not store else 100000)
    if store:
        mine = set(frappe.get_all("Commerce Customer Mapping", filters={"store": store}, pluck="customer"))
        groups = [g for g in groups if mine.intersection(g["customers"])][:limit]
    where = _(" among the customers of {0}").format(store) if store else ""
    text = (_("{0} group(s) of customers that may be one person{1}; merge them with Rename (Merge) on the Customer.").format(
        len(groups), where) if groups else _("No duplicate customers found{0}.").format(where))  # fmt: skip
    rows = [[g["match"], g["value"], [link("Customer", c) for c in g["customers"]]] for g in groups]
    return {"groups": groups, "summary": summary(text, indicator="orange" if groups else "green",
                                                 counts=[(_("Groups"), len(groups))],
                                                 columns=[_("Same"), _("Value"), _("Customers")], rows=rows)}  # fmt: skip


def _statuses(store: str, status: str | None) -> list[str] | None:
    """The status filter, checked against the store's status map: an unknown status is refused, not ignored."""
    if not status or not status.strip():
        return None
    allowed = {}
    for row in frappe.get_all("Commerce Store Status Map", filters={"parent": store, "parenttype": STORE},
                              fields=["store_status"]):  # fmt: skip
        allowed.setdefault(row.store_status.lower(), row.store_status)
    wanted = [s.strip() for s in status.split(",") if s.strip()]
    unknown = [s for s in wanted if s.lower() not in allowed]
    if unknown:
        refuse(_("Unknown store status {0}. Allowed: {1}.").format(", ".join(unknown), ", ".join(sorted(allowed.values()))))
    return [allowed[s.lower()] for s in wanted]


def _valid_since(since: str | None):
    if not since:
        return None
    try:
        valid = frappe.utils.get_datetime(since)
    except Exception:
        valid = None
    if valid is None:
        refuse(_("Since must be a date and time such as 2026-01-31 00:00:00, not {0!r}.").format(since))
    return since


@frappe.whitelist(methods=["POST"])
def sync_orders(store: str, status: str | None = None, since: str | None = None, limit: int | None = None) -> dict:
    """Read orders from the store (filters: status, since, limit; default: the last 60 days) and apply them."""
    check_permission(store)
    from frappe.utils import add_days, get_datetime, now_datetime

    from wix_commerce_sync.persistence.times import from_db
    from wix_commerce_sync.tasks.jobs import stats_dict

    statuses = _statuses(store, status)
    since = _valid_since(since)
    days = frappe.db.get_value(STORE, store, "order_backfill_days") or 60
    when_ = from_db(get_datetime(since)) if since else from_db(add_days(now_datetime(), -int(days)))
    with explained(_("Sync Orders"), store):
        stats = stats_dict(_engine(store).poll(Entity.ORDERS, since=when_, statuses=statuses,
                                               limit=frappe.utils.cint(limit) or None))  # fmt: skip
    read = _("Orders of {0} since {1}").format(store, when(since) if since else _("the last {0} days").format(days))
    return _safe(store, {**stats, "summary": stats_summary(read, stats, empty=_("No order of {0} matches: nothing to do.").format(store))})


@frappe.whitelist(methods=["POST"])
def push_stock(store: str, sku: str, confirm: int = 0) -> dict:
    """Push one SKU's ERPNext quantity to the store. A push that would LOWER the store's quantity asks first."""
    check_permission(store)
    from wix_commerce_sync.tasks.jobs import flush_locked, stats_dict

    sku = _required(sku, _("SKU"))
    if not frappe.db.exists("Commerce Item Mapping", {"store": store, "sku": sku}):
        refuse(_("SKU {0} not found: no Item of store {1} has it. Import the product first (Full Sync or Sync One "
                 "Record).").format(sku, store), frappe.DoesNotExistError)  # fmt: skip
    with explained(_("Push Stock"), store):
        engine = _engine(store)
        levels = engine.erp.stock_levels(store, [sku])
        lowered = _lowered(engine, levels)
        rows = [[sku, lv.location_id or "", _qty(store_qty), str(lv.quantity)] for lv, store_qty in lowered]
        columns = [_("SKU"), _("Location"), _("Store has"), _("ERPNext has")]
        if lowered and not frappe.utils.cint(confirm):
            text = _("Pushing {0} would LOWER the store's quantity at {1} location(s): the store would sell less "
                     "than it shows now. Confirm to push.").format(sku, len(lowered))  # fmt: skip
            return {"needs_confirmation": True, "summary": summary(text, indicator="orange", columns=columns, rows=rows)}
        queued = engine.plan_stock_push(skus=[sku])
        result = stats_dict(flush_locked(engine, store, Entity.STOCK))
    level_rows = [[sku, lv.location_id or "", str(lv.quantity)] for lv in levels]
    done = stats_summary(_("Stock of {0} pushed").format(sku), result,
                         empty=_("The store already has ERPNext's quantity of {0}: nothing to push.").format(sku))  # fmt: skip
    if not done["rows"]:  # no error rows: show what the store now has
        done.update(columns=[_("SKU"), _("Location"), _("Quantity sent")], rows=level_rows)
    return _safe(store, {"queued": queued, **result, "levels": [{"location": lv.location_id, "quantity": str(lv.quantity)}
                                                              for lv in levels], "summary": done})  # fmt: skip


def _qty(value) -> str:
    return _("unknown") if value is None else str(value)


def _lowered(engine, levels) -> list:
    """(ERPNext level, store quantity) where the push would lower the store; unknown store quantities count too."""
    from decimal import Decimal

    from wix_commerce_sync.connectors.base import stock_key

    try:
        read = engine.connector.read_stock(levels) or []
    except NotImplementedError:
        read = []
    current = {stock_key(lv): lv.quantity for lv in read}
    by_sku = {(lv.sku, lv.location_id or None): lv.quantity for lv in read if lv.sku}
    lowered = []
    for lv in levels:
        store_qty = current.get(stock_key(lv), by_sku.get((lv.sku, lv.location_id or None)))
        if store_qty is not None and Decimal(str(store_qty)) > Decimal(str(lv.quantity)):
            lowered.append((lv, store_qty))
    return lowered


@frappe.whitelist(methods=["POST"])
def push_product(store: str, item_code: str) -> dict:
    check_permission(store)
    from wix_commerce_sync.erpnext.outbound import product_from_item
    from wix_commerce_sync.sync.ports import OutboundChange
    from wix_commerce_sync.tasks.jobs import flush_locked, stats_dict

    item_code = _required(item_code, _("Item"))
    if not frappe.db.exists("Item", item_code):
        refuse(_("Item {0} not found").format(item_code), frappe.DoesNotExistError)
    with explained(_("Push Product"), store):
        engine = _engine(store)
        product = product_from_item(store, item_code)
        if product is None:
            refuse(_("Item {0} cannot be sent to store {1} (no price or not for sale).").format(item_code, store))
        engine.queue_outbound(OutboundChange("items", item_code, product, reference_doctype="Item", reference_name=item_code))
        result = stats_dict(flush_locked(engine, store, Entity.ITEMS))
    return _safe(store, {**result, "summary": stats_summary(_("Item {0} sent to the store").format(item_code), result)})


ENTITIES = {"order": Entity.ORDERS, "product": Entity.ITEMS, "customer": Entity.CUSTOMERS}


def _parse(store: str, entity: Entity, payload) -> list:
    from importlib import import_module

    platform = Platform(frappe.db.get_value(STORE, store, "platform"))
    try:
        data = json.loads(payload) if isinstance(payload, str) else payload
    except ValueError as exc:
        refuse(_("The payload is not valid JSON ({0}).").format(exc))
    mapping = import_module(f"wix_commerce_sync.connectors.{platform.value.lower()}.mapping")
    try:
        records = mapping.parse_payload(entity, data)
    except (SyncError, KeyError, TypeError, ValueError, AttributeError) as exc:
        refuse(_("The payload is not a {0} {1} payload: {2}").format(platform.value, entity.value,
                                                                     getattr(exc, "message", None) or repr(exc)))  # fmt: skip
    if not records:
        refuse(_("The payload holds no {0}").format(entity.value))
    return records


@frappe.whitelist(methods=["POST"])
def preview(store: str, entity: str, payload: str | dict) -> dict:
    """The ERPNext documents a platform payload would create for this store. Writes nothing."""
    check_permission(store)
    from wix_commerce_sync.erpnext import documents as d
    from wix_commerce_sync.erpnext.adapter import ErpNextAdapter

    kind = ENTITIES.get(entity) or next((e for e in ENTITIES.values() if e.value == entity), None)
    if kind is None:
        refuse(_("Unknown entity {0!r}. Allowed: {1}.").format(entity, ", ".join(ENTITIES)))
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
    rows = [[doc.get("doctype", ""), doc.get("item_code") or doc.get("customer_name") or doc.get("customer") or "",
             doc.get("expected_grand_total", "")] for doc in out]  # fmt: skip
    text = _("{0} document(s) would be created or updated; nothing was written.").format(len(out))
    return {"documents": out, "warnings": warnings, "summary": summary(
        text, indicator="orange" if warnings else "green", counts=[(_("Warnings"), "; ".join(warnings) or _("none"))],
        columns=[_("Document"), _("Name"), _("Expected total")], rows=rows)}  # fmt: skip


@frappe.whitelist()
def dashboard_summary(store: str | None = None, hours: int = 24) -> dict:
    check_permission(store)
    from frappe.utils import add_to_date, now_datetime

    since = add_to_date(now_datetime(), hours=-(frappe.utils.cint(hours) or 24))  # requests send strings
    rows = log_totals_by_status(since, store)
    by_status = {r.status: int(r.n) for r in rows}
    # rejected deliveries are summarised (one row per store per minute): their count is the rows' records
    rejected = sum(int(r.records or 0) for r in rows if r.status == "Rejected")
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
                   "rejected": rejected, "skipped": by_status.get("Skipped", 0),
                   "success_rate": round(100.0 * ok / total, 1) if total else None, "pending": pending,
                   "failed_jobs": failed_jobs},  # fmt: skip
        "performance": {"avg_duration_ms": round(sum(durations) / len(durations), 1) if durations else None,
                        "queue_length": pending},  # fmt: skip
        "webhooks": [{"store": s.name, "platform": s.platform, "enabled": bool(s.enabled),
                      "registered_at": str(s.webhooks_registered_at or ""), "last_triggered": str(last_webhook_at(s.name, s.last_webhook_at) or "")}
                     for s in stores],  # fmt: skip
        "activity": [{**a, "creation": str(a.creation)} for a in activity],
    }
