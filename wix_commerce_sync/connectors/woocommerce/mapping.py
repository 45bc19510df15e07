"""WooCommerce REST v3 JSON <-> canonical models.

Facts relied on (platform-apis.md section 2):
- money fields are strings ("10.00"); ``line_items[].price`` may be a JSON number;
- ``*_gmt`` twins carry UTC; the plain ``date_*`` fields are site-local without offset;
- line ``subtotal`` is before discounts, ``total`` after, both EXCLUDING tax even when
  ``prices_include_tax`` is true (tax sits in ``subtotal_tax`` / ``total_tax``);
- coupon discounts are already spread over the lines (``subtotal - total``);
- ``customer_id`` 0 means a guest order.

Order semantics (models.Order): unit_price before discount, gross when taxes are
included; line discount = what the coupons took off that line; charges likewise.
WooCommerce rounds the order total from unrounded parts, so the REST figures (2 dp)
can miss the total by a cent: a per-rate tax residual goes to ``order_taxes`` and
any remaining cent-level gap to a "Rounding" fee line, so ``computed_total()``
always equals the store's ``total`` for a consistent order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from wix_commerce_sync.sync.models import (
    CENT,
    ZERO,
    Address,
    ChargeLine,
    Customer,
    Entity,
    FinancialStatus,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Platform,
    Product,
    Refund,
    StockLevel,
    TaxLine,
    Variant,
    cents,
    ext_id,
    money,
    utc,
)
from wix_commerce_sync.sync.status_map import StatusMap

ROUNDING_CODE = "rounding"
_ADDRESS_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company",
    "line1": "address_1",
    "line2": "address_2",
    "city": "city",
    "state": "state",
    "postcode": "postcode",
    "country_code": "country",
    "phone": "phone",
    "email": "email",
}
# WooCommerce post status <-> canonical product status
_PRODUCT_STATUS_IN = {"publish": "active", "draft": "draft", "pending": "draft", "private": "archived", "trash": "archived"}
_PRODUCT_STATUS_OUT = {"active": "publish", "draft": "draft", "archived": "private"}


# ---------------------------------------------------------------- small helpers


def text(value: Any) -> str | None:
    """Blank fields come back as null or ""; both mean 'no value'."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def gmt_time(data: dict[str, Any], field: str) -> datetime | None:
    """Prefer the UTC twin; the plain field is site-local time (only a fallback)."""
    return utc(data.get(f"{field}_gmt") or data.get(field))


def wc_money(value: Decimal | None) -> str:
    """Money as WooCommerce writes it: a string with 2 decimals."""
    return str(cents(value if value is not None else ZERO))


