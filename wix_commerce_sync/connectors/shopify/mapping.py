"""Shopify JSON <-> canonical models.

Two input shapes reach the core: webhook bodies in Shopify's REST JSON (snake_case,
numeric ids, ``*_set`` money bags) and GraphQL nodes (camelCase, GIDs). GraphQL nodes are
first rewritten into the REST shape (``rest_order_from_graphql`` and friends), so one
mapping (``order_from_rest`` ...) serves both and both agree by construction.

Ids: the connector stores Shopify's **numeric id as a decimal string** everywhere
(``"820982911946154508"``), taken from REST ``id`` or from the tail of a GraphQL GID, and
rebuilds GIDs (``gid("Order", id)``) when it writes. JSON is parsed with ints kept as
Python ints, so ids beyond 2**53 stay exact.

Money: always the shop currency (``*_set.shop_money`` / ``shopMoney``); the presentment
currency only yields ``Order.exchange_rate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from wix_commerce_sync.sync.models import (
    ZERO,
    Address,
    ChargeLine,
    Customer,
    Discount,
    Entity,
    FinancialStatus,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderLine,
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

DEFAULT_OPTION = ("Title", "Default Title")
UNITEMISED_CODE = "shopify:unitemised"
ADJUSTMENT_CODE = "shopify:adjustment"
_GID = re.compile(r"^gid://shopify/(?P<type>[A-Za-z]+)/(?P<id>\d+)")


# ---------------------------------------------------------------- ids


def numeric_id(value: Any) -> str | None:
    """``gid://shopify/Order/123`` / ``123`` / ``"123"`` -> ``"123"`` (exact, never via float)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        m = _GID.match(value)
        if m:
            return m.group("id")
        if value.isdigit():
            return value
        raise ValueError(f"not a Shopify id: {value!r}")
    return ext_id(value)


def gid(resource: str, value: Any) -> str:
    if isinstance(value, str) and value.startswith("gid://"):
        return value
    return f"gid://shopify/{resource}/{numeric_id(value)}"


# ---------------------------------------------------------------- money helpers


def shop_amount(obj: dict[str, Any] | None, set_key: str, plain_key: str | None = None) -> Decimal:
    """Amount in shop currency from a REST ``*_set`` bag, falling back to the plain field."""
    bag = (obj or {}).get(set_key)
    if isinstance(bag, dict):
        shop = bag.get("shop_money") or {}
        if shop.get("amount") is not None:
            return money(shop["amount"])
    if plain_key and obj and obj.get(plain_key) is not None:
        return money(obj[plain_key])
    return ZERO


def presentment_amount(obj: dict[str, Any] | None, set_key: str) -> Decimal | None:
    bag = (obj or {}).get(set_key)
    if isinstance(bag, dict) and (bag.get("presentment_money") or {}).get("amount") is not None:
        return money(bag["presentment_money"]["amount"])
    return None


def _tax_lines(items: Iterable[dict[str, Any]] | None) -> list[TaxLine]:
    taxes = []
    for t in items or []:
        amount = shop_amount(t, "price_set", "price")
        rate = money(t["rate"]) if t.get("rate") not in (None, "") else None
        taxes.append(TaxLine(title=t.get("title") or "Tax", amount=amount, rate=rate))
    return taxes


def _allocations(items: Iterable[dict[str, Any]] | None) -> Decimal:
    return sum((shop_amount(a, "amount_set", "amount") for a in items or []), ZERO)


# ---------------------------------------------------------------- addresses & customers


def address_from_rest(data: dict[str, Any] | None, kind: str = "Billing") -> Address | None:
    if not data:
        return None
    return Address(
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        company=data.get("company"),
        line1=data.get("address1"),
        line2=data.get("address2"),
        city=data.get("city"),
        state=data.get("province"),
        postcode=data.get("zip"),
        country=data.get("country") or data.get("country_name"),
        country_code=data.get("country_code"),
        phone=data.get("phone"),
        kind=kind,
    )


