"""What the desk shows: the dashboard's data, Number Card values, Dashboard Chart data, the setup checklist.

Role-checked like every action. Aggregates are bucketed in Python over a bounded window (24 h / 7 days) or
grouped by ``date(creation)`` (portable to MariaDB, PostgreSQL and the stand-in's SQLite).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import frappe
from frappe import _

from wix_commerce_sync.api.actions import JOB, STORE, check_permission
from wix_commerce_sync.api.answers import link, when
from wix_commerce_sync.shell import last_webhook_at
from wix_commerce_sync.tasks.scheduler import DRIFT_OPERATION

LOG = "Commerce Sync Log"
STALE_AFTER = timedelta(hours=24)  # a store with webhooks that sent nothing for this long is "stale"
LOG_STATUSES = ("Success", "Failed", "Skipped", "Conflict", "Partial", "Rejected")
PAGE_LENGTH = 20


def _now() -> datetime:
    return frappe.utils.now_datetime()


def _store_filter(store: str | None) -> dict:
    return {"store": store} if store else {}


# ---------------------------------------------------------------- health per store


def webhook_health(row, now: datetime | None = None) -> tuple[str, str]:
    """(indicator colour, words) for a store's webhooks: not registered, healthy, or stale."""
    now = now or _now()
    if not row.webhooks_registered_at:
        return "orange", _("not registered")
    last = last_webhook_at(row.name, row.last_webhook_at)  # the cache holds the newest; the row is persisted hourly
    if last and now - frappe.utils.get_datetime(last) <= STALE_AFTER:
        return "green", _("healthy")
    if not last and now - frappe.utils.get_datetime(row.webhooks_registered_at) <= STALE_AFTER:
        return "blue", _("registered, none received yet")
    return "red", _("stale: nothing received for over 24 hours")


def stale_webhook_stores() -> list[str]:
    now = _now()
    rows = frappe.get_all(STORE, filters={"enabled": 1}, fields=["name", "webhooks_registered_at", "last_webhook_at"])
    return [r.name for r in rows if r.webhooks_registered_at and webhook_health(r, now)[0] == "red"]


@frappe.whitelist()
def stale_webhook_count(filters=None) -> dict:
    """Number Card "Commerce Stores with a Stale Webhook" (type Custom)."""
    check_permission()
    return {"value": len(stale_webhook_stores()), "fieldtype": "Int", "route": ["List", STORE]}


def store_cards(store: str | None = None) -> list[dict]:
    """One card per store: platform, connected, webhooks, last success, last webhook age, failures in 24 h."""
    now = _now()
    day_ago = now - timedelta(hours=24)
    rows = frappe.get_all(STORE, filters={"name": store} if store else {}, order_by="name asc",
                          fields=["name", "platform", "enabled", "store_url", "webhooks_registered_at", "last_webhook_at",
                                  "last_product_run", "last_order_run"])  # fmt: skip
    cards = []
    for r in rows:
        colour, words = webhook_health(r, now)
        success = frappe.get_all(LOG, filters={"store": r.name, "status": "Success"}, pluck="creation",
                                 order_by="creation desc", limit=1)  # fmt: skip
        failures = frappe.db.count(LOG, {"store": r.name, "status": "Failed", "creation": [">=", day_ago]})
        rejected = rejected_deliveries(r.name, day_ago)
        stuck = frappe.db.count(JOB, {"store": r.name, "status": ["in", ["Failed", "Dead"]]})
        drift = frappe.get_all(LOG, filters={"store": r.name, "operation": DRIFT_OPERATION}, fields=["records", "creation"],
                               order_by="creation desc", limit=1)  # fmt: skip
        indicator = "grey" if not r.enabled else "red" if (stuck or colour == "red") else "orange" if (
            failures or colour == "orange") else "green"  # fmt: skip
        cards.append({
            "store": r.name, "platform": r.platform, "enabled": bool(r.enabled), "url": r.store_url or "",
            "indicator": indicator, "webhooks": words, "webhooks_indicator": colour,
            "last_success": when(success[0]) if success else "", "last_webhook": when(last_webhook_at(r.name, r.last_webhook_at)),
            "last_webhook_age": _age(last_webhook_at(r.name, r.last_webhook_at), now), "failures_24h": failures, "failed_jobs": stuck,
            "rejected_24h": rejected,
            "drift": int(drift[0].records or 0) if drift else None, "drift_checked": when(drift[0].creation) if drift else "",
            "first_import": bool(r.last_product_run or frappe.db.exists("Commerce Item Mapping", {"store": r.name})),
        })  # fmt: skip
    return cards


