"""What every part of the ERPNext adapter shares: doctype names, the inbound flag, savepoints,
readable errors, and the per-store configuration read once per adapter."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal

import frappe
from frappe.utils import flt

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.sync.models import (
    FinancialStatus,
)

STORE = "Commerce Store"
ITEM_MAP = "Commerce Item Mapping"
CUSTOMER_MAP = "Commerce Customer Mapping"
ORDER_MAP = "Commerce Order Mapping"
PAID_STATES = {FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED, FinancialStatus.REFUNDED}
DUPLICATE_ERRORS = (frappe.DuplicateEntryError, frappe.UniqueValidationError)


@contextlib.contextmanager
def inbound_sync(store: str | None = None) -> Iterator[None]:
    """Mark the current request/job as applying store changes (doc_events then stay quiet). ``store``: the store the
    change came from, where the other stores must hear of it (an Item edited on one store, see ``on_item_change``)."""
    previous = frappe.flags.in_commerce_sync
    frappe.flags.in_commerce_sync = store or True
    try:
        yield
    finally:
        frappe.flags.in_commerce_sync = previous


@contextlib.contextmanager
def atomic(name: str) -> Iterator[None]:
    """All or nothing inside the surrounding transaction (a savepoint)."""
    frappe.db.savepoint(name)
    try:
        yield
    except BaseException:
        frappe.db.rollback(save_point=name)
        raise
    else:
        with contextlib.suppress(Exception):
            frappe.db.release_savepoint(name)


def readable(exc: Exception) -> str:
    """A frappe exception's text without HTML tags, for job errors."""
    import re

    text = str(exc) or type(exc).__name__
    return re.sub(r"<[^>]+>", "", text).strip()[:500]


def _dec(value) -> Decimal:
    return Decimal(str(flt(value))).quantize(Decimal("0.000001")).normalize()


class AdapterBase:
    """Per-adapter caches of store records and defaults; every concept mixin builds on it."""

    def __init__(self) -> None:
        self._stores: dict[str, object] = {}
        self._defaults: dict[str, d.ErpDefaults] = {}
        self._countries: dict[str, str] = {}  # a name or ISO code -> Country record (fixtures: never change)
        self._absent_order: str | None = None  # an order key find_order just missed (spares create_order a re-read)

    # ================================================================ configuration

    def store_doc(self, store: str):
        if store not in self._stores:
            self._stores[store] = frappe.get_doc(STORE, store)
        return self._stores[store]

    def defaults(self, store: str) -> d.ErpDefaults:
        if store in self._defaults:
            return self._defaults[store]
        doc = self.store_doc(store)
        company = doc.company
        company_currency = frappe.get_cached_value("Company", company, "default_currency") or doc.currency or "USD"
        price_list = doc.price_list or "Standard Selling"
        warehouses = [row.warehouse for row in doc.get("warehouse_mappings") or []]
        defaults = d.ErpDefaults(
            company=company,
            company_currency=company_currency,
            currency=frappe.db.get_value("Price List", price_list, "currency") or doc.currency or company_currency,
            price_list=price_list,
            item_group=doc.item_group or frappe.db.get_single_value("Stock Settings", "item_group") or "All Item Groups",
            stock_uom=doc.stock_uom or frappe.db.get_single_value("Stock Settings", "stock_uom") or "Nos",
            customer_group=doc.customer_group
            or frappe.db.get_single_value("Selling Settings", "customer_group")
            or "All Customer Groups",
            territory=doc.territory or frappe.db.get_single_value("Selling Settings", "territory") or "All Territories",
            tax_account=doc.tax_account or "",
            shipping_item=doc.shipping_item,
            shipping_account=doc.shipping_account,
            default_warehouse=doc.default_warehouse or (warehouses[0] if warehouses else None),
            order_naming_series=doc.order_naming_series,
            cost_center=frappe.get_cached_value("Company", company, "cost_center"),
            walk_in_customer=doc.walk_in_customer,
        )
        self._defaults[store] = defaults
        return defaults
