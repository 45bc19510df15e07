"""Mapping Wix JSON <-> canonical models, on the published payloads and on generated ones."""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

from wix_commerce_sync.connectors.wix import mapping
from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.models import (
    Entity,
    FinancialStatus,
    FulfilmentStatus,
    OrderStatus,
    Product,
    Variant,
)
from wix_commerce_sync.sync.status_map import StatusMap, StatusRow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wix"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


ORDER_FIXTURES = ["webhook-data-ecom-order-updated.json", "webhook-data-ecom-order-payment-status-updated.json"]


# ------------------------------------------------------------ published payloads


@pytest.mark.parametrize("name", ORDER_FIXTURES)
def test_published_orders_total_matches_price_summary(name: str) -> None:
    event = load_fixture(name)
    [order] = mapping.parse_payload(Entity.ORDERS, event)
    wix_total = Decimal(mapping.event_entity(event)["priceSummary"]["total"]["amount"])
    assert order.total == wix_total
    assert order.computed_total() == wix_total.quantize(Decimal("0.01"))


def test_payment_status_payload_details() -> None:
    [order] = mapping.parse_payload("orders", load_fixture("webhook-data-ecom-order-payment-status-updated.json"))
    assert order.external_id == "880fa895-dfd5-4d50-a2d4-971b03fd4b86"
    assert order.number == "10002"
    [line] = order.lines
    assert line.sku == "364115376135191"
    assert line.unit_price == Decimal("10.00") and line.discount == Decimal("10.0")
    assert line.product_id == "c8539b66-7a44-fe18-affc-afec4be8562a"
    assert order.discounts == []  # the coupon is allocated to the line already
    assert [(s.amount, s.discount) for s in order.shipping_lines] == [(Decimal("10"), Decimal("0"))]
    assert order.financial_status is FinancialStatus.PAID
    assert order.fulfilment_status is FulfilmentStatus.UNFULFILLED
    assert order.store_status == "APPROVED" and order.status is OrderStatus.PROCESSING
    assert order.email == "janedoe@gmail.com"
    assert order.customer.external_id == "24de6f0b-60ce-4faa-9138-2e39f1415615"
    assert order.shipping_address.city == "New York" and order.shipping_address.country_code == "US"
    assert order.billing_address.first_name == "Jane"
    assert order.created_at.tzinfo is not None


def test_updated_order_is_fulfilled_status() -> None:
    [order] = mapping.parse_payload("orders", load_fixture("webhook-data-ecom-order-updated.json"))
    assert order.store_status == "FULFILLED" and order.status is OrderStatus.DELIVERED
    assert order.lines[0].variant_id == "1"


def test_api_response_wrappers_are_accepted() -> None:
    order = mapping.event_entity(load_fixture("webhook-data-ecom-order-updated.json"))
    assert mapping.parse_payload("orders", {"order": order})[0].external_id == order["id"]
    assert len(mapping.parse_payload("orders", {"orders": [order, order]})) == 2
    assert mapping.parse_payload("orders", order)[0].total == Decimal("25.0")


def test_v1_product_fixture() -> None:
    [product] = mapping.parse_payload("items", load_fixture("stores-catalog-v1-product-get-response.json"))
    assert product.title == "Colombian Arabica"
    assert product.option_names == ["Weight", "Ground for"]
    assert len(product.variants) == 4
    first = product.variants[0]
    # V1: price = regular, discountedPrice = what buyers pay -> canonical price / compare-at
    assert (first.sku, first.price, first.compare_at_price) == ("10001", Decimal("30"), Decimal("35"))
    assert first.options == {"Weight": "250g", "Ground for": "Stovetop"}
    assert product.vendor == "Coffee Company" and product.currency == "USD"


def test_contact_fixture() -> None:
    [customer] = mapping.parse_payload("customers", load_fixture("contacts-v4-contact-get-response.json"))
    assert customer.email == "email@example.com"
    assert (customer.first_name, customer.last_name, customer.company) == ("Some", "One", "Wix")
    assert customer.revision == "1"
    assert customer.addresses[0].line1 == "1772  Fantages Way"
    assert customer.addresses[1].line1 == "5 Wingate"  # streetAddress {number, name}


def test_custom_status_map_is_used() -> None:
    custom = StatusMap([StatusRow("APPROVED", OrderStatus.CONFIRMED)])
    [order] = mapping.parse_payload("orders", load_fixture("webhook-data-ecom-order-payment-status-updated.json"),
                                    custom)
    assert order.status is OrderStatus.CONFIRMED


@pytest.mark.parametrize(("changes", "word"), [
    ({"status": "CANCELED"}, "CANCELED"),
    ({"paymentStatus": "FULLY_REFUNDED"}, "FULLY_REFUNDED"),
    ({"fulfillmentStatus": "PARTIALLY_FULFILLED"}, "PARTIALLY_FULFILLED"),
    ({"fulfillmentStatus": "FULFILLED"}, "FULFILLED"),
    ({}, "APPROVED"),
])
def test_status_word(changes: dict, word: str) -> None:
    order = copy.deepcopy(mapping.event_entity(load_fixture("webhook-data-ecom-order-payment-status-updated.json")))
    order.update(changes)
    assert mapping.store_status_word(order) == word


