"""The engine's ERP port on a real ERPNext site (frappe APIs).

Rules kept everywhere:
- inbound changes run with ``frappe.flags.in_commerce_sync = True`` so our own doc_events do not
  bounce them back to the store;
- every write that makes several documents runs inside a savepoint: on any failure it is rolled back
  to that point and the error is raised, so the job is Failed with a clear reason and nothing is
  half-written;
- existing catalogue is linked, never duplicated: an Item is found by mapping, then SKU = item code,
  then barcode, before anything is created;
- the Commerce Order Mapping (unique ``order_key``) is inserted in the same transaction as the Sales
  Order: a second Sales Order for the same store order cannot be committed.
"""

from __future__ import annotations

import contextlib
import copy
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

import frappe
from frappe.utils import flt

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.persistence.times import from_db, to_db
from wix_commerce_sync.sync.errors import MappingError, ValidationError
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    CENT,
    ZERO,
    Customer,
    FinancialStatus,
    Fulfilment,
    Order,
    Product,
    Refund,
    StockLevel,
    WriteResult,
)
from wix_commerce_sync.sync.ports import ApplyResult

STORE = "Commerce Store"
ITEM_MAP = "Commerce Item Mapping"
CUSTOMER_MAP = "Commerce Customer Mapping"
ORDER_MAP = "Commerce Order Mapping"
PAID_STATES = {FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED, FinancialStatus.REFUNDED}
DUPLICATE_ERRORS = (frappe.DuplicateEntryError, frappe.UniqueValidationError)


@contextlib.contextmanager
def inbound_sync() -> Iterator[None]:
    """Mark the current request/job as applying store changes (doc_events then stay quiet)."""
    previous = frappe.flags.in_commerce_sync
    frappe.flags.in_commerce_sync = True
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


