"""Dashboard Chart Source "Commerce Orders per Day": orders synced per day in the last 7 days, one dataset per store."""

import frappe

from wix_commerce_sync.api.actions import check_permission
from wix_commerce_sync.api.desk import orders_per_day


@frappe.whitelist()
def get(chart_name=None, chart=None, no_cache=None, filters=None, from_date=None, to_date=None, timespan=None,
        time_interval=None, heatmap_year=None, refresh=None) -> dict:  # fmt: skip
    """Frappe's chart-source signature (frappe.desk.doctype.dashboard_chart.dashboard_chart.get)."""
    filters = frappe.parse_json(filters) or {}
    store = filters.get("store") or None
    check_permission(store)
    return orders_per_day(store)
