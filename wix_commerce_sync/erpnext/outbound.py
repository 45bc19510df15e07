"""ERPNext documents -> canonical records for the stores (the ERP -> store direction)."""

from __future__ import annotations

from decimal import Decimal

import frappe
from frappe.utils import flt

from wix_commerce_sync.persistence.times import from_db
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    Address,
    Customer,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Refund,
    Variant,
)

ITEM_MAP = "Commerce Item Mapping"
ORDER_MAP = "Commerce Order Mapping"
CUSTOMER_MAP = "Commerce Customer Mapping"


def _money(value) -> Decimal:
    return Decimal(str(flt(value, 2))).quantize(Decimal("0.01"))


def price_of(item_code: str, price_list: str) -> Decimal:
    return _money(frappe.db.get_value("Item Price", {"item_code": item_code, "price_list": price_list}, "price_list_rate"))


def product_from_item(store: str, item_code: str) -> Product | None:
    """The store product an Item belongs to (its template with every variant, or the single item)."""
    item = frappe.db.get_value("Item", item_code, ["name", "variant_of", "has_variants"], as_dict=True)
    if not item:
        return None
    template_code = item.variant_of or item.name
    template = frappe.get_doc("Item", template_code)
    price_list = frappe.db.get_value("Commerce Store", store, "price_list") or "Standard Selling"
    codes = [template_code]
    if template.has_variants:
        codes = frappe.get_all("Item", filters={"variant_of": template_code, "disabled": 0}, pluck="name", order_by="name asc")
    mappings = {m.item_code: m for m in frappe.get_all(ITEM_MAP, filters={"store": store, "item_code": ["in", codes or [""]]},
                                                        fields=["item_code", "sku", "external_product_id", "external_variant_id",
                                                                "inventory_item_id"])}  # fmt: skip
    product_id = next((m.external_product_id for m in mappings.values() if m.external_product_id), None)
    option_names = [row.attribute for row in template.get("attributes") or []] if template.has_variants else []
    variants = []
    for code in codes:
        doc = frappe.get_doc("Item", code) if code != template_code else template
        m = mappings.get(code) or frappe._dict()
        barcode = doc.barcodes[0].barcode if doc.get("barcodes") else None
        options = {row.attribute: row.attribute_value for row in doc.get("attributes") or []} if template.has_variants else {}
        variants.append(Variant(external_id=m.external_variant_id, sku=m.sku or code, price=price_of(code, price_list),
                                options=options, barcode=barcode, inventory_item_id=m.inventory_item_id,
                                title=doc.item_name, manage_stock=bool(doc.is_stock_item),
                                weight=Decimal(str(doc.weight_per_unit)) if doc.get("weight_per_unit") else None,
                                updated_at=from_db(doc.modified)))  # fmt: skip
    return Product(external_id=product_id, title=template.item_name or template.name, description=template.description,
                   status="archived" if template.disabled else "active", option_names=option_names, variants=variants,
                   updated_at=from_db(template.modified))  # fmt: skip


def customer_from_erp(store: str, name: str) -> Customer | None:
    doc = frappe.db.get_value("Customer", name, ["name", "customer_name", "modified"], as_dict=True)
    if not doc:
        return None
    external_id = frappe.db.get_value(CUSTOMER_MAP, {"store": store, "customer": name}, "external_customer_id")
    contact = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "link_doctype": "Customer", "link_name": name}, "parent")
    first, last, email, phone = doc.customer_name, None, None, None
    if contact:
        c = frappe.get_doc("Contact", contact)
        first, last = c.first_name or first, c.last_name
        email = next((r.email_id for r in c.email_ids if r.is_primary), None) or (c.email_ids[0].email_id if c.email_ids else None)
        phone = next((r.phone for r in c.phone_nos if r.is_primary_phone), None) or (c.phone_nos[0].phone if c.phone_nos else None)
    addresses = []
    for addr in frappe.get_all("Dynamic Link", filters={"parenttype": "Address", "link_doctype": "Customer", "link_name": name},
                               pluck="parent"):  # fmt: skip
        a = frappe.get_doc("Address", addr)
        code = frappe.db.get_value("Country", a.country, "code") if a.country else None
        addresses.append(Address(line1=a.address_line1, line2=a.address_line2, city=a.city, state=a.state,
                                 postcode=a.pincode, country=a.country, country_code=(code or "").upper() or None,
                                 phone=a.phone, email=a.email_id,
                                 kind=a.address_type if a.address_type in ("Billing", "Shipping") else "Billing"))  # fmt: skip
    return Customer(external_id=external_id, email=email, first_name=first, last_name=last, phone=phone,
                    addresses=addresses, updated_at=from_db(doc.modified))  # fmt: skip