class ErpNextAdapter:
    """``ErpPort`` for any Commerce Store of this site; store records are read once per adapter."""

    def __init__(self) -> None:
        self._stores: dict[str, object] = {}
        self._defaults: dict[str, d.ErpDefaults] = {}

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

    # ================================================================ items

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
        with inbound_sync(), atomic("commerce_product"):
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

    def delete_product(self, store: str, external_id: str) -> ApplyResult | None:
        codes = frappe.get_all(ITEM_MAP, filters={"store": store, "external_product_id": external_id}, pluck="item_code")
        if not codes:
            return None
        with inbound_sync(), atomic("commerce_delete_product"):
            for code in codes:
                frappe.db.set_value("Item", code, "disabled", 1)
        return ApplyResult("Item", codes[0], message=f"{len(codes)} item(s) disabled")

    # ================================================================ stock

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
        """Available = sum over the location's mapped warehouses of actual - reserved (never below 0)."""
        filters: dict = {"store": store}
        if skus is not None:
            filters["sku"] = ["in", list(skus) or [""]]
        mappings = frappe.get_all(ITEM_MAP, filters=filters, fields=["item_code", "sku", "external_variant_id",
                                                                      "external_product_id", "inventory_item_id"])  # fmt: skip
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
        levels = []
        for m in mappings:
            for location, whs in locations.items():
                qty = sum((available[(m.item_code, w)] for w in whs), ZERO)
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

    # ================================================================ customers

    def customer_by_email(self, email: str | None) -> str | None:
        if not email:
            return None
        contacts = frappe.get_all("Contact Email", filters={"email_id": email, "parenttype": "Contact"}, pluck="parent")
        for contact in contacts:
            customer = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "parent": contact,
                                                            "link_doctype": "Customer"}, "link_name")  # fmt: skip
            if customer:
                return customer
        return None

    def find_customer(self, store: str, customer: Customer) -> str | None:
        if customer.external_id:
            name = frappe.db.get_value(CUSTOMER_MAP, {"customer_key": record_key(store, customer.external_id)}, "customer")
            if name:
                return name
        if customer.email:
            name = frappe.db.get_value(CUSTOMER_MAP, {"store": store, "email": customer.email.lower()}, "customer")
            return name or self.customer_by_email(customer.email)
        return None

    def upsert_customer(self, store: str, customer: Customer) -> ApplyResult:
        defaults = self.defaults(store)
        with inbound_sync(), atomic("commerce_customer"):
            existing = self.find_customer(store, customer)
            if existing:
                changed = self._update_customer(existing, customer, defaults)
                result = ApplyResult("Customer", existing, changed=changed)
            else:
                result = ApplyResult("Customer", self._create_customer(customer, defaults), created=True)
            if customer.external_id:
                self._upsert_customer_mapping(store, result.name, customer)
        return result

    def _create_customer(self, customer: Customer, defaults: d.ErpDefaults) -> str:
        docs = d.customer_documents(customer, defaults)
        cust = frappe.get_doc(docs[0])
        cust.insert(ignore_permissions=True)
        primary: dict[str, str] = {}
        for doc in docs[1:]:
            for link in doc.get("links") or []:
                link["link_name"] = cust.name
            if doc["doctype"] == "Address":
                doc["country"] = self._country(doc.get("country"))
            made = frappe.get_doc(doc).insert(ignore_permissions=True)
            primary.setdefault(doc["doctype"], made.name)
        updates = {}
        if primary.get("Contact"):
            updates["customer_primary_contact"] = primary["Contact"]
        if primary.get("Address"):
            updates["customer_primary_address"] = primary["Address"]
        if updates:
            frappe.db.set_value("Customer", cust.name, updates, update_modified=False)
        return cust.name

    def _update_customer(self, name: str, customer: Customer, defaults: d.ErpDefaults) -> bool:
        changed = False
        if customer.display_name and frappe.db.get_value("Customer", name, "customer_name") != customer.display_name[:140]:
            doc = frappe.get_doc("Customer", name)
            doc.customer_name = customer.display_name[:140]
            doc.save(ignore_permissions=True)
            changed = True
        for address in customer.addresses:
            if not address.is_empty() and not self._find_address(name, address):
                self._insert_address(name, address)
                changed = True
        contact = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "link_doctype": "Customer",
                                                       "link_name": name}, "parent")  # fmt: skip
        if contact and (customer.email or customer.phone):
            doc = frappe.get_doc("Contact", contact)
            emails = {row.email_id.lower() for row in doc.email_ids if row.email_id}
            phones = {row.phone for row in doc.phone_nos}
            dirty = False
            if customer.email and customer.email.lower() not in emails:
                doc.append("email_ids", {"email_id": customer.email, "is_primary": 0 if emails else 1})
                dirty = True
            if customer.phone and customer.phone not in phones:
                doc.append("phone_nos", {"phone": customer.phone, "is_primary_phone": 0 if phones else 1})
                dirty = True
            if dirty:
                doc.save(ignore_permissions=True)
                changed = True
        elif not contact and (customer.email or customer.phone):
            contact_doc = d.customer_documents(customer, defaults, customer_name=name)[-1]
            if contact_doc["doctype"] == "Contact":
                frappe.get_doc(contact_doc).insert(ignore_permissions=True)
                changed = True
        return changed

    def _find_address(self, customer: str, address) -> str | None:
        names = frappe.get_all("Dynamic Link", filters={"parenttype": "Address", "link_doctype": "Customer",
                                                        "link_name": customer}, pluck="parent")  # fmt: skip
        for name in names:
            row = frappe.db.get_value("Address", name, ["address_line1", "pincode", "address_type"], as_dict=True)
            if row and row.address_line1 == (address.line1 or "-") and (row.pincode or None) == (address.postcode or None) \
                    and row.address_type == (address.kind or "Billing"):  # fmt: skip
                return name
        return None

    def _insert_address(self, customer: str, address) -> str:
        doc = d.address_document(address, customer)
        doc["country"] = self._country(doc.get("country"))
        return frappe.get_doc(doc).insert(ignore_permissions=True).name

    def _country(self, value: str | None) -> str:
        """A Country record name from a name or an ISO code (Country.code is lower-case alpha-2)."""
        if value and frappe.db.exists("Country", value):
            return value
        if value and len(value) == 2:
            found = frappe.db.get_value("Country", {"code": value.lower()}, "name")
            if found:
                return found
        fallback = frappe.db.get_value("Company", self._any_company(), "country") if self._any_company() else None
        if fallback:
            return fallback
        raise MappingError(f"unknown country {value!r} on an address")

    @staticmethod
    def _any_company() -> str | None:
        return frappe.db.get_single_value("Global Defaults", "default_company") or frappe.db.get_value("Company", {}, "name")

    def _upsert_customer_mapping(self, store: str, customer_name: str, customer: Customer) -> None:
        key = record_key(store, customer.external_id)
        name = frappe.db.get_value(CUSTOMER_MAP, {"customer_key": key}, "name")
        mapping = frappe.get_doc(CUSTOMER_MAP, name) if name else frappe.new_doc(CUSTOMER_MAP)
        mapping.update({"store": store, "customer": customer_name, "external_customer_id": customer.external_id,
                        "email": (customer.email or "").lower() or None, "remote_updated_at": to_db(customer.updated_at),
                        "last_synced_at": frappe.utils.now_datetime()})  # fmt: skip
        mapping.save(ignore_permissions=True) if name else mapping.insert(ignore_permissions=True)

    def customer_for_order(self, store: str, order: Order) -> str:
        """The order's customer: mapped/matched/created; guests follow the store's policy."""
        doc = self.store_doc(store)
        customer = order.customer
        email = (customer.email if customer else None) or order.email or (order.billing_address.email if order.billing_address else None)
        if order.is_guest and doc.guest_customer_policy == "Default walk-in customer":
            if not doc.walk_in_customer:
                raise MappingError("guest order, and the store's walk-in customer is not set")
            return doc.walk_in_customer
        if customer is None:
            billing = order.billing_address
            customer = Customer(external_id=None, email=email, first_name=billing.first_name if billing else None,
                                last_name=billing.last_name if billing else None,
                                phone=billing.phone if billing else None, company=billing.company if billing else None)  # fmt: skip
        elif not customer.email and email:
            customer = Customer(**{**vars(customer), "email": email})
        addresses = [a for a in (order.billing_address, order.shipping_address) if a is not None]
        for kind, address in zip(("Billing", "Shipping"), (order.billing_address, order.shipping_address)):
            if address is not None:
                address.kind = kind
        customer.addresses = customer.addresses or addresses
        if not (customer.external_id or customer.email):
            if doc.walk_in_customer:
                return doc.walk_in_customer
            raise MappingError("the order has no customer id and no email, and no walk-in customer is set")
        return self.upsert_customer(store, customer).name

    # ================================================================ orders

    def find_order(self, store: str, external_order_id: str) -> str | None:
        return frappe.db.get_value(ORDER_MAP, {"order_key": record_key(store, external_order_id)}, "sales_order")

    def _mapping(self, store: str, external_order_id: str):
        name = frappe.db.get_value(ORDER_MAP, {"order_key": record_key(store, external_order_id)}, "name")
        return frappe.get_doc(ORDER_MAP, name) if name else None

    def item_codes_for_order(self, store: str, order: Order) -> dict[str, str]:
        codes: dict[str, str] = {}
        for line in order.lines:
            code = self.item_for(store, variant_id=line.variant_id, sku=line.sku)
            if code:
                for key in (line.variant_id and f"variant:{line.variant_id}", line.sku):
                    if key:
                        codes[key] = code
        return codes

    def sales_order_for(self, store: str, order: Order) -> dict:
        """The Sales Order document dict for an order (used by create_order and the preview)."""
        defaults = self.defaults(store)
        codes = self.item_codes_for_order(store, order)
        for line in order.lines:
            d.item_code_for_line(line, codes, order)  # a readable MappingError before any write
        if order.all_tax_lines() and not defaults.tax_account and any(t.amount for t in order.all_tax_lines()):
            raise MappingError(f"order {order.number}: it has taxes but the store's tax account is not set")
        customer = self.customer_for_order(store, order)
        billing = shipping = None
        if order.billing_address and not order.billing_address.is_empty():
            billing = self._find_address(customer, order.billing_address)
        if order.shipping_address and not order.shipping_address.is_empty():
            shipping = self._find_address(customer, order.shipping_address)
        return d.sales_order_document(order, defaults, codes, customer, billing_address=billing, shipping_address=shipping)

    def create_order(self, store: str, order: Order) -> ApplyResult:
        existing = self.find_order(store, order.external_id)
        if existing:
            return ApplyResult("Sales Order", existing, changed=False, message="already synced")
        store_doc = self.store_doc(store)
        with inbound_sync():
            try:
                with atomic("commerce_order"):
                    doc = self.sales_order_for(store, order)
                    doc["commerce_store"] = store
                    doc["commerce_order_id"] = order.external_id
                    so = frappe.get_doc(doc)
                    so.insert(ignore_permissions=True)
                    self._check_total(so, order, "Sales Order")
                    frappe.get_doc({
                        "doctype": ORDER_MAP, "store": store, "external_order_id": order.external_id,
                        "order_number": order.number, "sales_order": so.name, "store_status": order.store_status,
                        "financial_status": order.financial_status.value if order.financial_status else None,
                        "fulfilment_status": order.fulfilment_status.value if order.fulfilment_status else None,
                        "remote_updated_at": to_db(order.updated_at), "last_synced_at": frappe.utils.now_datetime(),
                        "store_total": float(order.total), "currency": order.currency,
                    }).insert(ignore_permissions=True)  # fmt: skip
                    if store_doc.submit_sales_order:
                        so.submit()
                    self._bill_if_paid(store, order, so)
            except DUPLICATE_ERRORS:
                existing = self.find_order(store, order.external_id)
                if existing:  # another worker committed the same order first
                    return ApplyResult("Sales Order", existing, changed=False, message="already synced")
                raise
            except (MappingError, ValidationError):
                raise
            except frappe.ValidationError as exc:
                raise ValidationError(f"order {order.number or order.external_id}: {readable(exc)}") from exc
        if order.note:
            with contextlib.suppress(Exception):
                so.add_comment("Comment", text=frappe.utils.escape_html(f"Store note: {order.note}"))
        return ApplyResult("Sales Order", so.name, created=True)

    @staticmethod
    def _check_total(doc, order: Order, what: str) -> None:
        """ERPNext's own grand total must equal the store's; otherwise nothing is kept."""
        grand = doc.get("grand_total")
        if grand in (None, "") or (not flt(grand) and order.total):  # not computed (no ERPNext controller)
            grand = d.expected_grand_total(doc.as_dict())
        if abs(Decimal(str(flt(grand))) - order.total) >= CENT / 2:
            raise ValidationError(
                f"order {order.number}: ERPNext computes {what} total {flt(grand):.2f} but the store's total is "
                f"{order.total}; the order was not written"
            )

    def _bill_if_paid(self, store: str, order: Order, so) -> None:
        store_doc = self.store_doc(store)
        if order.financial_status not in PAID_STATES or so.docstatus != 1:
            return
        mapping = self._mapping(store, order.external_id)
        if store_doc.create_sales_invoice and not (mapping and mapping.sales_invoice):
            manual = self._invoice_of(so.name)
            if manual:  # someone invoiced it in ERPNext already: link that invoice, never bill twice
                if mapping:
                    frappe.db.set_value(ORDER_MAP, mapping.name, "sales_invoice", manual)
                return
            from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

            si = make_sales_invoice(so.name, ignore_permissions=True)
            si.update({"commerce_store": store, "commerce_order_id": order.external_id})
            si.insert(ignore_permissions=True)
            self._check_total(si, order, "Sales Invoice")
            si.submit()
            frappe.db.set_value(ORDER_MAP, mapping.name, "sales_invoice", si.name) if mapping else None
            if store_doc.create_payment_entry:
                self._payment(store, "Sales Invoice", si.name, mapping, order)
        elif store_doc.create_payment_entry and not store_doc.create_sales_invoice and not (mapping and mapping.payment_entry):
            self._payment(store, "Sales Order", so.name, mapping, order)

    @staticmethod
    def _invoice_of(sales_order: str) -> str | None:
        """A submitted, non-return Sales Invoice billing this Sales Order, if any."""
        for parent in frappe.get_all("Sales Invoice Item", filters={"sales_order": sales_order, "docstatus": 1},
                                     pluck="parent"):  # fmt: skip
            if not frappe.db.get_value("Sales Invoice", parent, "is_return"):
                return parent
        return None

    def _payment(self, store: str, doctype: str, name: str, mapping, order: Order) -> None:
        from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

        store_doc = self.store_doc(store)
        account = None
        if store_doc.mode_of_payment:
            account = frappe.db.get_value("Mode of Payment Account", {"parent": store_doc.mode_of_payment,
                                                                      "company": store_doc.company}, "default_account")  # fmt: skip
        pe = get_payment_entry(doctype, name, bank_account=account)
        pe.mode_of_payment = store_doc.mode_of_payment
        pe.reference_no = (order.payments[0].transaction_id if order.payments and order.payments[0].transaction_id
                           else order.number or order.external_id)  # fmt: skip
        pe.reference_date = frappe.utils.nowdate()
        pe.insert(ignore_permissions=True)
        pe.submit()
        if mapping:
            frappe.db.set_value(ORDER_MAP, mapping.name, "payment_entry", pe.name)

    def update_order(self, store: str, order: Order) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return self.create_order(store, order)
        with inbound_sync(), atomic("commerce_order_update"):
            values = {"store_status": order.store_status,
                      "financial_status": order.financial_status.value if order.financial_status else None,
                      "fulfilment_status": order.fulfilment_status.value if order.fulfilment_status else None}  # fmt: skip
            changed = any(mapping.get(k) != v for k, v in values.items())
            mapping.update(values | {"remote_updated_at": to_db(order.updated_at), "last_synced_at": frappe.utils.now_datetime()})
            mapping.save(ignore_permissions=True)
            so = frappe.get_doc("Sales Order", mapping.sales_order)
            if so.docstatus == 1:
                try:
                    self._bill_if_paid(store, order, so)
                except frappe.ValidationError as exc:
                    raise ValidationError(f"order {order.number}: invoicing failed: {readable(exc)}") from exc
        return ApplyResult("Sales Order", mapping.sales_order, changed=changed)

    def cancel_order(self, store: str, order: Order) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return ApplyResult("Sales Order", "", changed=False, message="never synced")
        so = frappe.get_doc("Sales Order", mapping.sales_order)
        with inbound_sync(), atomic("commerce_order_cancel"):
            mapping.store_status = order.store_status
            mapping.save(ignore_permissions=True)
            if so.docstatus == 2 or so.status == "Closed":
                return ApplyResult("Sales Order", so.name, changed=False)
            if so.docstatus == 0:
                so.add_comment("Comment", text="Cancelled on the store; this draft was not submitted.")
                return ApplyResult("Sales Order", so.name, message="draft kept, cancellation noted")
            if flt(so.get("per_billed")) or flt(so.get("per_delivered")):
                so.update_status("Closed")  # invoiced or delivered documents stay; the order is closed
                return ApplyResult("Sales Order", so.name, message="closed (already billed or delivered)")
            so.cancel()
        return ApplyResult("Sales Order", so.name)

    def record_fulfilment(self, store: str, order: Order, fulfilment: Fulfilment) -> ApplyResult:
        store_doc = self.store_doc(store)
        so_name = self.find_order(store, order.external_id)
        ident = fulfilment.external_id or fulfilment.tracking_number or "fulfilment"
        if not so_name or not store_doc.create_delivery_note_on_fulfilment:
            return ApplyResult("Sales Order", so_name or "", changed=False, message="delivery notes from the store are off")
        existing = frappe.db.get_value("Delivery Note", {"commerce_fulfilment_id": record_key(store, ident), "docstatus": ["<", 2]}, "name")
        if existing:
            return ApplyResult("Delivery Note", existing, changed=False)
        so = frappe.get_doc("Sales Order", so_name)
        if so.docstatus != 1:
            return ApplyResult("Sales Order", so.name, changed=False, message="the Sales Order is not submitted")
        from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

        with inbound_sync():
            try:
                with atomic("commerce_fulfilment"):
                    dn = make_delivery_note(so.name)
                    self._restrict_delivery(store, dn, order, fulfilment)
                    dn.commerce_store = store
                    dn.commerce_fulfilment_id = record_key(store, ident)
                    if fulfilment.tracking_number:
                        dn.lr_no = fulfilment.tracking_number[:140]
                    dn.insert(ignore_permissions=True)
                    dn.submit()
            except frappe.ValidationError as exc:
                raise ValidationError(f"order {order.number}: delivery note failed: {readable(exc)}") from exc
        return ApplyResult("Delivery Note", dn.name, created=True)

    def _restrict_delivery(self, store: str, dn, order: Order, fulfilment: Fulfilment) -> None:
        if not fulfilment.lines:
            return
        wanted: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for ref, qty in fulfilment.lines:
            line = next((ln for ln in order.lines if ref in (ln.external_id, ln.sku)), None)
            code = self.item_for(store, variant_id=line.variant_id if line else None, sku=line.sku if line else ref)
            if code:
                wanted[code] += qty
        kept = []
        for row in dn.items:
            qty = min(_dec(row.qty), wanted.get(row.item_code, ZERO))
            if qty > 0:
                row.qty = float(qty)
                wanted[row.item_code] -= qty
                kept.append(row)
        if not kept:
            raise MappingError(f"order {order.number}: the fulfilment names no line of the Sales Order")
        dn.set("items", kept)
        warehouses = self.location_warehouses(store).get(fulfilment.location_id or None)
        if warehouses:
            for row in dn.items:
                row.warehouse = warehouses[0]

    def record_refund(self, store: str, order: Order, refund: Refund) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return ApplyResult("Sales Order", "", changed=False, message="never synced")
        ident = record_key(store, refund.external_id or f"{refund.amount}")
        existing = frappe.db.get_value("Sales Invoice", {"commerce_refund_id": ident, "docstatus": ["<", 2]}, "name")
        if existing:
            return ApplyResult("Sales Invoice", existing, changed=False)
        invoice = mapping.sales_invoice
        full = invoice and abs(_dec(frappe.db.get_value("Sales Invoice", invoice, "grand_total")) - refund.amount) < CENT
        with inbound_sync():
            if invoice and full and frappe.db.get_value("Sales Invoice", invoice, "docstatus") == 1:
                from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

                try:
                    with atomic("commerce_refund"):
                        credit = make_sales_return(invoice)
                        credit.commerce_store = store
                        credit.commerce_refund_id = ident
                        credit.insert(ignore_permissions=True)
                        credit.submit()
                except frappe.ValidationError as exc:
                    raise ValidationError(f"order {order.number}: credit note failed: {readable(exc)}") from exc
                return ApplyResult("Sales Invoice", credit.name, created=True, message="credit note")
            so = frappe.get_doc("Sales Order", mapping.sales_order)
            note = (f"Store refund {refund.external_id or ''} of {refund.amount} {refund.currency or order.currency}"
                    f"{': ' + refund.reason if refund.reason else ''}. "
                    + ("Partial refund: make the credit note by hand." if invoice else "No invoice yet: nothing to credit."))  # fmt: skip
            seen = frappe.db.exists("Comment", {"reference_doctype": "Sales Order", "reference_name": so.name,
                                                "content": ["like", f"%{refund.external_id or refund.amount}%"]})  # fmt: skip
            if not seen:
                so.add_comment("Comment", text=frappe.utils.escape_html(note))
        return ApplyResult("Sales Order", so.name, changed=not seen, message=note)

    # ================================================================ both ways

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
                variant_ids = (result.data or {}).get("variant_ids") or {}
                for variant in record.variants:
                    code = self.item_for(store, variant_id=variant.external_id, sku=variant.sku) or variant.sku
                    if not code or not frappe.db.exists("Item", code):
                        continue
                    product = Product(**{**vars(record), "external_id": result.external_id or record.external_id})
                    v_id = variant_ids.get(variant.sku or "") or variant.external_id
                    self._upsert_item_mapping(store, code, product, type(variant)(**{**vars(variant), "external_id": v_id}))
            elif entity == "stock" and isinstance(record, StockLevel):
                code = self.item_for(store, variant_id=record.variant_id, sku=record.sku, inventory_item_id=record.inventory_item_id)
                name = frappe.db.get_value(ITEM_MAP, {"item_key": record_key(store, code)}, "name") if code else None
                if name:
                    mapping = frappe.get_doc(ITEM_MAP, name)
                    row = next((r for r in mapping.location_stock if (r.location_id or None) == record.location_id), None)
                    row = row or mapping.append("location_stock", {"location_id": record.location_id})
                    row.last_pushed_qty = float(record.quantity)
                    row.pushed_at = frappe.utils.now_datetime()
                    mapping.save(ignore_permissions=True)
            elif entity == "customers" and isinstance(record, Customer) and result.external_id:
                if frappe.db.exists("Customer", key):
                    self._upsert_customer_mapping(store, key, Customer(**{**vars(record), "external_id": result.external_id}))
            elif entity == "orders" and result.external_id and isinstance(record, Order) and frappe.db.exists("Sales Order", key):
                if not self._mapping(store, result.external_id):
                    frappe.get_doc({"doctype": ORDER_MAP, "store": store, "external_order_id": result.external_id,
                                    "order_number": (result.data or {}).get("number"), "sales_order": key,
                                    "store_total": float(record.total), "currency": record.currency,
                                    "last_synced_at": frappe.utils.now_datetime()}).insert(ignore_permissions=True)  # fmt: skip
            elif entity == "orders" and isinstance(record, Fulfilment):
                mapping = self._mapping(store, record.order_id)
                if mapping:
                    done = [x for x in (mapping.pushed_fulfilments or "").split("\n") if x]
                    if key not in done:
                        mapping.pushed_fulfilments = "\n".join([*done, key])
                        mapping.save(ignore_permissions=True)


def find_duplicate_customers(limit: int = 200) -> list[dict]:
    """Groups of Customers sharing an email (via their Contacts) or a normalised name."""
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    links = frappe.get_all("Dynamic Link", filters={"parenttype": "Contact", "link_doctype": "Customer"},
                           fields=["parent", "link_name"])  # fmt: skip
    by_contact: dict[str, set[str]] = defaultdict(set)
    for link in links:
        by_contact[link.parent].add(link.link_name)
    for row in frappe.get_all("Contact Email", filters={"parenttype": "Contact"}, fields=["parent", "email_id"]):
        for customer in by_contact.get(row.parent, ()):
            groups[("email", (row.email_id or "").strip().lower())].add(customer)
    for row in frappe.get_all("Customer", filters={"disabled": 0}, fields=["name", "customer_name"]):
        groups[("name", " ".join((row.customer_name or "").lower().split()))].add(row.name)
    found = [{"match": kind, "value": value, "customers": sorted(names)}
             for (kind, value), names in groups.items() if value and len(names) > 1]  # fmt: skip
    found.sort(key=lambda g: (-len(g["customers"]), g["match"], g["value"]))
    return found[:limit]