# ------------------------------------------------------------ malformed input


@pytest.mark.parametrize(("entity", "data"), [
    ("orders", []),
    ("orders", {"number": "1"}),  # no id
    ("orders", {"id": "x", "lineItems": "nope"}),
    ("orders", {"id": "x", "lineItems": [{"quantity": 1, "price": {"amount": "ten"}}]}),
    ("orders", {"id": "x", "priceSummary": {"total": {"amount": "1..0"}}}),
    ("orders", {"id": "e", "slug": "updated", "updatedEvent": {"currentEntityAsJson": "{broken"}}),
    ("items", {"description": "no id, no name"}),
    ("customers", {"info": {}}),
    ("stock", "just text"),
])
def test_parse_payload_rejects_malformed(entity: str, data: object) -> None:
    with pytest.raises(ValueError):
        mapping.parse_payload(entity, data)  # type: ignore[arg-type]


# ------------------------------------------------------------ generated orders


def _sim_with_catalog() -> tuple[WixSimulator, list[str]]:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None)
    return sim, sim.seed_catalog(20, 2)


@pytest.mark.parametrize("included", [False, True], ids=["tax-excluded", "tax-included"])
def test_generated_order_with_everything(included: bool) -> None:
    sim, skus = _sim_with_catalog()
    raw = sim.create_order(
        [{"sku": skus[0], "quantity": 3, "discount": "4.50"}, {"sku": skus[5], "quantity": 1, "price": "19.99"}],
        "x@example.com", taxes_included=included, tax_rate="0.2", shipping="7.95", shipping_discount="2.00",
        fees=[{"name": "Handling", "price": "1.25"}], order_discount="3.00", coupon="SAVE")
    [order] = mapping.parse_payload("orders", {"order": raw})
    assert order.taxes_included is included
    assert order.computed_total() == Decimal(raw["priceSummary"]["total"]["amount"])
    assert order.discounts[0].amount == Decimal("3.00") and order.discounts[0].code == "SAVE"
    assert order.shipping_lines[0].discount == Decimal("2.00")
    assert order.fee_lines[0].amount == Decimal("1.25")
    assert sum((t.amount for t in order.all_tax_lines()), Decimal(0)) == Decimal(raw["priceSummary"]["tax"]["amount"])


def test_many_random_generated_orders_total_to_the_cent() -> None:
    sim, skus = _sim_with_catalog()
    rng = random.Random(7)
    for _ in range(200):
        lines = [{"sku": rng.choice(skus), "quantity": rng.randint(1, 5),
                  "price": f"{rng.randint(1, 20000) / 100:.2f}",
                  "discount": f"{rng.randint(0, 300) / 100:.2f}"} for _ in range(rng.randint(1, 4))]
        raw = sim.create_order(
            lines, "r@example.com", taxes_included=rng.random() < 0.5, tax_rate=rng.choice(["0", "0.07", "0.19", "0.2"]),
            shipping=f"{rng.randint(0, 2000) / 100:.2f}", shipping_discount=rng.choice(["0", "0.50"]),
            fees=[{"name": "Fee", "price": "0.99"}] if rng.random() < 0.3 else [],
            order_discount=rng.choice(["0", "1.00"]))
        [order] = mapping.parse_payload("orders", raw)
        assert order.computed_total() == Decimal(raw["priceSummary"]["total"]["amount"]), json.dumps(raw)[:300]


def test_a_wrong_summary_is_noticed() -> None:
    """The check can fail: a summary whose total disagrees with its parts is not 'fixed' by the mapping."""
    sim, skus = _sim_with_catalog()
    raw = sim.create_order([{"sku": skus[0], "quantity": 2}], "x@example.com", shipping="5")
    raw["priceSummary"]["total"]["amount"] = "999.00"
    [order] = mapping.parse_payload("orders", raw)
    assert order.computed_total() != order.total


# ------------------------------------------------------------ catalog round trips


def _product() -> Product:
    return Product(external_id=None, title="Tee", description="Soft", vendor="Acme", option_names=["Size", "Color"],
                   variants=[Variant(None, "TEE-S-R", Decimal("10.00"), Decimal("12.00"), {"Size": "S", "Color": "Red"}),
                             Variant(None, "TEE-M-B", Decimal("11.50"), None, {"Size": "M", "Color": "Blue"},
                                     weight=Decimal("0.3"))])


