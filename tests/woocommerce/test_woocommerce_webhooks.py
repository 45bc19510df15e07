"""Webhook tests: registration, deliveries from the simulator, verification and parsing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.signing import hmac_sha256_b64
from wix_commerce_sync.sync.errors import ValidationError, WebhookVerificationError
from wix_commerce_sync.sync.models import DeletedRecord, Entity, Order, OrderStatus, Product, StockLevel

SECRET = "whsec_test_secret_123"


def _registered(sim, make_connector, receiver, topics=("order.created", "order.updated")):
    connector = make_connector(webhook_secret=SECRET)
    registrations = connector.register_webhooks(receiver.url, list(topics))
    assert sorted(r.topic for r in registrations) == sorted(topics) and all(r.active for r in registrations)
    sim.deliver_webhooks()  # the pings
    receiver.deliveries.clear()
    return connector


def _order_deliveries(receiver):
    return [(h, b) for h, b in receiver.deliveries if h.get("X-WC-Webhook-Topic", "").startswith("order.")]


def test_register_generates_and_exposes_a_secret_when_none_is_set(sim, make_connector, receiver):
    connector = make_connector()
    assert connector.config.webhook_secret is None
    registrations = connector.register_webhooks(receiver.url, connector.topics_for([Entity.ORDERS]))
    secret = connector.config.webhook_secret
    assert secret and connector.generated_webhook_secret == secret and len(registrations) == 3
    assert {h["secret"] for h in sim.webhooks.values()} == {secret}
    assert sim.call_count("/webhooks") == 2  # one listing, one batch
    # registering again is idempotent: same ids, nothing duplicated
    again = connector.register_webhooks(receiver.url, connector.topics_for([Entity.ORDERS]))
    assert {r.external_id for r in again} == {r.external_id for r in registrations} and len(sim.webhooks) == 3
    assert {w.topic for w in connector.list_webhooks()} == {"order.created", "order.updated", "order.deleted"}


def test_ping_on_creation_is_form_encoded_unsigned_and_accepted(sim, make_connector, receiver):
    connector = make_connector(webhook_secret=SECRET)
    [registration] = connector.register_webhooks(receiver.url, ["order.created"])
    assert sim.deliver_webhooks() == 1
    [(headers, body)] = receiver.deliveries
    assert body == f"webhook_id={registration.external_id}".encode()
    assert "X-WC-Webhook-Signature" not in headers
    connector.verify_webhook(body, headers)
    event = connector.parse_webhook(body, headers)
    assert event.is_ping and event.record is None and event.external_id == registration.external_id


@pytest.mark.parametrize("body", [b"webhook_id=12&status=completed", b"webhook_id=abc", b"webhook_id=1\n", b'{"id": 1}'])
def test_unsigned_bodies_other_than_the_exact_ping_are_refused(connector, body):
    connector.config.webhook_secret = SECRET
    with pytest.raises(WebhookVerificationError, match="missing X-WC-Webhook-Signature"):
        connector.verify_webhook(body, {"X-WC-Webhook-Topic": "order.created"})


def test_valid_delivery_verifies_and_parses_to_an_order(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    sim.seed_catalog(2)
    order = sim.create_order([{"sku": "SKU-000001", "quantity": 2}], customer_email="buyer@x.test",
                             coupons=[{"code": "TEN", "percent": 10}], shipping=[{"total": "4.00"}])
    assert sim.deliver_webhooks() == 1
    [(headers, body)] = receiver.deliveries
    connector.verify_webhook(body, headers)
    event = connector.parse_webhook(body, headers)
    assert (event.topic, event.entity, event.action, event.external_id) == ("order.created", Entity.ORDERS, "created", str(order["id"]))
    assert isinstance(event.record, Order) and event.record.computed_total() == event.record.total
    # the delivery id is shared by every delivery of that webhook in the same second: never the key alone
    assert event.dedupe_key == f"woocommerce:order.created:{order['id']}:{order['date_modified_gmt']}"
    assert event.ordering_key == order["date_modified_gmt"] + "Z" and event.payload["id"] == order["id"]
    assert sim.webhook_deliveries[-1] == ("order.created", 200)


def test_forged_signature_is_refused(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    sim.seed_catalog(1)
    sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.deliver_webhooks()
    [(headers, body)] = receiver.deliveries
    tampered = body.replace(b'"total":"', b'"total":"1')
    with pytest.raises(WebhookVerificationError, match="does not match"):
        connector.verify_webhook(tampered, headers)
    forged = dict(headers, **{"X-WC-Webhook-Signature": hmac_sha256_b64("guessed-secret", body)})
    with pytest.raises(WebhookVerificationError):
        connector.verify_webhook(body, forged)


def test_missing_signature_header_or_secret_is_refused(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    sim.seed_catalog(1)
    sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.deliver_webhooks()
    [(headers, body)] = receiver.deliveries
    unsigned = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
    with pytest.raises(WebhookVerificationError, match="missing"):
        connector.verify_webhook(body, unsigned)
    connector.config.webhook_secret = None
    with pytest.raises(WebhookVerificationError, match="no webhook secret"):
        connector.verify_webhook(body, headers)


def test_lowercase_headers_are_accepted(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    sim.seed_catalog(1)
    sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.deliver_webhooks()
    [(headers, body)] = receiver.deliveries
    lowered = {k.lower(): v for k, v in headers.items()}
    connector.verify_webhook(body, lowered)
    assert connector.parse_webhook(body, lowered).topic == "order.created"


def test_duplicate_delivery_has_the_same_dedupe_key(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    sim.seed_catalog(1)
    sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.deliver_webhooks(duplicate=True)
    first, second = (connector.parse_webhook(b, h) for h, b in receiver.deliveries)
    assert first.dedupe_key == second.dedupe_key and first.ordering_key == second.ordering_key


def test_dedupe_falls_back_to_topic_id_and_modified_time(connector):
    body = json.dumps({"id": 5, "date_modified_gmt": "2024-02-01T10:00:00", "line_items": [], "total": "0.00"}).encode()
    event = connector.parse_webhook(body, {"X-WC-Webhook-Topic": "order.updated"})
    assert event.dedupe_key == "woocommerce:order.updated:5:2024-02-01T10:00:00"


def test_stale_delivery_has_an_older_ordering_key(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver, topics=("product.updated",))
    sim.seed_catalog(2)
    sim.set_inventory("SKU-000000", 5)
    sim.set_inventory("SKU-000001", 6)
    sim.deliver_webhooks(reverse=True)  # out of order
    newer, older = (connector.parse_webhook(b, h) for h, b in receiver.deliveries)
    assert older.ordering_key < newer.ordering_key
    assert isinstance(older.record, Product) and older.record.variants[0].inventory_quantity == 5


def test_rapid_updates_coalesce_and_carry_the_state_at_send_time(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver, topics=("order.updated",))
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.update_order(order["id"], status="on-hold")
    sim.update_order(order["id"], status="completed")
    assert sim.deliver_webhooks() == 1
    [(headers, body)] = receiver.deliveries
    connector.verify_webhook(body, headers)
    event = connector.parse_webhook(body, headers)
    assert event.record.store_status == "completed" and event.record.status == OrderStatus.DELIVERED


def test_variation_stock_change_arrives_as_product_update(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver, topics=("product.updated",))
    [pid] = sim.seed_catalog(1, variants_per_product=2)
    sim.set_inventory("SKU-000000-01", 3)
    sim.deliver_webhooks()
    [(headers, body)] = receiver.deliveries
    event = connector.parse_webhook(body, headers)
    assert event.entity == Entity.ITEMS and event.record.external_id == str(pid)
    assert event.record.variants[0].sku == "SKU-000000-01" and event.record.variants[0].inventory_quantity == 3
    sim.reset_counts()
    assert connector.set_stock([StockLevel(sku="SKU-000000-01", quantity=Decimal(9))])[0].ok
    assert sim.call_count() == 1  # the webhook taught the connector where that sku lives


def test_deleted_event_and_cancelled_action(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver, topics=("order.updated", "product.deleted"))
    [pid] = sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.cancel_order(order["id"])
    connector._batch("/products/batch", delete=[pid])
    sim.deliver_webhooks()
    events = [connector.parse_webhook(b, h) for h, b in receiver.deliveries]
    cancelled = next(e for e in events if e.entity == Entity.ORDERS)
    deleted = next(e for e in events if e.topic == "product.deleted")
    assert cancelled.action == "cancelled" and cancelled.record.status == OrderStatus.CANCELLED
    assert deleted.action == "deleted" and deleted.external_id == str(pid)
    assert isinstance(deleted.record, DeletedRecord) and deleted.record.external_id == str(pid)
    assert deleted.record.entity == Entity.ITEMS
    assert deleted.ordering_key is not None


def test_source_header_is_not_trusted_for_anything(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    sim.seed_catalog(1)
    sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.deliver_webhooks()
    [(headers, body)] = receiver.deliveries
    spoofed = dict(headers, **{"X-WC-Webhook-Source": "https://other-store.example/"})
    connector.verify_webhook(body, spoofed)  # the source header neither helps nor hurts
    assert connector.parse_webhook(body, spoofed).dedupe_key == connector.parse_webhook(body, headers).dedupe_key


def test_unsupported_topic_and_bad_json_after_verification(connector):
    with pytest.raises(ValidationError, match="unsupported"):
        connector.parse_webhook(b'{"id": 1}', {"X-WC-Webhook-Topic": "coupon.created"})
    with pytest.raises(ValidationError, match="not JSON"):
        connector.parse_webhook(b"{nope", {"X-WC-Webhook-Topic": "order.created"})


def test_failures_disable_the_webhook_and_check_webhooks_recovers(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver, topics=("order.created", "order.updated"))
    sim.seed_catalog(1)
    receiver.status = 500
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    for i in range(6):
        sim.update_order(order["id"], customer_note=f"n{i}")
        sim.deliver_webhooks()
    assert {h["status"] for h in sim.webhooks.values()} == {"active"}  # 6 failures: still active
    sim.update_order(order["id"], customer_note="n6")
    sim.deliver_webhooks()
    statuses = {h["topic"]: h["status"] for h in sim.webhooks.values()}
    # class-wc-webhook.php failed_delivery(): `if ( $failures > 5 ) disable; else ++$failures` -> the 7th failure
    assert statuses == {"order.created": "active", "order.updated": "disabled"}
    sim.update_order(order["id"], customer_note="lost")
    assert sim.pending_deliveries() == 0  # no retries and nothing queued for a disabled webhook
    # one subscription also vanished (deleted by an admin)
    created_id = next(h["id"] for h in sim.webhooks.values() if h["topic"] == "order.created")
    sim.delete_webhook(created_id)
    receiver.status = 200
    sim.reset_counts()
    counts = connector.check_webhooks(receiver.url, ["order.created", "order.updated"])
    assert counts == {"active": 0, "reactivated": 1, "recreated": 1}
    assert sim.call_count("/webhooks") == 2
    assert {h["status"] for h in sim.webhooks.values()} == {"active"} and len(sim.webhooks) == 2
    assert connector.check_webhooks(receiver.url, ["order.created", "order.updated"]) == {
        "active": 2, "reactivated": 0, "recreated": 0}
    receiver.deliveries.clear()
    sim.update_order(order["id"], status="completed")
    sim.deliver_webhooks()
    assert [h["X-WC-Webhook-Topic"] for h, _ in _order_deliveries(receiver)] == ["order.updated"]
    connector.verify_webhook(receiver.deliveries[-1][1], receiver.deliveries[-1][0])


def test_unregister_removes_only_this_address(sim, make_connector, receiver):
    connector = _registered(sim, make_connector, receiver)
    connector.register_webhooks("http://127.0.0.1:1/elsewhere", ["order.created"])
    assert connector.unregister_webhooks(receiver.url) == 2
    assert [w.address for w in connector.list_webhooks()] == ["http://127.0.0.1:1/elsewhere"]


def test_auto_deliver_sends_without_being_asked(sim, make_connector, receiver):
    _registered(sim, make_connector, receiver, topics=("customer.created",))
    sim.auto_deliver = True
    sim.add_customer("auto@x.test")
    assert [h.get("X-WC-Webhook-Topic") for h, _ in receiver.deliveries] == ["customer.created"]
