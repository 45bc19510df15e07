"""Mapping tests: published WooCommerce payloads and orders generated the WooCommerce way."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.woocommerce import mapping as wc
from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator
from wix_commerce_sync.sync.models import (
    Address,
    ChargeLine,
    Customer,
    Entity,
    FinancialStatus,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    TaxLine,
    Variant,
)

# ---------------------------------------------------------------- published payloads


def test_published_order_totals_and_fields(fixture_json):
    data = fixture_json("order-update-response.json")
    [order] = wc.parse_payload(Entity.ORDERS, data)
    assert order.total == Decimal("29.35")
    assert order.computed_total() == order.total
    assert order.external_id == "727" and order.number == "727" and order.currency == "USD"
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=timezone.utc)  # the _gmt twin, not local
    assert order.updated_at == datetime(2017, 3, 22, 19, 30, 35, tzinfo=timezone.utc)
    assert order.store_status == "completed" and order.status == OrderStatus.DELIVERED
    assert order.financial_status == FinancialStatus.PAID
    assert order.fulfilment_status == FulfilmentStatus.FULFILLED
    first, second = order.lines
    assert (first.unit_price, first.quantity, first.discount) == (Decimal("3.00"), Decimal(2), Decimal(0))
    assert second.sku == "Bar3" and second.variant_id == "23" and second.product_id == "22"
    assert first.variant_id == "93"  # simple product: the variant id is the product id
    assert [t.amount for t in second.taxes] == [Decimal("0.9")]
    assert second.taxes[0].title == "State Tax" and second.taxes[0].code == "US-CA-STATE TAX"
    assert order.shipping_lines[0].amount == Decimal("10.00") and order.shipping_lines[0].code == "flat_rate"
    assert sum(t.amount for t in order.all_tax_lines()) == Decimal("1.35")
    assert order.order_taxes == [] and order.fee_lines == []  # nothing left to absorb


def test_published_order_is_a_guest_with_billing_contact(fixture_json):
    [order] = wc.parse_payload(Entity.ORDERS, fixture_json("order-update-response.json"))
    assert order.is_guest and order.customer.external_id is None
    assert order.customer.email == "john.doe@example.com"
    assert (order.customer.first_name, order.customer.last_name) == ("John", "Doe")
    assert order.billing_address.country_code == "US" and order.billing_address.line1 == "969 Market"
    assert order.shipping_address.kind == "Shipping" and order.shipping_address.email is None
    assert order.email == "john.doe@example.com"


def test_registered_customer_order_keeps_customer_id(fixture_json):
    data = fixture_json("order-update-response.json") | {"customer_id": 25}
    [order] = wc.parse_payload(Entity.ORDERS, data)
    assert order.customer.external_id == "25" and not order.is_guest


def test_published_simple_product(fixture_json):
    [product] = wc.parse_payload(Entity.ITEMS, fixture_json("product-retrieve.json"))
    assert product.external_id == "794" and product.title == "Premium Quality"
    assert product.status == "active" and product.product_type == "simple" and not product.has_variants
    [variant] = product.variants
    assert variant.external_id == "794" and variant.price == Decimal("21.99") and variant.compare_at_price is None
    assert variant.sku is None and variant.manage_stock is False and variant.inventory_quantity is None
    assert product.updated_at == datetime(2017, 3, 23, 20, 1, 14, tzinfo=timezone.utc)


def test_published_variation_as_variant(fixture_json):
    variant = wc.variant_from_wc(fixture_json("product-variation-retrieve.json"))
    assert variant.external_id == "732" and variant.options == {"Color": "Black"}
    assert variant.price == Decimal("9.00")


def test_variable_product_with_embedded_variations(fixture_json):
    parent = fixture_json("product-retrieve.json") | {
        "type": "variable",
        "attributes": [{"id": 6, "name": "Color", "variation": True, "options": ["Black", "Green"]}],
        "variations": [fixture_json("product-variation-retrieve.json")],
    }
    [product] = wc.parse_payload(Entity.ITEMS, parent)
    assert product.has_variants and product.option_names == ["Color"]
    assert [v.external_id for v in product.variants] == ["732"]


def test_sale_price_becomes_price_and_regular_the_compare_at(fixture_json):
    data = fixture_json("product-retrieve.json") | {"regular_price": "30.00", "sale_price": "25.50", "price": "25.50",
                                                    "on_sale": True}
    variant = wc.parse_payload(Entity.ITEMS, data)[0].variants[0]
    assert (variant.price, variant.compare_at_price) == (Decimal("25.50"), Decimal("30.00"))
    assert wc.variation_to_wc(variant, [])["regular_price"] == "30.00"


def test_published_customer(fixture_json):
    [customer] = wc.parse_payload(Entity.CUSTOMERS, fixture_json("customer-retrieve.json"))
    assert customer.external_id == "25" and customer.email == "john.doe@example.com"
    assert [a.kind for a in customer.addresses] == ["Billing", "Shipping"]
    assert customer.phone == "(555) 555-5555" and customer.addresses[0].postcode == "94103"
    assert customer.updated_at == datetime(2017, 3, 21, 19, 9, 30, tzinfo=timezone.utc)


def test_stock_levels_from_product_and_variation_payloads(fixture_json):
    simple = fixture_json("product-retrieve.json") | {"manage_stock": True, "stock_quantity": 7, "sku": "PQ"}
    [level] = wc.parse_payload(Entity.STOCK, simple)
    assert (level.sku, level.quantity, level.variant_id, level.product_id) == ("PQ", Decimal(7), "794", "794")
    variation = fixture_json("product-variation-retrieve.json") | {
        "manage_stock": True, "stock_quantity": 3, "type": "variation", "parent_id": 22, "sku": "V1"}
    [level] = wc.parse_payload(Entity.STOCK, variation)
    assert (level.variant_id, level.product_id, level.quantity) == ("732", "22", Decimal(3))
    assert wc.parse_payload(Entity.STOCK, fixture_json("product-retrieve.json")) == []  # not stock-managed


@pytest.mark.parametrize(
    ("entity", "data", "fragment"),
    [
        (Entity.ORDERS, {"id": 1}, "line_items"),
        (Entity.ORDERS, {"id": 1, "line_items": "x", "total": "1"}, "line_items"),
        (Entity.ORDERS, {"id": 1, "total": "abc", "line_items": []}, "amount"),
        (Entity.ORDERS, "not an object", "JSON object"),
        (Entity.ITEMS, {"name": "no id"}, "id"),
        (Entity.CUSTOMERS, {"id": 3}, "email"),
        (Entity.STOCK, [1, 2], "JSON object"),
        (Entity.ORDERS, {"id": 1, "total": "1", "line_items": [{"quantity": "x"}]}, "amount"),
    ],
)
def test_parse_payload_rejects_malformed_input(entity, data, fragment):
    with pytest.raises(ValueError, match=fragment):
        wc.parse_payload(entity, data)


# ---------------------------------------------------------------- generated orders


def _generated_order(rng: random.Random, sim: WooCommerceSimulator) -> dict:
    lines = [{"price": f"{rng.randint(1, 20000) / 100:.2f}", "quantity": rng.randint(1, 7), "name": f"Item {i}",
              "sku": f"G-{i}"} for i in range(rng.randint(1, 5))]
    coupons = []
    if rng.random() < 0.5:
        coupons.append({"code": "PCT", "percent": rng.choice([5, 10, 12.5, 33])})
    if rng.random() < 0.4:
        coupons.append({"code": "FIX", "amount": f"{rng.randint(1, 900) / 100:.2f}"})
    fees = [{"name": "Gift wrap", "total": f"{rng.randint(-500, 900) / 100:.2f}", "taxable": rng.random() < 0.5}
            for _ in range(rng.randint(0, 2))]
    shipping = [{"method_id": "flat_rate", "method_title": "Flat", "total": f"{rng.randint(0, 2500) / 100:.2f}"}
                for _ in range(rng.randint(0, 2))]
    return sim._build_order(lines, coupons=coupons, fees=fees, shipping=shipping,
                            prices_include_tax=rng.random() < 0.5, shipping_taxable=rng.random() < 0.7,
                            set_paid=rng.random() < 0.5)


@pytest.mark.parametrize("round_at_subtotal", [False, True])
@pytest.mark.parametrize("tax_rate", ["0", "7.25", "20", "19"])
def test_generated_orders_computed_total_equals_store_total(tax_rate, round_at_subtotal):
    sim = WooCommerceSimulator(tax_rate=tax_rate, round_at_subtotal=round_at_subtotal)
    rng = random.Random(f"{tax_rate}-{round_at_subtotal}")
    for _ in range(150):
        data = _generated_order(rng, sim)
        order = wc.order_from_wc(data)
        assert order.computed_total() == Decimal(data["total"]), data
        rounding = [f for f in order.fee_lines if f.code == wc.ROUNDING_CODE]
        assert sum((f.amount for f in rounding), Decimal(0)).copy_abs() <= Decimal("0.05")


def test_tax_inclusive_prices_give_gross_unit_prices():
    sim = WooCommerceSimulator(tax_rate=20)
    data = sim._build_order([{"price": "12.00", "quantity": 2, "sku": "A"}], prices_include_tax=True,
                            coupons=[{"code": "TEN", "percent": 10}],
                            shipping=[{"total": "5.00"}])
    line = data["line_items"][0]
    assert line["subtotal"] == "20.00" and line["subtotal_tax"] == "4.00"  # WooCommerce's figures are net
    order = wc.order_from_wc(data)
    [ol] = order.lines
    assert order.taxes_included
    assert ol.unit_price == Decimal("12.00") and ol.discount == Decimal("2.40")  # gross
    assert order.shipping_lines[0].amount == Decimal("6.00")  # net 5.00 + 1.00 shipping tax
    assert order.total == Decimal("27.60") and order.computed_total() == order.total


def test_coupon_discount_is_allocated_to_lines_not_repeated_at_order_level():
    sim = WooCommerceSimulator(tax_rate=10)
    data = sim._build_order([{"price": "10.00", "quantity": 1, "sku": "A"}, {"price": "30.00", "quantity": 1, "sku": "B"}],
                            coupons=[{"code": "FIVE", "amount": "5.00"}])
    assert data["coupon_lines"][0]["discount"] == "5.00"
    order = wc.order_from_wc(data)
    assert [ln.discount for ln in order.lines] == [Decimal("1.25"), Decimal("3.75")]
    assert order.discounts == []
    assert order.total == Decimal("38.51") and order.computed_total() == order.total  # 0.88 + 2.63 tax


def test_negative_fee_and_untaxed_shipping():
    sim = WooCommerceSimulator(tax_rate=20)
    data = sim._build_order([{"price": "50.00", "quantity": 1, "sku": "A"}], fees=[{"name": "Loyalty", "total": "-5.00"}],
                            shipping=[{"total": "4.99"}], shipping_taxable=False)
    order = wc.order_from_wc(data)
    assert order.fee_lines[0].amount == Decimal("-5.00") and order.fee_lines[0].taxes[0].amount == Decimal("-1.00")
    assert order.shipping_lines[0].taxes == []
    assert order.computed_total() == order.total == Decimal("58.99")


def test_round_at_subtotal_residual_goes_to_order_taxes():
    data = {
        "id": 5, "total": "3.60", "currency": "EUR", "prices_include_tax": False, "status": "processing",
        "line_items": [
            {"id": 1, "quantity": 1, "subtotal": "1.00", "total": "1.00", "subtotal_tax": "0.20", "total_tax": "0.20",
             "taxes": [{"id": 1, "total": "0.196", "subtotal": "0.196"}]},
            {"id": 2, "quantity": 1, "subtotal": "2.00", "total": "2.00", "subtotal_tax": "0.40", "total_tax": "0.40",
             "taxes": [{"id": 1, "total": "0.396", "subtotal": "0.396"}]},
        ],
        "tax_lines": [{"rate_id": 1, "label": "VAT", "rate_code": "VAT-1", "tax_total": "0.60", "shipping_tax_total": "0.00"}],
    }
    order = wc.order_from_wc(data)
    assert [t.amount for t in order.order_taxes] == [Decimal("0.008")]
    assert order.all_tax_lines()[0].amount == Decimal("0.600")
    assert order.computed_total() == Decimal("3.60")


def test_line_price_as_json_number_is_exact():
    data = {"id": 9, "total": "0.30", "line_items": [
        {"id": 1, "quantity": 3, "subtotal": "0.30", "total": "0.30", "price": 0.1}]}
    order = wc.order_from_wc(data)
    assert order.lines[0].unit_price == Decimal("0.1") and order.computed_total() == Decimal("0.30")


def test_refunds_and_financial_status(fixture_json):
    data = fixture_json("order-update-response.json") | {"status": "processing",
                                                         "refunds": [{"id": 800, "reason": "damaged", "total": "-5.00"}]}
    order = wc.order_from_wc(data)
    assert order.financial_status == FinancialStatus.PARTIALLY_REFUNDED
    assert order.refunds[0].amount == Decimal("5.00") and order.refunds[0].order_id == "727"
    pending = wc.order_from_wc(data | {"status": "pending", "refunds": [], "date_paid_gmt": None, "date_paid": None})
    assert pending.financial_status == FinancialStatus.PENDING and pending.status == OrderStatus.PENDING


# ---------------------------------------------------------------- outbound


def test_product_to_wc_simple_and_variable():
    simple = Product(external_id=None, title="Mug", variants=[Variant(None, "MUG-1", price=Decimal("9.5"))])
    out = wc.product_to_wc(simple)
    assert out == {"name": "Mug", "status": "publish", "type": "simple", "regular_price": "9.50", "sale_price": "",
                   "sku": "MUG-1"}
    variable = Product(external_id="44", title="Tee", option_names=["Size"],
                       variants=[Variant(None, "T-S", options={"Size": "S"}), Variant("9", "T-M", options={"Size": "M"})])
    out = wc.product_to_wc(variable)
    assert out["type"] == "variable" and out["id"] == 44
    assert out["attributes"][0] == {"name": "Size", "position": 0, "visible": True, "variation": True, "options": ["M", "S"]}
    assert wc.variation_to_wc(variable.variants[1], ["Size"]) == {
        "regular_price": "0.00", "sale_price": "", "sku": "T-M", "attributes": [{"name": "Size", "option": "M"}], "id": 9}


def test_customer_to_wc_round_trip(fixture_json):
    customer = wc.customer_from_wc(fixture_json("customer-retrieve.json"))
    out = wc.customer_to_wc(customer)
    assert out["id"] == 25 and out["billing"]["address_1"] == "969 Market" and "email" not in out["shipping"]
    new = Customer(external_id=None, email="x@y.z", first_name="X", phone="123",
                   addresses=[Address(line1="1 Road", city="Town", country_code="GB")])
    out = wc.customer_to_wc(new)
    assert "id" not in out and out["billing"]["phone"] == "123" and out["billing"]["country"] == "GB"


def test_order_to_wc_for_erp_created_orders():
    order = Order(external_id="SO-0001", number=None, currency="EUR", created_at=None, updated_at=None,
                  lines=[OrderLine(None, "A", "A", Decimal(2), Decimal("12.00"), discount=Decimal("2.40"),
                                   taxes=[TaxLine("VAT", Decimal("3.60"))], product_id="5")],
                  shipping_lines=[ChargeLine("Post", Decimal("6.00"), taxes=[TaxLine("VAT", Decimal("1.00"))])],
                  taxes_included=True, status=OrderStatus.CONFIRMED,
                  customer=Customer(external_id=None, email="g@x.y"), email="g@x.y",
                  billing_address=Address(first_name="G"))
    out = wc.order_to_wc(order)
    assert out["status"] == "processing" and out["customer_id"] == 0 and out["billing"]["email"] == "g@x.y"
    line = out["line_items"][0]
    # ids known: no sku (WooCommerce would read the sku ahead of the ids), and the line keeps its name
    assert line == {"name": "A", "quantity": 2, "subtotal": "20.00", "total": "18.00", "product_id": 5}
    assert out["shipping_lines"][0]["total"] == "5.00"
    assert out["meta_data"] == [{"key": "_erp_order_id", "value": "SO-0001"}]
