"""Issue 11 for Shopify: no blind resend of a create whose answer was lost after the store committed.
Each create is either keyed with Shopify's @idempotent(key:) (stable across job retries) or looks first
for what the lost attempt made; the job's retry (a second call) then leaves exactly one object."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.client import is_idempotent
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import Customer, Fulfilment, Order, OrderLine, Product, Refund, Variant


@pytest.fixture
def conn(sim: ShopifySimulator):  # type: ignore[no-untyped-def]
    connector = ShopifyConnector(sim.store_config(backoff_initial=0.0, backoff_max=0.0))
    yield connector
    connector.close()


def test_only_queries_and_keyed_mutations_are_idempotent_by_default() -> None:
    assert is_idempotent(q.ORDERS) and is_idempotent(q.REFUND_CREATE) and is_idempotent(q.INVENTORY_SET)
    assert not any(is_idempotent(doc) for doc in (q.ORDER_CREATE, q.FULFILLMENT_CREATE, q.WEBHOOK_CREATE, q.BULK_RUN))


def test_order_create_answer_lost_then_retry_makes_one_order(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    order = Order(external_id="SO-L1", number="SO-L1", currency="USD", created_at=None, updated_at=None,
                  lines=[OrderLine(external_id=None, sku="SKU-000000", title="T", quantity=Decimal(1),
                                   unit_price=Decimal("5"), variant_id=str(next(iter(sim.variants))))])
    sim.lose_answer_of("orderCreate")
    lost = conn.create_orders([order])[0]
    assert not lost.ok and lost.retryable  # AmbiguousWriteError: not resent in place
    again = conn.create_orders([order])[0]  # the job's retry looks first (tag erp-SO-L1)
    assert again.ok and again.data == {"existing": True}
    assert len(sim.orders) == 1


def test_fulfillment_create_answer_lost_then_retry_makes_one_fulfilment(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    order = str(sim.create_order([{"sku": "SKU-000000", "quantity": 3}])["id"])
    shipment = Fulfilment(order_id=order, lines=[("SKU-000000", Decimal(1))], tracking_number="1Z1", external_id="DN-1")
    sim.lose_answer_of("fulfillmentCreate")
    lost = conn.create_fulfilments([shipment])[0]
    assert not lost.ok and lost.retryable
    again = conn.create_fulfilments([shipment])[0]
    assert again.ok and again.data["existing"]
    assert len(sim.fulfilments_of(order)) == 1
    second = Fulfilment(order_id=order, lines=[("SKU-000000", Decimal(1))], tracking_number="1Z2", external_id="DN-2")
    assert conn.create_fulfilments([second])[0].ok and len(sim.fulfilments_of(order)) == 2  # a new shipment is made


def test_refund_create_answer_lost_is_resent_with_the_same_key(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}])
    refund = Refund(external_id="CN-L1", order_id=str(order["id"]), amount=Decimal("10.00"), lines=[("SKU-000000", Decimal(1))])
    sim.lose_answer_of("refundCreate")
    first = conn.record_refunds([refund])[0]  # keyed: resent in place, Shopify answers the first result
    retry = conn.record_refunds([refund])[0]  # the job's retry derives the same key
    assert first.ok and retry.ok and first.external_id == retry.external_id
    assert len(sim.orders[order["id"]]["refunds"]) == 1
    keys = [key for name, key in sim.idempotency_keys if name == "refundCreate"]
    assert len(keys) == 3 and len(set(keys)) == 1


def test_product_create_answer_lost_then_retry_makes_one_product(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    product = Product(external_id=None, title="Lamp", variants=[Variant(external_id=None, sku="LAMP-1", price=Decimal("9"))])
    sim.lose_answer_of("productSet")
    lost = conn.upsert_products([product])[0]
    assert not lost.ok and lost.retryable
    again = conn.upsert_products([product])[0]
    assert again.ok and len(sim.products) == 1 and again.external_id == str(next(iter(sim.products)))


def test_customer_create_answer_lost_then_retry_makes_one_customer(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    customers = [Customer(external_id=None, email="lost@example.com", first_name="Lost"),
                 Customer(external_id=None, email=None, phone="+15555550100", first_name="Phone")]
    sim.faults.lose_answer_next(1)  # customerSet is the first request: keyed by email / phone, an upsert
    first = conn.upsert_customers(customers)
    again = conn.upsert_customers(customers)
    assert all(r.ok for r in first + again)
    assert sorted(c.get("email") or c.get("phone") for c in sim.customers.values()) == ["+15555550100", "lost@example.com"]


def test_customer_without_email_or_phone_is_marked_and_found_on_retry(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    walk_in = Customer(external_id=None, email=None, first_name="Walk", last_name="In")
    sim.lose_answer_of("customerSet")
    lost = conn.upsert_customers([walk_in])[0]
    assert not lost.ok and lost.retryable  # a plain create: not resent in place
    again = conn.upsert_customers([walk_in])[0]
    assert again.ok and len(sim.customers) == 1
    other = Customer(external_id=None, email=None, first_name="Other", last_name="Person")
    assert conn.upsert_customers([other])[0].ok and len(sim.customers) == 2  # a different customer is made


@pytest.mark.parametrize("status", [200, 429])
def test_a_throttled_create_waits_and_is_sent_again_not_reported_ambiguous(conn: ShopifyConnector, sim: ShopifySimulator,
                                                                           status: int) -> None:
    # THROTTLED (HTTP 200 or 429): Shopify did not run the request, so even a create is simply resent
    sim.seed_catalog(1)
    order = Order(external_id="SO-T1", number="SO-T1", currency="USD", created_at=None, updated_at=None,
                  lines=[OrderLine(external_id=None, sku="SKU-000000", title="T", quantity=Decimal(1),
                                   unit_price=Decimal("5"), variant_id=str(next(iter(sim.variants))))])
    sim.throttle_next(1, http_status=status)
    data = conn.client.execute(q.ORDER_CREATE, {"order": conn._order_input(order, "erp-SO-T1")})
    assert data["orderCreate"]["order"]["id"] and len(sim.orders) == 1


def test_a_lost_answer_aimed_at_a_create_passes_the_updates_before_it(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    """The chaos run arms a lost answer for a new Item's create; a product update pushed first must not take it."""
    lamp = Product(external_id=None, title="Lamp", variants=[Variant(external_id=None, sku="LAMP-1", price=Decimal("9"))])
    made = conn.upsert_products([lamp])[0]
    sim.lose_answer_of("productSet", creates_only=True)
    update = Product(external_id=made.external_id, title="Lamp", variants=[Variant(external_id=None, sku="LAMP-1", price=Decimal("10"))])
    assert conn.upsert_products([update])[0].ok  # an update: answered
    desk = Product(external_id=None, title="Desk", variants=[Variant(external_id=None, sku="DESK-1", price=Decimal("90"))])
    lost = conn.upsert_products([desk])[0]
    assert not lost.ok and lost.retryable  # the create: carried out, its answer lost
    assert sorted(p["title"] for p in sim.products.values()) == ["Desk", "Lamp"]
