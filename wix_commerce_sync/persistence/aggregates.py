"""Grouped counts and totals through ``frappe.qb``: the one aggregate form Frappe v15 and v16 both accept.

``frappe.get_all(fields=["count(name) as n"])`` is refused by Frappe v16 ("SQL functions are not allowed as
strings in SELECT"), and v16's replacement ``{"COUNT": "name", "as": "n"}`` does not exist in v15. The query
builder (pypika, ``frappe.query_builder.functions``) is the same on both.
"""

from __future__ import annotations

from datetime import datetime

import frappe
from frappe.query_builder.functions import Avg, Count, Sum


def status_counts(doctype: str, **equals: object) -> dict[str, int]:
    """``{status: number of rows}`` of ``doctype`` whose fields equal ``equals`` (None values are left out)."""
    table = frappe.qb.DocType(doctype)
    query = frappe.qb.from_(table).select(table.status, Count(table.name).as_("n")).groupby(table.status)
    for fieldname, value in equals.items():
        if value is not None:
            query = query.where(table.field(fieldname) == value)
    return {row.status: int(row.n) for row in query.run(as_dict=True)}


def log_totals_by_status(since: datetime, store: str | None = None) -> list[frappe._dict]:
    """Per status of Commerce Sync Log rows created since ``since``: n, records (sum), avg_ms (mean duration)."""
    log = frappe.qb.DocType("Commerce Sync Log")
    query = (
        frappe.qb.from_(log)
        .select(log.status, Count(log.name).as_("n"), Sum(log.records).as_("records"), Avg(log.duration_ms).as_("avg_ms"))
        .where(log.creation >= since)
        .groupby(log.status)
    )
    if store:
        query = query.where(log.store == store)
    return query.run(as_dict=True)