def customer_from_rest(data: dict[str, Any]) -> Customer:
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError("a Shopify customer needs an 'id'")
    addresses = [a for a in (address_from_rest(x) for x in data.get("addresses") or []) if a]
    default = address_from_rest(data.get("default_address"))
    if default and not any(_same_address(default, a) for a in addresses):
        addresses.insert(0, default)
    return Customer(
        external_id=numeric_id(data["id"]),
        email=data.get("email"),
        first_name=data.get("first_name"),
        last_name=data.get("last_name"),
        phone=data.get("phone"),
        company=default.company if default else None,
        addresses=addresses,
        updated_at=utc(data.get("updated_at")),
        raw=data,
    )


def _same_address(a: Address, b: Address) -> bool:
    return (a.line1, a.city, a.postcode, a.country_code) == (b.line1, b.city, b.postcode, b.country_code)


# ---------------------------------------------------------------- products


def product_from_rest(data: dict[str, Any]) -> Product:
    if not isinstance(data, dict) or "id" not in data or "variants" not in data:
        raise ValueError("a Shopify product needs 'id' and 'variants'")
    option_names = [o.get("name") for o in data.get("options") or [] if o.get("name")]
    variants_raw = data.get("variants") or []
    single_default = len(variants_raw) == 1 and (
        variants_raw[0].get("title") == DEFAULT_OPTION[1]
        or variants_raw[0].get("option1") == DEFAULT_OPTION[1]
    )
    if single_default or option_names == [DEFAULT_OPTION[0]]:
        option_names = []  # Shopify's "Default Title" single variant = a product without options
    variants = [_variant_from_rest(v, option_names) for v in variants_raw]
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    return Product(
        external_id=numeric_id(data["id"]),
        title=data.get("title") or "",
        description=data.get("body_html"),
        handle=data.get("handle"),
        vendor=data.get("vendor"),
        product_type=data.get("product_type"),
        status=(data.get("status") or "active").lower(),
        option_names=option_names,
        variants=variants,
        tags=list(tags),
        updated_at=utc(data.get("updated_at")),
        raw=data,
    )


def _variant_from_rest(v: dict[str, Any], option_names: list[str]) -> Variant:
    options = {}
    for index, name in enumerate(option_names[:3], start=1):
        value = v.get(f"option{index}")
        if value is not None:
            options[name] = value
    quantity = v.get("inventory_quantity")
    return Variant(
        external_id=numeric_id(v.get("id")),
        sku=v.get("sku") or None,
        price=money(v.get("price")),
        compare_at_price=money(v["compare_at_price"]) if v.get("compare_at_price") not in (None, "") else None,
        options=options,
        barcode=v.get("barcode") or None,
        weight=money(v["weight"]) if v.get("weight") not in (None, "") else None,
        weight_unit=v.get("weight_unit"),
        inventory_item_id=numeric_id(v.get("inventory_item_id")),
        title=v.get("title"),
        inventory_quantity=Decimal(quantity) if isinstance(quantity, int) else None,
        manage_stock=v.get("inventory_management", "shopify") is not None,
        updated_at=utc(v.get("updated_at")),
    )


def stock_from_rest(data: dict[str, Any]) -> StockLevel:
    if not isinstance(data, dict) or "inventory_item_id" not in data or "available" not in data:
        raise ValueError("a Shopify inventory level needs 'inventory_item_id' and 'available'")
    available = data["available"]
    return StockLevel(
        sku=data.get("sku"),
        quantity=Decimal(0) if available is None else money(available),
        location_id=numeric_id(data.get("location_id")),
        inventory_item_id=numeric_id(data["inventory_item_id"]),
        updated_at=utc(data.get("updated_at")),
    )


# ---------------------------------------------------------------- orders


def store_status_word(data: dict[str, Any]) -> str:
    """The status word of the Shopify StatusMap defaults."""
    financial = (data.get("financial_status") or "").lower()
    fulfilment = (data.get("fulfillment_status") or "").lower()
    if data.get("cancelled_at"):
        return "cancelled"
    if financial == "refunded":
        return "refunded"
    if fulfilment == "fulfilled":
        return "fulfilled"
    if fulfilment in ("partial", "partially_fulfilled"):
        return "partially_fulfilled"
    if financial == "pending":
        return "pending"
    return "open"


def _financial(value: str | None) -> FinancialStatus | None:
    try:
        return FinancialStatus((value or "").lower()) if value else None
    except ValueError:
        return None


