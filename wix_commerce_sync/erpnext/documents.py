"""Canonical records -> ERPNext documents as Frappe-style dicts. PURE: no frappe import.

Every builder returns ``{"doctype": ..., <fields>, <child table>: [<row dicts>]}`` exactly as
``frappe.get_doc(...)`` accepts it. The ERPNext adapter inserts these; the CLI ``preview`` prints them.

Sales Order design (derived for exactness, so ERPNext's totals equal the store's to the cent
without re-pricing or re-computing taxes):

- ``ignore_pricing_rule = 1`` and ``price_list_rate = rate`` on every row: no Pricing Rule and no
  Item Price can change a rate (``calculate_item_values`` keeps a rate that is already set);
- ``disable_rounded_total = 1``: no rounding adjustment on the grand total;
- item ``rate`` is the per-unit NET price rounded UP to the cent (tax-inclusive orders: the line's
  gross minus that line's taxes, divided by the quantity); the rounding excess, every line
  discount and every order-level discount go into ``discount_amount`` with
  ``apply_discount_on = "Net Total"`` (ERPNext spreads it over the rows and puts the rounding loss
  on the last row, so ``net_total = total - discount_amount`` exactly);
- one ``Actual`` Sales Taxes and Charges row per store tax line: ERPNext distributes an Actual
  amount over the rows and puts the remainder on the last one, so the row's total equals the
  store's amount exactly;
- shipping is an item row (the configured shipping item, at its net amount) or an Actual row on
  the shipping account; fee lines are Actual rows too.

``expected_grand_total`` reproduces ERPNext's arithmetic for exactly these row types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.models import (
    CENT,
    ZERO,
    Address,
    ChargeLine,
    Customer,
    Order,
    OrderLine,
    Product,
    Refund,
    Variant,
)

SHIPPING_KEY = "__shipping__"
WEIGHT_UOMS = {"kg": "Kg", "g": "Gram", "lb": "Pound", "oz": "Ounce"}


@dataclass
class ErpDefaults:
    """The ERPNext side of one store: company, accounts, lists and naming used for its documents."""

    company: str
    company_currency: str
    currency: str  # the store's price list currency
    price_list: str
    item_group: str
    stock_uom: str
    customer_group: str
    territory: str
    tax_account: str
    shipping_item: str | None
    shipping_account: str | None
    default_warehouse: str | None
    order_naming_series: str | None
    cost_center: str | None = None
    tax_accounts: dict[str, str] = field(default_factory=dict)  # store tax title -> account (else tax_account)
    fee_account: str | None = None  # fee lines (else shipping_account)
    walk_in_customer: str | None = None

    @classmethod
    def sandbox(cls) -> ErpDefaults:
        abbr = "SSC"
        return cls(
            company="Sandbox Store Co",
            company_currency="USD",
            currency="USD",
            price_list="Standard Selling",
            item_group="Products",
            stock_uom="Nos",
            customer_group="Individual",
            territory="All Territories",
            tax_account=f"VAT - {abbr}",
            shipping_item=None,
            shipping_account=f"Freight and Forwarding Charges - {abbr}",
            default_warehouse=f"Stores - {abbr}",
            order_naming_series=None,
            cost_center=f"Main - {abbr}",
        )

    def account_for_tax(self, title: str | None) -> str:
        return self.tax_accounts.get(title or "", self.tax_account)


def _f(value: Decimal) -> float:
    """Frappe stores Currency/Float as float; 2-decimal values survive the trip exactly (via str)."""
    return float(value)


def _d(value: Any) -> Decimal:
    if value is None or value == "":
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


# ================================================================ items


def slug(text: str | None, fallback: str = "ITEM") -> str:
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", text or "").strip("-").upper()
    return cleaned[:120] or fallback


def template_key(product: Product) -> str:
    """The key under which ``item_codes`` names the template Item of a product with variants."""
    return f"product:{product.external_id or product.handle or product.title}"


def variant_keys(variant: Variant) -> list[str]:
    """Keys under which ``item_codes`` may name the Item of a variant, most specific first."""
    return [k for k in (variant.external_id and f"variant:{variant.external_id}", variant.sku) if k]


def lookup_code(item_codes: Mapping[str, str], keys: Iterable[str]) -> str | None:
    for key in keys:
        if key and item_codes.get(key):
            return item_codes[key]
    return None


def attribute_abbr(value: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]", "", value).upper()[:6] or "V"
    abbr, n = base, 1
    while abbr in taken:
        n += 1
        abbr = f"{base}{n}"
    taken.add(abbr)
    return abbr


def attribute_documents(product: Product) -> list[dict]:
    """One Item Attribute per option name with every value the product uses (adapter merges)."""
    docs = []
    for name in product.option_names:
        values: list[str] = []
        for variant in product.variants:
            value = variant.options.get(name)
            if value and value not in values:
                values.append(value)
        taken: set[str] = set()
        docs.append({
            "doctype": "Item Attribute",
            "attribute_name": name,
            "item_attribute_values": [{"attribute_value": v, "abbr": attribute_abbr(v, taken)} for v in values],
        })  # fmt: skip
    return docs


def _item_base(product: Product, defaults: ErpDefaults, variant: Variant | None) -> dict:
    doc: dict[str, Any] = {
        "doctype": "Item",
        "item_group": defaults.item_group,
        "stock_uom": defaults.stock_uom,
        "description": product.description or product.title,
        "is_stock_item": 1 if (variant is None or variant.manage_stock) else 0,
        "is_sales_item": 1,
        "include_item_in_manufacturing": 0,
        "disabled": 1 if product.status == "archived" else 0,
    }
    if variant is not None:
        if variant.barcode:
            doc["barcodes"] = [{"barcode": variant.barcode}]
        uom = WEIGHT_UOMS.get((variant.weight_unit or "").lower())
        if variant.weight is not None and uom:
            doc["weight_per_unit"] = _f(variant.weight)
            doc["weight_uom"] = uom
    if defaults.default_warehouse:
        doc["item_defaults"] = [{"company": defaults.company, "default_warehouse": defaults.default_warehouse,
                                 "default_price_list": defaults.price_list}]  # fmt: skip
    return doc


def price_document(item_code: str, price: Decimal, defaults: ErpDefaults) -> dict:
    return {
        "doctype": "Item Price",
        "item_code": item_code,
        "price_list": defaults.price_list,
        "price_list_rate": _f(price),
        "currency": defaults.currency,
        "uom": defaults.stock_uom,
    }


def item_documents(product: Product, defaults: ErpDefaults, item_codes: Mapping[str, str] | None = None) -> list[dict]:
    """Item Attributes, template + variant Items (or one Item), and Item Prices for a store product.

    ``item_codes`` names the ERPNext Items already linked or matched (keys: ``template_key`` and
    ``variant_keys``); any variant not in it is previewed/created as a new Item coded by its SKU.
    """
    item_codes = item_codes or {}
    docs: list[dict] = []
    if not product.variants:
        raise MappingError(f"product {product.title!r} has no variants to sync")
    if not product.has_variants:
        variant = product.variants[0]
        code = lookup_code(item_codes, variant_keys(variant)) or variant.sku or slug(product.handle or product.title)
        item = _item_base(product, defaults, variant) | {"item_code": code, "item_name": product.title[:140]}
        docs.append(item)
        docs.append(price_document(code, variant.price, defaults))
        return docs

    docs += attribute_documents(product)
    template_code = item_codes.get(template_key(product)) or slug(product.handle or product.title)
    template = _item_base(product, defaults, None) | {
        "item_code": template_code,
        "item_name": product.title[:140],
        "has_variants": 1,
        "variant_based_on": "Item Attribute",
        "attributes": [{"attribute": name} for name in product.option_names],
    }
    docs.append(template)
    for variant in product.variants:
        values = [variant.options.get(name, "") for name in product.option_names]
        code = lookup_code(item_codes, variant_keys(variant)) or variant.sku or slug(f"{template_code}-{'-'.join(values)}")
        name = f"{product.title} - {' / '.join(v for v in values if v)}"
        item = _item_base(product, defaults, variant) | {
            "item_code": code,
            "item_name": name[:140],
            "variant_of": template_code,
            "attributes": [
                {"attribute": n, "attribute_value": variant.options[n]} for n in product.option_names if variant.options.get(n)
            ],
        }
        docs.append(item)
        docs.append(price_document(code, variant.price, defaults))
    return docs


# ================================================================ customers


def address_document(address: Address, customer_name: str, kind: str | None = None) -> dict:
    kind = kind or address.kind or "Billing"
    return {
        "doctype": "Address",
        "address_title": (address.full_name or customer_name)[:140],
        "address_type": kind if kind in ("Billing", "Shipping") else "Other",
        "address_line1": (address.line1 or "-")[:140],
        "address_line2": (address.line2 or "")[:140] or None,
        "city": (address.city or address.state or "-")[:140],
        "state": address.state,
        "pincode": address.postcode,
        "country": address.country or address.country_code,
        "email_id": address.email,
        "phone": address.phone,
        "is_primary_address": 1 if kind == "Billing" else 0,
        "is_shipping_address": 1 if kind == "Shipping" else 0,
        "links": [{"link_doctype": "Customer", "link_name": customer_name}],
    }


def customer_documents(customer: Customer, defaults: ErpDefaults, customer_name: str | None = None) -> list[dict]:
    """Customer, one Address per non-empty address, and a Contact carrying email and phone.

    ``customer_name`` is the ERPNext Customer's name (``name``) once known; the links use it.
    """
    display = customer.display_name[:140]
    link = customer_name or display
    is_company = bool(customer.company) and not (customer.first_name or customer.last_name)
    docs: list[dict] = [{
        "doctype": "Customer",
        "customer_name": display,
        "customer_type": "Company" if is_company else "Individual",
        "customer_group": defaults.customer_group,
        "territory": defaults.territory,
    }]  # fmt: skip
    seen: set[tuple] = set()
    for address in customer.addresses:
        if address.is_empty():
            continue
        key = (address.kind, address.line1, address.city, address.postcode, address.country_code or address.country)
        if key in seen:
            continue
        seen.add(key)
        docs.append(address_document(address, link))
    if customer.email or customer.phone or customer.first_name or customer.last_name:
        contact: dict[str, Any] = {
            "doctype": "Contact",
            "first_name": (customer.first_name or customer.company or customer.email or display)[:140],
            "last_name": customer.last_name,
            "company_name": customer.company,
            "is_primary_contact": 1,
            "email_ids": [{"email_id": customer.email, "is_primary": 1}] if customer.email else [],
            "phone_nos": [{"phone": customer.phone, "is_primary_phone": 1, "is_primary_mobile_no": 1}]
            if customer.phone
            else [],
            "links": [{"link_doctype": "Customer", "link_name": link}],
        }
        docs.append(contact)
    return docs


# ================================================================ orders


def _rate_for(net_amount: Decimal, qty: Decimal) -> tuple[Decimal, Decimal]:
    """Smallest cent rate with rate*qty >= net_amount and an unambiguous 2-decimal amount.

    Returns (rate, amount) where amount is rate*qty rounded to the cent. A half-cent tie is
    avoided (banker's and commercial rounding would disagree on it), so ERPNext's ``flt(rate*qty, 2)``
    gives ``amount`` under any rounding method.
    """
    if qty <= 0:
        raise MappingError(f"line quantity must be positive, got {qty}")
    rate = (net_amount / qty).quantize(CENT, rounding=ROUND_CEILING)
    while True:
        exact = rate * qty
        amount = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(exact - amount) != Decimal("0.005"):
            if amount < net_amount:  # cannot happen for rate >= net/qty, kept as a guard
                rate += CENT
                continue
            return rate, amount
        rate += CENT


def _included_tax_shares(order: Order) -> list[Decimal]:
    """Per goods line, the order-level taxes already inside a tax-inclusive price (split by gross)."""
    unassigned = sum((t.amount for t in order.order_taxes), ZERO) if order.taxes_included else ZERO
    if not unassigned or not order.lines:
        return [ZERO] * len(order.lines)
    grosses = [line.unit_price * line.quantity - line.discount for line in order.lines]
    base = sum(grosses, ZERO)
    shares, given = [], ZERO
    for i, gross in enumerate(grosses):
        if i == len(grosses) - 1:
            share = unassigned - given
        else:
            share = (unassigned * gross / base).quantize(CENT) if base else ZERO
        given += share
        shares.append(share)
    return shares


def _charge_net(charge: ChargeLine, taxes_included: bool) -> Decimal:
    return charge.amount - charge.discount - (charge.tax_total if taxes_included else ZERO)


def order_date(order: Order) -> date:
    when = order.created_at or order.updated_at
    return when.date() if isinstance(when, datetime) else date.today()


def conversion_rate(order: Order, defaults: ErpDefaults) -> Decimal:
    if (order.currency or defaults.company_currency) == defaults.company_currency:
        return Decimal(1)
    if order.exchange_rate and order.exchange_rate > 0:
        return order.exchange_rate
    raise MappingError(
        f"order {order.number or order.external_id}: currency {order.currency} differs from the company currency "
        f"{defaults.company_currency} and the store sent no exchange rate (rates are never fetched online)"
    )


def item_code_for_line(line: OrderLine, item_codes: Mapping[str, str], order: Order) -> str:
    keys = [line.variant_id and f"variant:{line.variant_id}", line.sku, line.product_id and f"product:{line.product_id}"]
    code = lookup_code(item_codes, [k for k in keys if k])
    if not code:
        raise MappingError(
            f"order {order.number or order.external_id}: unknown SKU {line.sku!r} ({line.title}); "
            "create or map the Item, then retry the job"
        )
    return code


def sales_order_document(order: Order, defaults: ErpDefaults, item_codes: Mapping[str, str], customer: str, *,
                         billing_address: str | None = None, shipping_address: str | None = None,
                         contact: str | None = None) -> dict:  # fmt: skip
    """A Sales Order whose grand total equals ``order.total`` (see the module docstring)."""
    rate_conv = conversion_rate(order, defaults)
    plc_rate = _price_list_conversion(order, defaults, rate_conv)
    when = order_date(order)
    items: list[dict] = []
    discount = sum((d.amount for d in order.discounts), ZERO)
    shares = _included_tax_shares(order)
    for line, share in zip(order.lines, shares):
        gross = line.unit_price * line.quantity
        net_before_discount = gross - (line.tax_total + share if order.taxes_included else ZERO)
        rate, amount = _rate_for(net_before_discount, line.quantity)
        discount += (amount - net_before_discount) + line.discount
        row = {
            "item_code": item_code_for_line(line, item_codes, order),
            "item_name": (line.title or line.sku or "")[:140] or None,
            "qty": _f(line.quantity),
            "rate": _f(rate),
            "price_list_rate": _f(rate),
            "discount_percentage": 0,
            "uom": defaults.stock_uom,
            "conversion_factor": 1,
            "delivery_date": when.isoformat(),
        }
        if defaults.default_warehouse:
            row["warehouse"] = defaults.default_warehouse
        items.append({k: v for k, v in row.items() if v is not None})

    taxes: list[dict] = []
    for tax in order.all_tax_lines():
        taxes.append(_actual_row(defaults.account_for_tax(tax.title), tax.title or "Tax", tax.amount, defaults))

    for charge in order.shipping_lines:
        net = _charge_net(charge, order.taxes_included)
        if defaults.shipping_item:
            items.append({
                "item_code": defaults.shipping_item, "item_name": (charge.title or "Shipping")[:140], "qty": 1.0,
                "rate": _f(net), "price_list_rate": _f(net), "discount_percentage": 0, "uom": defaults.stock_uom,
                "conversion_factor": 1, "delivery_date": when.isoformat(),
            })  # fmt: skip
        elif net:
            account = defaults.shipping_account
            if not account:
                raise MappingError("the store has shipping but neither a shipping item nor a shipping account is set")
            taxes.append(_actual_row(account, f"Shipping: {charge.title}" if charge.title else "Shipping", net, defaults))
    for charge in order.fee_lines:
        net = _charge_net(charge, order.taxes_included)
        if not net:
            continue
        account = defaults.fee_account or defaults.shipping_account
        if not account:
            raise MappingError("the order has fee lines but no fee or shipping account is set")
        taxes.append(_actual_row(account, f"Fee: {charge.title}" if charge.title else "Fee", net, defaults))

    doc: dict[str, Any] = {
        "doctype": "Sales Order",
        "company": defaults.company,
        "customer": customer,
        "order_type": "Sales",
        "transaction_date": when.isoformat(),
        "delivery_date": when.isoformat(),
        "po_no": (order.number or order.external_id)[:140],
        "currency": order.currency or defaults.company_currency,
        "conversion_rate": _f(rate_conv),
        "selling_price_list": defaults.price_list,
        "price_list_currency": defaults.currency,
        "plc_conversion_rate": _f(plc_rate),
        "ignore_pricing_rule": 1,
        "disable_rounded_total": 1,
        "apply_discount_on": "Net Total",
        "additional_discount_percentage": 0,
        "discount_amount": _f(discount),
        "items": items,
        "taxes": taxes,
    }
    optional = {
        "naming_series": defaults.order_naming_series,
        "set_warehouse": defaults.default_warehouse,
        "cost_center": defaults.cost_center,
        "customer_address": billing_address,
        "shipping_address_name": shipping_address or billing_address,
        "contact_person": contact,
    }
    doc.update({k: v for k, v in optional.items() if v})
    return doc


def _price_list_conversion(order: Order, defaults: ErpDefaults, rate_conv: Decimal) -> Decimal:
    if defaults.currency == defaults.company_currency:
        return Decimal(1)
    if defaults.currency == (order.currency or defaults.company_currency):
        return rate_conv
    raise MappingError(
        f"price list {defaults.price_list} is in {defaults.currency}, neither the order currency {order.currency} "
        f"nor the company currency {defaults.company_currency}; use a price list in one of them"
    )


def _actual_row(account: str, description: str, amount: Decimal, defaults: ErpDefaults) -> dict:
    row = {
        "charge_type": "Actual",
        "account_head": account,
        "description": description[:140],
        "tax_amount": _f(amount),
        "included_in_print_rate": 0,
    }
    if defaults.cost_center:
        row["cost_center"] = defaults.cost_center
    return row


def expected_grand_total(doc: Mapping[str, Any]) -> Decimal:
    """ERPNext's grand total for a document made of rated rows, one discount on Net Total and Actual rows.

    ``calculate_item_values``: amount = flt(rate*qty, 2); ``calculate_net_total``: total = sum(amount);
    ``apply_discount_amount`` (Net Total): net_total = total - discount_amount (rounding loss on the
    last row); ``calculate_taxes``: each Actual row adds exactly its tax_amount (divisional loss on the
    last row); ``calculate_totals``: grand_total = last tax row's total, or net_total; no rounding adjustment
    because ``disable_rounded_total`` is set and no tax is included in the print rate.
    """
    total = ZERO
    for row in doc.get("items") or []:
        total += (_d(row.get("rate")) * _d(row.get("qty"))).quantize(CENT, rounding=ROUND_HALF_UP)
    discount = _d(doc.get("discount_amount")) if total else ZERO
    net_total = (total - discount).quantize(CENT, rounding=ROUND_HALF_UP)
    grand = net_total
    for row in doc.get("taxes") or []:
        if row.get("charge_type") != "Actual" or row.get("included_in_print_rate"):
            raise ValueError(f"expected_grand_total only models Actual, non-inclusive rows, got {row!r}")
        grand += _d(row.get("tax_amount")).quantize(CENT, rounding=ROUND_HALF_UP)
    return grand


# ================================================================ stock


@dataclass
class StockRow:
    """One Stock Reconciliation line: set ``item_code`` in ``warehouse`` to ``qty``."""

    item_code: str
    warehouse: str
    qty: Decimal
    valuation_rate: Decimal | None = None  # the Item's / Bin's current valuation
    standard_rate: Decimal | None = None  # Item.standard_rate
    price: Decimal | None = None  # selling price, the last resort


def valuation_for(row: StockRow) -> Decimal:
    for candidate in (row.valuation_rate, row.standard_rate, row.price):
        if candidate is not None and candidate > 0:
            return candidate
    raise MappingError(
        f"item {row.item_code}: no valuation rate, standard rate or price to value the stock at; "
        "set one on the Item, then retry"
    )


def stock_reconciliation_document(rows: Sequence[StockRow], defaults: ErpDefaults, *,
                                  posting_date: date | None = None) -> dict:  # fmt: skip
    if not rows:
        raise ValueError("a Stock Reconciliation needs at least one row")
    doc: dict[str, Any] = {
        "doctype": "Stock Reconciliation",
        "company": defaults.company,
        "purpose": "Stock Reconciliation",
        "items": [
            {"item_code": r.item_code, "warehouse": r.warehouse, "qty": _f(r.qty), "valuation_rate": _f(valuation_for(r))}
            for r in rows
        ],
    }
    if posting_date:
        doc["posting_date"] = posting_date.isoformat()
        doc["set_posting_time"] = 1
    if defaults.cost_center:
        doc["cost_center"] = defaults.cost_center
    return doc


# ================================================================ refunds
#
# A store refund -> a Credit Note (return Sales Invoice against the order's invoice), equal to the refund
# to the cent. The rule (README "Refunds"):
#   goods     each refunded line's share of the line's net amount (after its discount, before tax), at the
#             invoice's rate for its quantity; the rounding excess goes into ``discount_amount`` as on orders;
#   shipping  ``Refund.shipping`` (before tax): the shipping item at that rate, else an Actual row on the
#             shipping account;
#   tax       ``Refund.tax`` when the store gives it, else the order's taxes in proportion of the refunded
#             net to the order's net (a full refund gets every tax exactly); shared over the invoice's tax
#             rows in proportion to their amounts, the last row taking the remainder;
#   goodwill  what is left of the amount (an amount with no lines, or a restocking fee kept back) is one
#             Actual row "Store refund adjustment" on the fee account (else the shipping account).
# A credit note with no goods keeps one row at quantity 0: ERPNext's validate_returned_items accepts a row
# with an item name and no quantity, and the Actual rows carry the value.


@dataclass
class RefundSplit:
    goods: list[tuple[str, Decimal, Decimal]]  # (item code, qty, net amount)
    shipping: Decimal
    tax: Decimal
    adjustment: Decimal
    amount: Decimal

    @property
    def goods_net(self) -> Decimal:
        return sum((net for _, _, net in self.goods), ZERO)


def _line_net(line: OrderLine, share: Decimal, taxes_included: bool) -> Decimal:
    gross = line.unit_price * line.quantity - line.discount
    return gross - (line.tax_total + share if taxes_included else ZERO)


def _order_net(order: Order) -> Decimal:
    shares = _included_tax_shares(order)
    goods = sum((_line_net(ln, s, order.taxes_included) for ln, s in zip(order.lines, shares)), ZERO)
    goods -= sum((dc.amount for dc in order.discounts), ZERO)
    return goods + sum((_charge_net(c, order.taxes_included) for c in order.shipping_lines), ZERO)


def refund_split(order: Order, refund: Refund, item_codes: Mapping[str, str]) -> RefundSplit:
    """What a store refund gives back, split into goods per item, shipping, tax and a goodwill remainder."""
    shares = _included_tax_shares(order)
    nets = [_line_net(ln, s, order.taxes_included) for ln, s in zip(order.lines, shares)]
    if order.discounts and nets:  # an order-level discount, shared over the lines by their net
        order_discount = sum((dc.amount for dc in order.discounts), ZERO)
        nets = [n - part for n, part in zip(nets, _share_out(order_discount, nets))]
    goods: list[tuple[str, Decimal, Decimal]] = []
    line_taxes: list[Decimal] = []
    for ref, qty in refund.lines:
        found = next(((ln, n) for ln, n in zip(order.lines, nets) if ref in (ln.external_id, ln.sku)), None)
        if found is None:
            raise MappingError(f"order {order.number or order.external_id}: refund {refund.external_id} names line "
                               f"{ref!r}, which is not on the order")  # fmt: skip
        line, line_net = found
        if qty <= 0 or qty > line.quantity:
            raise MappingError(f"order {order.number or order.external_id}: refund {refund.external_id} takes back "
                               f"{qty} of {line.title!r}, the order has {line.quantity}")  # fmt: skip
        net = (line_net * qty / line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        goods.append((item_code_for_line(line, item_codes, order), qty, net))
        line_taxes.append((line.tax_total * qty / line.quantity).quantize(CENT, rounding=ROUND_HALF_UP))
    goods_net = sum((net for _, _, net in goods), ZERO)
    tax = refund.tax if refund.tax is not None else _estimated_tax(order, refund, goods_net, line_taxes)
    adjustment = refund.amount - goods_net - refund.shipping - tax
    return RefundSplit(goods, refund.shipping, tax, adjustment, refund.amount)


def _estimated_tax(order: Order, refund: Refund, goods_net: Decimal, line_taxes: list[Decimal]) -> Decimal:
    """The tax a refund gives back when the store does not say: each line's own tax for its units, the
    shipping's tax for the part of the shipping refunded, order-level taxes in proportion of the net."""
    ship_net = sum((_charge_net(c, order.taxes_included) for c in order.shipping_lines), ZERO)
    ship_tax = sum((c.tax_total for c in order.shipping_lines), ZERO)
    tax = sum(line_taxes, ZERO)
    if ship_net and refund.shipping:
        tax += ship_tax if refund.shipping >= ship_net else (ship_tax * refund.shipping / ship_net).quantize(CENT)
    order_tax = sum((t.amount for t in order.order_taxes), ZERO)
    base = _order_net(order)
    refunded = goods_net + refund.shipping
    if order_tax and base:
        tax += order_tax if refunded >= base else (order_tax * refunded / base).quantize(CENT)
    return tax


def _share_out(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights`` (equally when they are all zero), the last taking the rest."""
    base = sum(weights, ZERO)
    out, given = [], ZERO
    for i, w in enumerate(weights):
        part = total - given if i == len(weights) - 1 else (
            (total * w / base).quantize(CENT) if base else (total / len(weights)).quantize(CENT))
        given += part
        out.append(part)
    return out


def credit_note_document(return_doc: Mapping[str, Any], split: RefundSplit, defaults: ErpDefaults) -> dict:
    """Shape a full return of the invoice (ERPNext's ``make_sales_return`` as a dict) into the refund's credit note.

    Its grand total is ``-split.amount`` to the cent (checked with ``expected_grand_total``)."""
    doc = {k: v for k, v in return_doc.items() if k not in ("items", "taxes")}
    items, shipping_left = [], split.shipping
    wanted: dict[str, Decimal] = {}
    for code, qty, _ in split.goods:
        wanted[code] = wanted.get(code, ZERO) + qty
    for row in return_doc.get("items") or []:
        row = dict(row)
        code = row.get("item_code")
        if defaults.shipping_item and code == defaults.shipping_item and shipping_left > 0:
            row.update(qty=-1.0, stock_qty=-1.0, rate=_f(shipping_left), price_list_rate=_f(shipping_left))
            shipping_left = ZERO
            items.append(row)
            continue
        take = min(wanted.get(code, ZERO), abs(_d(row.get("qty"))))
        if take > 0:
            wanted[code] -= take
            row.update(qty=_f(-take), stock_qty=_f(-take * _d(row.get("conversion_factor") or 1)))
            items.append(row)
    missing = {code: qty for code, qty in wanted.items() if qty > 0}
    if missing:
        raise MappingError(f"the invoice has no (or not enough) {', '.join(missing)} left to credit")
    if not items:  # value-only credit note: one row, no quantity (see the rule above)
        first = dict((return_doc.get("items") or [{}])[0])
        first.update(qty=0.0, stock_qty=0.0)
        items.append(first)
    total = sum(((_d(r.get("rate")) * _d(r.get("qty"))).quantize(CENT, rounding=ROUND_HALF_UP) for r in items), ZERO)
    shipping_in_items = split.shipping - shipping_left
    credited_net = split.goods_net + shipping_in_items
    doc["discount_amount"] = _f(total + credited_net) if total else 0.0  # total is negative: -(excess)
    doc["additional_discount_percentage"] = 0
    doc["apply_discount_on"] = "Net Total"
    doc["items"] = items
    doc["taxes"] = _credit_taxes(return_doc.get("taxes") or [], split, shipping_left, defaults)
    expected = expected_grand_total(doc)
    if expected != -split.amount:
        raise MappingError(f"credit note would total {expected}, the store refunded {split.amount}")
    return doc


def _credit_taxes(rows: Sequence[Mapping[str, Any]], split: RefundSplit, shipping: Decimal,
                  defaults: ErpDefaults) -> list[dict]:  # fmt: skip
    """The invoice's Actual rows (negated by make_sales_return) re-valued for the refund; zero rows dropped."""
    shipping_accounts = {defaults.shipping_account} - {None}
    fee_accounts = {defaults.fee_account, defaults.shipping_account} - {None}
    tax_rows = [dict(r) for r in rows if not _is_charge_row(r, shipping_accounts, fee_accounts)]
    ship_rows = [dict(r) for r in rows if r.get("account_head") in shipping_accounts
                 and str(r.get("description") or "").startswith("Shipping")]  # fmt: skip
    out: list[dict] = []
    if split.tax:
        if not tax_rows:
            tax_rows = [_actual_row(defaults.tax_account, "Tax", ZERO, defaults)]
        for row, part in zip(tax_rows, _share_out(split.tax, [abs(_d(r.get("tax_amount"))) for r in tax_rows])):
            out.append(row | {"tax_amount": _f(-part)})
    if shipping:
        if ship_rows:
            out.append(ship_rows[0] | {"tax_amount": _f(-shipping)})
        elif defaults.shipping_account:
            out.append(_actual_row(defaults.shipping_account, "Shipping", -shipping, defaults))
        else:
            raise MappingError("the refund gives back shipping but neither a shipping item nor a shipping account is set")
    if split.adjustment:
        account = defaults.fee_account or defaults.shipping_account
        if not account:
            raise MappingError(f"the refund holds {split.adjustment} beyond its lines, shipping and tax (goodwill); "
                               "set a fee or shipping account for it")  # fmt: skip
        out.append(_actual_row(account, "Store refund adjustment", -split.adjustment, defaults))
    return [r for r in out if _d(r.get("tax_amount"))]


def _is_charge_row(row: Mapping[str, Any], shipping_accounts: set, fee_accounts: set) -> bool:
    text = str(row.get("description") or "")
    return (row.get("account_head") in shipping_accounts and text.startswith("Shipping")) or \
        (row.get("account_head") in fee_accounts and text.startswith("Fee"))


def full_return_of(invoice: Mapping[str, Any]) -> dict:
    """A fresh invoice's full return as ERPNext's make_return_doc makes it: every row's quantity, the Actual
    rows and the additional discount negated, ``is_return`` set (used by the preview and the pure tests)."""
    order_only = {"order_type", "transaction_date", "delivery_date"}  # a Sales Order's fields, not an invoice's
    ret = {k: v for k, v in invoice.items() if k not in order_only}
    ret.update(doctype="Sales Invoice", is_return=1, discount_amount=_f(-_d(invoice.get("discount_amount"))))
    ret["items"] = [{**{k: v for k, v in row.items() if k not in order_only}, "qty": -row["qty"], "stock_qty": -row["qty"]}
                    for row in invoice.get("items") or []]  # fmt: skip
    ret["taxes"] = [{**row, "tax_amount": -row["tax_amount"]} for row in invoice.get("taxes") or []]
    return ret


def refund_documents(order: Order, refund: Refund, defaults: ErpDefaults, item_codes: Mapping[str, str],
                     invoice: Mapping[str, Any], shipped: Mapping[str, Decimal] | None = None) -> list[dict]:  # fmt: skip
    """The documents a store refund makes against ``invoice`` (the order's, as a dict): its Credit Note with its
    ``grand_total``, and a return Delivery Note for restocked units that were shipped (``shipped``: units shipped
    per item code; None: all of them)."""
    out: list[dict] = []
    if refund.amount:
        split = refund_split(order, refund, item_codes)
        credit = credit_note_document(full_return_of(invoice), split, defaults)
        credit.update(doctype="Sales Invoice", is_return=1, grand_total=_f(expected_grand_total(credit)),
                      commerce_refund_id=refund.external_id)  # fmt: skip
        out.append(credit)
    rows = []
    for code, qty, net in refund_split(order, replace(refund, amount=ZERO), item_codes).goods if refund.restock else []:
        back = qty if shipped is None else min(qty, shipped.get(code, ZERO))
        if back > 0:
            rows.append({"item_code": code, "qty": _f(-back), "rate": _f((net / qty).quantize(CENT)),
                         "warehouse": defaults.default_warehouse})  # fmt: skip
    if rows:
        out.append({"doctype": "Delivery Note", "is_return": 1, "customer": invoice.get("customer"),
                    "company": defaults.company, "commerce_refund_id": refund.external_id, "items": rows})  # fmt: skip
    return out


# ================================================================ order edits


def order_edit_items(current: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, Any]]) -> list[dict] | None:
    """``trans_items`` for ERPNext's update_child_qty_rate turning the Sales Order's rows ``current`` into the
    edited order's ``wanted`` rows (``sales_order_document`` items), or None when they already agree.

    A wanted row takes the first unused current row of its item (``docname``), else it is added; a current row
    no wanted row takes is left out, which removes it."""
    def key(row: Mapping[str, Any]) -> tuple[str, Decimal, Decimal]:
        return str(row.get("item_code")), _d(row.get("qty")), _d(row.get("rate"))

    if sorted(map(key, current)) == sorted(map(key, wanted)):
        return None
    free = list(current)
    out: list[dict] = []
    for row in wanted:
        match = next((c for c in free if c.get("item_code") == row.get("item_code")), None)
        if match is not None:
            free.remove(match)
        item = {"item_code": row["item_code"], "qty": row["qty"], "rate": row["rate"], "conversion_factor": 1,
                "uom": row.get("uom"), "delivery_date": row.get("delivery_date")}  # fmt: skip
        if match is not None:
            item["docname"] = match.get("name")
            item["delivery_date"] = str(match.get("delivery_date") or row.get("delivery_date") or "") or None
        out.append({k: v for k, v in item.items() if v is not None})
    return out


def describe_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    """Order rows as a reader sees them: ``2 x LAMP-1 at 12.50; 1 x VASE at 7.00``."""
    return "; ".join(f"{_d(r.get('qty')).normalize():f} x {r.get('item_code')} at {_d(r.get('rate')):.2f}" for r in rows) or "no lines"
