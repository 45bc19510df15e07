"""frappe.utils.error.log_error (v15 semantics: inserts an Error Log, never commits)."""

from __future__ import annotations

import uuid

import frappe


def log_error(title=None, message=None, reference_doctype=None, reference_name=None, *, defer_insert=False):
    traceback = None
    if message:
        if "\n" in (title or ""):  # old convention: traceback passed as title
            traceback, title = title, message
        else:
            traceback = message
    title = title or "Error"
    traceback = frappe.as_unicode(traceback or frappe.get_traceback(with_context=True))

    if not getattr(frappe.local, "db", None):
        print(f"Failed to log error in db: {title}")
        return None

    error_log = frappe.get_doc(
        doctype="Error Log",
        error=traceback,
        method=title,
        reference_doctype=reference_doctype,
        reference_name=None if reference_name is None else str(reference_name),
        trace_id=uuid.uuid4().hex,
    )
    if frappe.flags.read_only or defer_insert:
        error_log.deferred_insert()
        return None
    return error_log.insert(ignore_permissions=True)
