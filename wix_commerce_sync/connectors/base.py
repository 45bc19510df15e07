"""The shared connector interface, one implementation per platform.

Designed against the facts of all three platforms (``platform-apis.md``):
- reads are incremental by an updated-since cursor and streamed (generators),
  so a 50,000-product store never sits in memory;
- writes are batched; every batch call returns one ``WriteResult`` per row so a
  single bad row never hides the others;
- stock writes are absolute quantities (idempotent), never deltas;
- webhooks are verified on the raw bytes before anything reads them, then parsed
  into a ``WebhookEvent`` carrying a dedupe key and an ordering key.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wix_commerce_sync.sync.errors import ValidationError
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


@dataclass
class StoreConfig:
    """Everything a connector needs about one store. Built from the Commerce Store DocType.

    Secrets live in ``credentials`` only; ``__repr__`` hides them.
    """

    name: str  # Commerce Store record name
    platform: Platform
    base_url: str  # shop domain / site URL / Wix API base
    credentials: dict[str, str] = field(default_factory=dict)
    webhook_secret: str | None = None  # HMAC secret (Shopify/Woo) or Wix public key PEM
    api_version: str | None = None
    site_id: str | None = None  # Wix site id / instance
    currency: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # platform extras (plan, location, ...)
    allow_insecure_http: bool = False  # plain http only to loopback, for the sandbox

    def __repr__(self) -> str:  # never print credentials
        return f"StoreConfig(name={self.name!r}, platform={self.platform.value!r}, base_url={self.base_url!r})"

    def secret_values(self) -> list[str]:
        values = [v for v in self.credentials.values() if v]
        if self.webhook_secret:
            values.append(self.webhook_secret)
        return values


@dataclass
class Capabilities:
    locations: bool  # several inventory locations (Shopify, Wix V3) vs one number (Woo)
    order_creation: bool  # ERPNext-made orders can be created on the store
    product_batch_size: int
    stock_batch_size: int
    customer_batch_size: int
    order_batch_size: int
    page_size: int
    webhook_topics: dict[Entity, list[str]] = field(default_factory=dict)


@dataclass
class WebhookEvent:
    """A verified, parsed delivery."""

    topic: str  # the platform's topic string, e.g. "orders/create"
    entity: Entity
    action: str  # created | updated | deleted | cancelled | fulfilled | refunded | ...
    external_id: str | None
    dedupe_key: str  # unique per delivery / event (stored as the job's dedupe key)
    ordering_key: str | None = None  # sortable text: newer events compare greater
    occurred_at: datetime | None = None
    record: Any = None  # parsed canonical object (Order, Product, Customer, list[StockLevel])
    payload: dict[str, Any] | None = None  # decoded body, for the job and for re-parsing
    is_ping: bool = False  # platform test/ping delivery: answer 200, do nothing


@dataclass
class WebhookRegistration:
    external_id: str
    topic: str
    address: str
    active: bool = True


@dataclass
class ConnectionInfo:
    ok: bool
    shop_name: str | None = None
    currency: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Connector(ABC):
    """One store on one platform. Instances are cheap; the HTTP session is per store."""

    platform: Platform
    capabilities: Capabilities

    def __init__(self, config: StoreConfig) -> None:
        self.config = config

    # -- connection ---------------------------------------------------------
    @abstractmethod
    def check_connection(self) -> ConnectionInfo: ...

    @abstractmethod
    def list_locations(self) -> list[Location]: ...

    # -- incremental reads (generators; ascending by updated time) ----------
    @abstractmethod
    def iter_products(self, updated_since: datetime | None = None) -> Iterator[Product]: ...

    @abstractmethod
    def iter_orders(
        self,
        updated_since: datetime | None = None,
        *,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[Order]: ...

    @abstractmethod
    def iter_customers(self, updated_since: datetime | None = None) -> Iterator[Customer]: ...

    @abstractmethod
    def get_product(self, external_id: str) -> Product: ...

    @abstractmethod
    def get_order(self, external_id: str) -> Order: ...

    @abstractmethod
    def get_customer(self, external_id: str) -> Customer: ...

    @abstractmethod
    def read_stock(self, levels: Sequence[StockLevel]) -> list[StockLevel]:
        """Current store quantities for the given (variant, location) keys."""

    def import_products(self) -> Iterator[Product]:
        """Initial full import; platforms with bulk exports override this."""
        return self.iter_products(None)

    # -- batched writes (one WriteResult per input row, same order) ---------
    @abstractmethod
    def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]: ...

    @abstractmethod
    def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Set absolute available quantities. Keys of results: ``stock_key(level)``."""

    @abstractmethod
    def update_order_status(self, updates: Sequence[OrderStatusUpdate]) -> list[WriteResult]: ...

    @abstractmethod
    def create_fulfilments(self, fulfilments: Sequence[Fulfilment]) -> list[WriteResult]: ...

    @abstractmethod
    def cancel_orders(self, order_ids: Sequence[str], reason: str | None = None) -> list[WriteResult]: ...

    @abstractmethod
    def record_refunds(self, refunds: Sequence[Refund]) -> list[WriteResult]: ...

    @abstractmethod
    def upsert_customers(self, customers: Sequence[Customer]) -> list[WriteResult]: ...

    def create_orders(self, orders: Sequence[Order]) -> list[WriteResult]:
        return [
            WriteResult(key=o.external_id, ok=False, error=f"{self.platform.value} does not accept orders from the ERP")
            for o in orders
        ]

    # -- webhooks -----------------------------------------------------------
    @abstractmethod
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise ``WebhookVerificationError`` unless the raw body is authentic. Constant time."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Parse an already verified delivery."""

    @abstractmethod
    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookRegistration]: ...

    @abstractmethod
    def list_webhooks(self) -> list[WebhookRegistration]: ...

    @abstractmethod
    def unregister_webhooks(self, address: str) -> int: ...

    def topics_for(self, entities: Sequence[Entity]) -> list[str]:
        """Topics to subscribe for the entities whose direction is inbound."""
        topics: list[str] = []
        for entity in entities:
            topics += [t for t in self.capabilities.webhook_topics.get(entity, []) if t not in topics]
        return topics

    def close(self) -> None:  # pragma: no cover - trivial
        http = getattr(self, "http", None)
        if http is not None:
            http.close()


def stock_key(level: StockLevel) -> str:
    """Stable key of a stock row: which variant at which location."""
    ident = level.inventory_item_id or level.variant_id or level.sku or "?"
    return f"{ident}@{level.location_id or 'default'}"


@contextlib.contextmanager
def payload_errors_refused(platform: str) -> Iterator[None]:
    """A signed payload with a field of the wrong type or out of range is refused with the reason
    (ValidationError, answered 4xx), never a 500."""
    try:
        yield
    except (TypeError, AttributeError, KeyError, ValueError, OverflowError) as exc:
        raise ValidationError(f"{platform} webhook payload: {type(exc).__name__}: {exc}") from exc


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header lookup is case-insensitive (HTTP/2 lowercases them)."""
    return {str(k).lower(): v for k, v in headers.items()}
