"""A fake platform connector: canonical records in memory, HMAC-signed JSON webhooks.

Used by engine tests and Frappe shell tests to exercise everything above the
connector without a platform. Its webhook body is ``{"topic", "event_id",
"record": <serialize.to_data(record)>}`` signed like Shopify (base64 HMAC-SHA256
in ``X-Fake-Signature``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from wix_commerce_sync.connectors.base import (
    Capabilities,
    ConnectionInfo,
    Connector,
    StoreConfig,
    WebhookEvent,
    WebhookRegistration,
    lower_headers,
    stock_key,
)
from wix_commerce_sync.connectors.signing import hmac_sha256_b64, verify_hmac_b64
from wix_commerce_sync.sync.errors import NotFoundError, WebhookVerificationError
from wix_commerce_sync.sync.models import (
    Customer,
    Entity,
    Fulfilment,
    Location,
    Order,
    OrderStatusUpdate,
    Platform,
    Product,
    Refund,
    StockLevel,
    WriteResult,
)
from wix_commerce_sync.sync.serialize import from_data, to_data

TOPIC_ENTITY = {"orders": Entity.ORDERS, "products": Entity.ITEMS, "customers": Entity.CUSTOMERS, "stock": Entity.STOCK}
SIGNATURE_HEADER = "X-Fake-Signature"


class FakeConnector(Connector):
    platform = Platform.SHOPIFY  # reuses a real platform's status table
    capabilities = Capabilities(
        locations=True, order_creation=True, product_batch_size=50, stock_batch_size=250,
        customer_batch_size=50, order_batch_size=50, page_size=50,
        webhook_topics={Entity.ORDERS: ["orders/updated"], Entity.ITEMS: ["products/update"]},
    )  # fmt: skip

    def __init__(self, config: StoreConfig | None = None, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(config or StoreConfig("Fake Store", Platform.SHOPIFY, "https://fake.example", webhook_secret="s3cret"))
        self.clock = clock  # the store's clock: a product write answers with its updated time, as every platform does
        self.products: dict[str, Product] = {}
        self.orders: dict[str, Order] = {}
        self.customers: dict[str, Customer] = {}
        self.stock: dict[str, StockLevel] = {}
        self.pushes: list[tuple[str, list[Any]]] = []  # (method, rows)
        self.fail_next: list[Exception] = []  # raised by the next write calls, in order
        self.reject_keys: set[str] = set()  # rows with these keys get a per-row error
        self.calls = 0
        self.webhooks: list[WebhookRegistration] = []

    # helpers for tests ------------------------------------------------------
    def webhook(self, topic: str, record: Any, event_id: str, *, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({"topic": topic, "event_id": event_id, "record": to_data(record)}).encode()
        signature = hmac_sha256_b64(secret or self.config.webhook_secret or "", body)
        return body, {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}

    def _write(self, method: str, rows: Sequence[Any], key) -> list[WriteResult]:
        self.calls += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.pushes.append((method, list(rows)))
        results = []
        for row in rows:
            k = key(row)
            if k in self.reject_keys:
                results.append(WriteResult(k, False, error=f"{k} rejected by the store"))
            else:
                results.append(WriteResult(k, True, external_id=getattr(row, "external_id", None) or f"ext-{k}"))
        return results

    # connection -------------------------------------------------------------
    def check_connection(self) -> ConnectionInfo:
        self.calls += 1
        return ConnectionInfo(ok=True, shop_name="Fake Store", currency="USD")

    def list_locations(self) -> list[Location]:
        return [Location("loc-1", "Main", is_default=True)]

    # reads ------------------------------------------------------------------
    def _since(self, records, updated_since: datetime | None):
        self.calls += 1
        rows = [r for r in records if updated_since is None or (r.updated_at and r.updated_at >= updated_since)]
        return iter(sorted(rows, key=lambda r: r.updated_at or datetime.min))

    def iter_products(self, updated_since=None) -> Iterator[Product]:
        return self._since(self.products.values(), updated_since)

    def iter_orders(self, updated_since=None, *, statuses=None, limit=None) -> Iterator[Order]:
        rows = list(self._since(self.orders.values(), updated_since))
        if statuses:
            rows = [o for o in rows if o.store_status in statuses]
        return iter(rows[:limit] if limit else rows)

    def iter_customers(self, updated_since=None) -> Iterator[Customer]:
        return self._since(self.customers.values(), updated_since)

    def _get(self, table: dict, external_id: str):
        self.calls += 1
        if external_id not in table:
            raise NotFoundError(f"{external_id} not found")
        return table[external_id]

    def get_product(self, external_id: str) -> Product:
        return self._get(self.products, external_id)

    def get_order(self, external_id: str) -> Order:
        return self._get(self.orders, external_id)

    def get_customer(self, external_id: str) -> Customer:
        return self._get(self.customers, external_id)

    def read_stock(self, levels: Sequence[StockLevel]) -> list[StockLevel]:
        return [self.stock[stock_key(level)] for level in levels if stock_key(level) in self.stock]

    # writes -----------------------------------------------------------------
    def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        results = self._write("upsert_products", products, lambda p: p.external_id or p.title)
        for product, result in zip(products, results):
            if result.ok:
                self.products[result.external_id or ""] = product
                result.store_updated_at = self.clock() if self.clock else None
        return results

    def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results = self._write("set_stock", levels, stock_key)
        for level, result in zip(levels, results):
            if result.ok:
                self.stock[stock_key(level)] = level
        return results

    def update_order_status(self, updates: Sequence[OrderStatusUpdate]) -> list[WriteResult]:
        return self._write("update_order_status", updates, lambda u: u.order_id)

    def create_fulfilments(self, fulfilments: Sequence[Fulfilment]) -> list[WriteResult]:
        return self._write("create_fulfilments", fulfilments, lambda f: f.order_id)

    def cancel_orders(self, order_ids: Sequence[str], reason: str | None = None) -> list[WriteResult]:
        return self._write("cancel_orders", order_ids, str)

    def record_refunds(self, refunds: Sequence[Refund]) -> list[WriteResult]:
        return self._write("record_refunds", refunds, lambda r: r.order_id)

    def upsert_customers(self, customers: Sequence[Customer]) -> list[WriteResult]:
        return self._write("upsert_customers", customers, lambda c: c.external_id or c.email or "")

    def create_orders(self, orders: Sequence[Order]) -> list[WriteResult]:
        return self._write("create_orders", orders, lambda o: o.external_id)

    # webhooks ---------------------------------------------------------------
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        verify_hmac_b64(self.config.webhook_secret, body, lower_headers(headers).get(SIGNATURE_HEADER.lower()),
                        header=SIGNATURE_HEADER)  # fmt: skip

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        try:
            data = json.loads(body)
            topic = data["topic"]
            record = from_data(data["record"])
        except (ValueError, KeyError) as exc:
            raise WebhookVerificationError(f"malformed fake webhook: {exc}") from exc
        entity = TOPIC_ENTITY[topic.split("/")[0]]
        action = topic.split("/")[1]
        first = record[0] if isinstance(record, list) and record else record
        external_id = stock_key(first) if isinstance(first, StockLevel) else getattr(record, "external_id", None)
        return WebhookEvent(
            topic=topic, entity=entity, action=action, external_id=external_id, dedupe_key=data["event_id"],
            ordering_key=None, occurred_at=getattr(first, "updated_at", None), record=record, payload=data,
        )  # fmt: skip

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookRegistration]:
        self.webhooks = [WebhookRegistration(str(i), t, address) for i, t in enumerate(topics, 1)]
        return self.webhooks

    def list_webhooks(self) -> list[WebhookRegistration]:
        return list(self.webhooks)

    def unregister_webhooks(self, address: str) -> int:
        before = len(self.webhooks)
        self.webhooks = [w for w in self.webhooks if w.address != address]
        return before - len(self.webhooks)
