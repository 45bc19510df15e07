"""Mapping Shopify JSON <-> canonical: published payloads, generated orders, GraphQL vs webhook agreement."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from wix_commerce_sync.connectors.shopify import mapping as m
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import (
    Address,
    Customer,
    Entity,
    FinancialStatus,
    FulfilmentStatus,
    OrderStatus,
    Product,
    Variant,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# ---------------------------------------------------------------- published payloads


def test_published_order_sample_total_matches_with_visible_unitemised_gap() -> None:
    order = m.parse_payload(Entity.ORDERS, fixture("webhook-orders-create-sample.json"))[0]
    assert order.total == Decimal("404.95")
    assert order.computed_total() == order.total
    # the sample lists one 89.99 line while total_line_items_price says 414.95: the gap is explicit
    assert [(f.code, f.amount) for f in order.fee_lines] == [(m.UNITEMISED_CODE, Decimal("324.96"))]
    assert [d.amount for d in order.discounts] == [Decimal("20.00")]  # total_discounts, not allocated to lines
    assert order.shipping_lines[0].amount == Decimal("10.00")
    assert order.lines[0].unit_price == Decimal("89.99") and order.lines[0].sku == "SKU2006-001"


def test_published_order_sample_fields() -> None:
    order = m.parse_payload(Entity.ORDERS, fixture("webhook-orders-create-sample.json"))[0]
    assert order.external_id == "820982911946154508"  # beyond 2**53, exact
    assert order.lines[0].external_id == "487817672276298554"
    assert order.lines[0].product_id == "788032119674292922"
    assert order.customer is not None and order.customer.external_id == "115310627314723954"
    assert order.store_status == "cancelled" and order.status == OrderStatus.CANCELLED
    assert order.financial_status == FinancialStatus.VOIDED
    assert order.fulfilment_status == FulfilmentStatus.UNFULFILLED
    assert order.currency == "USD" and order.number == "#9999"
    assert order.shipping_address is not None and order.shipping_address.postcode == "40003"
    assert order.billing_address is not None and order.billing_address.country_code == "US"
    assert order.created_at is not None and order.created_at.utcoffset().total_seconds() == 0
    assert order.created_at.isoformat() == "2022-01-01T00:00:00+00:00"  # -05:00 normalised to UTC


def test_published_product_with_options() -> None:
    product = m.parse_payload(Entity.ITEMS, fixture("rest-product-get-632910392.json"))[0]
    assert product.option_names == ["Color"]
    assert product.has_variants
    assert {v.sku: v.options["Color"] for v in product.variants} == {
        "IPOD2008PINK": "Pink", "IPOD2008RED": "Red", "IPOD2008GREEN": "Green", "IPOD2008BLACK": "Black"}
    assert all(v.price == Decimal("199.00") for v in product.variants)
    assert product.variants[0].inventory_item_id == "808950810"


def test_default_title_single_variant_means_no_options() -> None:
    product = m.parse_payload(Entity.ITEMS, fixture("webhook-products-update-delivery-structure-example.json"))[0]
    assert product.option_names == [] and not product.has_variants
    assert product.variants[0].options == {} and product.variants[0].sku == "TSHIRT-001"
    assert product.tags == ["cotton", "comfortable"]


def test_inventory_levels_list() -> None:
    levels = m.parse_payload(Entity.STOCK, fixture("rest-inventory-levels-list.json"))
    assert [(lv.inventory_item_id, lv.location_id, lv.quantity) for lv in levels][0] == ("49148385", "655441491", Decimal(2))
    assert len(levels) == 4


@pytest.mark.parametrize(
    ("entity", "data"),
    [
        (Entity.ORDERS, {"id": 1}),  # no line_items
        (Entity.ORDERS, {"id": 1, "line_items": [{"price_set": {"shop_money": {"amount": "abc"}}}]}),
        (Entity.ITEMS, {"title": "no id"}),
        (Entity.CUSTOMERS, {"email": "x@example.com"}),
        (Entity.STOCK, {"location_id": 1}),
        (Entity.ORDERS, {"orders": [{"id": 1.5e20, "line_items": []}]}),  # float id would lose digits
    ],
)
def test_parse_payload_rejects_malformed_input(entity: Entity, data: dict) -> None:
    with pytest.raises(ValueError):
        m.parse_payload(entity, data)


def test_parse_payload_rejects_non_object() -> None:
    with pytest.raises(ValueError):
        m.parse_payload(Entity.ORDERS, [])  # type: ignore[arg-type]


# ---------------------------------------------------------------- generated orders


@pytest.fixture(scope="module")
def shop() -> ShopifySimulator:
    simulator = ShopifySimulator()
    simulator.start()
    simulator.add_product("Shirt", [{"sku": "SHIRT", "price": "33.33"}], quantity=50)
    simulator.add_product("Mug", [{"sku": "MUG", "price": "12.50"}], quantity=50)
    yield simulator
    simulator.close()


ORDER_CASES = [
    dict(taxes_included=False, tax_rate="0.2", shipping="7.99", discount="10.00"),
    dict(taxes_included=True, tax_rate="0.2", shipping="7.99", discount="10.00"),
    dict(taxes_included=False, tax_rate="0.0825", shipping="0", discount="3.33"),
    dict(taxes_included=True, tax_rate="0.19", shipping="4.90", discount="0"),
    dict(taxes_included=False, tax_rate="0", shipping="5", discount="0"),
]


@pytest.mark.parametrize("case", ORDER_CASES)
def test_generated_order_totals_match_without_adjustments(shop: ShopifySimulator, case: dict) -> None:
    rest = shop.rest_order(shop.create_order([{"sku": "SHIRT", "quantity": 3}, {"sku": "MUG", "quantity": 1}], **case))
    body = json.loads(json.dumps(rest))  # what a webhook receiver decodes
    order = m.order_from_rest(body)
    assert order.total == Decimal(rest["total_price"])
    assert order.computed_total() == order.total
    assert order.fee_lines == []  # nothing needed reconciling: the parts add up by themselves
    assert order.taxes_included is case["taxes_included"]
    assert sum(li.discount for li in order.lines) == Decimal(case["discount"])
    assert order.discounts == []  # fully allocated to lines
    assert sum(t.amount for t in order.all_tax_lines()) == Decimal(rest["total_tax"])


def test_presentment_currency_uses_shop_money(shop: ShopifySimulator) -> None:
    rest = shop.rest_order(shop.create_order([{"sku": "MUG", "quantity": 2}], tax_rate="0.1",
                                             presentment_currency="EUR", presentment_rate="0.9"))
    order = m.order_from_rest(json.loads(json.dumps(rest)))
    assert order.currency == "USD" and order.total == Decimal("27.50")
    assert order.exchange_rate == (Decimal("27.50") / Decimal("24.75")).quantize(Decimal("0.000001"))
    assert order.computed_total() == order.total


def test_unallocated_order_discount_and_order_level_taxes() -> None:
    data = {
        "id": 5, "currency": "EUR", "taxes_included": False, "total_price": "105.00", "total_tax": "15.00",
        "total_discounts": "10.00", "discount_codes": [{"code": "TEN"}],
        "tax_lines": [{"title": "VAT", "price": "15.00", "rate": 0.15}],
        "line_items": [{"id": 1, "sku": "A", "quantity": 2, "price": "50.00", "tax_lines": []}],
    }
    order = m.order_from_rest(data)
    assert [(d.code, d.amount) for d in order.discounts] == [("TEN", Decimal("10.00"))]
    assert [(t.title, t.amount) for t in order.order_taxes] == [("VAT", Decimal("15.00"))]
    assert order.computed_total() == Decimal("105.00") and order.fee_lines == []


@pytest.mark.parametrize(
    ("financial", "fulfilment", "cancelled", "word"),
    [
        ("paid", None, None, "open"),
        ("pending", None, None, "pending"),
        ("paid", "partial", None, "partially_fulfilled"),
        ("paid", "fulfilled", None, "fulfilled"),
        ("refunded", "fulfilled", None, "refunded"),
        ("refunded", None, "2024-01-01T00:00:00Z", "cancelled"),
    ],
)
def test_store_status_words(financial: str, fulfilment: str | None, cancelled: str | None, word: str) -> None:
    assert m.store_status_word({"financial_status": financial, "fulfillment_status": fulfilment, "cancelled_at": cancelled}) == word


# ---------------------------------------------------------------- canonical -> GraphQL input


def test_product_set_input_sends_full_variant_list_and_default_title() -> None:
    simple = Product(external_id=None, title="Cap", variants=[Variant(external_id="77", sku="CAP", price=Decimal("9.5"))])
    data = m.product_set_input(simple)
    assert data["productOptions"] == [{"name": "Title", "values": [{"name": "Default Title"}]}]
    assert data["variants"] == [{"optionValues": [{"optionName": "Title", "name": "Default Title"}], "price": "9.5",
                                 "inventoryItem": {"sku": "CAP", "tracked": True},
                                 "id": "gid://shopify/ProductVariant/77"}]
    sized = Product(external_id="1", title="Tee", option_names=["Size"], variants=[
        Variant(external_id=None, sku="T-S", price=Decimal(10), options={"Size": "S"}),
        Variant(external_id=None, sku="T-M", price=Decimal(10), options={"Size": "M"})])
    data = m.product_set_input(sized)
    assert data["productOptions"] == [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}]
    assert len(data["variants"]) == 2


def test_product_set_input_rejects_variant_without_option_value() -> None:
    bad = Product(external_id=None, title="Tee", option_names=["Size"], variants=[
        Variant(external_id=None, sku="A", options={"Size": "S"}), Variant(external_id=None, sku="B", options={"Colour": "Red"})])
    with pytest.raises(ValueError):
        m.product_set_input(bad)


def test_ids_round_trip_exactly() -> None:
    big = 2**53 + 1
    assert m.numeric_id(big) == str(big)
    assert m.numeric_id(f"gid://shopify/Order/{big}") == str(big)
    assert m.gid("Order", str(big)) == f"gid://shopify/Order/{big}"
    with pytest.raises(ValueError):
        m.numeric_id(float(big))


def test_customer_set_input() -> None:
    customer = Customer(external_id=None, email="a@example.com", first_name="Ann")
    assert m.customer_set_input(customer) == {"email": "a@example.com", "firstName": "Ann"}  # no addresses: none wiped
    customer.addresses = [Address(line1="1 Way", city="Oslo", country_code="NO")]
    assert m.customer_set_input(customer)["addresses"] == [{"address1": "1 Way", "city": "Oslo", "countryCode": "NO"}]
