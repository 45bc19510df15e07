"""Stock: quantities available per store location (actual - reserved over the mapped warehouses) and stock coming in from the store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import frappe

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.erpnext.common import (
    ITEM_MAP,
    AdapterBase,
    _dec,
    atomic,
    inbound_sync,
)
from wix_commerce_sync.persistence.times import to_db
from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.models import (
    ZERO,
    StockLevel,
)
from wix_commerce_sync.sync.ports import ApplyResult


class StockMixin(AdapterBase):
    def location_warehouses(self, store: str) -> dict[str | None, list[str]]:
        doc = self.store_doc(store)
        by_location: dict[str | None, list[str]] = defaultdict(list)
        for row in doc.get("warehouse_mappings") or []:
            by_location[row.location_id or None].append(row.warehouse)
        if not by_location and doc.default_warehouse:
            by_location[None].append(doc.default_warehouse)
        return by_location

    def stock_levels(self, store: str, skus: Sequence[str] | None = None,
                     changed_since: datetime | None = None) -> list[StockLevel]:  # fmt: skip
        """Available = sum over the location's mapped warehouses of actual - reserved, less the safety stock held
        back (the store's plus the item mapping's), never below 0."""
        filters: dict = {"store": store}
        if skus is not None:
            filters["sku"] = ["in", list(skus) or [""]]
        mappings = frappe.get_all(ITEM_MAP, filters=filters, fields=["item_code", "sku", "external_variant_id",
                                                                      "external_product_id", "inventory_item_id", "safety_stock"])  # fmt: skip
        mappings = [m for m in mappings if not frappe.db.get_value("Item", m.item_code, "has_variants")]
        if not mappings:
            return []
        locations = self.location_warehouses(store)
        warehouses = sorted({w for ws in locations.values() for w in ws})
        if not warehouses:
            return []
        codes = [m.item_code for m in mappings]
        bins = frappe.get_all("Bin", filters={"item_code": ["in", codes], "warehouse": ["in", warehouses]},
                              fields=["item_code", "warehouse", "actual_qty", "reserved_qty", "modified"])  # fmt: skip
        if changed_since is not None:
            since = to_db(changed_since)
            touched = {b.item_code for b in bins if b.modified and frappe.utils.get_datetime(b.modified) >= since}
            mappings = [m for m in mappings if m.item_code in touched]
        available: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for b in bins:
            available[(b.item_code, b.warehouse)] += _dec(b.actual_qty) - _dec(b.reserved_qty)
        store_buffer = _dec(self.store_doc(store).get("safety_stock"))
        levels = []
        for m in mappings:
            buffer = store_buffer + _dec(m.safety_stock)
            for location, whs in locations.items():
                qty = sum((available[(m.item_code, w)] for w in whs), ZERO) - buffer
                levels.append(StockLevel(sku=m.sku or m.item_code, quantity=max(qty, ZERO), location_id=location,
                                         variant_id=m.external_variant_id, product_id=m.external_product_id,
                                         inventory_item_id=m.inventory_item_id))  # fmt: skip
        return levels

    def set_stock(self, store: str, level: StockLevel) -> ApplyResult:
        """Store -> ERPNext stock: a submitted Stock Reconciliation with a real valuation rate."""
        code = self.item_for(store, variant_id=level.variant_id, sku=level.sku, inventory_item_id=level.inventory_item_id)
        if not code:
            raise MappingError(f"stock for unknown SKU {level.sku!r}: no item or mapping; create or map the Item, then retry")
        item = frappe.db.get_value("Item", code, ["is_stock_item", "valuation_rate", "standard_rate"], as_dict=True)
        if not item.is_stock_item:
            raise MappingError(f"item {code} is not a stock item; its stock cannot be set from the store")
        warehouses = self.location_warehouses(store).get(level.location_id or None) or self.location_warehouses(store).get(None)
        if not warehouses:
            raise MappingError(f"no warehouse is mapped to store location {level.location_id!r}")
        warehouse = warehouses[0]
        current = frappe.db.get_value("Bin", {"item_code": code, "warehouse": warehouse},
                                      ["actual_qty", "valuation_rate"], as_dict=True) or frappe._dict()  # fmt: skip
        if _dec(current.actual_qty) == level.quantity:
            return ApplyResult("Bin", f"{code}@{warehouse}", changed=False, message="already at that quantity")
        defaults = self.defaults(store)
        price = frappe.db.get_value("Item Price", {"item_code": code, "price_list": defaults.price_list}, "price_list_rate")
        row = d.StockRow(code, warehouse, level.quantity,
                         valuation_rate=_dec(current.valuation_rate) or _dec(item.valuation_rate),
                         standard_rate=_dec(item.standard_rate), price=_dec(price) if price else None)  # fmt: skip
        doc = d.stock_reconciliation_document([row], defaults)
        if not frappe.db.sql("select name from `tabStock Ledger Entry` limit 1"):
            # ERPNext treats a site's first stock entry as an opening entry: with the company's default difference
            # account (Stock Adjustment, Profit and Loss) it raises OpeningEntryAccountError
            # (StockReconciliation.validate_expense_account), so book that first one against Temporary Opening.
            doc["expense_account"] = self._opening_account(defaults.company)
        with inbound_sync(), atomic("commerce_stock"):
            reco = frappe.get_doc(doc)
            reco.insert(ignore_permissions=True)
            reco.submit()
        return ApplyResult("Stock Reconciliation", reco.name, created=True)

    @staticmethod
    def _opening_account(company: str) -> str:
        """The company's Temporary Opening account (standard chart: account_type "Temporary", a balance-sheet one)."""
        account = frappe.db.get_value("Account", {"company": company, "account_type": "Temporary", "is_group": 0,
                                                  "report_type": "Balance Sheet"}, "name")  # fmt: skip
        if not account:
            raise MappingError(f"company {company} has no Temporary Opening account for the first stock entry of the site")
        return account