def erp_order_status(so) -> OrderStatus:
    if so.docstatus == 2 or so.status in ("Cancelled", "Closed"):
        return OrderStatus.CANCELLED
    if so.status == "Completed" or flt(so.get("per_delivered")) >= 100:
        return OrderStatus.DELIVERED
    if flt(so.get("per_delivered")) > 0:
        return OrderStatus.SHIPPED
    if so.docstatus == 1:
        return OrderStatus.PROCESSING
    return OrderStatus.PENDING


def order_from_sales_order(store: str, so) -> Order:
    """An ERPNext-made Sales Order as a store order (for stores that accept orders)."""
    lines = []
    for row in so.items:
        sku = frappe.db.get_value(ITEM_MAP, {"item_key": record_key(store, row.item_code)}, "sku") or row.item_code
        lines.append(OrderLine(external_id=row.name, sku=sku, title=row.item_name or row.item_code,
                               quantity=Decimal(str(row.qty)), unit_price=_money(row.rate)))  # fmt: skip
    email = None
    if so.get("contact_email"):
        email = so.contact_email
    customer = customer_from_erp(store, so.customer)
    return Order(external_id=so.name, number=so.name, currency=so.currency, created_at=from_db(so.creation),
                 updated_at=from_db(so.modified), lines=lines, total=_money(so.grand_total), customer=customer,
                 email=email or (customer.email if customer else None), status=erp_order_status(so))  # fmt: skip


def fulfilment_from_delivery_note(store: str, dn) -> Fulfilment | None:
    if dn.get("is_return"):  # goods coming back are a return (refund_from_return_delivery), never a shipment
        return None
    so_names = {row.against_sales_order for row in dn.items if row.get("against_sales_order")}
    for so in so_names:
        external_id = frappe.db.get_value(ORDER_MAP, {"store": store, "sales_order": so}, "external_order_id")
        if external_id:
            lines = []
            for row in dn.items:
                if row.get("against_sales_order") == so:
                    sku = frappe.db.get_value(ITEM_MAP, {"item_key": record_key(store, row.item_code)}, "sku") or row.item_code
                    lines.append((sku, Decimal(str(row.qty))))
            return Fulfilment(order_id=external_id, lines=lines, tracking_number=dn.get("lr_no") or None,
                              tracking_company=dn.get("transporter_name") or None, external_id=dn.name,
                              created_at=from_db(dn.modified))  # fmt: skip
    return None


def _store_sku(store: str, item_code: str) -> str:
    return frappe.db.get_value(ITEM_MAP, {"item_key": record_key(store, item_code)}, "sku") or item_code


def _order_of_rows(store: str, rows, order_field: str) -> str | None:
    for so in sorted({row.get(order_field) for row in rows if row.get(order_field)}):
        external = frappe.db.get_value(ORDER_MAP, {"store": store, "sales_order": so}, "external_order_id")
        if external:
            return external
    return None


def refund_from_credit_note(store: str, si) -> Refund | None:
    """A submitted Credit Note against a store order's invoice -> one store refund of its amount and lines.

    Rows returned through a return Delivery Note already went to the store as that return (restocked), so
    they are not sent again; a credit note that updates stock restocks its own rows."""
    if not si.get("is_return") or not si.get("return_against"):
        return None
    mapping = frappe.db.get_value(ORDER_MAP, {"store": store, "sales_invoice": si.return_against}, "external_order_id")
    # an invoice made by hand from a synced order is not on the mapping: its rows name the order
    mapping = mapping or _order_of_rows(store, si.get("items") or [], "sales_order")
    if not mapping:
        return None
    lines = [(_store_sku(store, row.item_code), abs(Decimal(str(row.qty)))) for row in si.get("items") or []
             if flt(row.qty) < 0 and not (row.get("delivery_note") and frappe.db.get_value("Delivery Note", row.delivery_note, "is_return"))]  # fmt: skip
    return Refund(external_id=si.name, order_id=mapping, amount=abs(_money(si.grand_total)), currency=si.currency,
                  reason=si.get("remarks") or None, created_at=from_db(si.modified), lines=lines,
                  restock=bool(si.get("update_stock")) and bool(lines))  # fmt: skip


def refund_from_return_delivery(store: str, dn) -> Refund | None:
    """A submitted return Delivery Note of a store order -> a return on the store: its lines restocked, no money
    (the money goes back with the Credit Note)."""
    if not dn.get("is_return"):
        return None
    external = _order_of_rows(store, dn.get("items") or [], "against_sales_order")
    if not external:
        return None
    lines = [(_store_sku(store, row.item_code), abs(Decimal(str(row.qty)))) for row in dn.get("items") or [] if flt(row.qty) < 0]
    return Refund(external_id=dn.name, order_id=external, amount=Decimal("0.00"), currency=dn.get("currency"),
                  reason=f"Return {dn.name}", created_at=from_db(dn.modified), lines=lines, restock=True,
                  money_returned=False)  # fmt: skip