def _fulfilment(value: str | None) -> FulfilmentStatus:
    value = (value or "").lower()
    if value == "fulfilled":
        return FulfilmentStatus.FULFILLED
    if value in ("partial", "partially_fulfilled"):
        return FulfilmentStatus.PARTIAL
    return FulfilmentStatus.UNFULFILLED


def order_from_rest(data: dict[str, Any], status_map: StatusMap | None = None) -> Order:
    """Order semantics of models.Order: parts add up to the store's total (see _reconcile)."""
    if not isinstance(data, dict) or "id" not in data or not isinstance(data.get("line_items"), list):
        raise ValueError("a Shopify order needs 'id' and a 'line_items' list")
    status_map = status_map or StatusMap.default(Platform.SHOPIFY)
    refunded = _refunded_quantities(data)
    lines = [line for line in (_order_line(li, refunded) for li in data["line_items"]) if line.quantity]  # 0: removed by an edit
    shipping = [_shipping_line(s) for s in data.get("shipping_lines") or [] if not s.get("is_removed")]
    word = store_status_word(data)
    total = shop_amount(data, "total_price_set", "total_price")
    order = Order(
        external_id=numeric_id(data["id"]),
        number=data.get("name") or (str(data["order_number"]) if data.get("order_number") is not None else None),
        currency=data.get("currency") or _set_currency(data, "total_price_set") or "",
        created_at=utc(data.get("created_at")),
        updated_at=utc(data.get("updated_at")),
        lines=lines,
        shipping_lines=shipping,
        taxes_included=bool(data.get("taxes_included")),
        total=total,
        customer=customer_from_rest(data["customer"]) if isinstance(data.get("customer"), dict) and data["customer"].get("id") is not None else None,
        billing_address=address_from_rest(data.get("billing_address"), "Billing"),
        shipping_address=address_from_rest(data.get("shipping_address"), "Shipping"),
        email=data.get("email") or data.get("contact_email"),
        store_status=word,
        status=status_map.to_erp(word),
        financial_status=_financial(data.get("financial_status")),
        fulfilment_status=_fulfilment(data.get("fulfillment_status")),
        cancelled_at=utc(data.get("cancelled_at")),
        note=data.get("note"),
        raw=data,
    )
    order.fee_lines = _fee_lines(data)
    order.order_taxes = _order_level_taxes(data, order)
    order.discounts = _order_level_discounts(data, order)
    presentment_total = presentment_amount(data, "total_price_set")
    presentment_currency = data.get("presentment_currency")
    if presentment_currency and presentment_currency != order.currency and presentment_total:
        order.exchange_rate = (total / presentment_total).quantize(Decimal("0.000001"))
    order.refunds = [_refund(r, order.external_id, order.currency, _shop_per_presentment(total, presentment_total))
                     for r in data.get("refunds") or []]
    order.fulfilments = [_fulfilment_record(f, order.external_id) for f in data.get("fulfillments") or []]
    _reconcile(data, order)
    return order


def _set_currency(data: dict[str, Any], key: str) -> str | None:
    bag = data.get(key) or {}
    return ((bag.get("shop_money") or {}).get("currency_code")) if isinstance(bag, dict) else None


def _refunded_quantities(data: dict[str, Any]) -> dict[str, int]:
    if data.get("refunded_quantities") is not None:
        return data["refunded_quantities"]
    refunded: dict[str, int] = {}
    for refund in data.get("refunds") or []:
        for row in refund.get("refund_line_items") or []:
            line = numeric_id(row.get("line_item_id") or (row.get("line_item") or {}).get("id")) or ""
            refunded[line] = refunded.get(line, 0) + int(row.get("quantity") or 0)
    return refunded


def _ordered_quantity(li: dict[str, Any], refunded: dict[str, int]) -> Decimal:
    """``quantity`` includes units removed by order edits (they will never ship); ``current_quantity``
    excludes removed and refunded units. The ERPNext order keeps refunded units (its credit notes take
    them back), so its quantity is current + refunded."""
    if li.get("current_quantity") is None:
        return money(li.get("quantity"))
    kept = int(li["current_quantity"]) + refunded.get(numeric_id(li.get("id")) or "", 0)
    return Decimal(min(kept, int(li.get("quantity") or kept)))


