"""Webhook deliveries as Shopify sends them, through the engine: one merchant action -> several deliveries
sharing X-Shopify-Event-Id; refunds/create; deleted records."""

from __future__ import annotations

import json
from decimal import Decimal

from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import DeletedRecord, Entity, Refund


def _subscribe(sim: ShopifySimulator, *topics: str) -> None:
    for topic in topics:
        sim.subscriptions[len(sim.subscriptions) + 1] = {"topic": topic.replace("/", "_").upper(),
                                                         "uri": "http://127.0.0.1:9/unused"}


def test_one_action_many_deliveries_share_the_event_id_and_all_are_queued(engine_world, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    _subscribe(sim, "inventory_levels/update")
    sim.create_order([{"sku": "SKU-000000", "quantity": 1}, {"sku": "SKU-000001", "quantity": 1}])
    deliveries = sim.pending_webhooks()
    assert len(deliveries) == 2
    assert len({h["X-Shopify-Event-Id"] for _, h in deliveries}) == 1  # one merchant action
    assert len({h["X-Shopify-Webhook-Id"] for _, h in deliveries}) == 2  # two deliveries
    outcomes = [engine_world.engine.accept_webhook(body, headers).status for body, headers in deliveries]
    assert outcomes == ["queued", "queued"]  # defect 2: the second was dropped as a duplicate
    assert [engine_world.engine.accept_webhook(b, h).status for b, h in deliveries] == ["duplicate", "duplicate"]


def test_refunds_create_updates_the_orders_refunds_and_keeps_its_orders_updated(engine_world, sim: ShopifySimulator,
                                                                               conn: ShopifyConnector) -> None:
    sim.seed_catalog(1)
    _subscribe(sim, "orders/create", "orders/updated", "refunds/create")
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}])
    engine_world.erp.items["SKU-000000"] = {"item_code": "SKU-000000"}
    for body, headers in sim.pending_webhooks():
        engine_world.engine.accept_webhook(body, headers)
    sim._queue.clear()
    assert engine_world.engine.run_inbound_jobs().errors == []
    refund = Refund(external_id="CN-9", order_id=str(order["id"]), amount=Decimal("10.00"), lines=[("SKU-000000", Decimal(1))])
    assert conn.record_refunds([refund])[0].ok
    deliveries = sim.pending_webhooks()
    topics = [h["X-Shopify-Topic"] for _, h in deliveries]
    assert sorted(topics) == ["orders/updated", "refunds/create"]
    updated_first = sorted(deliveries, key=lambda d: d[1]["X-Shopify-Topic"] != "orders/updated")
    calls_before = sim.call_count()
    events = [engine_world.engine.accept_webhook(b, h) for b, h in updated_first]
    assert [e.status for e in events] == ["queued", "queued"]
    assert sim.call_count() == calls_before  # accepting a delivery never calls the store; the worker re-reads
    refund_event = events[1].event
    assert refund_event.entity == Entity.ORDERS and refund_event.record.order_id == str(order["id"])
    assert refund_event.external_id != events[0].event.external_id  # its own record key: no superseding
    stats = engine_world.engine.run_inbound_jobs()
    assert stats.errors == [] and stats.failed == 0  # defect 3: 'Refund' object has no attribute 'status'
    memory_order = engine_world.erp.orders[(engine_world.settings.name, str(order["id"]))]
    assert len(memory_order.refunds) == 1


def test_deleted_topics_parse_to_deleted_records(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    product = sim.add_product("Gone", [{"sku": "GONE"}])
    customer = sim.add_customer("gone@example.com")
    order = sim.create_order([{"sku": "GONE", "quantity": 1}])
    _subscribe(sim, "products/delete", "customers/delete", "orders/delete")
    sim.delete_product(product["id"])
    sim.delete_customer(customer["id"])
    sim.delete_order(order["id"])
    events = [conn.parse_webhook(body, headers) for body, headers in sim.pending_webhooks()]
    assert [(e.action, e.record) for e in events] == [
        ("deleted", DeletedRecord(Entity.ITEMS, str(product["id"]))),
        ("deleted", DeletedRecord(Entity.CUSTOMERS, str(customer["id"]))),
        ("deleted", DeletedRecord(Entity.ORDERS, str(order["id"]))),
    ]
    assert all(json.loads(body) == {"id": json.loads(body)["id"]} for body, _ in sim.pending_webhooks())


def test_deleted_topics_are_subscribed(conn: ShopifyConnector) -> None:
    topics = conn.topics_for([Entity.ITEMS, Entity.CUSTOMERS, Entity.ORDERS])
    assert {"products/delete", "customers/delete", "orders/delete"} <= set(topics)
