"""Install and migrate steps: the Commerce Sync Manager role, custom fields, the settings record.

All steps are idempotent: ``after_migrate`` re-runs them so an upgraded site gets new fields too.
"""

from __future__ import annotations

import frappe

ROLE = "Commerce Sync Manager"


def _store_fields(insert_after: str) -> list[dict]:
    return [
        {"fieldname": "commerce_store", "label": "Commerce Store", "fieldtype": "Link", "options": "Commerce Store",
         "insert_after": insert_after, "allow_on_submit": 0, "print_hide": 1,
         "description": "Store this document belongs to (a submitted Sales Order marked for a store is created there)"},
    ]  # fmt: skip


def _id_field(fieldname: str, label: str, insert_after: str) -> dict:
    return {"fieldname": fieldname, "label": label, "fieldtype": "Data", "insert_after": insert_after, "read_only": 1,
            "no_copy": 1, "print_hide": 1, "search_index": 1, "length": 240}  # fmt: skip


CUSTOM_FIELDS: dict[str, list[dict]] = {
    "Sales Order": [*_store_fields("po_no"), _id_field("commerce_order_id", "Store Order ID", "commerce_store")],
    "Sales Invoice": [
        *_store_fields("po_no"),
        _id_field("commerce_order_id", "Store Order ID", "commerce_store"),
        _id_field("commerce_refund_id", "Store Refund ID", "commerce_order_id"),
    ],
    "Delivery Note": [
        *_store_fields("po_no"),
        _id_field("commerce_fulfilment_id", "Store Fulfilment ID", "commerce_store"),
        _id_field("commerce_refund_id", "Store Refund ID", "commerce_fulfilment_id"),  # a return of restocked goods
    ],
}


def ensure_role() -> None:
    if not frappe.db.exists("Role", ROLE):
        frappe.get_doc({"doctype": "Role", "role_name": ROLE, "desk_access": 1}).insert(ignore_permissions=True)


def ensure_custom_fields() -> None:
    from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

    create_custom_fields(CUSTOM_FIELDS, ignore_validate=True, update=True)


def ensure_settings() -> None:
    """First install: the settings record with its defaults (sync on, 30/14 days retention, alert after 3)."""
    settings = frappe.get_single("Commerce Sync Settings")
    settings.enabled = 1
    settings.log_retention_days = settings.log_retention_days or 30
    settings.job_retention_days = settings.job_retention_days or 14
    settings.alert_after_failures = settings.alert_after_failures or 3
    settings.save(ignore_permissions=True)


def after_install() -> None:
    ensure_role()
    ensure_custom_fields()
    ensure_settings()
    frappe.db.commit()  # install step


def after_migrate() -> None:
    ensure_role()
    ensure_custom_fields()


def before_tests() -> None:
    """Test site preparation: complete ERPNext's setup when the site has none (no Company yet).

    The test runner calls only this app's ``before_tests`` hook, never ERPNext's, and a fresh site whose setup
    wizard has not run has no fiscal year, no root Item/Customer Groups, Territories, UOMs or Warehouse Types:
    every Sales Order/Invoice the tests make would fail. ERPNext's own hook runs the setup wizard
    (company, current-year fiscal year, fixtures) exactly when no Company exists.
    """
    if frappe.db.a_row_exists("Company"):
        return
    from erpnext.setup.utils import before_tests as erpnext_before_tests

    erpnext_before_tests()
