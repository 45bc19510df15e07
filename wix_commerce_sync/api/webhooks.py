"""Webhook endpoints, one per platform: ``/api/method/wix_commerce_sync.api.webhooks.<platform>?store=<name>``.

Order of work (nothing before the signature check writes anything):
1. the raw body from ``frappe.request.get_data()`` and the store from the URL query (``frappe.request.args``;
   a JSON body wipes query values from ``form_dict``), never from an unsigned header; the store's config and
   secrets come from the per-store cache (``shell.store_entry``): no store read, no decryption per delivery;
2. the connector verifies the signature on the raw bytes: a failure answers 401 and commits only a
   "Rejected" Commerce Sync Log row;
3. the event is stored as a Commerce Sync Job (its dedupe key is a unique column: a redelivery is a no-op);
4. processing is enqueued after commit, and the answer goes back at once (Wix allows 1.25 s).
A body over the platform's cap is refused (413) from its Content-Length, before a byte is read; a body without
a length is read at most cap + 1 bytes. Rejected deliveries are summarised: one "Rejected" log row per store per
minute whose ``records`` counts them, so a flood of forged deliveries cannot grow the log without bound.
"Last webhook" goes to the cache (``shell.note_webhook``), never to the store's row: concurrent deliveries to
one store would queue on that row's lock. About 4 statements per accepted delivery (savepoint, insert, the
supersede read, commit): tests/standin/test_webhook_cost.py.
"""

from __future__ import annotations

import hashlib
import json

import frappe
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from wix_commerce_sync.connectors.http import redact
from wix_commerce_sync.sync.errors import SyncError, WebhookVerificationError

STORE = "Commerce Store"
LOG = "Commerce Sync Log"
REJECT_OPERATION = "receive webhook"
# Largest body each platform's endpoint reads. Shopify and WooCommerce send one resource per delivery (a large
# order is well under 1 MB); a Wix body is a JWT whose payload is JSON nested in strings (the Wix verifier's own
# cap is 5 MB). Anything larger is refused unread.
BODY_CAPS = {"Shopify": 2_000_000, "WooCommerce": 2_000_000, "Wix": 5_000_000}


def _reply(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _reject(store: str | None, status: int, reason: str, secrets: list[str] | None = None) -> Response:
    # nothing was written before the signature check; the summary row is the only write
    _count_rejection(store, redact(reason, secrets or [])[:1000])
    frappe.db.commit()  # keep the audit count whatever the HTTP verb does
    return _reply(status, {"status": "rejected", "reason": "signature" if status == 401 else reason[:200]})


def rejection_row_name(store: str | None, minute: str) -> str:
    """The one summary row of a store's rejected deliveries in a minute (``YYYY-MM-DD HH:MM``)."""
    return "wcs-rejected-" + hashlib.sha256(f"{store or ''}|{minute}".encode()).hexdigest()[:20]


def _count_rejection(store: str | None, message: str) -> None:
    """Add one to this store's rejected-delivery count for the current minute (a keyed upsert)."""
    minute = frappe.utils.now_datetime().strftime("%Y-%m-%d %H:%M")
    name = rejection_row_name(store, minute)
    excerpt = json.dumps({"path": frappe.request.path, "content_length": frappe.request.content_length,
                          "user_agent": (frappe.request.headers.get("User-Agent") or "")[:200]})  # fmt: skip
    if not frappe.db.exists(LOG, name):
        row = frappe.get_doc({"doctype": LOG, "store": store, "entity": "webhooks", "direction": "Inbound",
                              "operation": REJECT_OPERATION, "status": "Rejected", "records": 1, "message": message,
                              "request_excerpt": excerpt})  # fmt: skip
        frappe.db.savepoint("wcs_reject")
        try:
            row.insert(ignore_permissions=True, set_name=name)
            return
        except (frappe.DuplicateEntryError, frappe.UniqueValidationError):  # a concurrent delivery made it first
            frappe.db.rollback(save_point="wcs_reject")
    frappe.db.sql("update `tabCommerce Sync Log` set records = records + 1, message = %s, request_excerpt = %s where name = %s",
                  (message, excerpt, name))  # fmt: skip


def _read_body(cap: int) -> bytes | None:
    """The raw body, or None when it is over ``cap``: refused from Content-Length before reading; a body
    without a length is read through a stream limited to cap + 1 bytes."""
    length = frappe.request.content_length
    if length is not None and length > cap:
        return None
    frappe.request.max_content_length = cap + 1  # werkzeug stops there (a longer unsized body comes back cut)
    try:
        body = frappe.request.get_data() or b""
    except RequestEntityTooLarge:
        return None
    return None if len(body) > cap else body


def _is_woocommerce_ping(body: bytes) -> bool:
    """WooCommerce's creation ping: a form body ``webhook_id=<n>`` without a signature."""
    content_type = (frappe.request.headers.get("Content-Type") or "").lower()
    return "x-www-form-urlencoded" in content_type and body.startswith(b"webhook_id=")


def receive(platform: str) -> Response:
    from wix_commerce_sync.shell import get_engine, note_webhook, store_entry, store_secrets

    store = (frappe.request.args.get("store") or "").strip()
    entry = store_entry(store) if store else None
    if entry is None:
        return _reply(404, {"status": "unknown store"})
    if entry.platform != platform:
        return _reject(store, 404, f"{platform} webhook sent to a {entry.platform} store")
    body = _read_body(BODY_CAPS[platform])
    if body is None:
        return _reject(store, 413, f"body over the {BODY_CAPS[platform]} byte cap for {platform} webhooks")
    if platform == "WooCommerce" and _is_woocommerce_ping(body):
        return _reply(200, {"status": "ping"})
    headers = {k: v for k, v in frappe.request.headers.items()}
    try:
        engine = get_engine(store)
        outcome = engine.accept_webhook(body, headers)
    except WebhookVerificationError as exc:
        return _reject(store, 401, f"signature check failed: {exc.message}", store_secrets(store))
    except SyncError as exc:
        return _reject(store, 400, f"unreadable delivery: {exc.message}", store_secrets(store))
    except RecursionError:  # JSON nested deeper than the parser's stack: not a delivery any platform sends
        frappe.db.rollback()
        return _reject(store, 400, "unreadable delivery: JSON nested too deeply", store_secrets(store))
    note_webhook(store)
    if outcome.job and entry.enabled:
        frappe.enqueue("wix_commerce_sync.tasks.jobs.process_inbound", queue="short", store=store,
                       entity=outcome.event.entity.value if outcome.event else None, enqueue_after_commit=True,
                       job_id=f"commerce_sync::{store}::inbound::{outcome.job}", deduplicate=True)  # fmt: skip
    frappe.db.commit()  # the job row must exist before the answer (and before the worker looks)
    return _reply(200, {"status": outcome.status, "job": outcome.job})


@frappe.whitelist(allow_guest=True, methods=["POST"])
def shopify():
    return receive("Shopify")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def woocommerce():
    return receive("WooCommerce")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def wix():
    return receive("Wix")