def rejected_deliveries(store: str, since: datetime) -> int:
    """Webhook deliveries refused (bad signature, unreadable, oversized) since ``since``: the summary rows' counts."""
    from frappe.query_builder.functions import Sum

    log = frappe.qb.DocType(LOG)
    total = (frappe.qb.from_(log).select(Sum(log.records))
             .where((log.store == store) & (log.status == "Rejected") & (log.creation >= since))).run()  # fmt: skip
    return int(total[0][0] or 0) if total else 0


def _age(value, now: datetime) -> str:
    if not value:
        return _("never")
    seconds = int((now - frappe.utils.get_datetime(value)).total_seconds())
    for size, unit in ((86400, _("d")), (3600, _("h")), (60, _("min"))):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{max(seconds, 0)} s"


# ---------------------------------------------------------------- charts


def _days(days: int) -> list[str]:
    today = _now().date()
    return [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def _daily_counts(doctype: str, by: str, store: str | None, days: int) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Day labels (oldest first) and ``{value of by: {day: rows created}}`` for ``doctype`` over ``days``."""
    labels = _days(days)
    rows = frappe.db.sql(f"select `{by}` as k, date(creation) as day, count(*) as n from `tab{doctype}` "  # noqa: S608 - names are constants
                         "where creation >= %(since)s and (%(store)s is null or store = %(store)s) "
                         f"group by `{by}`, date(creation)", {"since": labels[0] + " 00:00:00", "store": store},
                         as_dict=True)  # fmt: skip
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        counts[r.k][str(r.day)[:10]] = int(r.n)
    return labels, counts


def orders_per_day(store: str | None = None, days: int = 7) -> dict:
    """Orders synced (Commerce Order Mapping rows created) per day, one dataset per store."""
    labels, by_store = _daily_counts("Commerce Order Mapping", "store", store, days)
    stores = sorted(by_store) or ([store] if store else [])
    return {"labels": labels, "datasets": [{"name": s, "values": [by_store[s].get(d, 0) for d in labels]} for s in stores]}


def operations_by_status(store: str | None = None, days: int = 7) -> dict:
    """Sync Log rows per day and status (the Sync Log is the record of every operation)."""
    labels, counts = _daily_counts("Commerce Sync Log", "status", store, days)
    statuses = [s for s in LOG_STATUSES if s in counts] or ["Success"]
    return {"labels": labels, "datasets": [{"name": s, "values": [counts[s].get(d, 0) for d in labels]} for s in statuses]}


def operations_per_hour(store: str | None = None, hours: int = 24) -> dict:
    """Sync Log rows per hour and status over the last ``hours`` (bucketed here: portable)."""
    now = _now().replace(minute=0, second=0, microsecond=0)
    starts = [now - timedelta(hours=n) for n in range(hours - 1, -1, -1)]
    rows = frappe.get_all(LOG, filters={**_store_filter(store), "creation": [">=", starts[0]]},
                          fields=["creation", "status", "duration_ms"], limit_page_length=0)  # fmt: skip
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * hours)
    durations: list[list[float]] = [[] for _ in range(hours)]
    for r in rows:
        slot = int((frappe.utils.get_datetime(r.creation) - starts[0]).total_seconds() // 3600)
        if 0 <= slot < hours:
            counts[r.status][slot] += 1
            if r.duration_ms:
                durations[slot].append(float(r.duration_ms))
    labels = [s.strftime("%H:00") for s in starts]
    statuses = [s for s in LOG_STATUSES if s in counts] or ["Success"]
    return {
        "labels": labels,
        "datasets": [{"name": s, "values": counts[s]} for s in statuses],
        "job_ms": {"labels": labels, "datasets": [{"name": _("Average ms"), "values": [
            round(sum(d) / len(d), 1) if d else 0 for d in durations]}]},  # fmt: skip
    }


# ---------------------------------------------------------------- lists


def failed_jobs(store: str | None = None, start: int = 0) -> dict:
    filters = {**_store_filter(store), "status": ["in", ["Failed", "Dead"]]}
    rows = frappe.get_all(JOB, filters=filters, order_by="modified desc", start=start, page_length=PAGE_LENGTH,
                          fields=["name", "store", "entity", "direction", "action", "status", "attempts", "last_error",
                                  "reference_doctype", "reference_name", "external_id", "modified"])  # fmt: skip
    return {"total": frappe.db.count(JOB, filters), "start": start, "page_length": PAGE_LENGTH, "rows": [{
        "job": link(JOB, r.name), "store": r.store, "entity": r.entity, "action": r.action, "status": r.status,
        "attempts": r.attempts, "error": (r.last_error or "")[:300], "modified": when(r.modified),
        "document": link(r.reference_doctype, r.reference_name) if r.reference_doctype else r.external_id or "",
    } for r in rows]}  # fmt: skip


def activity(store: str | None = None, start: int = 0) -> dict:
    filters = _store_filter(store)
    rows = frappe.get_all(LOG, filters=filters, order_by="creation desc", start=start, page_length=PAGE_LENGTH,
                          fields=["name", "creation", "store", "entity", "direction", "operation", "status", "records",
                                  "message", "duration_ms", "reference_doctype", "reference_name"])  # fmt: skip
    return {"total": frappe.db.count(LOG, filters), "start": start, "page_length": PAGE_LENGTH, "rows": [{
        "time": when(r.creation), "store": r.store, "entity": r.entity, "direction": r.direction,
        "operation": r.operation, "status": r.status, "records": r.records, "message": (r.message or "")[:300],
        "ms": round(float(r.duration_ms or 0), 1), "log": link(LOG, r.name),
        "document": link(r.reference_doctype, r.reference_name) if r.reference_doctype else "",
    } for r in rows]}  # fmt: skip


# ---------------------------------------------------------------- the dashboard page


@frappe.whitelist()
def dashboard_data(store: str | None = None, failed_start: int = 0, activity_start: int = 0) -> dict:
    """Everything the dashboard page draws in one call (it refreshes every 30 s)."""
    store = store or None
    check_permission(store)
    from wix_commerce_sync.api.actions import dashboard_summary

    hourly = operations_per_hour(store)
    return {
        "store": store or "",
        "time_zone": frappe.utils.get_system_timezone(),
        "updated": when(_now()),
        "stores": frappe.get_all(STORE, fields=["name", "platform"], order_by="name asc"),
        "summary": dashboard_summary(store=store),
        "cards": store_cards(store),
        "charts": {"per_hour": {"labels": hourly["labels"], "datasets": hourly["datasets"]},
                   "per_day": operations_by_status(store), "orders_per_day": orders_per_day(store),
                   "job_ms": hourly["job_ms"]},  # fmt: skip
        "failed_jobs": failed_jobs(store, max(frappe.utils.cint(failed_start), 0)),
        "activity": activity(store, max(frappe.utils.cint(activity_start), 0)),
    }


# ---------------------------------------------------------------- the setup checklist


@frappe.whitelist()
def setup_checklist(store: str) -> dict:
    """The steps from a new store to a live one, each with its state and the action that does it."""
    check_permission(store)
    doc = frappe.get_doc(STORE, store)
    colour, words = webhook_health(doc)
    mapped = [r for r in doc.warehouse_mappings if r.warehouse]
    imported = bool(doc.last_product_run or frappe.db.exists("Commerce Item Mapping", {"store": store}))
    connected = bool(doc.get("connection_checked_at"))
    settings_on = bool(frappe.db.get_single_value("Commerce Sync Settings", "enabled"))
    steps = [
        _step(_("Connection tested"), connected, _("last success {0}").format(when(doc.get("connection_checked_at")))
              if connected else _("use Test Connection"), "test_connection", _("Test Connection")),  # fmt: skip
        _step(_("Webhooks registered and healthy"), colour in ("green", "blue"), words, "register_webhooks",
              _("Register Webhooks"), indicator=colour),  # fmt: skip
        _step(_("Warehouses mapped to store locations"), bool(mapped),
              _("{0} warehouse(s) mapped").format(len(mapped)) if mapped else _("add rows under Warehouses and Locations"),
              None, None),  # fmt: skip
        _step(_("First import done"), imported, when(doc.last_product_run) or (_("items mapped") if imported else
              _("use Full Sync from Store")), "full_sync", _("Full Sync from Store")),  # fmt: skip
        _step(_("Live"), bool(doc.enabled) and settings_on, _("enabled") if doc.enabled and settings_on else
              _("enable the store (and sync in Commerce Sync Settings)"), None, None),  # fmt: skip
    ]
    done = sum(1 for s in steps if s["done"])
    return {"steps": steps, "done": done, "total": len(steps)}


def _step(label: str, done: bool, detail: str, action: str | None, action_label: str | None, *,
          indicator: str | None = None) -> dict:  # fmt: skip
    return {"label": label, "done": done, "detail": detail, "indicator": indicator or ("green" if done else "orange"),
            "action": None if done and action != "register_webhooks" else action, "action_label": action_label}  # fmt: skip