def wc_gmt(value: datetime) -> str:
    """UTC time in the ``*_gmt`` format (no offset)."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S")


def _require(data: Any, keys: Iterable[str], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"WooCommerce {what} must be a JSON object, got {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"WooCommerce {what} is missing field(s): {', '.join(missing)}")
    return data


# ---------------------------------------------------------------- addresses and customers


def address_from_wc(data: dict[str, Any] | None, kind: str) -> Address | None:
    if not data:
        return None
    address = Address(kind=kind, **{ours: text(data.get(theirs)) for ours, theirs in _ADDRESS_FIELDS.items()})
    if address.is_empty() and not address.full_name and not address.email:
        return None
    return address


def address_to_wc(address: Address | None, *, with_contact: bool = True) -> dict[str, str]:
    if address is None:
        return {}
    out = {theirs: getattr(address, ours) or "" for ours, theirs in _ADDRESS_FIELDS.items()}
    if not with_contact:  # WooCommerce shipping addresses carry no email (and phone only in newer versions)
        out.pop("email", None)
    return out


def customer_from_wc(data: dict[str, Any]) -> Customer:
    _require(data, ("id", "email"), "customer")
    billing = address_from_wc(data.get("billing"), "Billing")
    shipping = address_from_wc(data.get("shipping"), "Shipping")
    return Customer(
        external_id=ext_id(data.get("id")),
        email=text(data.get("email")) or (billing.email if billing else None),
        first_name=text(data.get("first_name")) or (billing.first_name if billing else None),
        last_name=text(data.get("last_name")) or (billing.last_name if billing else None),
        phone=billing.phone if billing else None,
        company=billing.company if billing else None,
        addresses=[a for a in (billing, shipping) if a is not None],
        updated_at=gmt_time(data, "date_modified") or gmt_time(data, "date_created"),
        raw=data,
    )


def customer_to_wc(customer: Customer) -> dict[str, Any]:
    # only what the ERP knows: an absent field must not blank the store's value
    out: dict[str, Any] = {
        k: v for k, v in (("email", customer.email), ("first_name", customer.first_name),
                          ("last_name", customer.last_name)) if v is not None
    }
    billing = next((a for a in customer.addresses if a.kind == "Billing"), None)
    shipping = next((a for a in customer.addresses if a.kind == "Shipping"), None)
    if billing is not None or customer.phone or customer.company:
        wc_billing = address_to_wc(billing or Address())
        wc_billing["email"] = wc_billing.get("email") or customer.email or ""
        wc_billing["phone"] = wc_billing.get("phone") or customer.phone or ""
        wc_billing["company"] = wc_billing.get("company") or customer.company or ""
        out["billing"] = wc_billing
    if shipping is not None:
        out["shipping"] = address_to_wc(shipping, with_contact=False)
    if customer.external_id:
        out["id"] = int(customer.external_id)
    return out


# ---------------------------------------------------------------- products


def _prices(data: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    """(selling price, compare-at price): a sale price sells only while the sale runs.

    WooCommerce's ``on_sale`` is false while ``date_on_sale_from`` is ahead or ``date_on_sale_to`` is past
    (WC_Product::is_on_sale), and ``price`` is the active price; a scheduled or expired sale price is not current.
    """
    regular = text(data.get("regular_price"))
    sale = text(data.get("sale_price"))
    if "on_sale" in data and data.get("on_sale") is not True:
        return money(regular or data.get("price")), None
    if sale is not None and regular is not None and money(sale) < money(regular):
        return money(sale), money(regular)
    return money(regular or data.get("price")), None


def variant_from_wc(data: dict[str, Any], *, product_id: str | None = None) -> Variant:
    """A variation, or the single variant of a simple product (variant id = product id)."""
    price, compare_at = _prices(data)
    quantity = data.get("stock_quantity")
    manage = data.get("manage_stock")
    return Variant(
        external_id=ext_id(data.get("id")),
        sku=text(data.get("sku")),
        price=price,
        compare_at_price=compare_at,
        options={a.get("name") or "": a.get("option") or "" for a in data.get("attributes") or [] if "option" in a},
        weight=money(data["weight"]) if text(data.get("weight")) else None,
        title=text(data.get("name")),
        inventory_quantity=money(quantity) if quantity is not None else None,
        manage_stock=manage is True,  # "parent" means the parent manages it
        updated_at=gmt_time(data, "date_modified"),
    )


def product_from_wc(data: dict[str, Any], variations: list[dict[str, Any]] | None = None) -> Product:
    """Simple product -> one variant (id = product id); variable -> its variations."""
    _require(data, ("id", "name"), "product")
    product_type = data.get("type") or "simple"
    if product_type == "variation":
        return _variation_as_product(data)
    option_names = [a.get("name") for a in data.get("attributes") or [] if a.get("variation")]
    if product_type == "variable":
        variants = [variant_from_wc(v) for v in variations or [] if isinstance(v, dict)]
    else:
        variants = [variant_from_wc(data)]
        option_names = []
    return Product(
        external_id=ext_id(data.get("id")),
        title=text(data.get("name")) or "",
        description=text(data.get("description")),
        handle=text(data.get("slug")),
        product_type=product_type,
        status=_PRODUCT_STATUS_IN.get(data.get("status") or "publish", "active"),
        option_names=[n for n in option_names if n],
        variants=variants,
        tags=[t.get("name") for t in data.get("tags") or [] if isinstance(t, dict) and t.get("name")],
        updated_at=gmt_time(data, "date_modified"),
        raw=data,
    )


def _variation_as_product(data: dict[str, Any]) -> Product:
    """``GET /products/{variation id}`` (and product webhooks for variations) return type "variation".

    It becomes a partial product: the parent's id with this one variant only.
    """
    variant = variant_from_wc(data)
    return Product(
        external_id=ext_id(data.get("parent_id")) or variant.external_id,
        title=text(data.get("name")) or "",
        product_type="variation",
        status=_PRODUCT_STATUS_IN.get(data.get("status") or "publish", "active"),
        option_names=list(variant.options),
        variants=[variant],
        updated_at=gmt_time(data, "date_modified"),
        raw=data,
    )


def _price_fields(variant: Variant) -> dict[str, str]:
    if variant.compare_at_price is not None and variant.compare_at_price > variant.price:
        return {"regular_price": wc_money(variant.compare_at_price), "sale_price": wc_money(variant.price)}
    return {"regular_price": wc_money(variant.price), "sale_price": ""}


_OWN_TYPES = ("simple", "variable")  # the only product types this app builds; others are left as they are


def _attribute_key(name: str | None) -> str:
    """How WooCommerce matches attribute names (sanitize_title), ignoring the global ``pa_`` prefix."""
    key = "-".join((name or "").strip().lower().split())
    return key[3:] if key.startswith("pa_") else key


def merged_attributes(product: Product, current: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The full attribute list to send: WooCommerce replaces the list whole (set_attributes).

    The store's attributes are kept as they are (global ones by ``id``, visibility, non-variation ones); only the
    options of the variation attributes this product carries are set, and missing ones are added as custom.
    """
    ours = {_attribute_key(name): name for name in product.option_names}
    out: list[dict[str, Any]] = []
    for row in current or []:
        key = _attribute_key(row.get("name"))
        kept = {k: row[k] for k in ("id", "name", "position", "visible", "variation", "options") if k in row}
        if not kept.get("id"):
            kept.pop("id", None)  # custom attribute: by name
        else:
            kept.pop("name", None)  # global attribute: by taxonomy id (a name would make it custom)
        if key in ours:
            kept["variation"] = True
            kept["options"] = _options(product, ours.pop(key))
        out.append(kept)
    for position, name in enumerate(ours.values(), start=len(out)):
        out.append({"name": name, "position": position, "visible": True, "variation": True,
                    "options": _options(product, name)})
    return out


