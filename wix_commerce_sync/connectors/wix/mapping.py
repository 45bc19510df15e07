"""Wix JSON <-> canonical models (pure: no HTTP, no frappe).

Shapes handled:
- eCom orders (``/ecom/v1/orders``): amounts are ``{"amount": "10.00"}`` strings;
- Stores catalog V3 products (prices are strings under ``variantsInfo.variants[].price``)
  and Read-Only Variants (``productData.productId``);
- Stores catalog V1 products (numbers under ``priceData``, ``productOptions`` + ``variants[].choices``);
- inventory items V3 (one per variant per location) and V1/v2 (one per product, ``variants[]``);
- Contacts v4.
"""

from __future__ import annotations

import json
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
    ext_id,
    money,
    utc,
)
from wix_commerce_sync.sync.status_map import StatusMap

V1_CATALOG = "V1_CATALOG"
V3_CATALOG = "V3_CATALOG"

PAYMENT_STATUS = {  # ORD PaymentStatusEnumPaymentStatus; UNSPECIFIED stays unknown (None)
    "NOT_PAID": FinancialStatus.PENDING,
    "PENDING": FinancialStatus.PENDING,
    "PENDING_MERCHANT": FinancialStatus.PENDING,
    "CANCELED": FinancialStatus.VOIDED,
    "DECLINED": FinancialStatus.VOIDED,
    "PARTIALLY_PAID": FinancialStatus.PARTIALLY_PAID,
    "PAID": FinancialStatus.PAID,
    "PARTIALLY_REFUNDED": FinancialStatus.PARTIALLY_REFUNDED,
    "FULLY_REFUNDED": FinancialStatus.REFUNDED,
}
FULFILMENT_STATUS = {
    "NOT_FULFILLED": FulfilmentStatus.UNFULFILLED,
    "PARTIALLY_FULFILLED": FulfilmentStatus.PARTIAL,
    "FULFILLED": FulfilmentStatus.FULFILLED,
}


# ---------------------------------------------------------------- small helpers


def amount(value: Any) -> Decimal:
    """Wix money: ``{"amount": "10.0"}`` (eCom, V3) or a bare number/string (V1)."""
    if isinstance(value, dict):
        value = value.get("amount")
    return money(value)


def maybe_json(value: Any) -> Any:
    """Wix nests JSON as strings (webhook ``data``, ``currentEntityAsJson``); parse when needed."""
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"expected JSON text, got {str(value)[:40]!r}") from exc
    return value


