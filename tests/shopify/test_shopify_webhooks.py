"""Webhooks: signature, headers, dedupe/ordering keys, big ids, registration, real delivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.connectors.signing import hmac_sha256_b64
from wix_commerce_sync.sync.errors import ValidationError, WebhookVerificationError
from wix_commerce_sync.sync.models import DeletedRecord, Entity, Order, StockLevel
from wix_commerce_sync.testing.simulator import start_loopback_server, stop_loopback_server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"
SECRET = "sim-client-secret"


def signed(body: bytes, topic: str = "orders/create", secret: str = SECRET, **extra: str) -> dict[str, str]:
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": hmac_sha256_b64(secret, body),
        "X-Shopify-Shop-Domain": "sim-shop.myshopify.com",
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": "2023-03-29T18:00:27.877041743Z",
    }
    headers.update(extra)
    return headers


@pytest.fixture
def sample_body() -> bytes:
    return (FIXTURES / "webhook-orders-create-sample.json").read_bytes()


def test_valid_delivery_verifies_and_parses(conn: ShopifyConnector, sample_body: bytes) -> None:
    headers = signed(sample_body)
    conn.verify_webhook(sample_body, headers)
    event = conn.parse_webhook(sample_body, headers)
    assert event.entity == Entity.ORDERS and event.action == "created" and event.topic == "orders/create"
    assert isinstance(event.record, Order) and event.record.computed_total() == Decimal("404.95")
    assert event.external_id == "820982911946154508"
    assert event.dedupe_key == "shopify:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"  # X-Shopify-Webhook-Id
    assert event.ordering_key == "2022-01-01T00:00:00.000000Z"  # payload updated_at, normalised to UTC


def test_header_names_are_case_insensitive(conn: ShopifyConnector, sample_body: bytes) -> None:
    headers = {k.lower(): v for k, v in signed(sample_body).items()}  # HTTP/2 lower-cases
    conn.verify_webhook(sample_body, headers)
    assert conn.parse_webhook(sample_body, headers).topic == "orders/create"


@pytest.mark.parametrize("tamper", ["body", "secret", "signature"])
def test_forged_delivery_is_rejected(conn: ShopifyConnector, sample_body: bytes, tamper: str) -> None:
    headers = signed(sample_body, secret="someone-else" if tamper == "secret" else SECRET)
    body = sample_body.replace(b"404.95", b"4.95") if tamper == "body" else sample_body
    if tamper == "signature":
        headers["X-Shopify-Hmac-Sha256"] = "AAAA" + headers["X-Shopify-Hmac-Sha256"][4:]
    with pytest.raises(WebhookVerificationError):
        conn.verify_webhook(body, headers)


@pytest.mark.parametrize("missing", ["X-Shopify-Hmac-Sha256", "X-Shopify-Topic"])
def test_missing_header_is_rejected(conn: ShopifyConnector, sample_body: bytes, missing: str) -> None:
    headers = signed(sample_body)
    del headers[missing]
    with pytest.raises(WebhookVerificationError):
        conn.verify_webhook(sample_body, headers)


def test_no_secret_configured_is_rejected(sim: ShopifySimulator, sample_body: bytes) -> None:
    config = sim.store_config()
    config.webhook_secret = None
    with pytest.raises(WebhookVerificationError):
        ShopifyConnector(config).verify_webhook(sample_body, signed(sample_body))


def test_wrong_shop_domain_is_rejected_when_pinned(sim: ShopifySimulator, sample_body: bytes) -> None:
    connector = ShopifyConnector(sim.store_config(shop_domain="other.myshopify.com"))
    with pytest.raises(WebhookVerificationError):
        connector.verify_webhook(sample_body, signed(sample_body))


def test_dedupe_key_is_the_delivery_id_not_the_shared_event_id(conn: ShopifyConnector, sample_body: bytes) -> None:
    # defect 2: X-Shopify-Webhook-Id is "a unique composite key per delivery. Use to identify and deduplicate";
    # X-Shopify-Event-Id is "shared across all deliveries produced by the same merchant action"
    first = conn.parse_webhook(sample_body, signed(sample_body))
    redelivered = conn.parse_webhook(sample_body, signed(sample_body))
    assert first.dedupe_key == redelivered.dedupe_key
    level = json.loads((FIXTURES / "rest-inventory-levels-list.json").read_text())["inventory_levels"]
    a, b = (json.dumps(x).encode() for x in level[:2])
    same_action = [conn.parse_webhook(a, signed(a, topic="inventory_levels/update", **{"X-Shopify-Webhook-Id": "d-1"})),
                   conn.parse_webhook(b, signed(b, topic="inventory_levels/update", **{"X-Shopify-Webhook-Id": "d-2"}))]
    assert same_action[0].dedupe_key != same_action[1].dedupe_key  # one Event-Id, two deliveries: both kept


def test_stale_delivery_has_older_ordering_key(conn: ShopifyConnector, sample_body: bytes) -> None:
    data = json.loads(sample_body)
    newer = dict(data, updated_at="2022-01-01T09:30:00+05:30")  # 04:00Z: later than the sample's 00:00Z
    older_body, newer_body = sample_body, json.dumps(newer).encode()
    older = conn.parse_webhook(older_body, signed(older_body))
    fresh = conn.parse_webhook(newer_body, signed(newer_body, **{"X-Shopify-Event-Id": "e2"}))
    assert older.ordering_key < fresh.ordering_key
    assert fresh.ordering_key == "2022-01-01T04:00:00.000000Z"


def test_ordering_key_falls_back_to_triggered_at(conn: ShopifyConnector) -> None:
    body = b'{"id": 9554194432293}'
    event = conn.parse_webhook(body, signed(body, topic="products/delete"))
    assert event.action == "deleted" and event.external_id == "9554194432293"
    assert event.record == DeletedRecord(Entity.ITEMS, "9554194432293")
    assert event.ordering_key == "2023-03-29T18:00:27.877041Z"


def test_ids_beyond_2_53_are_kept_exact(conn: ShopifyConnector) -> None:
    big = 2**63 - 7  # far beyond 2**53; a float would round it
    body = json.dumps({"id": big, "line_items": [{"id": big - 1, "quantity": 1, "price": "1.00", "product_id": big - 2}],
                       "customer": {"id": big - 3, "email": "b@example.com"}, "total_price": "1.00",
                       "updated_at": "2024-01-01T00:00:00Z"}).encode()
    event = conn.parse_webhook(body, signed(body))
    assert event.external_id == str(big) and str(float(big)) != str(big)
    assert event.record.lines[0].external_id == str(big - 1) and event.record.lines[0].product_id == str(big - 2)
    assert event.record.customer.external_id == str(big - 3)
    assert event.payload["id"] == big  # int, not float


def test_inventory_and_other_topics(conn: ShopifyConnector) -> None:
    level = json.loads((FIXTURES / "rest-inventory-levels-list.json").read_text())["inventory_levels"][0]
    body = json.dumps(level).encode()
    event = conn.parse_webhook(body, signed(body, topic="inventory_levels/update"))
    assert event.entity == Entity.STOCK and isinstance(event.record[0], StockLevel)
    assert (event.record[0].inventory_item_id, event.record[0].location_id, event.record[0].quantity) == ("49148385", "655441491", Decimal(2))
    product = (FIXTURES / "webhook-products-update-delivery-structure-example.json").read_bytes()
    event = conn.parse_webhook(product, signed(product, topic="products/update"))
    assert event.entity == Entity.ITEMS and event.record.variants[0].sku == "TSHIRT-001"
    with pytest.raises(ValidationError):
        conn.parse_webhook(b'{"id": 1}', signed(b'{"id": 1}', topic="shop/update"))
    with pytest.raises(ValidationError):
        conn.parse_webhook(b"not json", signed(b"not json"))


# ---------------------------------------------------------------- registration and real delivery


class Receiver:
    """A tiny HTTP endpoint that verifies and parses each delivery like the Frappe handler would."""

    def __init__(self, connector: ShopifyConnector) -> None:
        self.connector = connector
        self.events: list[Any] = []
        self.rejected = 0
        self.server = start_loopback_server(self._serve)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/method/shopify_webhook"

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = dict(handler.headers.items())
        try:
            self.connector.verify_webhook(body, headers)
            self.events.append(self.connector.parse_webhook(body, headers))
            handler.send_response(200)
        except WebhookVerificationError:
            self.rejected += 1
            handler.send_response(401)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def close(self) -> None:
        stop_loopback_server(self.server)


@pytest.fixture
def receiver(conn: ShopifyConnector) -> Iterator[Receiver]:
    endpoint = Receiver(conn)
    yield endpoint
    endpoint.close()


def test_register_list_unregister(conn: ShopifyConnector, sim: ShopifySimulator, receiver: Receiver) -> None:
    topics = conn.topics_for([Entity.ORDERS, Entity.STOCK])
    registrations = conn.register_webhooks(receiver.url, topics)
    assert [r.topic for r in registrations] == topics
    assert {s["topic"] for s in sim.subscriptions.values()} == {t.replace("/", "_").upper() for t in topics}
    again = conn.register_webhooks(receiver.url, topics)  # idempotent: nothing new subscribed
    assert len(sim.subscriptions) == len(topics) and [r.external_id for r in again] == [r.external_id for r in registrations]
    assert {w.topic for w in conn.list_webhooks()} == set(topics)
    assert "inventory_levels/update" in {w.topic for w in conn.list_webhooks()}
    assert conn.unregister_webhooks(receiver.url) == len(topics) and sim.subscriptions == {}


def test_signed_delivery_with_duplicates_and_reordering(conn: ShopifyConnector, sim: ShopifySimulator, receiver: Receiver) -> None:
    sim.seed_catalog(1)
    conn.register_webhooks(receiver.url, ["orders/create", "orders/updated", "inventory_levels/update"])
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}])
    sim.update_order(order["id"], note="first change")
    sim.update_order(order["id"], note="second change")
    sent = sim.deliver_webhooks(duplicate=True, reverse=True)
    assert sent == 2 * 4 and receiver.rejected == 0  # create, 2 updates, 1 inventory level: each twice
    assert all(status == 200 for _, status in sim.webhook_deliveries)
    keys = [e.dedupe_key for e in receiver.events]
    assert len(set(keys)) == 4  # each delivery sent twice collapses on its X-Shopify-Webhook-Id
    updates = [e for e in receiver.events if e.topic == "orders/updated"]
    assert updates[0].record.note == "second change"  # delivered out of order ...
    newest = max(updates, key=lambda e: e.ordering_key)
    assert newest.record.note == "second change"  # ... but the ordering key still identifies the newest
    stock = next(e for e in receiver.events if e.entity == Entity.STOCK)
    assert stock.record[0].quantity == Decimal(9)


def test_auto_delivery_and_forged_secret(sim: ShopifySimulator, receiver: Receiver, conn: ShopifyConnector) -> None:
    conn.register_webhooks(receiver.url, ["customers/create"])
    sim.auto_deliver = True
    sim.add_customer("auto@example.com")
    assert [e.record.email for e in receiver.events] == ["auto@example.com"]
    sim.client_secret = "rotated-elsewhere"  # deliveries now signed with a key we don't hold
    sim.add_customer("forged@example.com")
    assert receiver.rejected == 1 and sim.webhook_deliveries[-1] == ("customers/create", 401)


def test_a_webhook_api_version_other_than_the_stores_is_reported_once(conn: ShopifyConnector, sample_body: bytes,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        conn.parse_webhook(sample_body, signed(sample_body))  # 2026-04, as configured
        assert caplog.text == ""
        for _ in range(2):
            conn.parse_webhook(sample_body, signed(sample_body, **{"X-Shopify-API-Version": "2025-10"}))
    assert caplog.text.count("webhooks arrive in API version 2025-10") == 1