def _order_line(li: dict[str, Any], refunded: dict[str, int] | None = None) -> OrderLine:
    allocated = _allocations(li.get("discount_allocations"))
    if not li.get("discount_allocations"):
        allocated = shop_amount(li, "total_discount_set", "total_discount")
    return OrderLine(
        external_id=numeric_id(li.get("id")),
        sku=li.get("sku") or None,
        title=li.get("title") or li.get("name") or "",
        quantity=_ordered_quantity(li, refunded or {}),
        unit_price=shop_amount(li, "price_set", "price"),
        discount=allocated,
        taxes=_tax_lines(li.get("tax_lines")),
        product_id=numeric_id(li.get("product_id")),
        variant_id=numeric_id(li.get("variant_id")),
    )


def _shipping_line(s: dict[str, Any]) -> ChargeLine:
    return ChargeLine(
        title=s.get("title") or "Shipping",
        amount=shop_amount(s, "price_set", "price"),
        discount=_allocations(s.get("discount_allocations")),
        taxes=_tax_lines(s.get("tax_lines")),
        code=s.get("code"),
    )


def _fee_lines(data: dict[str, Any]) -> list[ChargeLine]:
    """Duties and additional fees are charged on top of lines and shipping."""
    fees = []
    duties = shop_amount(data, "original_total_duties_set")
    if duties and not data.get("duties_included"):
        fees.append(ChargeLine(title="Duties", amount=duties, code="shopify:duties"))
    extra = shop_amount(data, "original_total_additional_fees_set")
    if extra:
        fees.append(ChargeLine(title="Additional fees", amount=extra, code="shopify:additional_fees"))
    return fees


def _order_level_taxes(data: dict[str, Any], order: Order) -> list[TaxLine]:
    """Order ``tax_lines`` aggregate every tax; keep only what lines and shipping don't carry."""
    carried: dict[str, Decimal] = {}
    for tax in [t for li in order.lines for t in li.taxes] + [t for s in order.shipping_lines for t in s.taxes]:
        carried[tax.title] = carried.get(tax.title, ZERO) + tax.amount
    leftover = []
    for tax in _tax_lines(data.get("tax_lines")):
        rest = tax.amount - carried.pop(tax.title, ZERO)
        if rest:
            leftover.append(TaxLine(title=tax.title, amount=rest, rate=tax.rate))
    total_tax = shop_amount(data, "total_tax_set", "total_tax")
    accounted = sum((t.amount for t in order.all_tax_lines()), ZERO) + sum((t.amount for t in leftover), ZERO)
    if data.get("total_tax_set") is not None or data.get("total_tax") is not None:
        residual = total_tax - accounted
        if residual:
            leftover.append(TaxLine(title="Tax", amount=residual))
    return leftover


def _order_level_discounts(data: dict[str, Any], order: Order) -> list[Discount]:
    """``total_discounts`` minus what is allocated to lines and shipping = order-level discount."""
    allocated = sum((li.discount for li in order.lines), ZERO) + sum((s.discount for s in order.shipping_lines), ZERO)
    total = shop_amount(data, "total_discounts_set", "total_discounts")
    rest = total - allocated
    if rest <= 0:
        return []
    codes = [c.get("code") for c in data.get("discount_codes") or [] if c.get("code")]
    return [Discount(code=", ".join(codes) or None, amount=rest)]


def _reconcile(data: dict[str, Any], order: Order) -> None:
    """Make any gap between the parts and Shopify's total visible as an explicit charge line.

    A real order always adds up. Payloads that arrive truncated (Shopify's own
    ``orders/create`` sample lists one 89.99 line while ``total_line_items_price`` is
    414.95) get an "Unitemised line items" charge for the missing goods, and any other
    residual an "Adjustment" line, so the ERP document totals what the customer paid
    and the gap is visible rather than hidden.
    """
    declared = data.get("total_line_items_price_set") or data.get("total_line_items_price")
    if declared is not None:
        declared_amount = shop_amount(data, "total_line_items_price_set", "total_line_items_price")
        itemised = sum((li.unit_price * li.quantity for li in order.lines), ZERO)
        if cents(declared_amount - itemised):
            order.fee_lines.append(
                ChargeLine(title="Unitemised line items", amount=cents(declared_amount - itemised), code=UNITEMISED_CODE)
            )
    residual = order.total - order.computed_total()
    if residual:
        order.fee_lines.append(ChargeLine(title="Adjustment", amount=residual, code=ADJUSTMENT_CODE))