def dig(data: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return default
        data = data.get(key)
    return default if data is None else data


def money_text(value: Decimal | None) -> str | None:
    """V3 prices are strings; keep two decimals unless more are needed."""
    if value is None:
        return None
    text = format(value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value, "f")
    return text


def _num(value: Decimal | None) -> float | int | None:
    """V1 prices are JSON numbers."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "product"


# ---------------------------------------------------------------- orders


def store_status_word(order: dict[str, Any]) -> str:
    """Fold eCom status + payment + fulfilment into the status-map word."""
    status = (order.get("status") or "").upper()
    if status in ("CANCELED", "CANCELLED"):
        return "CANCELED"
    if status == "INITIALIZED":
        return "INITIALIZED"
    if (order.get("paymentStatus") or "").upper() == "FULLY_REFUNDED":
        return "FULLY_REFUNDED"
    fulfilment = (order.get("fulfillmentStatus") or "").upper()
    if fulfilment in ("FULFILLED", "PARTIALLY_FULFILLED"):
        return fulfilment
    return "APPROVED"


def _tax_line(title: str, charge: dict[str, Any]) -> list[TaxLine]:
    """Tax of a line, shipping or fee: ``taxInfo{taxAmount, taxRate}`` (current), else the deprecated
    ``taxDetails{totalTax, taxRate}`` (removal 2024-09-30 on lines, 2026-03-30 on shipping and fees)."""
    info, details = charge.get("taxInfo") or {}, charge.get("taxDetails") or {}
    if info.get("taxAmount") is not None:
        tax, rate = amount(info.get("taxAmount")), info.get("taxRate")
    elif details:
        tax, rate = amount(details.get("totalTax")), details.get("taxRate")
    else:
        return []
    if tax == ZERO:
        return []
    return [TaxLine(title=title, amount=tax, rate=money(rate) if rate not in (None, "") else None)]


def _address(info: dict[str, Any] | None, kind: str, email: str | None = None) -> Address | None:
    if not info:
        return None
    addr = info.get("address") or {}
    contact = info.get("contactDetails") or {}
    street = addr.get("streetAddress") or {}
    line1 = addr.get("addressLine") or addr.get("addressLine1") or " ".join(
        p for p in (street.get("number"), street.get("name")) if p
    ) or None
    result = Address(
        first_name=contact.get("firstName"),
        last_name=contact.get("lastName"),
        company=contact.get("company"),
        line1=line1,
        line2=addr.get("addressLine2"),
        city=addr.get("city"),
        state=addr.get("subdivisionFullname") or addr.get("subdivision"),
        postcode=addr.get("postalCode"),
        country=addr.get("countryFullname"),
        country_code=addr.get("country"),
        phone=contact.get("phone"),
        email=email,
        kind=kind,
    )
    return None if result.is_empty() and not result.full_name else result


def _order_line(item: dict[str, Any], taxes_included: bool) -> OrderLine:
    quantity = money(item.get("quantity") or 0)
    unit = amount(item.get("priceBeforeDiscounts") or item.get("price"))
    ref = item.get("catalogReference") or {}
    options = ref.get("options") or {}
    variant_id = options.get("variantId") if isinstance(options, dict) else None
    return OrderLine(
        external_id=ext_id(item.get("id")),
        sku=dig(item, "physicalProperties", "sku") or None,
        title=dig(item, "productName", "original") or dig(item, "productName", "translated") or "Item",
        quantity=quantity,
        unit_price=unit,
        discount=amount(item.get("totalDiscount")),
        taxes=_tax_line("Tax", item),
        product_id=ext_id(ref.get("catalogItemId")),
        variant_id=ext_id(variant_id),
    )


def _shipping_lines(order: dict[str, Any]) -> list[ChargeLine]:
    info = order.get("shippingInfo") or {}
    cost = info.get("cost") or {}
    if not cost:
        return []
    price = amount(cost.get("price"))
    discount = amount(cost.get("discount"))
    taxes = _tax_line("Shipping Tax", cost)
    if price == ZERO and discount == ZERO and not taxes:
        return []
    return [ChargeLine(title=info.get("title") or "Shipping", amount=price, discount=discount, taxes=taxes,
                       code=info.get("code"))]


def _fee_lines(order: dict[str, Any]) -> list[ChargeLine]:
    fees = []
    for fee in order.get("additionalFees") or []:
        fees.append(ChargeLine(
            title=fee.get("name") or fee.get("code") or "Fee",
            amount=amount(fee.get("priceBeforeTax") or fee.get("price")),
            taxes=_tax_line("Fee Tax", fee),
            code=fee.get("code"),
        ))
    return fees


def _coupon_code(order: dict[str, Any]) -> str | None:
    for applied in order.get("appliedDiscounts") or []:
        code = dig(applied, "coupon", "code") or dig(applied, "merchantDiscount", "description") \
            or dig(applied, "discountRule", "name", "original")
        if code:
            return code
    return None


def order_from_wix(data: dict[str, Any], status_map: StatusMap | None = None) -> Order:
    """Map an eCom order. Residual discount/tax not carried on lines or charges goes to order level."""
    if not isinstance(data, dict) or not data.get("id"):
        raise ValueError("Wix order has no id")
    if not isinstance(data.get("lineItems", []), list):
        raise ValueError("Wix order lineItems is not a list")
    taxes_included = bool(data.get("taxIncludedInPrices"))
    summary = data.get("priceSummary") or {}
    lines = [_order_line(item, taxes_included) for item in data.get("lineItems") or []]
    shipping = _shipping_lines(data)
    fees = _fee_lines(data)
    order = Order(
        external_id=str(data["id"]),
        number=ext_id(data.get("number")),
        currency=data.get("currency") or "",
        created_at=utc(data.get("createdDate")),
        updated_at=utc(data.get("updatedDate")),
        lines=lines,
        shipping_lines=shipping,
        fee_lines=fees,
        taxes_included=taxes_included,
        total=amount(summary.get("total")),
        raw=data,
    )
    # order-level discount = what the summary says minus what lines and shipping already carry
    carried_discount = sum((ln.discount for ln in lines), ZERO) + sum((c.discount for c in shipping), ZERO)
    residual_discount = amount(summary.get("discount")) - carried_discount
    if residual_discount > ZERO:
        order.discounts.append(Discount(code=_coupon_code(data), amount=residual_discount))
    carried_tax = sum((t.amount for t in order.all_tax_lines()), ZERO)
    residual_tax = amount(summary.get("tax")) - carried_tax
    if residual_tax != ZERO:
        order.order_taxes.append(TaxLine(title="Tax", amount=residual_tax))
    _fill_people(order, data)
    _fill_statuses(order, data, status_map)
    order.fulfilments = [_fulfilment(order.external_id, f) for f in data.get("fulfillments") or []]
    order.refunds = _refunds(order, data)
    return order


def _refunds(order: Order, data: dict[str, Any]) -> list[Refund]:
    """Refunds as far as the order shows them: one cumulative record per order.

    eCom orders carry no refund ids (refunds live in Wix Payments); when ``balanceSummary.refunded``
    is present the order carries one Refund with the amount refunded so far (id ``<order>:refunded``,
    so a later, larger figure replaces rather than adds), and the lines' ``refundQuantity``.
    """
    refunded = amount(dig(data, "balanceSummary", "refunded"))
    if refunded <= ZERO:
        return []
    lines = [(ln.sku or ln.external_id or "", money(item.get("refundQuantity") or 0))
             for ln, item in zip(order.lines, data.get("lineItems") or []) if item.get("refundQuantity")]
    return [Refund(external_id=f"{order.external_id}:refunded", order_id=order.external_id, amount=refunded,
                   currency=order.currency, lines=lines, created_at=order.updated_at, cumulative=True,
                   store_refunds=_store_refunds(data))]


def _store_refunds(data: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """The order's completed refunds by id, oldest first, from its activities: ``paymentRefunded`` names a refund
    whose money went back (``balanceSummary.refunded`` counts only those; a pending one is in ``pendingRefund``),
    ``refundInitiated`` gives its whole amount; ``paymentRefundFailed`` leaves it out."""
    initiated: dict[str, Decimal] = {}
    paid: dict[str, Decimal] = {}
    failed: set[str] = set()
    for activity in data.get("activities") or []:
        if not isinstance(activity, dict):
            continue
        started, done = activity.get("refundInitiated") or {}, activity.get("paymentRefunded") or {}
        if started.get("refundId"):
            initiated[str(started["refundId"])] = amount(started.get("amount"))
        if done.get("refundId"):
            rid = str(done["refundId"])
            paid[rid] = paid.get(rid, ZERO) + amount(dig(done, "payment", "regular", "amount"))
        if (activity.get("paymentRefundFailed") or {}).get("refundId"):
            failed.add(str(activity["paymentRefundFailed"]["refundId"]))
    return [(rid, initiated.get(rid) or value) for rid, value in paid.items() if rid not in failed]


def _fill_people(order: Order, data: dict[str, Any]) -> None:
    buyer = data.get("buyerInfo") or {}
    email = buyer.get("email")
    order.email = email
    billing = _address(data.get("billingInfo"), "Billing", email)
    shipping = _address(dig(data, "shippingInfo", "logistics", "shippingDestination"), "Shipping")
    order.billing_address, order.shipping_address = billing, shipping
    names = (billing or shipping or Address())
    if buyer.get("contactId") or email:
        order.customer = Customer(
            external_id=ext_id(buyer.get("contactId")),
            email=email,
            first_name=names.first_name,
            last_name=names.last_name,
            phone=names.phone,
            addresses=[a for a in (billing, shipping) if a is not None],
        )


def _fill_statuses(order: Order, data: dict[str, Any], status_map: StatusMap | None) -> None:
    word = store_status_word(data)
    order.store_status = word
    order.status = (status_map or StatusMap.default(Platform.WIX)).to_erp(word)
    order.financial_status = PAYMENT_STATUS.get((data.get("paymentStatus") or "").upper())
    order.fulfilment_status = FULFILMENT_STATUS.get((data.get("fulfillmentStatus") or "").upper())
    if word == "CANCELED":
        order.cancelled_at = utc(data.get("updatedDate"))


def _fulfilment(order_id: str, data: dict[str, Any]) -> Fulfilment:
    tracking = data.get("trackingInfo") or {}
    return Fulfilment(
        order_id=order_id,
        lines=[(str(li.get("id")), money(li.get("quantity") or 0)) for li in data.get("lineItems") or []],
        tracking_number=tracking.get("trackingNumber"),
        tracking_company=tracking.get("shippingProvider"),
        tracking_url=tracking.get("trackingLink"),
        external_id=ext_id(data.get("id")),
        created_at=utc(data.get("createdDate")),
    )


# ---------------------------------------------------------------- catalog V3


def _v3_variant(data: dict[str, Any]) -> Variant:
    """A product's ``variantsInfo`` variant (``choices``, ``id``) or a Read-Only Variant (``optionChoices``,
    ``variantId``; its ``id`` is deprecated, removal 2026-12-31)."""
    options = {}
    for choice in data.get("optionChoices") or data.get("choices") or []:
        names = choice.get("optionChoiceNames") or {}
        if names.get("optionName"):
            options[names["optionName"]] = names.get("choiceName") or ""
    compare = dig(data, "price", "compareAtPrice", "amount")
    weight = dig(data, "physicalProperties", "weight")
    return Variant(
        external_id=ext_id(data.get("variantId") or data.get("id")),
        sku=data.get("sku") or None,
        price=amount(dig(data, "price", "actualPrice")),
        compare_at_price=money(compare) if compare not in (None, "") else None,
        options=options,
        barcode=data.get("barcode") or None,
        weight=money(weight) if weight is not None else None,
        # VariantPhysicalProperties has no unit: it is product-level (WEIGHT_MEASUREMENT_UNIT_INFO)
        title=" / ".join(options.values()) or None,
    )


def product_from_v3(data: dict[str, Any], variants: list[dict[str, Any]] | None = None) -> Product:
    """V3 product; ``variants`` (Read-Only Variants objects) replace an absent ``variantsInfo``."""
    if not isinstance(data, dict) or not data.get("id") and not data.get("name"):
        raise ValueError("Wix V3 product has neither id nor name")
    raw_variants = variants if variants is not None else dig(data, "variantsInfo", "variants", default=[])
    status = "active" if data.get("visible", True) else "draft"
    return Product(
        external_id=ext_id(data.get("id")),
        title=data.get("name") or "",
        currency=data.get("currency"),
        description=data.get("plainDescription") or (data.get("description")
                                                      if isinstance(data.get("description"), str) else None),
        handle=data.get("handle") or data.get("slug"),
        vendor=dig(data, "brand", "name"),
        product_type=data.get("productType"),
        status=status,
        option_names=[o.get("name") for o in data.get("options") or [] if o.get("name")],
        variants=[_v3_variant(v) for v in raw_variants],
        updated_at=utc(data.get("updatedDate")),
        revision=ext_id(data.get("revision")),
        raw=data,
    )


def product_to_v3(product: Product, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """V3 product body. Options and variants go together (arrays are replaced whole).

    Variant ids of ``existing`` are kept where SKUs match so inventory items survive the update.
    """
    existing_ids = {v.get("sku"): v.get("variantId") or v.get("id")
                    for v in dig(existing or {}, "variantsInfo", "variants", default=[])}
    names = option_names(product)
    product_type = (product.product_type or "PHYSICAL").upper()
    choices: dict[str, list[str]] = {name: [] for name in names}
    for variant in product.variants:
        for name in names:
            value = variant.options.get(name)
            if value is not None and value not in choices[name]:
                choices[name].append(value)
    body: dict[str, Any] = {
        "name": product.title,
        "visible": product.status == "active",
        "options": [
            {"name": name, "optionRenderType": "TEXT_CHOICES",
             "choicesSettings": {"choices": [{"choiceType": "CHOICE_TEXT", "name": c} for c in values]}}
            for name, values in choices.items()
        ],
        "variantsInfo": {"variants": [_v3_variant_body(v, names, existing_ids, product_type == "PHYSICAL")
                                      for v in product.variants]},
    }
    if not product.external_id:  # productType is immutable and handle read-only after creation
        body["productType"] = product_type
        if product_type == "PHYSICAL":  # docs: must be passed for PHYSICAL products
            body["physicalProperties"] = {}
    if product.description is not None:
        body["plainDescription"] = product.description
    if product.vendor:
        body["brand"] = {"name": product.vendor}
    if product.external_id:
        body["id"] = product.external_id
    revision = product.revision or (existing or {}).get("revision")
    if revision is not None:
        body["revision"] = str(revision)
    return body


def option_names(product: Product) -> list[str]:
    return list(product.option_names) or sorted({k for v in product.variants for k in v.options})


def _v3_variant_body(variant: Variant, option_names: list[str], existing_ids: dict[Any, Any],
                     physical: bool = True) -> dict[str, Any]:
    price: dict[str, Any] = {"actualPrice": {"amount": money_text(variant.price)}}
    if variant.compare_at_price is not None:
        price["compareAtPrice"] = {"amount": money_text(variant.compare_at_price)}
    body: dict[str, Any] = {
        "sku": variant.sku,
        "visible": True,
        "price": price,
        "choices": [
            {"optionChoiceNames": {"optionName": n, "choiceName": variant.options[n], "renderType": "TEXT_CHOICES"}}
            for n in option_names if n in variant.options
        ],
    }
    variant_id = variant.external_id or existing_ids.get(variant.sku)
    if variant_id:
        body["id"] = variant_id
    if variant.barcode:
        body["barcode"] = variant.barcode
    if variant.weight is not None:
        body["physicalProperties"] = {"weight": _num(variant.weight)}
    elif physical:  # docs: must be passed when productType is PHYSICAL
        body["physicalProperties"] = {}
    return body


def stock_from_v3_item(item: dict[str, Any]) -> StockLevel:
    return StockLevel(
        sku=dig(item, "product", "variantSku") or item.get("sku"),
        quantity=money(item.get("quantity") or 0),
        location_id=ext_id(item.get("locationId")),
        variant_id=ext_id(item.get("variantId")),
        product_id=ext_id(item.get("productId")),
        inventory_item_id=ext_id(item.get("id")),
        updated_at=utc(item.get("updatedDate")),
        revision=ext_id(item.get("revision")),
    )


# ---------------------------------------------------------------- catalog V1


def product_from_v1(data: dict[str, Any]) -> Product:
    if not isinstance(data, dict) or not data.get("id") and not data.get("name"):
        raise ValueError("Wix V1 product has neither id nor name")
    base_price = data.get("priceData") or data.get("price") or {}
    variants = [_v1_variant(v) for v in data.get("variants") or []]
    if not variants:  # a product without options still sells as one variant
        variants = [Variant(external_id="00000000-0000-0000-0000-000000000000", sku=data.get("sku") or None,
                            **_v1_prices(base_price))]
    return Product(
        external_id=ext_id(data.get("id")),
        title=data.get("name") or "",
        currency=base_price.get("currency"),
        description=data.get("description"),
        handle=data.get("slug"),
        vendor=data.get("brand"),
        product_type=(data.get("productType") or "").upper() or None,
        status="active" if data.get("visible", True) else "draft",
        option_names=[o.get("name") for o in data.get("productOptions") or [] if o.get("name")],
        variants=variants,
        updated_at=utc(data.get("lastUpdated") or data.get("updatedDate")),
        raw=data,
    )


def _v1_prices(price_data: dict[str, Any]) -> dict[str, Any]:
    """V1 ``price`` is the regular price and ``discountedPrice`` what the buyer pays."""
    regular = money(price_data.get("price"))
    selling = money(price_data.get("discountedPrice")) if price_data.get("discountedPrice") is not None else regular
    return {"price": selling, "compare_at_price": regular if regular > selling else None}


def _v1_variant(data: dict[str, Any]) -> Variant:
    inner = data.get("variant") or {}
    weight = inner.get("weight")
    return Variant(
        external_id=ext_id(data.get("id")),
        sku=inner.get("sku") or None,
        options={str(k): str(v) for k, v in (data.get("choices") or {}).items()},
        weight=money(weight) if weight is not None else None,
        title=" / ".join(str(v) for v in (data.get("choices") or {}).values()) or None,
        **_v1_prices(inner.get("priceData") or {}),
    )


def product_to_v1(product: Product) -> dict[str, Any]:
    """V1 product body (create/PATCH). Per-variant prices and SKUs go through ``variants_to_v1``."""
    first = product.variants[0] if product.variants else Variant(external_id=None, sku=None)
    discount = _uniform_discount(product.variants)
    option_names = list(product.option_names) or sorted({k for v in product.variants for k in v.options})
    body: dict[str, Any] = {
        "name": product.title,
        "productType": (product.product_type or "physical").lower(),
        "visible": product.status == "active",
        "priceData": {"price": _num(_v1_base_price(first, discount))},
        "manageVariants": bool(option_names),
        "productOptions": [
            {"name": n, "optionType": "drop_down",
             "choices": [{"value": c, "description": c} for c in _unique(v.options.get(n) for v in product.variants)]}
            for n in option_names
        ],
    }
    if discount is not None:
        body["discount"] = {"type": "AMOUNT", "value": _num(discount)}
    if not option_names and first.sku:
        body["sku"] = first.sku
    if product.description is not None:
        body["description"] = product.description
    if product.vendor:
        body["brand"] = product.vendor
    return body


def _v1_base_price(variant: Variant, discount: Decimal | None) -> Decimal:
    """V1 variant price is the pre-discount price when a product discount carries the compare-at gap."""
    return variant.price + discount if discount is not None else variant.price


def variants_to_v1(product: Product) -> list[dict[str, Any]]:
    discount = _uniform_discount(product.variants)
    return [
        {"choices": dict(v.options), "price": _num(_v1_base_price(v, discount)), "sku": v.sku,
         **({"weight": _num(v.weight)} if v.weight is not None else {}), "visible": True}
        for v in product.variants if v.options
    ]


def _uniform_discount(variants: list[Variant]) -> Decimal | None:
    """V1 has one product-level discount: compare-at prices survive only when the gap is the same everywhere.

    Otherwise the selling prices are written and the compare-at prices dropped (never the reverse).
    """
    gaps = {(v.compare_at_price - v.price) if v.compare_at_price else ZERO for v in variants}
    if len(gaps) == 1:
        gap = gaps.pop()
        return gap if gap > ZERO else None
    return None


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value is not None and value not in seen:
            seen.append(value)
    return seen


def stock_from_v1_item(item: dict[str, Any], skus: dict[str, str] | None = None) -> list[StockLevel]:
    """One V1/v2 inventory item (per product) -> one level per variant; ``skus`` maps variant id -> sku."""
    levels = []
    for variant in item.get("variants") or []:
        variant_id = ext_id(variant.get("variantId") or variant.get("id"))
        quantity = variant.get("quantity")
        if quantity is None and isinstance(variant.get("newValue"), dict):  # InventoryVariantsChanged
            quantity = variant["newValue"].get("quantity")
        levels.append(StockLevel(
            sku=(skus or {}).get(variant_id or ""),
            quantity=money(quantity or 0),
            variant_id=variant_id,
            product_id=ext_id(item.get("productId") or item.get("externalId")),
            inventory_item_id=ext_id(item.get("id") or item.get("inventoryItemId")),
            updated_at=utc(item.get("lastUpdated")),
        ))
    return levels


# ---------------------------------------------------------------- contacts


def customer_from_contact(data: dict[str, Any]) -> Customer:
    if not isinstance(data, dict) or not data.get("id"):
        raise ValueError("Wix contact has no id")
    info = data.get("info") or {}
    emails = dig(info, "emails", "items", default=[])
    phones = dig(info, "phones", "items", default=[])
    email = dig(data, "primaryInfo", "email") or _primary(emails, "email")
    addresses = []
    for item in dig(info, "addresses", "items", default=[]):
        kind = "Shipping" if (item.get("tag") or "").upper() == "SHIPPING" else "Billing"
        address = _address({"address": item.get("address") or {}}, kind, email)
        if address is not None:
            addresses.append(address)
    return Customer(
        external_id=str(data["id"]),
        email=email,
        first_name=dig(info, "name", "first"),
        last_name=dig(info, "name", "last"),
        phone=dig(data, "primaryInfo", "phone") or _primary(phones, "phone"),
        company=info.get("company"),
        addresses=addresses,
        updated_at=utc(data.get("updatedDate")),
        revision=ext_id(data.get("revision")),
        raw=data,
    )


def _primary(items: list[dict[str, Any]], key: str) -> str | None:
    for item in items:
        if item.get("primary"):
            return item.get(key)
    return items[0].get(key) if items else None


def contact_info_from_customer(customer: Customer) -> dict[str, Any]:
    """Contacts v4 ``info``; lists (emails, phones, addresses) are replaced whole on update."""
    info: dict[str, Any] = {"name": {"first": customer.first_name or "", "last": customer.last_name or ""}}
    if customer.email:
        info["emails"] = {"items": [{"tag": "MAIN", "email": customer.email, "primary": True}]}
    if customer.phone:
        info["phones"] = {"items": [{"tag": "MAIN", "phone": customer.phone, "primary": True}]}
    if customer.company:
        info["company"] = customer.company
    if customer.addresses:
        info["addresses"] = {"items": [
            {"tag": "SHIPPING" if a.kind == "Shipping" else "BILLING",
             "address": {k: v for k, v in {
                 "addressLine": a.line1, "addressLine2": a.line2, "city": a.city, "subdivision": a.state,
                 "postalCode": a.postcode, "country": a.country_code}.items() if v}}
            for a in customer.addresses
        ]}
    return info


# ---------------------------------------------------------------- payload entry point


def event_entity(event: dict[str, Any]) -> Any:
    """The entity carried by a decoded ``data.data`` event (created/updated/action), or None."""
    if "createdEvent" in event:
        created = event["createdEvent"] or {}
        return maybe_json(created.get("entity") or created.get("entityAsJson"))
    if "updatedEvent" in event:
        updated = event["updatedEvent"] or {}
        return maybe_json(updated.get("currentEntity") or updated.get("currentEntityAsJson"))
    if "actionEvent" in event:
        body = maybe_json((event["actionEvent"] or {}).get("body") or (event["actionEvent"] or {}).get("bodyAsJson"))
        if isinstance(body, dict):
            for key in ("order", "product", "contact", "inventoryItem"):
                if isinstance(body.get(key), dict):
                    return body[key]
        return body
    return None


def _unwrap(entity: Entity, data: dict[str, Any]) -> list[dict[str, Any]]:
    """API object, API response wrapper or webhook event -> list of platform objects."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object for Wix {entity.value}, got {type(data).__name__}")
    if any(k in data for k in ("createdEvent", "updatedEvent", "actionEvent")):
        inner = event_entity(data)
        if not isinstance(inner, dict):
            raise ValueError("Wix webhook event carries no entity")
        return [inner]
    keys = {
        Entity.ORDERS: ("order", "orders"),
        Entity.ITEMS: ("product", "products"),
        Entity.CUSTOMERS: ("contact", "contacts"),
        Entity.STOCK: ("inventoryItem", "inventoryItems"),
    }[entity]
    if isinstance(data.get(keys[0]), dict):
        return [data[keys[0]]]
    if isinstance(data.get(keys[1]), list):
        return list(data[keys[1]])
    return [data]


def parse_payload(entity: Entity | str, data: dict[str, Any], status_map: StatusMap | None = None) -> list:
    """Wix REST/webhook JSON -> canonical objects; ValueError with one clear line when malformed."""
    entity = Entity(entity)
    objects = _unwrap(entity, data)
    try:
        if entity is Entity.ORDERS:
            return [order_from_wix(o, status_map) for o in objects]
        if entity is Entity.ITEMS:
            return [product_from_v1(o) if _is_v1_product(o) else product_from_v3(o) for o in objects]
        if entity is Entity.CUSTOMERS:
            return [customer_from_contact(o) for o in objects]
        levels: list[StockLevel] = []
        for obj in objects:
            if not isinstance(obj, dict):
                raise ValueError("Wix inventory item is not an object")
            levels += stock_from_v1_item(obj) if "variants" in obj else [stock_from_v3_item(obj)]
        return levels
    except (AttributeError, TypeError, KeyError) as exc:
        raise ValueError(f"malformed Wix {entity.value} payload: {exc}") from exc


def _is_v1_product(data: dict[str, Any]) -> bool:
    return any(k in data for k in ("productOptions", "priceData", "lastUpdated", "manageVariants")) \
        and "variantsInfo" not in data