def _options(product: Product, name: str) -> list[str]:
    return sorted({v.options.get(name, "") for v in product.variants if v.options.get(name)})


def product_to_wc(product: Product, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Payload of the product itself (a variable product's variations go separately).

    ``current`` is the store's product (``type``, ``attributes``) for an update: its attributes are kept and a type
    this app does not build (external, grouped, subscriptions ...) is never sent, so it is not converted.
    """
    out: dict[str, Any] = {
        "name": product.title,
        "status": _PRODUCT_STATUS_OUT.get(product.status, "publish"),
    }
    if product.description is not None:
        out["description"] = product.description
    if product.handle:
        out["slug"] = product.handle
    if product.tags:
        out["tags"] = [{"name": t} for t in product.tags]
    store_type = (current or {}).get("type")
    if product.has_variants:
        out["type"] = "variable"
        out["attributes"] = merged_attributes(product, (current or {}).get("attributes"))
    else:
        out["type"] = "simple"
        variant = product.variants[0] if product.variants else Variant(external_id=None, sku=None)
        out.update(_variant_common(variant))
    if store_type and store_type not in _OWN_TYPES:
        del out["type"]
    if product.external_id:
        out["id"] = int(product.external_id)
    return out


def _variant_common(variant: Variant) -> dict[str, Any]:
    out: dict[str, Any] = {**_price_fields(variant)}
    if variant.sku is not None:
        out["sku"] = variant.sku
    if variant.weight is not None:
        out["weight"] = str(variant.weight)
    return out


def stock_fields_on_create(variant: Variant) -> dict[str, Any]:
    """A new simple product or variation of a stock item is made stock-managed: left unmanaged, WooCommerce sells
    it without limit ("instock") until the app's stock push. No quantity is sent (PROD3/VAR3 set one only when
    managed): the product shows out of stock until the push gives it ERPNext's. An update leaves the store's flag."""
    return {"manage_stock": True} if variant.manage_stock else {}


def global_attribute_ids(attributes: list[dict[str, Any]] | None) -> dict[str, int]:
    """Attribute key -> taxonomy id of the product's global (``pa_*``) attributes."""
    return {_attribute_key(a.get("name")): int(a["id"]) for a in attributes or [] if isinstance(a, dict) and a.get("id")}


def variation_to_wc(variant: Variant, option_names: list[str], global_ids: dict[str, int] | None = None) -> dict[str, Any]:
    """A variation; its attributes go by taxonomy ``id`` for the parent's global attributes (VAR3 matches a
    name only against custom attributes and silently skips the rest)."""
    out = _variant_common(variant)
    out["attributes"] = []
    for name in option_names:
        attribute_id = (global_ids or {}).get(_attribute_key(name))
        ref: dict[str, Any] = {"id": attribute_id} if attribute_id else {"name": name}
        out["attributes"].append({**ref, "option": variant.options.get(name, "")})
    if variant.external_id:
        out["id"] = int(variant.external_id)
    return out


def stock_levels_from_wc(data: dict[str, Any]) -> list[StockLevel]:
    """Stock rows of a product/variation JSON: one number per simple product or variation.

    A variable parent without its own stock yields nothing (its variations carry the stock).
    """
    _require(data, ("id",), "product")
    if data.get("type") == "variable" and data.get("manage_stock") is not True:
        return []
    if data.get("manage_stock") is not True or data.get("stock_quantity") is None:
        return []
    is_variation = data.get("type") == "variation" or bool(data.get("parent_id")) and data.get("type") != "simple"
    product_id = ext_id(data.get("parent_id")) if is_variation else ext_id(data.get("id"))
    return [
        StockLevel(
            sku=text(data.get("sku")),
            quantity=money(data.get("stock_quantity")),
            variant_id=ext_id(data.get("id")),
            product_id=product_id,
            updated_at=gmt_time(data, "date_modified"),
        )
    ]


# ---------------------------------------------------------------- orders


class _TaxBook:
    """Tax rates of an order (``tax_lines``) and what the lines/charges already carry per rate."""

    def __init__(self, tax_lines: list[dict[str, Any]]) -> None:
        self.rates = {line.get("rate_id"): line for line in tax_lines if isinstance(line, dict)}
        self.carried: dict[Any, Decimal] = {}

    def tax(self, rate_id: Any, amount: Decimal) -> TaxLine:
        rate = self.rates.get(rate_id) or {}
        self.carried[rate_id] = self.carried.get(rate_id, ZERO) + amount
        percent = rate.get("rate_percent")
        return TaxLine(
            title=text(rate.get("label")) or text(rate.get("rate_code")) or f"Tax {rate_id}",
            amount=amount,
            rate=money(percent) / 100 if percent not in (None, "") else None,
            code=text(rate.get("rate_code")),
        )

    def taxes_of(self, item: dict[str, Any]) -> list[TaxLine]:
        """The item's taxes after discounts (``taxes[].total``), one per rate."""
        taxes = [self.tax(t.get("id"), money(t.get("total"))) for t in item.get("taxes") or [] if isinstance(t, dict)]
        taxes = [t for t in taxes if t.amount != ZERO]
        if not taxes and money(item.get("total_tax")) != ZERO:  # no per-rate split given
            taxes = [self.tax(None, money(item.get("total_tax")))]
        return taxes

    def residuals(self) -> list[TaxLine]:
        """Per rate: the order's tax figure minus what lines/charges carry (rounding at order level)."""
        out = []
        for rate_id, rate in self.rates.items():
            expected = money(rate.get("tax_total")) + money(rate.get("shipping_tax_total"))
            gap = expected - self.carried.get(rate_id, ZERO)
            if gap != ZERO:
                line = self.tax(rate_id, gap)
                out.append(line)
        return out


def _order_line(item: dict[str, Any], book: _TaxBook, taxes_included: bool) -> OrderLine:
    quantity = money(item.get("quantity"))
    before, after = money(item.get("subtotal")), money(item.get("total"))
    if taxes_included:  # WooCommerce's subtotal/total are net even then: add the line's tax back
        before += money(item.get("subtotal_tax"))
        after += money(item.get("total_tax"))
    unit_price = before / quantity if quantity else ZERO
    variation_id = item.get("variation_id") or None
    return OrderLine(
        external_id=ext_id(item.get("id")),
        sku=text(item.get("sku")),
        title=text(item.get("name")) or text(item.get("sku")) or "Item",
        quantity=quantity,
        unit_price=unit_price,
        discount=(unit_price * quantity) - after,
        taxes=book.taxes_of(item),
        product_id=ext_id(item.get("product_id") or None),
        variant_id=ext_id(variation_id) if variation_id else ext_id(item.get("product_id") or None),
    )


def _charge(item: dict[str, Any], title: str, code: str | None, book: _TaxBook, taxes_included: bool) -> ChargeLine:
    taxes = book.taxes_of(item)
    amount = money(item.get("total"))
    if taxes_included:
        amount += money(item.get("total_tax"))
    return ChargeLine(title=title, amount=amount, taxes=taxes, code=code)


def _financial_status(data: dict[str, Any]) -> FinancialStatus:
    status = data.get("status")
    refunded = sum((abs(money(r.get("total"))) for r in data.get("refunds") or [] if isinstance(r, dict)), ZERO)
    if status == "refunded":
        return FinancialStatus.REFUNDED
    if refunded > ZERO:
        return FinancialStatus.PARTIALLY_REFUNDED if refunded < money(data.get("total")) else FinancialStatus.REFUNDED
    if data.get("date_paid_gmt") or data.get("date_paid") or status in ("processing", "completed"):
        return FinancialStatus.PAID
    if status in ("cancelled", "failed"):
        return FinancialStatus.VOIDED
    return FinancialStatus.PENDING


def _order_customer(data: dict[str, Any], billing: Address | None, shipping: Address | None) -> Customer:
    """Registered customer (id) or guest (no id, contact from billing)."""
    customer_id = data.get("customer_id") or 0
    return Customer(
        external_id=ext_id(customer_id) if customer_id else None,
        email=(billing.email if billing else None),
        first_name=(billing.first_name if billing else None) or (shipping.first_name if shipping else None),
        last_name=(billing.last_name if billing else None) or (shipping.last_name if shipping else None),
        phone=billing.phone if billing else None,
        company=billing.company if billing else None,
        addresses=[a for a in (billing, shipping) if a is not None],
    )


def order_from_wc(data: dict[str, Any], status_map: StatusMap | None = None) -> Order:
    _require(data, ("id", "line_items", "total"), "order")
    if not isinstance(data["line_items"], list):
        raise ValueError("WooCommerce order field line_items must be a list")
    status_map = status_map or StatusMap.default(Platform.WOOCOMMERCE)
    included = bool(data.get("prices_include_tax"))
    book = _TaxBook(data.get("tax_lines") or [])
    order_id = ext_id(data.get("id")) or ""
    lines = [_order_line(item, book, included) for item in data["line_items"] if isinstance(item, dict)]
    shipping_lines = [
        _charge(s, text(s.get("method_title")) or "Shipping", text(s.get("method_id")), book, included)
        for s in data.get("shipping_lines") or []
    ]
    fee_lines = [_charge(f, text(f.get("name")) or "Fee", None, book, included) for f in data.get("fee_lines") or []]
    billing = address_from_wc(data.get("billing"), "Billing")
    shipping = address_from_wc(data.get("shipping"), "Shipping")
    store_status = text(data.get("status"))
    order = Order(
        external_id=order_id,
        number=text(data.get("number")) or order_id,
        currency=text(data.get("currency")) or "",
        created_at=gmt_time(data, "date_created"),
        updated_at=gmt_time(data, "date_modified") or gmt_time(data, "date_created"),
        lines=lines,
        shipping_lines=shipping_lines,
        fee_lines=fee_lines,
        order_taxes=book.residuals(),
        taxes_included=included,
        total=money(data.get("total")),
        customer=_order_customer(data, billing, shipping),
        billing_address=billing,
        shipping_address=shipping,
        email=billing.email if billing else None,
        store_status=store_status,
        status=status_map.to_erp(store_status),
        financial_status=_financial_status(data),
        fulfilment_status=FulfilmentStatus.FULFILLED if store_status == "completed" else FulfilmentStatus.UNFULFILLED,
        cancelled_at=gmt_time(data, "date_modified") if store_status == "cancelled" else None,
        note=text(data.get("customer_note")),
        payments=_payments(data),
        refunds=[_refund(order_id, r, data) for r in data.get("refunds") or [] if isinstance(r, dict)],
        raw=data,
    )
    _absorb_rounding(order)
    return order


def _absorb_rounding(order: Order) -> None:
    """WooCommerce totals unrounded parts; its 2-dp parts may miss the total by cents."""
    gap = order.total - order.computed_total()
    parts = len(order.lines) + len(order.shipping_lines) + len(order.fee_lines) + 1
    if gap != ZERO and abs(gap) <= CENT * parts:
        order.fee_lines.append(ChargeLine(title="Rounding", amount=gap, code=ROUNDING_CODE))


def _payments(data: dict[str, Any]) -> list[Payment]:
    paid_at = gmt_time(data, "date_paid")
    if paid_at is None:
        return []
    return [
        Payment(
            gateway=text(data.get("payment_method")),
            amount=money(data.get("total")),
            transaction_id=text(data.get("transaction_id")),
            paid_at=paid_at,
        )
    ]


def _refund(order_id: str, data: dict[str, Any], order: dict[str, Any]) -> Refund:
    """A refund with, when read from ``GET /orders/{id}/refunds``, its lines (wc_create_refund copies each
    refunded item with a negative quantity and its ``_refunded_item_id``), their tax and shipping."""
    items = data.get("line_items") or []
    shipping_rows = data.get("shipping_lines") or []
    skus = {str(li.get("id")): li.get("sku") for li in order.get("line_items") or []}
    lines = []
    for li in items:
        if money(li.get("quantity")):
            source = next((str(m.get("value")) for m in li.get("meta_data") or [] if m.get("key") == "_refunded_item_id"), None)
            lines.append((li.get("sku") or skus.get(source or "") or source or "", abs(money(li.get("quantity")))))
    detailed = "line_items" in data
    tax = sum((abs(money(li.get("total_tax"))) for li in items + shipping_rows), ZERO) if detailed else None
    return Refund(
        external_id=ext_id(data.get("id")),
        order_id=order_id,
        amount=abs(money(data.get("total") if "total" in data else data.get("amount"))),
        currency=text(order.get("currency")),
        reason=text(data.get("reason")),
        lines=lines,
        shipping=sum((abs(money(s.get("total"))) for s in shipping_rows), ZERO),
        tax=tax,
        money_returned=bool(data.get("refunded_payment", True)),
        erp_document=next((str(m.get("value")) for m in data.get("meta_data") or [] if m.get("key") == "_erp_refund_id"), None),
    )


def order_to_wc(order: Order, status_map: StatusMap | None = None,
                targets: dict[int, tuple[int, int | None]] | None = None) -> dict[str, Any]:
    """An ERP-made order for ``POST /orders`` (batch create). Totals are recalculated by the store.

    ``targets``: id(line) -> (product id, variation id) resolved on the store; a line with a target is sent by id
    only (WooCommerce reads a posted sku ahead of the ids).
    """
    status_map = status_map or StatusMap.default(Platform.WOOCOMMERCE)
    status = status_map.to_store(order.status) if order.status else None
    out: dict[str, Any] = {
        "status": status or "pending",
        "currency": order.currency,
        "customer_id": int(order.customer.external_id) if order.customer and order.customer.external_id else 0,
        "billing": address_to_wc(order.billing_address),
        "shipping": address_to_wc(order.shipping_address, with_contact=False),
        "line_items": [_line_to_wc(line, order.taxes_included, (targets or {}).get(id(line))) for line in order.lines],
        "shipping_lines": [
            {"method_id": c.code or "flat_rate", "method_title": c.title, "total": wc_money(_net(c.amount - c.discount, c, order))}
            for c in order.shipping_lines
        ],
        "fee_lines": [
            {"name": c.title, "total": wc_money(_net(c.amount - c.discount, c, order))} for c in order.fee_lines
        ],
        "set_paid": order.financial_status == FinancialStatus.PAID,
        "meta_data": [{"key": "_erp_order_id", "value": order.external_id}],
    }
    if order.email and not out["billing"].get("email"):
        out["billing"]["email"] = order.email
    if order.note:
        out["customer_note"] = order.note
    return out


def _net(gross: Decimal, charge: ChargeLine, order: Order) -> Decimal:
    return gross - charge.tax_total if order.taxes_included else gross


def _line_to_wc(line: OrderLine, taxes_included: bool, target: tuple[int, int | None] | None = None) -> dict[str, Any]:
    before = line.unit_price * line.quantity
    after = before - line.discount
    if taxes_included and after:
        net_share = (after - line.tax_total) / after  # WooCommerce line amounts are net
        before, after = before * net_share, after - line.tax_total
    out: dict[str, Any] = {"name": line.title, "quantity": int(line.quantity), "subtotal": wc_money(before),
                           "total": wc_money(after)}
    if target is None and line.product_id:
        variation = line.variant_id if line.variant_id and line.variant_id != line.product_id else None
        target = (int(line.product_id), int(variation) if variation else None)
    if target is not None:
        out["product_id"] = target[0]
        if target[1]:
            out["variation_id"] = target[1]
    elif line.sku:
        out["sku"] = line.sku
    return out


def store_status_for(status: OrderStatus, status_map: StatusMap | None = None) -> str | None:
    return (status_map or StatusMap.default(Platform.WOOCOMMERCE)).to_store(status)


def variation_ids(data: Any) -> list[int]:
    """A product's ``variations`` as WooCommerce sends them: ids (PROD2 ``get_children()``)."""
    if not isinstance(data, dict) or data.get("type") != "variable":
        return []
    return [int(v) for v in data.get("variations") or [] if isinstance(v, int) or (isinstance(v, str) and v.isdigit())]


# ---------------------------------------------------------------- preview entry point


def parse_payload(entity: Entity | str, data: Any, status_map: StatusMap | None = None) -> list:
    """Parse WooCommerce REST/webhook JSON (an object or a list of them) for one entity."""
    entity = Entity(entity)
    items = data if isinstance(data, list) else [data]
    if not items:
        return []
    out: list = []
    try:
        for item in items:
            if entity == Entity.ORDERS:
                out.append(order_from_wc(item, status_map))
            elif entity == Entity.ITEMS:
                embedded = item.get("variations") if isinstance(item, dict) else None
                variations = [v for v in embedded or [] if isinstance(v, dict)]
                out.append(product_from_wc(item, variations))
            elif entity == Entity.CUSTOMERS:
                out.append(customer_from_wc(item))
            else:
                out.extend(stock_levels_from_wc(item))
    except ValueError:
        raise
    except (TypeError, KeyError, AttributeError, ArithmeticError) as exc:
        raise ValueError(f"WooCommerce {entity.value} payload is malformed: {exc.__class__.__name__}: {exc}") from exc
    return out
