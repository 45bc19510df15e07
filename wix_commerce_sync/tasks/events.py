"""doc_events handlers. Each one only enqueues a background job (after commit), never calls a store.

Changes made by the sync itself (``frappe.flags.in_commerce_sync``) are not sent back to the stores.
"""

from __future__ import annotations

import frappe

JOBS = "wix_commerce_sync.tasks.jobs"


def _skip_bulk() -> bool:
    """Install, migrate, patches and data import: no sync work is queued."""
    return bool(frappe.flags.in_install or frappe.flags.in_migrate or frappe.flags.in_patch or frappe.flags.in_import)


def _skip() -> bool:
    """The bulk contexts, and the sync's own writes (their changes came from a store)."""
    return bool(frappe.flags.in_commerce_sync) or _skip_bulk()


def _any_store() -> bool:
    return bool(frappe.db.exists("Commerce Store", {"enabled": 1}))


def _origin() -> dict[str, str] | None:
    """For an Item or Customer save: None when nothing is to be queued (the bulk contexts, a sync write of no known
    store, no store); otherwise the job's extra arguments, ``from_store`` when the sync applied it from that store."""
    origin = frappe.flags.in_commerce_sync
    if _skip_bulk() or (origin and not isinstance(origin, str)) or not _any_store():
        return None
    return {"from_store": origin} if origin else {}


def _enqueue(method: str, job_id: str, **kwargs) -> None:
    frappe.enqueue(f"{JOBS}.{method}", queue="short", enqueue_after_commit=True, job_id=job_id, deduplicate=True, **kwargs)


def _version(doc) -> str:
    """Which save of a record a job is for: RQ drops a deduplicated job whose id is queued OR running, so an id
    per record alone would lose a save made while the job for the previous one runs (and has read the record)."""
    return str(doc.get("modified") or "")


def on_item_change(doc, method=None) -> None:
    """An Item or Item Price saved: the stores get ERPNext's version. One the sync applied from a store goes to the
    other stores that carry the product: kept on the older version, their next event of it read as an edit there
    and put ERPNext back to it (chaos run, issue 16)."""
    origin = _origin()
    if origin is None:
        return
    code = doc.item_code if doc.doctype == "Item Price" else doc.name
    if code:
        _enqueue("queue_item_change", f"commerce_sync::item::{code}::{doc.doctype}::{_version(doc)}", item_code=code,
                 **origin)


def on_stock_transaction(doc, method=None) -> None:
    """Runs for the sync's own documents too: a Sales Order made from one store's order reserves units that every
    OTHER store must stop selling now, not at the hourly reconciliation. The origin store gets no echo: a stock push
    is queued only when it differs from what that store last got or sent."""
    if _skip_bulk() or not _any_store():
        return
    if doc.doctype in ("Sales Invoice", "Purchase Invoice") and not doc.get("update_stock"):
        return
    codes = sorted({row.item_code for row in doc.get("items") or [] if row.get("item_code")})
    if codes:
        _enqueue("queue_stock_change", f"commerce_sync::stock::{doc.doctype}::{doc.name}::{method}", item_codes=codes)


def on_order_document(doc, method=None) -> None:
    if _skip() or not _any_store():
        return
    _enqueue("queue_order_change", f"commerce_sync::order::{doc.doctype}::{doc.name}::{method}",
             doctype=doc.doctype, name=doc.name, doc_event=method)  # "event" is enqueue's own parameter  # fmt: skip


def on_customer_change(doc, method=None) -> None:
    """A Customer, or its Contact or Address, saved: as ``on_item_change``, one the sync applied from a store goes to
    the other stores that carry the customer."""
    origin = _origin()
    if origin is None:
        return
    names = [doc.name] if doc.doctype == "Customer" else [
        link.link_name for link in doc.get("links") or [] if link.link_doctype == "Customer"
    ]  # fmt: skip
    for name in names:
        _enqueue("queue_customer_change", f"commerce_sync::customer::{name}::{doc.doctype}::{_version(doc)}", customer=name,
                 **origin)