def _shop_per_presentment(total: Decimal, presentment_total: Decimal | None) -> Decimal | None:
    return total / presentment_total if presentment_total else None


def _transaction_shop_amount(t: dict[str, Any], currency: str, rate: Decimal | None) -> Decimal:
    """REST transaction ``amount`` is in the transaction's (presentment) currency: shop money is
    ``amount_set.shop_money`` where sent, else the amount converted at the order's rate."""
    if (t.get("amount_set") or {}).get("shop_money"):
        return shop_amount(t, "amount_set")
    amount = money(t.get("amount"))
    if t.get("currency") and currency and t["currency"] != currency:
        if rate is None:
            raise ValueError(f"refund in {t['currency']} on a {currency} order without an exchange rate")
        return cents(amount * rate)
    return amount


def _refund(data: dict[str, Any], order_id: str, currency: str, rate: Decimal | None = None) -> Refund:
    transactions = [t for t in data.get("transactions") or [] if (t.get("kind") or "refund") == "refund"
                    and (t.get("status") or "success") == "success"]
    if transactions:
        amount = sum((_transaction_shop_amount(t, currency, rate) for t in transactions), ZERO)
    elif data.get("total_refunded_set") is not None:
        amount = shop_amount(data, "total_refunded_set")
    else:
        amount = sum(
            (shop_amount(r, "subtotal_set", "subtotal") + shop_amount(r, "total_tax_set", "total_tax")
             for r in data.get("refund_line_items") or []),
            ZERO,
        )
    lines = []
    restock = False
    for r in data.get("refund_line_items") or []:
        item = r.get("line_item") or {}
        lines.append((item.get("sku") or numeric_id(r.get("line_item_id")) or "", money(r.get("quantity"))))
        restock = restock or (r.get("restock_type") or "no_restock").lower() not in ("no_restock", "")
    shipping, tax = _refund_shipping_and_tax(data)
    return Refund(
        external_id=numeric_id(data.get("id")),
        order_id=order_id,
        amount=amount,
        currency=currency,
        reason=data.get("note"),
        lines=lines,
        created_at=utc(data.get("created_at")),
        restock=restock,
        shipping=shipping,
        tax=tax,
        money_returned=bool(transactions) or amount > ZERO,
        erp_document=(ERP_NOTE.search(data.get("note") or "") or [None, None])[1],
    )


ERP_NOTE = re.compile(r"\[ERPNext ([^\]]+)\]")


def refund_note(refund: Refund) -> str:
    """The refund's note on Shopify, naming the ERPNext document it comes from: its echo is then known."""
    text = refund.reason or "Refund recorded from ERPNext"
    return f"{text} [ERPNext {refund.external_id}]" if refund.external_id else text


