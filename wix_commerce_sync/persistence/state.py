"""``StateStore`` (Commerce Sync State rows + Commerce Store cursor fields) and ``SyncLogger``."""

from __future__ import annotations

import json
from datetime import datetime

import frappe

from wix_commerce_sync.connectors.http import redact
from wix_commerce_sync.persistence.times import from_db, to_db
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.ports import LogEntry, RecordState

STATE = "Commerce Sync State"
LOG = "Commerce Sync Log"
STORE = "Commerce Store"
ROLE = "Commerce Sync Manager"
CURSOR_FIELDS = {"items": "products_cursor", "orders": "orders_cursor", "customers": "customers_cursor",
                 "stock": "stock_cursor"}  # fmt: skip
EXCERPT = 2000


class FrappeStateStore:
    def get(self, store: str, entity: str, key: str, *, for_update: bool = False) -> RecordState:
        """``for_update``: a locking read (``select ... for update``), which sees the latest committed row, not this
        transaction's snapshot, and holds the row until the commit (the port's docstring says why). Only a row that
        exists is locked: a locking read of a missing key takes a gap lock in InnoDB, and two workers inserting the
        state of two new records (two new orders) into one gap would deadlock on each other's."""
        fields = ["applied_ordering_key", "pulled_hash", "pushed_hash", "synced_at", "earlier_pushed_hashes"]
        filters = {"state_key": record_key(store, entity, key)}
        row = frappe.db.get_value(STATE, filters, fields, as_dict=True)
        if row and for_update:  # read again, locked: another worker may have written it since
            row = frappe.db.get_value(STATE, filters, fields, as_dict=True, for_update=True)
        if not row:
            return RecordState()
        earlier = tuple((row.earlier_pushed_hashes or "").split())
        return RecordState(row.applied_ordering_key, row.pulled_hash, row.pushed_hash, from_db(row.synced_at), earlier)

    def put(self, store: str, entity: str, key: str, state: RecordState) -> None:
        values = {"applied_ordering_key": state.applied_ordering_key, "pulled_hash": state.pulled_hash,
                  "pushed_hash": state.pushed_hash, "synced_at": to_db(state.synced_at),
                  "earlier_pushed_hashes": " ".join(state.earlier_pushed) or None}  # fmt: skip
        name = frappe.db.get_value(STATE, {"state_key": record_key(store, entity, key)}, "name")
        if name:
            frappe.db.set_value(STATE, name, values, update_modified=False)
            return
        frappe.get_doc({"doctype": STATE, "store": store, "entity": entity, "record": key[:240], **values}).insert(
            ignore_permissions=True
        )

    def get_cursor(self, store: str, entity: str) -> datetime | None:
        return from_db(frappe.db.get_value(STORE, store, CURSOR_FIELDS[entity]))

    def set_cursor(self, store: str, entity: str, value: datetime) -> None:
        frappe.db.set_value(STORE, store, CURSOR_FIELDS[entity], to_db(value), update_modified=False)


def excerpt(value, secrets: list[str] | None = None) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return redact(text, secrets or [])[:EXCERPT]


class FrappeSyncLogger:
    """Commerce Sync Log rows (secrets redacted) and once-per-job alerts to Commerce Sync Managers."""

    def __init__(self, secrets: list[str] | None = None, *, debug: bool | None = None) -> None:
        self.secrets = [s for s in (secrets or []) if s]
        self.debug = (bool(frappe.db.get_single_value("Commerce Sync Settings", "debug_logging"))
                      if debug is None else debug)  # fmt: skip

    def log(self, entry: LogEntry) -> None:
        """Operations, failures and conflicts always; with Debug Logging on, also every Skipped record
        (echoes, stale, unchanged, duplicates) and the redacted request/response excerpts."""
        if entry.status == "Skipped" and not self.debug:
            return
        row = frappe.get_doc({
            "doctype": LOG, "store": entry.store, "entity": entry.entity, "direction": entry.direction,
            "operation": (entry.operation or "")[:140], "status": entry.status, "records": entry.records,
            "failed_records": entry.failed_records, "duration_ms": entry.duration_ms, "job": entry.job,
            "reference_doctype": entry.reference_doctype if entry.reference_name else None,
            "reference_name": entry.reference_name or None,
            "message": excerpt(entry.message, self.secrets),
            "request_excerpt": excerpt(entry.request_excerpt, self.secrets) if self.debug else None,
            "response_excerpt": excerpt(entry.response_excerpt, self.secrets) if self.debug else None,
        })  # fmt: skip
        row.flags.ignore_links = True  # its store, job and reference were just read or written by the caller
        row.insert(ignore_permissions=True)

    def alert(self, store: str, job_name: str, message: str) -> None:
        text = redact(message, self.secrets)
        subject = f"Commerce sync: a job of store {store} keeps failing"
        users = managers()
        for user in users:
            frappe.get_doc({
                "doctype": "Notification Log", "for_user": user, "type": "Alert", "subject": subject[:140],
                "email_content": text, "document_type": "Commerce Sync Job", "document_name": job_name,
                "from_user": "Administrator",
            }).insert(ignore_permissions=True)  # fmt: skip
        if users and outgoing_email_ready():
            try:
                frappe.sendmail(recipients=users, subject=subject, message=frappe.utils.escape_html(text),
                                reference_doctype="Commerce Sync Job", reference_name=job_name, delayed=True)  # fmt: skip
            except Exception:  # mail trouble must never fail the sync; the desk alert is already there
                frappe.log_error(title="Commerce sync alert email failed", message=frappe.get_traceback())


def managers() -> list[str]:
    """Enabled users holding the Commerce Sync Manager role."""
    holders = frappe.get_all("Has Role", filters={"role": ROLE, "parenttype": "User"}, pluck="parent")
    if not holders:
        return []
    return frappe.get_all("User", filters={"name": ["in", list(set(holders))], "enabled": 1}, pluck="name")


def outgoing_email_ready() -> bool:
    return bool(frappe.db.exists("Email Account", {"enable_outgoing": 1}))
