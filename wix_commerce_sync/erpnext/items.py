"""Items, templates, variants, attributes and prices: found by mapping, SKU, then barcode before anything is created."""

from __future__ import annotations

import copy

import frappe
from frappe.utils import flt

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.erpnext.common import (
    ITEM_MAP,
    AdapterBase,
    atomic,
    inbound_sync,
)
from wix_commerce_sync.persistence.times import to_db
from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    Product,
)
from wix_commerce_sync.sync.ports import ApplyResult, OutboundChange


class ItemsMixin(AdapterBase):
    def item_for(self, store: str, *, variant_id: str | None = None, sku: str | None = None,
                 inventory_item_id: str | None = None, barcode: str | None = None) -> str | None:  # fmt: skip
        """Mapping first, then SKU as item code, then SKU or barcode as an Item Barcode."""
        if variant_id:
            code = frappe.db.get_value(ITEM_MAP, {"variant_key": record_key(store, variant_id)}, "item_code")
            if code:
                return code
        if inventory_item_id:
            code = frappe.db.get_value(ITEM_MAP, {"store": store, "inventory_item_id": inventory_item_id}, "item_code")
            if code:
                return code
        if sku:
            code = frappe.db.get_value(ITEM_MAP, {"store": store, "sku": sku}, "item_code")
            if code:
                return code
            if frappe.db.exists("Item", sku):
                return sku
        for value in (sku, barcode):
            if value:
                parent = frappe.db.get_value("Item Barcode", {"barcode": value}, "parent")
                if parent:
                    return parent
        return None

    def product_for_store(self, store: str, external_id: str) -> OutboundChange | None:
        """ERPNext's current version of a store product (by product or variant id), as its outbound change."""
        from wix_commerce_sync.erpnext.outbound import product_from_item

        code = frappe.db.get_value(ITEM_MAP, {"store": store, "external_product_id": external_id}, "item_code") or \
            frappe.db.get_value(ITEM_MAP, {"variant_key": record_key(store, external_id)}, "item_code")  # fmt: skip
        product = product_from_item(store, code) if code else None
        if product is None:
            return None
        template = frappe.db.get_value("Item", code, "variant_of") or code
        return OutboundChange("items", template, product, reference_doctype="Item", reference_name=template)

    def _template_for(self, store: str, product: Product, codes: dict[str, str]) -> str:
        for variant in product.variants:
            code = d.lookup_code(codes, d.variant_keys(variant))
            if code:
                template = frappe.db.get_value("Item", code, "variant_of")
                if template:
                    return template
        candidate = d.slug(product.handle or product.title)
        existing = frappe.db.get_value("Item", candidate, ["has_variants"], as_dict=True)
        if existing and not existing.has_variants:
            candidate = d.slug(f"{candidate}-{product.external_id}")
        return candidate

    def item_codes_for_product(self, store: str, product: Product) -> dict[str, str]:
        codes: dict[str, str] = {}
        for variant in product.variants:
            code = self.item_for(store, variant_id=variant.external_id, sku=variant.sku,
                                 inventory_item_id=variant.inventory_item_id, barcode=variant.barcode)  # fmt: skip
            if code:
                for key in d.variant_keys(variant):
                    codes[key] = code
        if product.has_variants:
            codes[d.template_key(product)] = self._template_for(store, product, codes)
        return codes

    def upsert_product(self, store: str, product: Product) -> list[ApplyResult]:
        product = self._with_stored_attribute_spelling(product)
        defaults = self.defaults(store)
        codes = self.item_codes_for_product(store, product)
        docs = d.item_documents(product, defaults, codes)
        results: list[ApplyResult] = []
        with inbound_sync(store), atomic("commerce_product"):
            for doc in docs:
                if doc["doctype"] == "Item Attribute":
                    self._ensure_attribute(doc)
                elif doc["doctype"] == "Item":
                    results.append(self._upsert_item(doc))
                elif doc["doctype"] == "Item Price":
                    self._upsert_price(doc)
            for variant in product.variants:
                code = d.lookup_code(codes, d.variant_keys(variant)) or next(
                    (r.name for r in results if r.name == variant.sku), None
                ) or self._created_code(docs, variant)
                self._upsert_item_mapping(store, code, product, variant)
        return results

    @staticmethod
    def _with_stored_attribute_spelling(product: Product) -> Product:
        """A copy whose option values use the spelling ERPNext already stores ("red" -> "Red").

        ERPNext refuses a second Item Attribute value that differs only in case, and a variant's value must
        match the stored one exactly.
        """
        copied = copy.deepcopy(product)
        for option in product.option_names:
            if not frappe.db.exists("Item Attribute", option):
                continue
            stored = {v.lower(): v for v in frappe.get_all("Item Attribute Value", filters={"parent": option},
                                                            pluck="attribute_value")}  # fmt: skip
            for variant in copied.variants:
                value = variant.options.get(option)
                if value is not None and value.lower() in stored:
                    variant.options[option] = stored[value.lower()]
        return copied

    @staticmethod
    def _created_code(docs: list[dict], variant) -> str:
        for doc in docs:
            if doc["doctype"] == "Item" and not doc.get("has_variants"):
                values = {(a["attribute"], a["attribute_value"]) for a in doc.get("attributes") or []}
                if values == set(variant.options.items()) or (not values and not variant.options):
                    return doc["item_code"]
        raise MappingError(f"no item for variant {variant.external_id or variant.sku}")

    def _ensure_attribute(self, doc: dict) -> None:
        name = doc["attribute_name"]
        if not frappe.db.exists("Item Attribute", name):
            frappe.get_doc(doc).insert(ignore_permissions=True)
            return
        attribute = frappe.get_doc("Item Attribute", name)
        known = {row.attribute_value for row in attribute.item_attribute_values}
        taken = {row.abbr for row in attribute.item_attribute_values}
        added = False
        for row in doc["item_attribute_values"]:
            if row["attribute_value"] not in known:
                attribute.append("item_attribute_values",
                                 {"attribute_value": row["attribute_value"], "abbr": d.attribute_abbr(row["attribute_value"], taken)})  # fmt: skip
                added = True
        if added:
            attribute.save(ignore_permissions=True)

    def _upsert_item(self, doc: dict) -> ApplyResult:
        code = doc["item_code"]
        barcodes = [b for b in doc.pop("barcodes", []) if not frappe.db.exists("Item Barcode", {"barcode": b["barcode"]})]
        if not frappe.db.exists("Item", code):
            item = frappe.get_doc(doc)
            for row in barcodes:
                item.append("barcodes", row)
            item.insert(ignore_permissions=True)
            return ApplyResult("Item", item.name, created=True)
        item = frappe.get_doc("Item", code)
        changed = False
        for field in ("item_name", "description", "disabled", "weight_per_unit", "weight_uom"):
            if field in doc and item.get(field) != doc[field] and not (field == "description" and item.get(field)):
                item.set(field, doc[field])
                changed = True
        for row in barcodes:
            item.append("barcodes", row)
            changed = True
        if changed:
            item.save(ignore_permissions=True)
        return ApplyResult("Item", item.name, changed=changed)

    def _upsert_price(self, doc: dict) -> None:
        filters = {"item_code": doc["item_code"], "price_list": doc["price_list"], "uom": doc["uom"]}
        name = frappe.db.get_value("Item Price", filters, "name")
        if not name:
            filters.pop("uom")
            name = frappe.db.get_value("Item Price", filters, "name")
        if name:
            price = frappe.get_doc("Item Price", name)
            if flt(price.price_list_rate) != flt(doc["price_list_rate"]):
                price.price_list_rate = doc["price_list_rate"]
                price.save(ignore_permissions=True)
            return
        frappe.get_doc(doc).insert(ignore_permissions=True)

    def _upsert_item_mapping(self, store: str, item_code: str, product: Product, variant) -> None:
        name = None
        if variant.external_id:
            name = frappe.db.get_value(ITEM_MAP, {"variant_key": record_key(store, variant.external_id)}, "name")
        name = name or frappe.db.get_value(ITEM_MAP, {"item_key": record_key(store, item_code)}, "name")
        mapping = frappe.get_doc(ITEM_MAP, name) if name else frappe.new_doc(ITEM_MAP)
        mapping.update({
            "store": store, "item_code": item_code, "sku": variant.sku, "external_product_id": product.external_id,
            "external_variant_id": variant.external_id, "inventory_item_id": variant.inventory_item_id,
            "remote_updated_at": to_db(variant.updated_at or product.updated_at), "last_synced_at": frappe.utils.now_datetime(),
        })  # fmt: skip
        mapping.save(ignore_permissions=True) if name else mapping.insert(ignore_permissions=True)

    def delete_product(self, store: str, external_id: str, *, disable_items: bool = False) -> ApplyResult | None:
        """A product (or one variant) deleted on the store: its mapping rows go; the Items stay, disabled only
        when the store's "Disable Items Deleted on Store" is set. Never deletes an Item."""
        rows = frappe.get_all(ITEM_MAP, filters={"store": store, "external_product_id": external_id},
                              fields=["name", "item_code"])  # fmt: skip
        rows += frappe.get_all(ITEM_MAP, filters={"variant_key": record_key(store, external_id)}, fields=["name", "item_code"])
        rows = list({row.name: row for row in rows}.values())
        if not rows:
            return None
        codes = list(dict.fromkeys(row.item_code for row in rows))
        with inbound_sync(), atomic("commerce_delete_product"):
            for row in rows:
                frappe.delete_doc(ITEM_MAP, row.name, ignore_permissions=True, force=True)
            if disable_items:
                for code in codes:
                    frappe.db.set_value("Item", code, "disabled", 1)
        what = "disabled" if disable_items else "kept enabled (the store setting does not disable them)"
        return ApplyResult("Item", codes[0], message=f"{len(codes)} item(s) unlinked and {what}: {', '.join(codes[:5])}")
