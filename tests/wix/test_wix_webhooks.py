"""Wix webhooks: RS256 JWT verification (only a genuine token passes), nested JSON, dedupe, ordering, delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wix_commerce_sync.connectors.wix.connector import WixConnector
from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.errors import WebhookVerificationError
from wix_commerce_sync.sync.models import Entity, Order, OrderStatus, Product, StockLevel
from wix_commerce_sync.testing.simulator import start_loopback_server, stop_loopback_server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wix"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def site() -> Iterator[tuple[WixSimulator, WixConnector]]:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None)
    sim.start()
    connector = WixConnector(sim.store_config(max_attempts=1, rate_limit_per_minute=100000, rate_burst=1000))
    yield sim, connector
    connector.close()
    sim.stop()


def order_event() -> dict[str, Any]:
    return load_fixture("webhook-data-ecom-order-updated.json")


# ------------------------------------------------------------ verification


def test_valid_token_is_accepted(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    body = sim.webhook_body("wix.ecom.v1.order_updated", order_event())
    connector.verify_webhook(body, {})
    event = connector.parse_webhook(body, {})
    assert event.entity is Entity.ORDERS and isinstance(event.record, Order)


def test_wrong_key_is_rejected(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"data": json.dumps({"data": {"eventType": "x", "data": "{}"}}), "iat": int(time.time()),
              "exp": int(time.time()) + 60}
    with pytest.raises(WebhookVerificationError):
        connector.verify_webhook(jwt.encode(claims, other, algorithm="RS256").encode(), {})


def _forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> bytes:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(signature)}".encode()


def test_alg_none_is_rejected(site: tuple[WixSimulator, WixConnector]) -> None:
    _, connector = site
    body = _forged({"alg": "none", "typ": "JWT"}, {"data": json.dumps({"data": {}}), "iat": int(time.time())}, b"")
    with pytest.raises(WebhookVerificationError, match="algorithm"):
        connector.verify_webhook(body, {})


def test_hs256_signed_with_the_public_key_is_rejected(site: tuple[WixSimulator, WixConnector]) -> None:
    """Algorithm confusion: HMAC with the (public) PEM as secret must never verify."""
    sim, connector = site
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"data": json.dumps({"data": {"eventType": "wix.ecom.v1.order_updated",
                                           "data": json.dumps(order_event())}}), "iat": int(time.time())}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
    signature = hmac.new(sim.public_key_pem.encode(), signing_input, hashlib.sha256).digest()
    with pytest.raises(WebhookVerificationError, match="algorithm"):
        connector.verify_webhook(signing_input + b"." + b64url(signature).encode(), {})


def test_expired_token_is_rejected(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    body = sim.webhook_body("wix.ecom.v1.order_updated", order_event(), iat=time.time() - 7200, expires_in=3600)
    with pytest.raises(WebhookVerificationError, match="expired"):
        connector.verify_webhook(body, {})


def test_tampered_body_is_rejected(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    body = sim.webhook_body("wix.ecom.v1.order_updated", order_event())
    header, payload, signature = body.split(b".")
    claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    claims["data"] = claims["data"].replace("25.0", "0.01")
    tampered = b".".join([header, b64url(json.dumps(claims).encode()).encode(), signature])
    with pytest.raises(WebhookVerificationError):
        connector.verify_webhook(tampered, {})
    flipped = body[:-3] + (b"A" if body[-3:-2] != b"A" else b"B") + body[-2:]
    with pytest.raises(WebhookVerificationError):
        connector.verify_webhook(flipped, {})


@pytest.mark.parametrize("body", [b"", b"not a jwt", b"\xff\xfe.a.b", b"a.b.c"])
def test_garbage_is_rejected(site: tuple[WixSimulator, WixConnector], body: bytes) -> None:
    with pytest.raises(WebhookVerificationError):
        site[1].verify_webhook(body, {})


def test_missing_public_key_is_rejected(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    connector.config.webhook_secret = None
    with pytest.raises(WebhookVerificationError, match="public key"):
        connector.verify_webhook(sim.webhook_body("wix.ecom.v1.order_updated", order_event()), {})


def test_verification_is_fast_and_key_is_loaded_once(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    body = sim.webhook_body("wix.ecom.v1.order_updated", order_event())
    connector.verify_webhook(body, {})
    key = connector._public_key
    started = time.perf_counter()
    for _ in range(200):
        connector.verify_webhook(body, {})
    per_call = (time.perf_counter() - started) / 200
    assert connector._public_key is key
    assert per_call < 0.05  # Wix allows 1.25 s for the whole answer


# ------------------------------------------------------------ parsing


def test_nested_strings_and_outer_data_string(site: tuple[WixSimulator, WixConnector]) -> None:
    """The envelope may arrive with ``data`` as an object or as a JSON string; both parse."""
    sim, connector = site
    inner = order_event()
    as_object = {"data": {"eventType": "wix.ecom.v1.order_updated", "instanceId": "i",
                          "data": json.dumps(inner), "identity": json.dumps({"identityType": "APP"})},
                 "iat": int(time.time()), "exp": int(time.time()) + 60}
    event = connector.parse_webhook(sim.sign(as_object), {})
    assert event.dedupe_key == inner["id"]
    assert event.record.total == event.record.computed_total()


def test_dedupe_and_ordering_keys(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    first = load_fixture("webhook-data-catalog-v3-brand-updated.json")
    newer = {**first, "id": "another-event", "entityEventSequence": "12"}
    a = connector.parse_webhook(sim.webhook_body("wix.stores.catalog.v3.brand_updated", first), {})
    again = connector.parse_webhook(sim.webhook_body("wix.stores.catalog.v3.brand_updated", first), {})
    b = connector.parse_webhook(sim.webhook_body("wix.stores.catalog.v3.brand_updated", newer), {})
    assert a.dedupe_key == again.dedupe_key == "3f677268-8f65-43b6-b5e8-60e368cca6ac"
    assert a.ordering_key == "3".zfill(20) and b.ordering_key > a.ordering_key  # "12" > "3" numerically
    assert a.is_ping  # brands are not synced: answer 200, do nothing


def test_order_events_use_updated_date_when_no_sequence(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    older = json.loads(json.dumps(order_event()))
    older["id"] = "older"
    older["updatedEvent"]["currentEntity"]["updatedDate"] = "2022-12-21T13:00:00.000Z"
    a = connector.parse_webhook(sim.webhook_body("wix.ecom.v1.order_updated", older), {})
    b = connector.parse_webhook(sim.webhook_body("wix.ecom.v1.order_updated", order_event()), {})
    assert a.ordering_key < b.ordering_key


def test_payment_status_action_event(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    data = load_fixture("webhook-data-ecom-order-payment-status-updated.json")
    event = connector.parse_webhook(sim.webhook_body("wix.ecom.v1.order_payment_status_updated", data), {})
    assert event.action == "payment_status_updated"
    assert event.record.external_id == "880fa895-dfd5-4d50-a2d4-971b03fd4b86"
    assert event.record.status is OrderStatus.PROCESSING


def test_initialized_orders_are_ignored(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    data = json.loads(json.dumps(order_event()))
    data["updatedEvent"]["currentEntity"]["status"] = "INITIALIZED"
    event = connector.parse_webhook(sim.webhook_body("wix.ecom.v1.order_updated", data), {})
    assert event.is_ping and event.record is None


def test_v1_events(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    inventory = {"inventoryItemId": "inv", "productId": "p1",
                 "variants": [{"id": "v1", "oldValue": {"quantity": 1, "inStock": True},
                               "newValue": {"quantity": 9, "inStock": True}}]}
    body = sim.webhook_body("com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged", inventory)
    event = connector.parse_webhook(body, {})
    assert event.entity is Entity.STOCK
    [level] = event.record
    assert isinstance(level, StockLevel) and (level.variant_id, level.quantity, level.product_id) == ("v1", 9, "p1")
    assert event.dedupe_key == connector.parse_webhook(body, {}).dedupe_key
    changed = connector.parse_webhook(sim.webhook_body("com.wix.ecommerce.catalog.api.v1.ProductChanged",
                                                       {"productId": "p1", "changedFields": ["price"]}), {})
    assert (changed.entity, changed.action, changed.external_id) == (Entity.ITEMS, "updated", "p1")
    same_data_later = sim.webhook_body("com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged", inventory,
                                       iat=time.time() - 5)
    assert connector.parse_webhook(same_data_later, {}).dedupe_key != event.dedupe_key  # a new change, kept


# ------------------------------------------------------------ delivery over sockets


class Receiver:
    """A webhook endpoint that verifies with the connector, like the Frappe shell would."""

    def __init__(self, connector: WixConnector, fail_first: int = 0) -> None:
        self.connector, self.fail_first = connector, fail_first
        self.events: list[Any] = []
        self.server = start_loopback_server(self._serve)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/wix/webhook"

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        status = 200
        try:
            self.connector.verify_webhook(body, dict(handler.headers))
            if self.fail_first > 0:
                self.fail_first -= 1
                status = 500
            else:
                self.events.append(self.connector.parse_webhook(body, dict(handler.headers)))
        except WebhookVerificationError:
            status = 401
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def close(self) -> None:
        stop_loopback_server(self.server)


def test_delivery_duplicates_reverse_and_retries(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    receiver = Receiver(connector, fail_first=1)
    try:
        topics = connector.topics_for([Entity.ORDERS, Entity.ITEMS])
        registered = connector.register_webhooks(receiver.url, topics)
        assert len(registered) == len(topics) and {r.address for r in connector.list_webhooks()} == {receiver.url}
        skus = sim.seed_catalog(2)
        order = sim.create_order([{"sku": skus[0], "quantity": 1}], "a@example.com")
        sim.update_order(order["id"], buyerNote="first")
        sim.update_order(order["id"], buyerNote="second")
        assert sim.deliver_webhooks() == 2  # the first delivery failed (500) and is kept
        assert sim.deliver_webhooks() == 1  # ... and retried
        assert [s for _, s in sim.webhook_deliveries] == [500, 200, 200, 200]
        assert len({e.dedupe_key for e in receiver.events}) == 3
        receiver.events.clear()
        sim.update_order(order["id"], buyerNote="third")
        sim.update_order(order["id"], buyerNote="fourth")
        sim.deliver_webhooks(duplicate=True, reverse=True)
        keys = [e.dedupe_key for e in receiver.events]
        assert len(keys) == 4 and len(set(keys)) == 2  # duplicates share the dedupe key
        first_seen, last_seen = receiver.events[0], receiver.events[-1]
        assert first_seen.ordering_key > last_seen.ordering_key  # newest arrived first: the stale one sorts lower
        product = sim.add_product("Hat", skus=["HAT-1"])
        sim.deliver_webhooks()
        assert isinstance(receiver.events[-1].record, Product)
        assert receiver.events[-1].record.external_id == product["id"]
        assert connector.unregister_webhooks(receiver.url) == len(topics)
    finally:
        receiver.close()


def test_auto_deliver_on_change(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, connector = site
    receiver = Receiver(connector)
    try:
        connector.register_webhooks(receiver.url, connector.topics_for([Entity.STOCK, Entity.CUSTOMERS]))
        sim.auto_deliver = True
        sim.seed_catalog(1, sku_prefix="AUTO")
        sim.set_inventory("AUTO000000", 4)
        sim.add_customer("c@example.com")
        topics = [e.topic for e in receiver.events]
        assert topics == ["wix.stores.catalog.v3.inventory_item_updated", "wix.contacts.v4.contact_created"]
        assert receiver.events[0].record[0].quantity == 4 and receiver.events[0].record[0].sku == "AUTO000000"
    finally:
        receiver.close()


def test_without_admin_path_registrations_are_inactive_dashboard_entries(site: tuple[WixSimulator, WixConnector]) -> None:
    sim, _ = site
    connector = WixConnector(sim.store_config(webhook_admin_path=None, max_attempts=1))
    regs = connector.register_webhooks("https://erp.example.com/hook", ["wix.ecom.v1.order_created"])
    assert [r.active for r in regs] == [False] and connector.list_webhooks() == []
    assert sim.subscriptions == []


def test_public_key_pem_is_exposed() -> None:
    sim = WixSimulator("V1_CATALOG")
    key = serialization.load_pem_public_key(sim.public_key_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)


def test_v1_site_delivers_legacy_events() -> None:
    sim = WixSimulator("V1_CATALOG", rate_limit_per_minute=None)
    sim.start()
    connector = WixConnector(sim.store_config(max_attempts=1))
    receiver = Receiver(connector)
    try:
        connector.register_webhooks(receiver.url, connector.topics_for([Entity.ITEMS, Entity.STOCK]))
        [sku] = sim.seed_catalog(1)
        product_id, variant_id = sim.variant_of(sku)
        sim.set_inventory(sku, 6)
        sim.touch_product(product_id, name="Renamed")
        sim.set_inventory(sku, 6)  # a second, distinct event (its oldValue differs)
        assert sim.deliver_webhooks(duplicate=True) == 6
        stock = [e for e in receiver.events if e.entity is Entity.STOCK]
        assert [lv.quantity for e in stock for lv in e.record] == [6, 6, 6, 6]
        assert stock[0].record[0].variant_id == variant_id and stock[0].record[0].product_id == product_id
        assert stock[0].dedupe_key == stock[1].dedupe_key  # a duplicate delivery
        items = [e for e in receiver.events if e.entity is Entity.ITEMS]
        assert {e.external_id for e in items} == {product_id} and items[0].action == "updated"
    finally:
        receiver.close()
        sim.stop()