def _refund_shipping_and_tax(data: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    """Shipping refunded (``refund_shipping_lines``, or the older ``order_adjustments`` of kind shipping_refund)
    and the tax refunded, when every part states its tax (else None: shared out in proportion)."""
    shipping, tax, known = ZERO, ZERO, True
    for s in data.get("refund_shipping_lines") or []:
        shipping += shop_amount(s, "subtotal_amount_set")
        tax += shop_amount(s, "tax_amount_set") if s.get("tax_amount_set") else ZERO
    for adj in data.get("order_adjustments") or []:
        if (adj.get("kind") or "") == "shipping_refund":
            shipping += abs(shop_amount(adj, "amount_set", "amount"))
            tax += abs(shop_amount(adj, "tax_amount_set", "tax_amount"))
    for r in data.get("refund_line_items") or []:
        if r.get("total_tax_set") is None and r.get("total_tax") is None:
            known = False
        else:
            tax += shop_amount(r, "total_tax_set", "total_tax")
    return shipping, (tax if known else None)


def _fulfilment_record(data: dict[str, Any], order_id: str) -> Fulfilment:
    return Fulfilment(
        order_id=order_id,
        lines=[(numeric_id(li.get("id")) or li.get("sku") or "", money(li.get("quantity"))) for li in data.get("line_items") or []],
        tracking_number=data.get("tracking_number"),
        tracking_company=data.get("tracking_company"),
        tracking_url=data.get("tracking_url"),
        location_id=numeric_id(data.get("location_id")),
        external_id=numeric_id(data.get("id")),
        created_at=utc(data.get("created_at")),
    )


def refund_from_rest(data: dict[str, Any], currency: str | None = None) -> Refund:
    if not isinstance(data, dict) or "order_id" not in data:
        raise ValueError("a Shopify refund needs 'order_id'")
    return _refund(data, numeric_id(data["order_id"]) or "", currency or "")


# ---------------------------------------------------------------- GraphQL -> REST shape


def rest_refund_details(r: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL Refund's lines and shipping lines in the REST refund's shape."""
    return {
        "refund_line_items": [
            {"line_item_id": numeric_id((x.get("lineItem") or {}).get("id")), "quantity": x.get("quantity"),
             "restock_type": (x.get("restockType") or "NO_RESTOCK").lower(),
             "line_item": {"id": numeric_id((x.get("lineItem") or {}).get("id")), "sku": (x.get("lineItem") or {}).get("sku")},
             "subtotal_set": _bag(x.get("subtotalSet")), "total_tax_set": _bag(x.get("totalTaxSet"))}
            for x in _nodes(r.get("refundLineItems"))
        ],
        "refund_shipping_lines": [
            {"subtotal_amount_set": _bag(s.get("subtotalAmountSet")), "tax_amount_set": _bag(s.get("taxAmountSet"))}
            for s in _nodes(r.get("refundShippingLines"))
        ],
    }


def _bag(node: dict[str, Any] | None) -> dict[str, Any] | None:
    """GraphQL MoneyBag -> REST ``*_set``."""
    if not node:
        return None
    out = {}
    for src, dst in (("shopMoney", "shop_money"), ("presentmentMoney", "presentment_money")):
        if node.get(src):
            out[dst] = {"amount": node[src].get("amount"), "currency_code": node[src].get("currencyCode")}
    return out


def _nodes(conn: Any) -> list[dict[str, Any]]:
    if conn is None:
        return []
    if isinstance(conn, list):
        return conn
    if "nodes" in conn:
        return conn["nodes"] or []
    return [e["node"] for e in conn.get("edges") or []]


def rest_address_from_graphql(a: dict[str, Any] | None) -> dict[str, Any] | None:
    if not a:
        return None
    return {
        "first_name": a.get("firstName"),
        "last_name": a.get("lastName"),
        "company": a.get("company"),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "province": a.get("province"),
        "zip": a.get("zip"),
        "country": a.get("country"),
        "country_code": a.get("countryCodeV2") or a.get("countryCode"),
        "phone": a.get("phone"),
    }


def rest_customer_from_graphql(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": numeric_id(c.get("legacyResourceId") or c.get("id")),
        "email": (c.get("defaultEmailAddress") or {}).get("emailAddress"),
        "first_name": c.get("firstName"),
        "last_name": c.get("lastName"),
        "phone": (c.get("defaultPhoneNumber") or {}).get("phoneNumber"),
        "updated_at": c.get("updatedAt"),
        "default_address": rest_address_from_graphql(c.get("defaultAddress")),
        "addresses": [rest_address_from_graphql(a) for a in _nodes(c.get("addressesV2"))],
    }


_FINANCIAL = {"EXPIRED": "voided"}
_FULFILMENT = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}


def rest_order_from_graphql(o: dict[str, Any]) -> dict[str, Any]:
    """An Order node (connector's selection) in the REST/webhook shape."""

    def tax_lines(items: Any) -> list[dict[str, Any]]:
        return [{"title": t.get("title"), "rate": t.get("rate"), "price_set": _bag(t.get("priceSet"))} for t in items or []]

    def allocations(items: Any) -> list[dict[str, Any]]:
        return [{"amount_set": _bag(a.get("allocatedAmountSet"))} for a in items or []]

    financial = o.get("displayFinancialStatus")
    return {
        "id": numeric_id(o.get("legacyResourceId") or o.get("id")),
        "name": o.get("name"),
        "email": o.get("email"),
        "created_at": o.get("createdAt"),
        "updated_at": o.get("updatedAt"),
        "cancelled_at": o.get("cancelledAt"),
        "note": o.get("note"),
        "currency": o.get("currencyCode"),
        "presentment_currency": o.get("presentmentCurrencyCode"),
        "taxes_included": bool(o.get("taxesIncluded")),
        "financial_status": _FINANCIAL.get(financial, (financial or "").lower() or None),
        "fulfillment_status": _FULFILMENT.get(o.get("displayFulfillmentStatus") or ""),
        "total_price_set": _bag(o.get("totalPriceSet")),
        "total_tax_set": _bag(o.get("totalTaxSet")),
        "total_discounts_set": _bag(o.get("totalDiscountsSet")),
        "discount_codes": [{"code": c} for c in o.get("discountCodes") or []],
        "tax_lines": tax_lines(o.get("taxLines")),
        "customer": rest_customer_from_graphql(o["customer"]) if o.get("customer") else None,
        "billing_address": rest_address_from_graphql(o.get("billingAddress")),
        "shipping_address": rest_address_from_graphql(o.get("shippingAddress")),
        "line_items": [
            {
                "id": numeric_id(li.get("id")),
                "sku": li.get("sku"),
                "title": li.get("title") or li.get("name"),
                "quantity": li.get("quantity"),
                "current_quantity": li.get("currentQuantity"),
                "price_set": _bag(li.get("originalUnitPriceSet")),
                "discount_allocations": allocations(li.get("discountAllocations")),
                "tax_lines": tax_lines(li.get("taxLines")),
                "product_id": numeric_id((li.get("product") or {}).get("id")),
                "variant_id": numeric_id((li.get("variant") or {}).get("id")),
            }
            for li in _nodes(o.get("lineItems"))
        ],
        "shipping_lines": [
            {
                "title": s.get("title"),
                "code": s.get("code"),
                "is_removed": s.get("isRemoved", False),
                "price_set": _bag(s.get("originalPriceSet")),
                "discount_allocations": allocations(s.get("discountAllocations")),
                "tax_lines": tax_lines(s.get("taxLines")),
            }
            for s in _nodes(o.get("shippingLines"))
        ],
        "refunds": [
            {"id": numeric_id(r.get("id")), "created_at": r.get("createdAt"), "note": r.get("note"),
             "total_refunded_set": _bag(r.get("totalRefundedSet"))}
            for r in o.get("refunds") or []
        ],
        "fulfillments": [
            {
                "id": numeric_id(f.get("id")),
                "created_at": f.get("createdAt"),
                "tracking_number": ((f.get("trackingInfo") or [{}])[0] or {}).get("number") if f.get("trackingInfo") else None,
                "tracking_company": ((f.get("trackingInfo") or [{}])[0] or {}).get("company") if f.get("trackingInfo") else None,
                "tracking_url": ((f.get("trackingInfo") or [{}])[0] or {}).get("url") if f.get("trackingInfo") else None,
            }
            for f in o.get("fulfillments") or []
        ],
    }


def rest_product_from_graphql(p: dict[str, Any], variants: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    option_names = [o.get("name") for o in p.get("options") or []]
    rest_variants = []
    for v in variants if variants is not None else _nodes(p.get("variants")):
        selected = {s.get("name"): s.get("value") for s in v.get("selectedOptions") or []}
        row = {
            "id": numeric_id(v.get("id")),
            "sku": v.get("sku"),
            "title": v.get("title"),
            "price": v.get("price"),
            "compare_at_price": v.get("compareAtPrice"),
            "barcode": v.get("barcode"),
            "inventory_item_id": numeric_id((v.get("inventoryItem") or {}).get("id")),
            "inventory_quantity": v.get("inventoryQuantity"),
            # InventoryItem.tracked: "Whether inventory levels are tracked for the item" (REST: inventory_management)
            "inventory_management": "shopify" if (v.get("inventoryItem") or {}).get("tracked", True) else None,
            "updated_at": v.get("updatedAt"),
        }
        for index, name in enumerate(option_names[:3], start=1):
            row[f"option{index}"] = selected.get(name)
        rest_variants.append(row)
    return {
        "id": numeric_id(p.get("legacyResourceId") or p.get("id")),
        "title": p.get("title"),
        "body_html": p.get("descriptionHtml"),
        "handle": p.get("handle"),
        "vendor": p.get("vendor"),
        "product_type": p.get("productType"),
        "status": (p.get("status") or "ACTIVE").lower(),
        "tags": p.get("tags") or [],
        "updated_at": p.get("updatedAt"),
        "options": [{"name": o.get("name"), "values": o.get("values") or []} for o in p.get("options") or []],
        "variants": rest_variants,
    }


# ---------------------------------------------------------------- canonical -> GraphQL input


def product_set_input(product: Product) -> dict[str, Any]:
    """``ProductSetInput`` with the FULL variant list (productSet deletes omitted variants)."""
    options = product.option_names if product.has_variants else [DEFAULT_OPTION[0]]
    values: dict[str, list[str]] = {name: [] for name in options}
    variants = []
    for v in product.variants or [Variant(external_id=None, sku=None)]:
        chosen = v.options if product.has_variants else {DEFAULT_OPTION[0]: DEFAULT_OPTION[1]}
        for name in options:
            value = chosen.get(name)
            if value is None:
                raise ValueError(f"variant {v.sku!r} has no value for option {name!r}")
            if value not in values[name]:
                values[name].append(value)
        row: dict[str, Any] = {
            "optionValues": [{"optionName": name, "name": chosen[name]} for name in options],
            "price": str(v.price),
            "inventoryItem": {"sku": v.sku, "tracked": v.manage_stock},
        }
        if v.external_id:
            row["id"] = gid("ProductVariant", v.external_id)
        if v.compare_at_price is not None:
            row["compareAtPrice"] = str(v.compare_at_price)
        if v.barcode:
            row["barcode"] = v.barcode
        variants.append(row)
    data: dict[str, Any] = {
        "title": product.title,
        "status": (product.status or "active").upper(),
        "productOptions": [{"name": name, "values": [{"name": x} for x in values[name]]} for name in options],
        "variants": variants,
    }
    for key, value in (("handle", product.handle), ("vendor", product.vendor), ("productType", product.product_type),
                       ("descriptionHtml", product.description)):
        if value is not None:
            data[key] = value
    if product.tags:
        data["tags"] = product.tags
    return data


def address_input(a: Address) -> dict[str, Any]:
    data = {
        "firstName": a.first_name, "lastName": a.last_name, "company": a.company, "address1": a.line1,
        "address2": a.line2, "city": a.city, "province": a.state, "zip": a.postcode,
        "countryCode": a.country_code, "phone": a.phone,
    }
    return {k: v for k, v in data.items() if v is not None}


def customer_set_input(customer: Customer) -> dict[str, Any]:
    """customerSet replaces list fields: addresses are sent only when we have some, so a
    record without addresses never wipes the ones the store holds."""
    data: dict[str, Any] = {}
    addresses = [address_input(a) for a in customer.addresses if not a.is_empty()]
    if addresses:
        data["addresses"] = addresses
    for key, value in (("email", customer.email), ("firstName", customer.first_name),
                       ("lastName", customer.last_name), ("phone", customer.phone)):
        if value is not None:
            data[key] = value
    return data


# ---------------------------------------------------------------- preview / CLI entry point


def parse_payload(entity: Entity, data: dict, status_map: StatusMap | None = None) -> list:
    """Shopify REST/webhook JSON -> canonical records (the CLI ``preview`` command).

    Accepts one object or the REST list envelope (``{"orders": [...]}``, ``{"product": {...}}``).
    """
    entity = Entity(entity)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    singular, plural = {
        Entity.ORDERS: ("order", "orders"),
        Entity.ITEMS: ("product", "products"),
        Entity.CUSTOMERS: ("customer", "customers"),
        Entity.STOCK: ("inventory_level", "inventory_levels"),
    }[entity]
    if isinstance(data.get(plural), list):
        records = data[plural]
    elif isinstance(data.get(singular), dict):
        records = [data[singular]]
    else:
        records = [data]
    mapper = {
        Entity.ORDERS: lambda r: order_from_rest(r, status_map),
        Entity.ITEMS: product_from_rest,
        Entity.CUSTOMERS: customer_from_rest,
        Entity.STOCK: stock_from_rest,
    }[entity]
    out = []
    for index, record in enumerate(records):
        try:
            out.append(mapper(record))
        except ValueError as exc:
            raise ValueError(f"Shopify {entity.value} record {index}: {exc}") from exc
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"Shopify {entity.value} record {index} is malformed: {exc!r}") from exc
    return out
