"""Both ways: when an ERPNext record last changed, and the ids a store gave a record the app pushed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import frappe

from wix_commerce_sync.erpnext.common import (
    CUSTOMER_MAP,
    ITEM_MAP,
    ORDER_MAP,
    AdapterBase,
    inbound_sync,
)
from wix_commerce_sync.persistence.times import from_db
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    Customer,
    Fulfilment,
    Order,
    Product,
    Refund,
    StockLevel,
    Variant,
    WriteResult,
)

LOCATION_STOCK = "Commerce Item Location Stock"
SHARED_VARIANT_IDS = frozenset({"00000000-0000-0000-0000-000000000000"})  # Wix V1: every product without options


class LinksMixin(AdapterBase):
    def record_modified_at(self, store: str, entity: str, external_id: str) -> datetime | None:
        if entity == "items":
            code = frappe.db.get_value(ITEM_MAP, {"store": store, "external_product_id": external_id}, "item_code") or \
                frappe.db.get_value(ITEM_MAP, {"variant_key": record_key(store, external_id)}, "item_code")  # fmt: skip
            if not code:
                return None
            template = frappe.db.get_value("Item", code, "variant_of") or code
            modified = [frappe.db.get_value("Item", template, "modified")]
            modified += [frappe.db.get_value("Item Price", {"item_code": code}, "modified")]
            stamps = [from_db(m) for m in modified if m]
            return max(stamps) if stamps else None
        if entity == "customers":
            name = frappe.db.get_value(CUSTOMER_MAP, {"customer_key": record_key(store, external_id)}, "customer")
            return from_db(frappe.db.get_value("Customer", name, "modified")) if name else None
        if entity == "orders":
            so = self.find_order(store, external_id)
            return from_db(frappe.db.get_value("Sales Order", so, "modified")) if so else None
        return None

    def link_pushed(self, store: str, entity: str, key: str, record: object, result: WriteResult) -> None:
        """Store the ids a store gave a record we pushed (mapping rows), outside any user save."""
        with inbound_sync():
            if entity == "items" and isinstance(record, Product):
                written = _written_variants(result)
                for variant in record.variants:
                    code = self.item_for(store, variant_id=variant.external_id, sku=variant.sku) or variant.sku
                    if not code or not frappe.db.exists("Item", code):
                        continue
                    product = Product(**{**vars(record), "external_id": result.external_id or record.external_id})
                    self._upsert_item_mapping(store, code, product, self._with_store_ids(store, code, variant, written))
            elif entity == "stock" and isinstance(record, StockLevel):
                self._note_pushed_stock(store, record)
            elif entity == "customers" and isinstance(record, Customer) and result.external_id:
                if frappe.db.exists("Customer", key):
                    self._upsert_customer_mapping(store, key, Customer(**{**vars(record), "external_id": result.external_id}))
            elif entity == "orders" and result.external_id and isinstance(record, Order) and frappe.db.exists("Sales Order", key):
                if not self._mapping(store, result.external_id):
                    frappe.get_doc({"doctype": ORDER_MAP, "store": store, "external_order_id": result.external_id,
                                    "order_number": (result.data or {}).get("number"), "sales_order": key,
                                    "store_total": float(record.total), "currency": record.currency,
                                    "last_synced_at": frappe.utils.now_datetime()}).insert(ignore_permissions=True)  # fmt: skip
            elif entity == "orders" and isinstance(record, Refund) and result.external_id:
                # the store's id on the Credit Note / return Delivery Note: the refund's echo is then known
                for doctype in ("Sales Invoice", "Delivery Note"):
                    if frappe.db.exists(doctype, {"name": key, "is_return": 1}):
                        frappe.db.set_value(doctype, key, "commerce_refund_id", record_key(store, result.external_id),
                                            update_modified=False)  # fmt: skip
            elif entity == "orders" and isinstance(record, Fulfilment):
                mapping = self._mapping(store, record.order_id)
                if mapping:
                    done = [x for x in (mapping.pushed_fulfilments or "").split("\n") if x]
                    if key not in done:
                        mapping.pushed_fulfilments = "\n".join([*done, key])
                        mapping.save(ignore_permissions=True)

    @staticmethod
    def _with_store_ids(store: str, item_code: str, variant: Variant, written: dict[str, dict]) -> Variant:
        """The variant with the id the store gave it (a new variation's): without it the mapping names only the
        product, and a stock row of the variant goes out with the product's id alone. An id that names no one
        variant (Wix V1's default variant of every product without options) or one another item's mapping
        holds is left off: the mapping is found by sku as before."""
        ids = written.get(variant.sku or "") or {}
        variant_id = str(ids["variant_id"]) if ids.get("variant_id") else None
        if not variant_id or variant_id == variant.external_id or variant_id in SHARED_VARIANT_IDS:
            return variant
        holder = frappe.db.get_value(ITEM_MAP, {"variant_key": record_key(store, variant_id)}, "item_code")
        return variant if holder and holder != item_code else replace(variant, external_id=variant_id)

    def _note_pushed_stock(self, store: str, level: StockLevel) -> None:
        """The mapping's "Last Pushed Stock" row of this location, written as that one row: a save of the whole
        mapping for every pushed row was most of the time a 10,000-row stock push spent in ERPNext."""
        code = self.item_for(store, variant_id=level.variant_id, sku=level.sku, inventory_item_id=level.inventory_item_id)
        parent = frappe.db.get_value(ITEM_MAP, {"item_key": record_key(store, code)}, "name") if code else None
        if not parent:
            return
        values = {"last_pushed_qty": float(level.quantity), "pushed_at": frappe.utils.now_datetime()}
        siblings = {"parent": parent, "parenttype": ITEM_MAP, "parentfield": "location_stock"}
        row = frappe.db.get_value(LOCATION_STOCK, {**siblings, "location_id": level.location_id or ["is", "not set"]}, "name")
        if row:
            frappe.db.set_value(LOCATION_STOCK, row, values, update_modified=False)
            return
        frappe.get_doc({"doctype": LOCATION_STOCK, **siblings, "idx": frappe.db.count(LOCATION_STOCK, siblings) + 1,
                        "location_id": level.location_id, **values}).db_insert()  # fmt: skip


def _written_variants(result: WriteResult) -> dict[str, dict]:
    """sku -> the ids the store answered for it: every connector's product write answers
    ``data["variants"] = [{"sku", "variant_id", "inventory_item_id"}, ...]`` (no connector answers the
    ``variant_ids`` read here before: a pushed variant's mapping never got the store's variant id)."""
    rows = (result.data or {}).get("variants") or []
    return {row["sku"]: row for row in rows if isinstance(row, dict) and row.get("sku")}