def test_v3_body_round_trips_through_the_simulator() -> None:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None)
    stored = sim._v3_insert(mapping.product_to_v3(_product()))
    back = mapping.product_from_v3(json.loads(json.dumps(stored)))
    assert back.title == "Tee" and back.vendor == "Acme" and back.description == "Soft"
    assert [(v.sku, v.price, v.compare_at_price, v.options) for v in back.variants] == [
        ("TEE-S-R", Decimal("10.00"), Decimal("12.00"), {"Size": "S", "Color": "Red"}),
        ("TEE-M-B", Decimal("11.50"), None, {"Size": "M", "Color": "Blue"})]
    body = mapping.product_to_v3(back, stored)
    assert body["revision"] == "1"
    assert [v["id"] for v in body["variantsInfo"]["variants"]] == [v["id"] for v in stored["variantsInfo"]["variants"]]
    assert body["variantsInfo"]["variants"][0]["price"]["actualPrice"]["amount"] == "10.00"  # V3: strings


def test_v1_body_keeps_selling_price_when_compare_at_is_not_uniform() -> None:
    product = _product()
    body, variants = mapping.product_to_v1(product), mapping.variants_to_v1(product)
    assert "discount" not in body
    assert [v["price"] for v in variants] == [10, 11.5]  # V1: numbers; selling price wins
    product.variants[1].compare_at_price = Decimal("13.50")  # same 2.00 gap everywhere
    body, variants = mapping.product_to_v1(product), mapping.variants_to_v1(product)
    assert body["discount"] == {"type": "AMOUNT", "value": 2}
    assert [v["price"] for v in variants] == [12, 13.5]


def test_stock_items_parse_for_both_versions() -> None:
    v3 = {"id": "i1", "variantId": "v1", "productId": "p1", "locationId": "l1", "quantity": 7, "revision": "3",
          "product": {"variantSku": "S-1"}}
    [level] = mapping.parse_payload("stock", {"inventoryItem": v3})
    assert (level.sku, level.quantity, level.location_id, level.revision) == ("S-1", Decimal(7), "l1", "3")
    v1 = {"id": "inv", "productId": "p1", "variants": [{"variantId": "a", "quantity": 2}, {"variantId": "b",
                                                                                              "quantity": 0}]}
    levels = mapping.parse_payload("stock", {"inventoryItems": [v1]})
    assert [(lv.variant_id, lv.quantity, lv.product_id) for lv in levels] == [("a", 2, "p1"), ("b", 0, "p1")]


def test_refunds_shown_on_the_order_are_recorded() -> None:
    order = copy.deepcopy(mapping.event_entity(load_fixture("webhook-data-ecom-order-updated.json")))
    assert mapping.order_from_wix(order).refunds == []
    order["paymentStatus"] = "PARTIALLY_REFUNDED"
    order["balanceSummary"]["refunded"] = {"amount": "10.00"}
    order["lineItems"][0]["refundQuantity"] = 1
    parsed = mapping.order_from_wix(order)
    [refund] = parsed.refunds
    assert (refund.amount, refund.order_id, refund.lines) == (Decimal("10.00"), order["id"],
                                                              [("00000000-0000-0000-0000-000000000001", 1)])
    assert refund.external_id == f"{order['id']}:refunded"
    assert parsed.financial_status is FinancialStatus.PARTIALLY_REFUNDED


def test_the_orders_activities_name_each_completed_refund_oldest_first() -> None:
    """ORD ``Activity``: ``refundInitiated`` {refundId, amount} starts a refund, ``paymentRefunded`` {refundId,
    payment} completes it (``balanceSummary.refunded`` counts only completed ones), ``paymentRefundFailed`` fails
    it; a refund only initiated is pending."""
    order = copy.deepcopy(mapping.event_entity(load_fixture("webhook-data-ecom-order-updated.json")))
    order["paymentStatus"] = "PARTIALLY_REFUNDED"
    order["balanceSummary"]["refunded"] = {"amount": "15.00"}
    order["activities"] = [
        {"activityType": "ORDER_PLACED"},
        {"activityType": "REFUND_INITIATED", "refundInitiated": {"refundId": "r1", "amount": {"amount": "10.00"}}},
        {"activityType": "PAYMENT_REFUNDED", "paymentRefunded": {"refundId": "r1", "payment": {"regular": {"amount": {"amount": "10.00"}}}}},
        {"activityType": "REFUND_INITIATED", "refundInitiated": {"refundId": "r2", "amount": {"amount": "7.00"}}},
        {"activityType": "PAYMENT_REFUND_FAILED", "paymentRefundFailed": {"refundId": "r2"}},
        {"activityType": "PAYMENT_REFUNDED", "paymentRefunded": {"refundId": "r3", "payment": {"regular": {"amount": {"amount": "5.00"}}}}},
        {"activityType": "REFUND_INITIATED", "refundInitiated": {"refundId": "r4", "amount": {"amount": "1.00"}}},
    ]  # fmt: skip
    [refund] = mapping.order_from_wix(order).refunds
    assert refund.cumulative and refund.amount == Decimal("15.00")
    assert refund.store_refunds == [("r1", Decimal("10.00")), ("r3", Decimal("5.00"))]
