"""A stateful fake Shopify store speaking the Admin GraphQL API over real HTTP.

What it does, and how faithfully:
- Refereed by Shopify's published Admin schema (``testing/contracts/shopify``, pinned from npm
  ``@shopify/dev-mcp``): every request's document is validated (cached by text) and its variables
  coerced against the schema before anything runs; an invalid request gets what Shopify answers
  (HTTP 200, ``errors`` naming the field, no ``data``). Every answer is then executed over the schema
  by graphql-core (``check_answers``, on by default): only the selected fields come back, each
  serialised by its type; an unknown enum value or a null in a non-null field is a loud
  ``SIMULATOR_SCHEMA_VIOLATION`` error (recorded in ``schema_violations``), never a silent pass.
- Webhooks of one merchant action (one mutation, one order placed or cancelled) share one
  ``X-Shopify-Event-Id``; each delivery has its own ``X-Shopify-Webhook-Id``.
- ``lose_answer_of(field)``: the store commits the next request running ``field``, then answers 502.
- ``POST /admin/api/{version}/graphql.json``: the operation is parsed with the small
  GraphQL reader (``graphql.py``); every root field is recognised by name (aliases
  allowed, so several mutations can share one request) and its arguments read from the
  query *and the variables the client sends*. Selection sets decide cost and nested page
  sizes; the answer always carries the full object shape the connector reads (extra
  fields are harmless to a GraphQL client).
- Cost: Shopify's static rules (object 1, connection 2 + first x node, scalar 0,
  mutation 10) plus ``cost_per_input_row`` (default 1) per element of a mutation's
  largest input array - a documented stand-in for the input-size dependent and
  resource-based costs Shopify applies to bulk writes. 250 rows of
  ``inventorySetQuantities`` therefore cost 260 points. A leaky bucket per plan
  (Standard: 100 points/s restore, 2,000 bucket) answers THROTTLED (HTTP 200) when the
  requested cost exceeds what is available; queries over 1,000 points fail with
  MAX_COST_EXCEEDED; connection sizes and input arrays are capped at 250.
- 2026-04 rules: ``changeFromQuantity`` must be present on every inventorySetQuantities
  row (null allowed); ``@idempotent(key:)`` is required on refundCreate and the
  inventory mutations; a repeated key returns the original result without re-running.
- OAuth client-credentials endpoint ``POST /admin/oauth/access_token``.
- Bulk operations: ``bulkOperationRunQuery`` writes a JSONL file (children on their own
  lines with ``__parentId``) that ``GET /bulk/<id>.jsonl`` streams from disk.
- Webhooks: REST-shaped JSON bodies signed with the app client secret, queued per
  subscription (``webhookSubscriptionCreate``) and delivered with every Shopify header,
  on demand (``deliver_webhooks(duplicate=, reverse=)``) or at once (``auto_deliver``).
- Faults: the inherited ones (latency, fail_next, timeout_next, reset_next) plus
  ``throttle_next(n, http_status=200|429)``.
- Chaos hooks, the same on the three simulators (issue 16): ``fail_batch_items_next(n)`` (inventorySetQuantities is
  all-or-nothing: a partial failure applies no row and names the failed ones in ``userErrors``; aliased productSet
  mutations fail one by one; counted in ``batch_items_failed``), ``refund_order`` (an admin refund, the refundCreate
  way), ``edit_product``/``product_by_sku`` and ``edit_customer``/``customer_by_email`` (admin edits, webhooks).
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from wix_commerce_sync.connectors.base import StoreConfig
from wix_commerce_sync.connectors.shopify.graphql import (
    MAX_QUERY_COST,
    MUTATION_BASE_COST,
    Field,
    GraphQLSyntaxError,
    Operation,
    connection_size,
    node_selection,
    parse,
    query_cost,
    selection_cost,
)
from wix_commerce_sync.connectors.signing import hmac_sha256_b64
from wix_commerce_sync.sync.models import Platform
from wix_commerce_sync.testing.contracts import shopify as contract
from wix_commerce_sync.testing.simulator import SimRequest, SimResponse, SimulatorServer, post_webhook

PLANS: dict[str, tuple[float, float]] = {  # restore rate points/s (documented), bucket size (assumed)
    "standard": (100.0, 2000.0),
    "advanced": (200.0, 4000.0),
    "plus": (1000.0, 20000.0),
    "enterprise": (2000.0, 40000.0),
}
MAX_PAGE = 250
MAX_INPUT_ARRAY = 250
IDEMPOTENT_MUTATIONS = {"refundCreate", "inventoryAdjustQuantities", "inventorySetQuantities", "inventoryMoveQuantities"}
INVENTORY_REASONS = {"correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
                     "movement_received", "movement_canceled", "other", "promotion", "quality_control",
                     "received", "reservation_created", "reservation_deleted", "reservation_updated",
                     "restock", "safety_stock", "shrinkage"}
TOPICS = {  # GraphQL enum -> header form
    "ORDERS_CREATE": "orders/create", "ORDERS_UPDATED": "orders/updated", "ORDERS_PAID": "orders/paid",
    "ORDERS_CANCELLED": "orders/cancelled", "ORDERS_FULFILLED": "orders/fulfilled",
    "REFUNDS_CREATE": "refunds/create", "PRODUCTS_CREATE": "products/create", "PRODUCTS_UPDATE": "products/update",
    "PRODUCTS_DELETE": "products/delete", "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "CUSTOMERS_CREATE": "customers/create", "CUSTOMERS_UPDATE": "customers/update", "CUSTOMERS_DELETE": "customers/delete",
    "ORDERS_DELETE": "orders/delete",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish", "APP_UNINSTALLED": "app/uninstalled",
}
BIG_ID_BASE = 820982911946154508  # ids beyond 2**53, like Shopify's own sample
SHOP_OFFSET = timezone(timedelta(hours=-5))  # REST bodies carry the shop's offset
CENT = Decimal("0.01")
SIM_ACCESS_TOKEN = "shpat_simulated_token"  # test-only credentials of the fake store
SIM_CLIENT_SECRET = "sim-client-secret"


class GraphQLFailure(Exception):
    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _d(value: Any) -> Decimal:
    return Decimal(str(value if value not in (None, "") else "0"))


def _c(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money_set(amount: Decimal, currency: str, rate: Decimal = Decimal(1), presentment: str | None = None) -> dict:
    return {
        "shop_money": {"amount": f"{_c(amount)}", "currency_code": currency},
        "presentment_money": {"amount": f"{_c(amount * rate)}", "currency_code": presentment or currency},
    }


def _gql_bag(rest_set: dict | None) -> dict | None:
    if not rest_set:
        return None
    out = {}
    for src, dst in (("shop_money", "shopMoney"), ("presentment_money", "presentmentMoney")):
        if rest_set.get(src):
            out[dst] = {"amount": rest_set[src]["amount"], "currencyCode": rest_set[src]["currency_code"]}
    return out


def _gid(kind: str, ident: int) -> str:
    return f"gid://shopify/{kind}/{ident}"


def _num(value: Any) -> int:
    text = str(value)
    if text.startswith("gid://"):
        text = text.rsplit("/", 1)[1].split("?", 1)[0]
    return int(text)


def _rest_time(dt: datetime | None) -> str | None:
    return dt.astimezone(SHOP_OFFSET).isoformat(timespec="seconds") if dt else None


def _gql_time(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None



def _nested_unused_cost(f: Field, value: Any) -> int:
    """Points of the nested connections' unfilled slots in the answer to the top-level field ``f``.

    Shopify charges the actual cost, computed from what the query returned: a connection answered with
    fewer nodes than its ``first`` is refunded the missing nodes at every depth (the top-level connection's
    own missing nodes are refunded by ``_page``)."""
    if connection_size(f) is not None:
        return sum(_unused_in(node_selection(f), node) for node in _connection_nodes(value))
    return _unused_in(f.children, value)


def _connection_nodes(value: Any) -> list:
    if not isinstance(value, dict):
        return []
    if value.get("nodes") is not None:
        return list(value["nodes"])
    return [edge.get("node") for edge in value.get("edges") or [] if isinstance(edge, dict)]


def _unused_in(fields: list[Field], value: Any) -> int:
    if isinstance(value, list):
        return sum(_unused_in(fields, item) for item in value)
    if not isinstance(value, dict):
        return 0
    total = 0
    for f in fields:
        if f.type_condition is not None:
            total += _unused_in(f.children, value)
            continue
        if not f.children:
            continue
        sub = value.get(f.key, value.get(f.name))
        size = connection_size(f)
        if size is None:
            total += _unused_in(f.children, sub)
            continue
        if not isinstance(sub, dict):
            continue
        nodes = _connection_nodes(sub)
        total += max(0, size - len(nodes)) * (1 + selection_cost(node_selection(f)))
        total += sum(_unused_in(node_selection(f), node) for node in nodes)
    return total

class ShopifySimulator(SimulatorServer):
    name = "shopify-simulator"

    def __init__(
        self,
        *,
        plan: str = "standard",
        api_version: str = "2026-04",
        shop_domain: str = "sim-shop.myshopify.com",
        access_token: str = SIM_ACCESS_TOKEN,
        client_id: str = "sim-client-id",
        client_secret: str = SIM_CLIENT_SECRET,
        currency: str = "USD",
        taxes_included: bool = False,
        cost_per_input_row: int = 1,
        token_lifetime: float = 86400.0,
        bulk_poll_rounds: int = 1,
        locations: int = 1,
        check_answers: bool = True,
    ) -> None:
        super().__init__()
        self.api_version = api_version
        self.check_answers = check_answers  # shape every answer by the schema and refuse violations
        # root field -> (status, creates only) of each answer still to lose after committing
        self._lose_on: dict[str, list[tuple[int, bool]]] = {}
        self.async_cancel = False  # True: orderCancel answers an unfinished job (cancelled when polled)
        self.jobs: dict[int, dict] = {}
        self.schema_violations: list[str] = []  # answers of ours the schema refused (a simulator bug)
        self.requests_seen: deque[tuple[str, dict]] = deque(maxlen=5000)  # (query, variables) of recent GraphQL requests
        self.shop_domain = shop_domain
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.currency = currency
        self.taxes_included = taxes_included
        self.cost_per_input_row = cost_per_input_row
        self.token_lifetime = token_lifetime
        self.bulk_poll_rounds = bulk_poll_rounds
        self.set_plan(plan)
        self.issued_tokens: dict[str, float] = {}
        self.token_grants = 0
        # state (REST-shaped records; GraphQL answers are rendered from them)
        self.products: dict[int, dict] = {}
        self.variants: dict[int, dict] = {}
        self.sku_index: dict[str, int] = {}
        self.item_to_variant: dict[int, int] = {}
        self.levels: dict[tuple[int, int], int] = {}
        self.locations: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.customers: dict[int, dict] = {}
        self.fulfillment_orders: dict[int, dict] = {}
        self.subscriptions: dict[int, dict] = {}
        self.bulk_ops: dict[int, dict] = {}
        self.idempotency: dict[str, Any] = {}
        self.idempotency_keys: list[tuple[str, str | None]] = []
        self.cost_log: list[tuple[float, float]] = []  # (requested, actual) of every admitted operation
        self.operations: list[str] = []  # root field names served, in order
        self.webhook_deliveries: list[tuple[str, int]] = []
        self.emitted: list[tuple[str, dict]] = []  # every event, delivered or not (tests read it)
        self.auto_deliver = False
        self._queue: list[dict] = []
        self._throttle_faults: list[int] = []
        self._partial_batches = 0  # batch writes still to answer with per-item userErrors
        self.batch_items_failed = 0  # rows/products those writes reported failed (none of them applied)
        self._ids = BIG_ID_BASE
        self._clock = datetime.now(timezone.utc) - timedelta(days=1)
        self._tmp = tempfile.TemporaryDirectory(prefix="shopify-sim-")
        self._action = threading.local()
        for index in range(locations):
            self.add_location(f"Warehouse {index + 1}")

    # ------------------------------------------------------------------ config
    def set_plan(self, plan: str, *, restore_rate: float | None = None, bucket: float | None = None) -> None:
        rate, size = PLANS[plan.lower()]
        self.plan = plan.lower()
        self.restore_rate = restore_rate or rate
        self.bucket_size = bucket or size
        self._available = self.bucket_size
        self._bucket_stamp = time.monotonic()

    def store_config(self, name: str = "shopify-sim", *, client_credentials: bool = False, **options: Any) -> StoreConfig:
        credentials = (
            {"client_id": self.client_id, "client_secret": self.client_secret}
            if client_credentials
            else {"access_token": self.access_token}
        )
        opts = {"max_attempts": 5, "backoff_initial": 0.01, "backoff_max": 0.5, "timeout": (2.0, 10.0)}
        opts.update(options)
        return StoreConfig(
            name=name,
            platform=Platform.SHOPIFY,
            base_url=self.base_url,
            credentials=credentials,
            webhook_secret=self.client_secret,
            api_version=self.api_version,
            currency=self.currency,
            options=opts,
            allow_insecure_http=True,
        )

    def stop(self) -> None:
        super().stop()

    def close(self) -> None:
        self.stop()
        self._tmp.cleanup()

    # ------------------------------------------------------------------ ids / time
    def _next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def _now(self) -> datetime:
        """Strictly increasing event time (ms steps), never behind the wall clock."""
        with self.lock:
            self._clock = max(datetime.now(timezone.utc), self._clock + timedelta(milliseconds=1))
            return self._clock

    @property
    def default_location_id(self) -> int:
        return next(iter(self.locations))

    # ------------------------------------------------------------------ faults
    def throttle_next(self, n: int, http_status: int = 200) -> None:
        """The next n GraphQL calls answer THROTTLED (HTTP 200 body, or HTTP 429)."""
        with self.lock:
            self._throttle_faults.extend([http_status] * n)

    def fail_batch_items_next(self, n: int = 1) -> None:
        """The next ``n`` batch writes report every second item (the first, third, ...) failed.

        What the pinned Admin schema allows: ``inventorySetQuantities`` is all-or-nothing, so a call with a bad row
        applies NO row and answers ``userErrors`` naming the failed rows (``field: ["input", "quantities", i]``); a
        document of several aliased ``productSet`` mutations (the app's product batch) runs each mutation on its
        own, so the failed ones answer ``userErrors`` (GENERIC_ERROR) and the others are applied.
        """
        with self.lock:
            self._partial_batches += n

    def _take_partial_batch(self, op: Operation) -> bool:
        """Whether this mutation document is a batch write that an armed ``fail_batch_items_next`` hits."""
        names = [f.name for f in op.fields]
        batch = "inventorySetQuantities" in names or names.count("productSet") > 1
        with self.lock:
            if op.kind != "mutation" or not batch or self._partial_batches <= 0:
                return False
            self._partial_batches -= 1
            return True

    def rate_limit_bound(self, cost_log: list[tuple[float, float]] | None = None, start_available: float | None = None) -> float:
        """Least time the bucket allows for these operations: every call but the last pays its
        actual cost, the last must find its requested cost available."""
        log = self.cost_log if cost_log is None else cost_log
        if not log:
            return 0.0
        needed = sum(actual for _, actual in log[:-1]) + log[-1][0]
        start = self.bucket_size if start_available is None else start_available
        return max(0.0, needed - start) / self.restore_rate

    def drain_bucket(self, to: float = 0.0) -> None:
        with self.lock:
            self._available = to
            self._bucket_stamp = time.monotonic()

    # ------------------------------------------------------------------ seeding / state API
    def add_location(self, name: str, active: bool = True) -> int:
        ident = self._next_id()
        self.locations[ident] = {"id": ident, "name": name, "active": active}
        return ident

    def _location(self, location: Any) -> int:
        if location is None:
            return self.default_location_id
        if isinstance(location, str) and not location.isdigit() and not location.startswith("gid://"):
            for ident, loc in self.locations.items():
                if loc["name"] == location:
                    return ident
            raise KeyError(location)
        return _num(location)

    def seed_catalog(self, products: int, variants_per_product: int = 1, sku_prefix: str = "SKU",
                     quantity: int = 10, price: str = "19.99") -> None:
        """Fast bulk seeding (50,000 products in a few seconds): no webhooks, one timestamp."""
        stamp = self._clock
        location = self.default_location_id
        with self.lock:
            for p in range(len(self.products), len(self.products) + products):
                pid = self._next_raw()
                variants = []
                for v in range(variants_per_product):
                    vid, item = self._next_raw(), self._next_raw()
                    sku = f"{sku_prefix}-{p:06d}" + (f"-{v + 1}" if variants_per_product > 1 else "")
                    variant = {
                        "id": vid, "product_id": pid, "sku": sku, "price": price, "compare_at_price": None,
                        "barcode": None, "title": f"Size {v + 1}" if variants_per_product > 1 else "Default Title",
                        "option1": f"Size {v + 1}" if variants_per_product > 1 else "Default Title",
                        "inventory_item_id": item, "inventory_management": "shopify", "updated_at": stamp,
                        "admin_graphql_api_id": _gid("ProductVariant", vid),
                    }
                    variants.append(variant)
                    self.variants[vid] = variant
                    self.sku_index[sku] = vid
                    self.item_to_variant[item] = vid
                    self.levels[(item, location)] = quantity
                option = "Size" if variants_per_product > 1 else "Title"
                self.products[pid] = {
                    "id": pid, "title": f"Product {p}", "handle": f"product-{p}", "vendor": "Sim",
                    "product_type": "Thing", "status": "active", "tags": [], "body_html": None,
                    "options": [{"name": option, "values": [v["option1"] for v in variants]}],
                    "variants": variants, "updated_at": stamp, "created_at": stamp,
                    "admin_graphql_api_id": _gid("Product", pid),
                }

    def _next_raw(self) -> int:
        self._ids += 1
        return self._ids

    def add_product(self, title: str, variants: list[dict] | None = None, options: list[str] | None = None,
                    quantity: int = 0, **fields: Any) -> dict:
        """variants: [{"sku", "price", "options": {name: value}}]; no options = one Default Title variant."""
        variants = variants or [{"sku": fields.pop("sku", None), "price": fields.pop("price", "10.00")}]
        option_names = options or ["Title"]
        with self.lock:
            pid = self._next_id()
            product = {"id": pid, "title": title, "handle": title.lower().replace(" ", "-"), "vendor": "Sim",
                       "product_type": "", "status": "active", "tags": [], "body_html": None, "variants": [],
                       "created_at": self._now(), "admin_graphql_api_id": _gid("Product", pid)}
            product.update(fields)
            for spec in variants:
                chosen = spec.get("options") or {"Title": "Default Title"}
                self._new_variant(product, spec, [chosen.get(n) for n in option_names], quantity)
            product["options"] = [{"name": n, "values": sorted({v[f"option{i + 1}"] for v in product["variants"]})}
                                  for i, n in enumerate(option_names)]
            product["updated_at"] = self._now()
            self.products[pid] = product
        self._emit("products/create", self.rest_product(product))
        return product

    def _new_variant(self, product: dict, spec: dict, values: list[str | None], quantity: int = 0) -> dict:
        vid, item = self._next_id(), self._next_id()
        variant = {"id": vid, "product_id": product["id"], "sku": spec.get("sku"),
                   "price": str(spec.get("price") or "0.00"), "compare_at_price": spec.get("compare_at_price"),
                   "barcode": spec.get("barcode"), "title": " / ".join(v for v in values if v) or "Default Title",
                   "inventory_item_id": item, "inventory_management": "shopify", "updated_at": self._now(),
                   "admin_graphql_api_id": _gid("ProductVariant", vid)}
        for index, value in enumerate(values[:3], start=1):
            variant[f"option{index}"] = value
        product["variants"].append(variant)
        self.variants[vid] = variant
        if variant["sku"]:
            self.sku_index[variant["sku"]] = vid
        self.item_to_variant[item] = vid
        self.levels[(item, self.default_location_id)] = quantity
        return variant

    def touch_product(self, product_id: int, **fields: Any) -> None:
        """Change a product (fires products/update)."""
        with self.lock:
            product = self.products[int(product_id)]
            product.update(fields)
            product["updated_at"] = self._now()
        self._emit("products/update", self.rest_product(product))

    def edit_product(self, sku: str, *, name: str | None = None, price: str | None = None) -> None:
        """The merchant edits, in the admin, the title of the product holding ``sku`` and/or that variant's price
        (fires products/update)."""
        with self.lock:
            variant = self.variants[self.sku_index[sku]]
            product = self.products[variant["product_id"]]
            if name is not None:
                product["title"] = name
            if price is not None:
                variant.update(price=str(price), updated_at=self._now())
            product["updated_at"] = self._now()
        self._emit("products/update", self.rest_product(product))

    def product_by_sku(self, sku: str) -> dict[str, Any] | None:
        with self.lock:
            vid = self.sku_index.get(sku)
            if vid is None:
                return None
            variant = self.variants[vid]
            return {"name": self.products[variant["product_id"]]["title"], "price": variant["price"],
                    "product_id": variant["product_id"], "variant_id": vid}

    def edit_customer(self, email: str, *, first_name: str | None = None, last_name: str | None = None) -> None:
        """The merchant renames a customer in the admin (fires customers/update)."""
        with self.lock:
            customer = self._customer_by_email(email)
            for key, value in (("first_name", first_name), ("last_name", last_name)):
                if value is not None:
                    customer[key] = value
            customer["updated_at"] = self._now()
        self._emit("customers/update", self.rest_customer(customer))

    def customer_by_email(self, email: str) -> dict[str, Any]:
        with self.lock:
            return self.rest_customer(self._customer_by_email(email))

    def _customer_by_email(self, email: str) -> dict:
        found = next((c for c in self.customers.values() if (c.get("email") or "").lower() == email.lower()), None)
        if found is None:
            raise KeyError(f"no Shopify customer with email {email}")
        return found

    def set_inventory(self, sku: str, qty: int, location: Any = None) -> None:
        """Change a quantity on the store side (a competing writer); fires inventory_levels/update."""
        with self.lock:
            variant = self.variants[self.sku_index[sku]]
            key = (variant["inventory_item_id"], self._location(location))
            self.levels[key] = int(qty)
        self._emit_level(*key)

    def stock_of(self, sku: str, location: Any = None) -> int | None:
        vid = self.sku_index.get(sku)
        if vid is None:
            return None
        return self.levels.get((self.variants[vid]["inventory_item_id"], self._location(location)))

    def add_customer(self, email: str, first_name: str = "Test", last_name: str = "Customer", **fields: Any) -> dict:
        with self.lock:
            cid = self._next_id()
            customer = {"id": cid, "email": email, "first_name": first_name, "last_name": last_name,
                        "phone": fields.pop("phone", None), "addresses": fields.pop("addresses", []),
                        "created_at": self._now(), "updated_at": self._now(), "state": "enabled",
                        "admin_graphql_api_id": _gid("Customer", cid)}
            customer.update(fields)
            customer["default_address"] = customer["addresses"][0] if customer["addresses"] else None
            self.customers[cid] = customer
        self._emit("customers/create", self.rest_customer(customer))
        return customer

    # orders ---------------------------------------------------------------
    def create_order(self, line_items: list[dict], customer_email: str | None = "buyer@example.com", **kw: Any) -> dict:
        """Place an order. line_items: [{"sku", "quantity", "price"?}]; kw: taxes_included, tax_rate,
        shipping, discount (order-level, allocated to lines), discount_code, financial_status,
        presentment_currency + presentment_rate, shipping_address. Fires orders/create."""
        with self.merchant_action():
            order = self._build_order(line_items, customer_email, **kw)
            self._emit("orders/create", order)
            if order["financial_status"] == "paid":
                self._emit("orders/paid", order)
        return order

    def _build_order(self, line_items: list[dict], email: str | None, **kw: Any) -> dict:
        taxes_included = kw.get("taxes_included", self.taxes_included)
        rate = _d(kw.get("tax_rate", "0"))
        cur = self.currency
        pres = kw.get("presentment_currency") or cur
        prate = _d(kw.get("presentment_rate", "1"))
        tax_title = kw.get("tax_title", "VAT")
        with self.lock:
            oid = self._next_id()
            now = self._now()
            lines = []
            for spec in line_items:
                vid = self.sku_index.get(spec.get("sku") or "") if spec.get("sku") else None
                variant = self.variants.get(vid) if vid else None
                price = _d(spec.get("price") or (variant["price"] if variant else "0"))
                lines.append({"spec": spec, "variant": variant, "price": price, "qty": int(spec.get("quantity", 1))})
            gross = [ln["price"] * ln["qty"] for ln in lines]
            discount = _d(kw.get("discount", "0"))
            allocations = _allocate(discount, gross)
            rest_lines, tax_totals = [], {}
            for ln, alloc in zip(lines, allocations):
                base = ln["price"] * ln["qty"] - alloc
                tax = _c(base * rate / (1 + rate)) if taxes_included else _c(base * rate)
                lid = self._next_id()
                variant = ln["variant"]
                tax_lines = [{"title": tax_title, "rate": float(rate), "price": f"{tax}",
                              "price_set": _money_set(tax, cur, prate, pres)}] if rate else []
                if rate:
                    tax_totals[tax_title] = tax_totals.get(tax_title, Decimal(0)) + tax
                rest_lines.append({
                    "id": lid, "admin_graphql_api_id": _gid("LineItem", lid),
                    "sku": ln["spec"].get("sku"), "title": ln["spec"].get("title") or (self.products[variant["product_id"]]["title"] if variant else "Custom item"),
                    "name": ln["spec"].get("title") or "item", "quantity": ln["qty"], "current_quantity": ln["qty"],
                    "fulfillable_quantity": ln["qty"], "price": f"{ln['price']}",
                    "price_set": _money_set(ln["price"], cur, prate, pres),
                    "total_discount": "0.00", "total_discount_set": _money_set(Decimal(0), cur, prate, pres),
                    "discount_allocations": ([{"amount": f"{alloc}", "amount_set": _money_set(alloc, cur, prate, pres),
                                               "discount_application_index": 0}] if alloc else []),
                    "tax_lines": tax_lines,
                    "product_id": variant["product_id"] if variant else None,
                    "variant_id": variant["id"] if variant else None,
                    "fulfillment_status": None, "taxable": bool(rate),
                })
            shipping = _d(kw.get("shipping", "0"))
            shipping_lines = []
            if shipping:
                stax = _c(shipping * rate / (1 + rate)) if taxes_included else _c(shipping * rate)
                if rate:
                    tax_totals[tax_title] = tax_totals.get(tax_title, Decimal(0)) + stax
                sid = self._next_id()
                shipping_lines.append({
                    "id": sid, "title": kw.get("shipping_title", "Standard"), "code": "STANDARD", "price": f"{shipping}",
                    "price_set": _money_set(shipping, cur, prate, pres), "discounted_price": f"{shipping}",
                    "is_removed": False, "discount_allocations": [],
                    "tax_lines": [{"title": tax_title, "rate": float(rate), "price": f"{stax}",
                                   "price_set": _money_set(stax, cur, prate, pres)}] if rate else [],
                })
            total_tax = sum(tax_totals.values(), Decimal(0))
            items_total = sum(gross, Decimal(0))
            subtotal = items_total - discount
            total = subtotal + shipping + (Decimal(0) if taxes_included else total_tax)
            customer = self._customer_for(email, kw.get("first_name"), kw.get("last_name")) if email else None
            address = kw.get("shipping_address") or {"first_name": "Ship", "last_name": "To", "address1": "1 Main St",
                                                      "city": "Ottawa", "zip": "K1A0B1", "country": "Canada",
                                                      "country_code": "CA", "province": "Ontario"}
            order = {
                "id": oid, "admin_graphql_api_id": _gid("Order", oid), "name": f"#{1000 + len(self.orders) + 1}",
                "order_number": 1000 + len(self.orders) + 1, "email": email, "contact_email": email,
                "created_at": now, "updated_at": now, "processed_at": now, "cancelled_at": None, "cancel_reason": None,
                "currency": cur, "presentment_currency": pres, "presentment_rate": f"{prate}", "taxes_included": taxes_included,
                "financial_status": kw.get("financial_status", "paid"), "fulfillment_status": None,
                "note": kw.get("note"), "tags": kw.get("tags", ""),
                "discount_codes": [{"code": kw.get("discount_code", "SAVE"), "amount": f"{discount}", "type": "fixed_amount"}] if discount else [],
                "discount_applications": [{"type": "discount_code", "value": f"{discount}", "value_type": "fixed_amount",
                                           "allocation_method": "across", "target_type": "line_item",
                                           "code": kw.get("discount_code", "SAVE")}] if discount else [],
                "total_line_items_price": f"{_c(items_total)}", "total_line_items_price_set": _money_set(items_total, cur, prate, pres),
                "subtotal_price": f"{_c(subtotal)}", "subtotal_price_set": _money_set(subtotal, cur, prate, pres),
                "total_discounts": f"{_c(discount)}", "total_discounts_set": _money_set(discount, cur, prate, pres),
                "total_shipping_price_set": _money_set(shipping, cur, prate, pres),
                "total_tax": f"{_c(total_tax)}", "total_tax_set": _money_set(total_tax, cur, prate, pres),
                "total_price": f"{_c(total)}", "total_price_set": _money_set(total, cur, prate, pres),
                "tax_lines": [{"title": t, "rate": float(rate), "price": f"{a}", "price_set": _money_set(a, cur, prate, pres)}
                              for t, a in tax_totals.items()],
                "line_items": rest_lines, "shipping_lines": shipping_lines, "refunds": [], "fulfillments": [],
                "customer": self.rest_customer(customer) if customer else None,
                "billing_address": address, "shipping_address": address, "transactions": [],
            }
            if order["financial_status"] == "paid":
                order["transactions"].append({"id": self._next_id(), "kind": "sale", "status": "success",
                                              "gateway": "bogus", "amount": f"{_c(total * prate)}", "currency": pres,
                                              "amount_set": _money_set(total, cur, prate, pres)})
            self.orders[oid] = order
            self._open_fulfillment_order(order)
            changed = self._commit_stock(order, -1)
        for key in changed:
            self._emit_level(*key)
        return order

    def _customer_for(self, email: str, first: str | None, last: str | None) -> dict:
        for customer in self.customers.values():
            if customer.get("email") == email:
                return customer
        cid = self._next_id()
        customer = {"id": cid, "email": email, "first_name": first or "Buyer", "last_name": last or "Person",
                    "phone": None, "addresses": [], "default_address": None, "created_at": self._now(),
                    "updated_at": self._now(), "admin_graphql_api_id": _gid("Customer", cid)}
        self.customers[cid] = customer
        return customer

    def _open_fulfillment_order(self, order: dict) -> None:
        foid = self._next_id()
        self.fulfillment_orders[foid] = {
            "id": foid, "order_id": order["id"], "location_id": self.default_location_id, "status": "OPEN",
            "line_items": [{"id": self._next_id(), "line_item_id": li["id"], "remaining": li["quantity"]}
                           for li in order["line_items"]],
        }

    def _commit_stock(self, order: dict, sign: int, quantities: dict[int, int] | None = None) -> list[tuple[int, int]]:
        changed = []
        for li in order["line_items"]:
            variant = self.variants.get(li.get("variant_id") or 0)
            if not variant:
                continue
            qty = quantities.get(li["id"], 0) if quantities is not None else li["quantity"]
            key = (variant["inventory_item_id"], self.default_location_id)
            if key in self.levels and qty:
                self.levels[key] += sign * qty
                changed.append(key)
        return changed

    def update_order(self, order_id: Any, **changes: Any) -> dict:
        with self.lock:
            order = self.orders[_num(order_id)]
            order.update(changes)
            order["updated_at"] = self._now()
        self._emit("orders/updated", order)
        return order

    def split_fulfillment_orders(self, order_id: Any) -> None:
        """One fulfillment order per line (as when lines ship from different locations or are split)."""
        with self.lock:
            order = self.orders[_num(order_id)]
            for foid in [k for k, fo in self.fulfillment_orders.items() if fo["order_id"] == order["id"]]:
                del self.fulfillment_orders[foid]
            for li in order["line_items"]:
                foid = self._next_id()
                self.fulfillment_orders[foid] = {"id": foid, "order_id": order["id"], "location_id": self.default_location_id,
                                                 "status": "OPEN", "line_items": [{"id": self._next_id(), "line_item_id": li["id"],
                                                                                   "remaining": li["fulfillable_quantity"]}]}

    def remove_units(self, order_id: Any, sku: str, units: int) -> dict:
        """An order edit removing ``units`` of a line: ``quantity`` keeps them, ``currentQuantity`` does not."""
        with self.merchant_action(), self.lock:
            order = self.orders[_num(order_id)]
            line = next(li for li in order["line_items"] if li.get("sku") == sku)
            line["current_quantity"] = line.get("current_quantity", line["quantity"]) - units
            line["fulfillable_quantity"] -= units
            for fo in self.fulfillment_orders.values():
                for x in fo["line_items"]:
                    if fo["order_id"] == order["id"] and x["line_item_id"] == line["id"]:
                        x["remaining"] -= units
            removed = _d(line["price"]) * units
            for key in ("total_price", "subtotal_price", "total_line_items_price"):
                order[key] = f"{_c(_d(order[key]) - removed)}"
                order[f"{key}_set"] = _money_set(_d(order[key]), order["currency"], _d(order.get("presentment_rate") or 1),
                                                 order["presentment_currency"])
            order["updated_at"] = self._now()
        self._emit("orders/updated", order)
        return order

    def cancel_order(self, order_id: Any, reason: str = "customer", restock: bool = True) -> dict:
        with self.merchant_action():
            with self.lock:
                order = self.orders[_num(order_id)]
                changed = self._cancel(order, reason, refund=order["financial_status"] == "paid", restock=restock)
            for key in changed:
                self._emit_level(*key)
            self._emit("orders/cancelled", order)
            self._emit("orders/updated", order)
        return order

    def _cancel(self, order: dict, reason: str, *, refund: bool, restock: bool) -> list[tuple[int, int]]:
        order["cancelled_at"] = self._now()
        order["cancel_reason"] = reason.lower()
        if refund and order["financial_status"] in ("paid", "partially_paid", "partially_refunded"):
            order["financial_status"] = "refunded"
        elif order["financial_status"] in ("pending", "authorized"):
            order["financial_status"] = "voided"
        for fo in self.fulfillment_orders.values():
            if fo["order_id"] == order["id"] and fo["status"] == "OPEN":
                fo["status"] = "CLOSED"
        order["updated_at"] = self._now()
        if not restock:
            return []
        remaining = {li["id"]: li["fulfillable_quantity"] for li in order["line_items"]}
        return self._commit_stock(order, +1, remaining)

    def refund_order(self, order_id: Any, lines: list[dict[str, Any]] | None = None, amount: str | None = None,
                     restock: bool = True) -> dict[str, Any]:
        """A refund made in the Shopify admin, through the same path as ``refundCreate``: ``lines`` [{sku, quantity}]
        (restockType RETURN when ``restock``, else NO_RESTOCK; none = every unit not yet refunded), ``amount`` the
        money returned (default: those units' price and tax share; without lines: what is left of the order total);
        fires refunds/create and orders/updated. Returns the refund record (REST shape); ValueError when Shopify
        refuses (a cancelled, voided or fully refunded order, more money than is left)."""
        with self.lock:
            order = self.orders[_num(order_id)]
            paid_back = sum((_d(r["total_refunded_set"]["shop_money"]["amount"]) for r in order["refunds"]), Decimal(0))
            if order["financial_status"] in ("refunded", "voided"):
                raise ValueError(f"Shopify order {order_id} is {order['financial_status']}: nothing left to refund")
            if lines is None and amount is None:
                amount = f"{_c((_d(order['total_price']) - paid_back) * _d(order.get('presentment_rate') or 1))}"
            refunded: dict[int, int] = {}
            for r in order["refunds"]:
                for x in r["refund_line_items"]:
                    refunded[x["line_item_id"]] = refunded.get(x["line_item_id"], 0) + x["quantity"]
            if lines is None:
                wanted = [(li, li["quantity"] - refunded.get(li["id"], 0)) for li in order["line_items"]]
            else:
                wanted = [(next(li for li in order["line_items"] if li.get("sku") == row["sku"]), int(row["quantity"]))
                          for row in lines]
            wanted = [(li, qty) for li, qty in wanted if qty > 0]
            if _d(amount or 0) / _d(order.get("presentment_rate") or 1) > _d(order["total_price"]) - paid_back:
                raise ValueError(f"Shopify refuses {amount}: more than is left to refund on order {order_id}")
            if amount is None:
                owed = sum((_d(li["price"]) * qty + sum((_d(t["price"]) for t in li.get("tax_lines") or []), Decimal(0))
                            * qty / li["quantity"] for li, qty in wanted), Decimal(0))
                amount = f"{_c(owed * _d(order.get('presentment_rate') or 1))}"
            data = {"orderId": _gid("Order", order["id"]), "note": "Refunded in the Shopify admin",
                    "currency": order["presentment_currency"],
                    "refundLineItems": [{"lineItemId": _gid("LineItem", li["id"]), "quantity": qty,
                                         "restockType": "RETURN" if restock else "NO_RESTOCK"} for li, qty in wanted],
                    "transactions": [{"amount": amount, "gateway": "bogus", "kind": "REFUND",
                                      "orderId": _gid("Order", order["id"])}] if _d(amount) > 0 else []}
        with self.merchant_action():
            result = self._mutation_refundCreate(Field("refundCreate", args={"input": data}), self.api_version)
        if result["userErrors"]:
            raise ValueError(f"Shopify refuses the refund: {result['userErrors']}")
        with self.lock:
            return self.rest_order(order)["refunds"][-1]

    def fulfilments_of(self, order_id: Any) -> list[dict]:
        return list(self.orders[_num(order_id)]["fulfillments"])

    def order_status(self, order_id: Any) -> str:
        from wix_commerce_sync.connectors.shopify.mapping import store_status_word

        return store_status_word(self.orders[_num(order_id)])

    # ------------------------------------------------------------------ REST renderers (webhook bodies)
    def rest_product(self, p: dict) -> dict:
        body = {k: v for k, v in p.items()}
        body["tags"] = ", ".join(p.get("tags") or [])
        body["updated_at"], body["created_at"] = _rest_time(p["updated_at"]), _rest_time(p.get("created_at"))
        body["variants"] = [self._rest_variant(v) for v in p["variants"]]
        return body

    def _rest_variant(self, v: dict) -> dict:
        body = dict(v)
        body["updated_at"] = _rest_time(v["updated_at"])
        body["inventory_quantity"] = sum(q for (item, _), q in self.levels.items() if item == v["inventory_item_id"]) \
            if len(self.levels) < 5000 else self.levels.get((v["inventory_item_id"], self.default_location_id), 0)
        return body

    @staticmethod
    def rest_customer(c: dict) -> dict:
        body = dict(c)
        body["created_at"], body["updated_at"] = _rest_time(c.get("created_at")), _rest_time(c.get("updated_at"))
        return body

    @staticmethod
    def rest_order(o: dict) -> dict:
        body = {k: v for k, v in o.items() if k != "transactions"}
        for key in ("created_at", "updated_at", "processed_at", "cancelled_at"):
            body[key] = _rest_time(o.get(key))
        body["refunds"] = [{**r, "created_at": _rest_time(r["created_at"])} for r in o["refunds"]]
        body["fulfillments"] = [{**f, "created_at": _rest_time(f["created_at"])} for f in o["fulfillments"]]
        return body

    # ------------------------------------------------------------------ webhooks
    def _emit(self, topic: str, record: dict) -> None:
        if topic.endswith("/delete"):
            body_obj = record  # {"id": N}
        elif topic.startswith(("orders/",)):
            body_obj = self.rest_order(record)
        elif topic.startswith("customers/"):
            body_obj = self.rest_customer(record) if isinstance(record.get("updated_at"), datetime) else record
        else:
            body_obj = record
        triggered = self._now()
        # X-Shopify-Event-Id: "shared across all deliveries produced by the same merchant action"
        event_id = getattr(self._action, "event_id", None) or str(uuid.uuid4())
        event = {"topic": topic, "body": json.dumps(body_obj).encode(), "event_id": event_id,
                 "triggered_at": triggered.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        with self.lock:
            self.emitted.append((topic, body_obj))
            targets = [s for s in self.subscriptions.values() if TOPICS.get(s["topic"]) == topic]
            for sub in targets:
                self._queue.append({**event, "uri": sub["uri"], "webhook_id": str(uuid.uuid4())})
        if self.auto_deliver and targets:
            self.deliver_webhooks()

    @contextmanager
    def merchant_action(self) -> Iterator[str]:
        """Every webhook emitted inside shares one X-Shopify-Event-Id (each delivery keeps its own
        X-Shopify-Webhook-Id), as Shopify does for the deliveries of one merchant action."""
        outer = getattr(self._action, "event_id", None)
        self._action.event_id = outer or str(uuid.uuid4())
        try:
            yield self._action.event_id
        finally:
            self._action.event_id = outer

    def delete_product(self, product_id: Any) -> None:
        with self.lock:
            product = self.products.pop(_num(product_id))
            for variant in product.get("variants", []):
                self.variants.pop(variant["id"], None)
                self.sku_index.pop(variant.get("sku") or "", None)
        self._emit("products/delete", {"id": product["id"]})  # Shopify's products/delete body is the id alone

    def delete_customer(self, customer_id: Any) -> None:
        with self.lock:
            customer = self.customers.pop(_num(customer_id))
        self._emit("customers/delete", {"id": customer["id"]})

    def delete_order(self, order_id: Any) -> None:
        with self.lock:
            order = self.orders.pop(_num(order_id))
        self._emit("orders/delete", {"id": order["id"]})

    def _emit_level(self, item: int, location: int) -> None:
        if not any(TOPICS.get(s["topic"]) == "inventory_levels/update" for s in self.subscriptions.values()) \
                and not self.auto_deliver and len(self.emitted) > 10000:
            return  # bulk pushes without subscribers: keep memory flat
        self._emit("inventory_levels/update", {
            "inventory_item_id": item, "location_id": location, "available": self.levels.get((item, location)),
            "updated_at": _rest_time(self._now()),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}",
        })

    def webhook_headers(self, event: dict) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": event["topic"],
            "X-Shopify-Hmac-Sha256": hmac_sha256_b64(self.client_secret, event["body"]),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": event["webhook_id"],
            "X-Shopify-Event-Id": event["event_id"],
            "X-Shopify-Triggered-At": event["triggered_at"],
        }

    def pending_webhooks(self) -> list[tuple[bytes, dict[str, str]]]:
        """Queued deliveries as (raw body, headers), without sending them."""
        with self.lock:
            return [(e["body"], self.webhook_headers(e)) for e in self._queue]

    def deliver_webhooks(self, duplicate: bool = False, reverse: bool = False) -> int:
        """POST every queued delivery now; returns the number of POSTs made."""
        with self.lock:
            batch, self._queue = self._queue, []
        if reverse:
            batch.reverse()
        sent = 0
        for event in batch:
            for _ in range(2 if duplicate else 1):
                status = post_webhook(event["uri"], event["body"], self.webhook_headers(event))
                with self.lock:
                    self.webhook_deliveries.append((event["topic"], status))
                sent += 1
        return sent

    # ------------------------------------------------------------------ HTTP routing
    def lose_answer_of(self, root_field: str, n: int = 1, status: int = 502, *, creates_only: bool = False) -> None:
        """The next ``n`` requests running ``root_field`` are carried out (the store commits), then
        answered ``status`` instead of their result: the client cannot know its write landed.
        ``creates_only``: only a document that creates (a ``productSet``/``customerSet`` with a null identifier),
        passing the updates that come first."""
        with self.lock:
            self._lose_on[root_field] = self._lose_on.get(root_field, []) + [(status, creates_only)] * n

    def _answer_lost(self, request: SimRequest) -> int | None:
        if not self._lose_on or not request.path.endswith("/graphql.json"):
            return None
        try:
            document = json.loads(request.body or b"{}")
            query, variables = document.get("query") or "", document.get("variables") or {}
        except (ValueError, AttributeError):
            return None
        creates = any(k.startswith("identifier") and v is None for k, v in variables.items()) if isinstance(variables, dict) else False
        with self.lock:
            for name, losses in self._lose_on.items():
                if losses and re.search(rf"\b{name}\s*\(", query) and (creates or not losses[0][1]):
                    return losses.pop(0)[0]
        return None

    def route(self, request: SimRequest) -> SimResponse:
        lost = self._answer_lost(request)
        if lost is not None:
            self._route(request)
            return SimResponse(lost, {"errors": "simulated fault after commit"})
        return self._route(request)

    def _route(self, request: SimRequest) -> SimResponse:
        if request.method == "POST" and request.path == "/admin/oauth/access_token":
            return self._oauth(request)
        if request.method == "GET" and request.path.startswith("/bulk/"):
            return self._bulk_file(request.path)
        if request.method == "POST" and request.path.endswith("/graphql.json") and request.path.startswith("/admin/api/"):
            return self._graphql(request)
        return SimResponse(404, {"errors": "Not Found"})

    def _oauth(self, request: SimRequest) -> SimResponse:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return SimResponse(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return SimResponse(401, {"error": "invalid_client"})
        token = "shpat_cc_" + uuid.uuid4().hex
        with self.lock:
            self.issued_tokens[token] = time.time() + self.token_lifetime
            self.token_grants += 1
        return SimResponse(200, {"access_token": token, "scope": "read_products,write_products,read_orders",
                                 "expires_in": int(self.token_lifetime)})

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.issued_tokens:
                self.issued_tokens[token] = 0.0

    def _authorised(self, request: SimRequest) -> bool:
        token = request.headers.get("x-shopify-access-token")
        if not token:
            return False
        if token == self.access_token:
            return True
        return self.issued_tokens.get(token, 0.0) > time.time()

    def _graphql(self, request: SimRequest) -> SimResponse:
        if not self._authorised(request):
            return SimResponse(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
        version = request.path.split("/")[3]
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as exc:
            return SimResponse(400, {"errors": f"body is not JSON: {exc}"})
        query, variables = body.get("query") or "", body.get("variables") or {}
        with self.lock:
            self.requests_seen.append((query, variables))
        refused = contract.request_errors(query, variables, contract.schema_version_for(version))
        if refused:  # Shopify validates the document and coerces the variables before running anything
            return SimResponse(200, {"errors": [{"message": m, "extensions": {"code": "INVALID_REQUEST"}} for m in refused]})
        try:
            op = parse(query, variables)
        except GraphQLSyntaxError as exc:
            return SimResponse(200, {"errors": [{"message": f"syntax error: {exc}", "extensions": {"code": "PARSE_ERROR"}}]})
        requested = self._requested_cost(op)
        with self.lock:
            for f in op.fields:  # every attempt that reached the store, for idempotency checks
                if "idempotent" in f.directives:
                    self.idempotency_keys.append((f.name, f.directives["idempotent"].get("key")))
            fault = self._throttle_faults.pop(0) if self._throttle_faults else None
            available = self._refill()
            if requested > MAX_QUERY_COST and op.kind == "query":
                return SimResponse(200, {"errors": [{"message": f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).",
                                                     "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested,
                                                                    "maxCost": MAX_QUERY_COST}}]})
            if fault is not None or requested > available:
                return self._throttled(requested, available, fault or 200)
            self._available = available - requested
        try:
            data, refund = self._execute(op, version)
        except GraphQLFailure as exc:
            with self.lock:
                self._available = min(self.bucket_size, self._available + requested)  # not charged
            return SimResponse(exc.status, {"errors": [{"message": str(exc), "extensions": {"code": exc.code}}],
                                            "extensions": {"cost": self._cost_block(requested, None)}})
        with self.lock:
            self._available = min(self.bucket_size, self._available + refund)
            self.cost_log.append((requested, requested - refund))
        cost = {"cost": self._cost_block(requested, requested - refund)}
        if self.check_answers:
            data, violations = contract.shape_answer(query, variables, data, contract.schema_version_for(version))
            if violations:  # the simulator answered something Shopify cannot: fail loudly, never hide it
                with self.lock:
                    self.schema_violations.extend(violations)
                return SimResponse(200, {"errors": [{"message": f"SIMULATOR ANSWER VIOLATES THE SCHEMA: {m}",
                                                     "extensions": {"code": "SIMULATOR_SCHEMA_VIOLATION"}}
                                                    for m in violations], "extensions": cost})
        return SimResponse(200, {"data": data, "extensions": cost})

    def _refill(self) -> float:
        now = time.monotonic()
        self._available = min(self.bucket_size, self._available + (now - self._bucket_stamp) * self.restore_rate)
        self._bucket_stamp = now
        return self._available

    def _cost_block(self, requested: float, actual: float | None) -> dict:
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": {"maximumAvailable": self.bucket_size, "currentlyAvailable": round(self._available, 3),
                                   "restoreRate": self.restore_rate}}

    def _throttled(self, requested: float, available: float, status: int) -> SimResponse:
        body = {"errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": self._cost_block(requested, None)}}
        headers = {"Retry-After": "1"} if status == 429 else {}
        return SimResponse(status, body, headers)

    def _requested_cost(self, op: Operation) -> int:
        cost = query_cost(op)
        if op.kind == "mutation":
            rows = max((_largest_array(f.args) for f in op.fields), default=0)
            cost = MUTATION_BASE_COST * len(op.fields) + self.cost_per_input_row * rows
        return cost

    def _execute(self, op: Operation, version: str) -> tuple[dict, int]:
        if op.kind == "mutation":
            with self.merchant_action():  # one request = one action: its webhooks share an Event-Id
                return self._execute_fields(op, version)
        return self._execute_fields(op, version)

    def _execute_fields(self, op: Operation, version: str) -> tuple[dict, int]:
        for f in op.fields:
            _check_limits(f)
        data: dict[str, Any] = {}
        refund = 0
        self._action.partial = self._take_partial_batch(op)
        for position, f in enumerate(op.fields):
            self.operations.append(f.name)
            if self._action.partial and f.name == "productSet" and position % 2 == 0:
                self.batch_items_failed += 1
                data[f.key] = {"product": None, "userErrors": [_user_error(
                    None, "Something went wrong, please try again (simulated partial batch failure).", "GENERIC_ERROR")]}
                continue
            handler: Callable[[Field, str], Any] | None = getattr(self, f"_{op.kind}_{f.name}", None)
            if handler is None:
                raise GraphQLFailure(f"Field '{f.name}' doesn't exist on type '{op.kind.capitalize()}Root'", "undefinedField")
            if op.kind == "mutation" and f.name in IDEMPOTENT_MUTATIONS and version >= "2026-04":
                key = (f.directives.get("idempotent") or {}).get("key")
                if not key:
                    raise GraphQLFailure(f"The @idempotent directive is required for {f.name} in {version}", "BAD_REQUEST")
                cache_key = f"{f.name}:{key}"
                with self.lock:
                    if cache_key in self.idempotency:
                        data[f.key] = self.idempotency[cache_key]
                        continue
                result = handler(f, version)
                with self.lock:
                    self.idempotency[cache_key] = result
            else:
                result = handler(f, version)
            if isinstance(result, tuple):  # (value, unused connection nodes) for refunds of cost
                result, unused = result
                refund += unused
            if op.kind == "query":  # nested connections answered with fewer nodes than asked cost less too
                refund += _nested_unused_cost(f, result)
            data[f.key] = result
        return data, refund

    # ------------------------------------------------------------------ connections
    @staticmethod
    def _page(items: list, f: Field, cursor_of: Callable[[Any], Any]) -> tuple[list, dict, int]:
        first = connection_size(f) or 50
        after = f.args.get("after")
        start = 0
        if after:
            marker = json.loads(base64.b64decode(after))
            for start, item in enumerate(items):  # noqa: B007 - linear scan is fine for the sizes simulated
                if _after(cursor_of(item), marker):
                    break
            else:
                start = len(items)
        chunk = items[start:start + first]
        has_next = start + first < len(items)
        end = base64.b64encode(json.dumps(cursor_of(chunk[-1])).encode()).decode() if chunk else None
        unused = (first - len(chunk)) * (1 + selection_cost(node_selection(f)))
        return chunk, {"hasNextPage": has_next, "endCursor": end, "hasPreviousPage": start > 0}, unused

    @staticmethod
    def _sorted_by_update(records: Iterable[dict], f: Field) -> list[dict]:
        predicate = _search_predicate(f.args.get("query"))
        chosen = [r for r in records if predicate(r)]
        if (f.args.get("sortKey") or "ID") == "UPDATED_AT":
            chosen.sort(key=lambda r: (r["updated_at"], r["id"]))
        else:
            chosen.sort(key=lambda r: r["id"])
        if f.args.get("reverse"):
            chosen.reverse()
        return chosen

    @staticmethod
    def _update_cursor(record: dict) -> list:
        return [record["updated_at"].isoformat(), record["id"]]

    # ------------------------------------------------------------------ GraphQL renderers
    def gql_variant(self, v: dict, location_id: int | None = None) -> dict:
        product = self.products.get(v["product_id"], {})
        names = [o["name"] for o in product.get("options", [])]
        item = v["inventory_item_id"]
        return {
            "id": _gid("ProductVariant", v["id"]), "legacyResourceId": str(v["id"]), "sku": v.get("sku"),
            "title": v.get("title"), "price": v.get("price"), "compareAtPrice": v.get("compare_at_price"),
            "barcode": v.get("barcode"), "updatedAt": _gql_time(v["updated_at"]),
            "selectedOptions": [{"name": n, "value": v.get(f"option{i + 1}")} for i, n in enumerate(names)],
            "inventoryItem": {"id": _gid("InventoryItem", item), "tracked": v.get("inventory_management") == "shopify"},
            "inventoryPolicy": "CONTINUE" if v.get("inventory_policy") == "continue" else "DENY",
            "inventoryQuantity": self.levels.get((item, location_id or self.default_location_id), 0),
            "product": {"id": _gid("Product", v["product_id"])},
        }

    def gql_product(self, p: dict, variants_field: Field | None) -> dict:
        node = {
            "id": _gid("Product", p["id"]), "legacyResourceId": str(p["id"]), "title": p["title"],
            "handle": p.get("handle"), "vendor": p.get("vendor"), "productType": p.get("product_type"),
            "status": (p.get("status") or "active").upper(), "tags": list(p.get("tags") or []),
            "descriptionHtml": p.get("body_html") or "", "updatedAt": _gql_time(p["updated_at"]),
            "options": [{"name": o["name"], "values": o["values"]} for o in p.get("options", [])],
        }
        if variants_field is not None:
            chunk, info, _ = self._page(p["variants"], variants_field, lambda v: [v["id"]])
            node["variants"] = {"nodes": [self.gql_variant(v) for v in chunk], "pageInfo": info}
        return node

    def gql_customer(self, c: dict) -> dict:
        addresses = [_gql_address(a) for a in c.get("addresses") or []]
        return {"id": _gid("Customer", c["id"]), "legacyResourceId": str(c["id"]), "email": c.get("email"),
                "firstName": c.get("first_name"), "lastName": c.get("last_name"), "phone": c.get("phone"),
                "defaultEmailAddress": {"emailAddress": c["email"]} if c.get("email") else None,
                "defaultPhoneNumber": {"phoneNumber": c["phone"]} if c.get("phone") else None,
                "updatedAt": _gql_time(c["updated_at"]), "defaultAddress": _gql_address(c.get("default_address")),
                "tags": c.get("tags_list") or [t.strip() for t in str(c.get("tags") or "").split(",") if t.strip()],
                "addresses": addresses, "addressesV2": {"nodes": addresses[:10], "pageInfo": {"hasNextPage": len(addresses) > 10}}}

    def gql_order(self, o: dict, f: Field) -> dict:
        def tax(items: list) -> list:
            return [{"title": t["title"], "rate": t.get("rate"), "priceSet": _gql_bag(t["price_set"])} for t in items]

        def allocs(items: list) -> list:
            return [{"allocatedAmountSet": _gql_bag(a["amount_set"])} for a in items]

        financial = (o.get("financial_status") or "").upper()
        node = {
            "id": _gid("Order", o["id"]), "legacyResourceId": str(o["id"]), "name": o["name"], "email": o.get("email"),
            "createdAt": _gql_time(o["created_at"]), "updatedAt": _gql_time(o["updated_at"]),
            "cancelledAt": _gql_time(o.get("cancelled_at")), "note": o.get("note"),
            "tags": o.get("tags_list") or [t.strip() for t in str(o.get("tags") or "").split(",") if t.strip()],
            "currencyCode": o["currency"], "presentmentCurrencyCode": o["presentment_currency"],
            "taxesIncluded": o["taxes_included"],
            "displayFinancialStatus": "EXPIRED" if financial == "VOIDED" else financial,
            "displayFulfillmentStatus": {"fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED"}.get(o.get("fulfillment_status") or "", "UNFULFILLED"),
            "totalPriceSet": _gql_bag(o["total_price_set"]), "totalTaxSet": _gql_bag(o["total_tax_set"]),
            "totalDiscountsSet": _gql_bag(o["total_discounts_set"]),
            "totalShippingPriceSet": _gql_bag(o["total_shipping_price_set"]),
            "discountCodes": [d["code"] for d in o.get("discount_codes") or []],
            "taxLines": tax(o.get("tax_lines") or []),
            "customer": self.gql_customer(self.customers[o["customer"]["id"]]) if o.get("customer") and o["customer"]["id"] in self.customers else None,
            "billingAddress": _gql_address(o.get("billing_address")),
            "shippingAddress": _gql_address(o.get("shipping_address")),
            "refunds": [{"id": _gid("Refund", r["id"]), "createdAt": _gql_time(r["created_at"]), "note": r.get("note"),
                         "totalRefundedSet": _gql_bag(r.get("total_refunded_set")),
                         "refundLineItems": {"pageInfo": {"hasNextPage": False}, "nodes": [
                             {"quantity": x["quantity"], "restockType": (x.get("restock_type") or "no_restock").upper(),
                              "lineItem": {"id": _gid("LineItem", x["line_item_id"]), "sku": (x.get("line_item") or {}).get("sku")},
                              "subtotalSet": _gql_bag(x.get("subtotal_set")),
                              "totalTaxSet": _gql_bag(x["total_tax_set"])}
                             for x in r["refund_line_items"]]},
                         "refundShippingLines": {"pageInfo": {"hasNextPage": False}, "nodes": [
                             {"subtotalAmountSet": _gql_bag(x["subtotal_amount_set"]), "taxAmountSet": _gql_bag(x["tax_amount_set"])}
                             for x in r.get("refund_shipping_lines") or []]}} for r in o["refunds"]],
            "fulfillments": [{"id": _gid("Fulfillment", x["id"]), "createdAt": _gql_time(x["created_at"]), "status": "SUCCESS",
                              "trackingInfo": [{"company": x.get("tracking_company"), "number": x.get("tracking_number"),
                                                "url": x.get("tracking_url")}] if x.get("tracking_number") else [],
                              "fulfillmentLineItems": {"pageInfo": {"hasNextPage": False}, "nodes": [
                                  {"quantity": li["quantity"], "lineItem": {"id": _gid("LineItem", li["id"]), "sku": li.get("sku")}}
                                  for li in x["line_items"]]}}
                             for x in o["fulfillments"]],
            "transactions": [{"id": _gid("OrderTransaction", t["id"]), "kind": t["kind"].upper(), "status": t["status"].upper(),
                              "gateway": t["gateway"], "amountSet": _gql_bag(t["amount_set"])}
                             for t in o.get("transactions", [])],
        }
        line_field = f.find("lineItems")
        if line_field is not None:
            chunk, info, _ = self._page(o["line_items"], line_field, lambda li: [li["id"]])
            node["lineItems"] = {"pageInfo": info, "nodes": [{
                "id": _gid("LineItem", li["id"]), "sku": li.get("sku"), "title": li.get("title"), "name": li.get("name"),
                "quantity": li["quantity"], "currentQuantity": li.get("current_quantity", li["quantity"]),
                "unfulfilledQuantity": li["fulfillable_quantity"],
                "originalUnitPriceSet": _gql_bag(li["price_set"]),
                "discountAllocations": allocs(li.get("discount_allocations") or []),
                "taxLines": tax(li.get("tax_lines") or []),
                "variant": {"id": _gid("ProductVariant", li["variant_id"])} if li.get("variant_id") else None,
                "product": {"id": _gid("Product", li["product_id"])} if li.get("product_id") else None,
            } for li in chunk]}
        ship_field = f.find("shippingLines")
        if ship_field is not None:
            chunk, info, _ = self._page(o["shipping_lines"], ship_field, lambda s: [s["id"]])
            node["shippingLines"] = {"pageInfo": info, "nodes": [{
                "title": s["title"], "code": s.get("code"), "isRemoved": s.get("is_removed", False),
                "originalPriceSet": _gql_bag(s["price_set"]), "discountAllocations": allocs(s.get("discount_allocations") or []),
                "taxLines": tax(s.get("tax_lines") or []),
            } for s in chunk]}
        fo_field = f.find("fulfillmentOrders")
        if fo_field is not None:
            line_by_id = {li["id"]: li for li in o["line_items"]}
            fos = [fo for fo in self.fulfillment_orders.values() if fo["order_id"] == o["id"]]
            chunk, info, _ = self._page(fos, fo_field, lambda fo: [fo["id"]])
            node["fulfillmentOrders"] = {"pageInfo": info, "nodes": [{
                "id": _gid("FulfillmentOrder", fo["id"]), "status": fo["status"],
                "assignedLocation": {"location": {"id": _gid("Location", fo["location_id"])}},
                "lineItems": {"pageInfo": {"hasNextPage": False}, "nodes": [{
                    "id": _gid("FulfillmentOrderLineItem", x["id"]), "remainingQuantity": x["remaining"],
                    "lineItem": {"id": _gid("LineItem", x["line_item_id"]), "sku": line_by_id[x["line_item_id"]].get("sku")},
                } for x in fo["line_items"]]},
            } for fo in chunk]}
        return node

    # ------------------------------------------------------------------ queries
    def _query_shop(self, f: Field, version: str) -> dict:
        return {"name": "Simulated shop", "myshopifyDomain": self.shop_domain, "currencyCode": self.currency,
                "taxesIncluded": self.taxes_included, "plan": {"displayName": self.plan.capitalize(),
                                                                           "publicDisplayName": self.plan.capitalize()}}

    def _query_locations(self, f: Field, version: str) -> tuple[dict, int]:
        items = [loc for loc in self.locations.values() if loc["active"] or f.args.get("includeInactive")]
        chunk, info, unused = self._page(items, f, lambda loc: [loc["id"]])
        return {"nodes": [{"id": _gid("Location", loc["id"]), "name": loc["name"], "isActive": loc["active"]}
                          for loc in chunk], "pageInfo": info}, unused

    def _query_products(self, f: Field, version: str) -> tuple[dict, int]:
        with self.lock:
            records = self._sorted_by_update(list(self.products.values()), f)
        chunk, info, unused = self._page(records, f, self._update_cursor)
        variants = f.find("variants")
        return {"nodes": [self.gql_product(p, variants) for p in chunk], "pageInfo": info}, unused

    def _query_product(self, f: Field, version: str) -> dict | None:
        product = self.products.get(_num(f.args["id"]))
        return self.gql_product(product, f.find("variants")) if product else None

    def _query_productVariants(self, f: Field, version: str) -> tuple[dict, int]:  # noqa: N802
        predicate = _search_predicate(f.args.get("query"))
        wanted = _wanted_skus(f.args.get("query"))
        pool = [self.variants[self.sku_index[s]] for s in wanted if s in self.sku_index] if wanted is not None \
            else list(self.variants.values())
        records = sorted((v for v in pool if predicate(v)), key=lambda v: v["id"])
        chunk, info, unused = self._page(records, f, lambda v: [v["id"]])
        return {"nodes": [self.gql_variant(v) for v in chunk], "pageInfo": info}, unused

    def _query_orders(self, f: Field, version: str) -> tuple[dict, int]:
        with self.lock:
            records = self._sorted_by_update(list(self.orders.values()), f)
        chunk, info, unused = self._page(records, f, self._update_cursor)
        return {"nodes": [self.gql_order(o, f) for o in chunk], "pageInfo": info}, unused

    def _query_order(self, f: Field, version: str) -> dict | None:
        order = self.orders.get(_num(f.args["id"]))
        return self.gql_order(order, f) if order else None

    def _query_customers(self, f: Field, version: str) -> tuple[dict, int]:
        with self.lock:
            records = self._sorted_by_update(list(self.customers.values()), f)
        chunk, info, unused = self._page(records, f, self._update_cursor)
        return {"nodes": [self.gql_customer(c) for c in chunk], "pageInfo": info}, unused

    def _query_customer(self, f: Field, version: str) -> dict | None:
        customer = self.customers.get(_num(f.args["id"]))
        return self.gql_customer(customer) if customer else None

    def _query_nodes(self, f: Field, version: str) -> list:
        level_field = f.find("inventoryLevel")
        location = _num(level_field.args["locationId"]) if level_field is not None else self.default_location_id
        out = []
        for ident in f.args.get("ids") or []:
            kind = ident.split("/")[3] if ident.startswith("gid://") else ""
            if kind == "InventoryItem" and _num(ident) in self.item_to_variant:
                item = _num(ident)
                variant = self.variants[self.item_to_variant[item]]
                qty = self.levels.get((item, location))
                out.append({"__typename": "InventoryItem", "id": ident, "sku": variant.get("sku"),
                            "variant": {"id": _gid("ProductVariant", variant["id"])},
                            "inventoryLevel": None if qty is None else {
                                "location": {"id": _gid("Location", location)},
                                "quantities": [{"name": "available", "quantity": qty}]}})
            elif kind == "Order" and _num(ident) in self.orders:
                out.append(self.gql_order(self.orders[_num(ident)], f))
            else:
                out.append(None)
        return out

    def _query_webhookSubscriptions(self, f: Field, version: str) -> tuple[dict, int]:  # noqa: N802
        items = list(self.subscriptions.values())
        chunk, info, unused = self._page(items, f, lambda s: [s["id"]])
        return {"nodes": [{"id": _gid("WebhookSubscription", s["id"]), "topic": s["topic"], "uri": s["uri"],
                           "format": "JSON"} for s in chunk], "pageInfo": info}, unused

    def _query_bulkOperation(self, f: Field, version: str) -> dict | None:  # noqa: N802
        op = self.bulk_ops.get(_num(f.args["id"]))
        if op is None:
            return None
        with self.lock:
            op["polls"] += 1
            if op["polls"] > self.bulk_poll_rounds:
                op["status"] = "COMPLETED"
        return self._bulk_view(op)

    def _bulk_view(self, op: dict) -> dict:
        done = op["status"] == "COMPLETED"
        return {"id": _gid("BulkOperation", op["id"]), "status": op["status"], "errorCode": None,
                "objectCount": str(op["objects"]) if done else "0", "rootObjectCount": str(op["roots"]) if done else "0",
                "fileSize": str(op["size"]) if done else None,
                "url": f"{self.base_url}/bulk/{op['id']}.jsonl" if done else None, "partialDataUrl": None}

    # ------------------------------------------------------------------ mutations
    def _mutation_inventorySetQuantities(self, f: Field, version: str) -> dict:  # noqa: N802
        data = f.args.get("input") or {}
        errors: list[dict] = []
        if data.get("name") not in ("available", "on_hand"):
            errors.append(_user_error(["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"))
        if data.get("reason") not in INVENTORY_REASONS:
            errors.append(_user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
        rows = data.get("quantities") or []
        planned: list[tuple[tuple[int, int], int, int | None]] = []
        with self.lock:
            for index, row in enumerate(rows):
                where = ["input", "quantities", str(index)]
                if version >= "2026-04" and "changeFromQuantity" not in row:
                    raise GraphQLFailure(f"Variable $input of type InventorySetQuantitiesInput! was provided invalid value for quantities.{index}.changeFromQuantity (Expected value to not be null)", "INVALID_VARIABLE")
                try:
                    item, location = _num(row["inventoryItemId"]), _num(row["locationId"])
                except (KeyError, ValueError):
                    errors.append(_user_error(where, "Invalid id.", "INVALID_INVENTORY_ITEM"))
                    continue
                if item not in self.item_to_variant:
                    errors.append(_user_error(where + ["inventoryItemId"], "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM"))
                    continue
                if location not in self.locations:
                    errors.append(_user_error(where + ["locationId"], "The specified location could not be found.", "INVALID_LOCATION"))
                    continue
                current = self.levels.get((item, location))
                if current is None:
                    errors.append(_user_error(where + ["locationId"], "The item is not stocked at the location.", "ITEM_NOT_STOCKED_AT_LOCATION"))
                    continue
                expected = row.get("changeFromQuantity")
                if expected is not None and int(expected) != current:
                    errors.append(_user_error(where + ["changeFromQuantity"],
                                              "The specified compare quantity does not match the current quantity.",
                                              "CHANGE_FROM_QUANTITY_STALE"))
                    continue
                planned.append(((item, location), int(row["quantity"]), current))
            if not errors and getattr(self._action, "partial", False):  # an armed partial batch failure
                errors = [_user_error(["input", "quantities", str(i)], "The inventory item could not be adjusted "
                                      "(simulated partial batch failure).", "NON_MUTABLE_INVENTORY_ITEM")
                          for i in range(0, len(rows), 2)]
                self.batch_items_failed += len(errors)
            if errors:  # the mutation is all-or-nothing
                return {"inventoryAdjustmentGroup": None, "userErrors": errors}
            changes, changed_keys = [], []
            for key, quantity, current in planned:
                self.levels[key] = quantity
                if quantity != current:
                    changed_keys.append(key)
                changes.append({"name": data["name"], "delta": quantity - (current or 0), "quantityAfterChange": quantity,
                                "item": {"id": _gid("InventoryItem", key[0])}, "location": {"id": _gid("Location", key[1])}})
        for key in changed_keys:
            self._emit_level(*key)
        return {"inventoryAdjustmentGroup": {"id": _gid("InventoryAdjustmentGroup", self._next_id()),
                                             "reason": data["reason"], "referenceDocumentUri": data.get("referenceDocumentUri"),
                                             "changes": changes}, "userErrors": []}

    def _mutation_productSet(self, f: Field, version: str) -> dict:  # noqa: N802
        data = f.args.get("input") or {}
        identifier = f.args.get("identifier") or {}
        if data.get("id"):
            identifier = {"id": data["id"]}
        with self.lock:
            product = self.products.get(_num(identifier["id"])) if identifier.get("id") else None
            if identifier.get("id") and product is None:
                return {"product": None, "userErrors": [_user_error(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]}
            errors = _validate_product_input(data)
            if errors:
                return {"product": None, "userErrors": errors}
            created = product is None
            if created:
                pid = self._next_id()
                product = {"id": pid, "variants": [], "created_at": self._now(), "tags": [], "status": "active",
                           "admin_graphql_api_id": _gid("Product", pid)}
            for src, dst in (("title", "title"), ("handle", "handle"), ("vendor", "vendor"),
                             ("productType", "product_type"), ("descriptionHtml", "body_html"), ("tags", "tags")):
                if src in data:
                    product[dst] = data[src]
            if "status" in data:
                product["status"] = str(data["status"]).lower()
            product.setdefault("handle", (product.get("title") or "product").lower().replace(" ", "-"))
            if "variants" in data:
                option_names = [o["name"] for o in data.get("productOptions") or []] or ["Title"]
                product["options"] = [{"name": o["name"], "values": [v["name"] for v in o.get("values") or []]}
                                      for o in data.get("productOptions") or []] or [{"name": "Title", "values": ["Default Title"]}]
                self._replace_variants(product, data["variants"], option_names)
            product["updated_at"] = self._now()
            self.products[product["id"]] = product
            result = {"product": self.gql_product(product, f.find("variants")), "userErrors": []}
        self._emit("products/create" if created else "products/update", self.rest_product(product))
        return result

    def _replace_variants(self, product: dict, rows: list[dict], option_names: list[str]) -> None:
        """productSet semantics: the list replaces the variants; omitted ones are deleted."""
        existing = {v["id"]: v for v in product["variants"]}
        by_options = {tuple(v.get(f"option{i + 1}") for i in range(len(option_names))): v for v in product["variants"]}
        keep: list[dict] = []
        for row in rows:
            values = [next((o["name"] for o in row.get("optionValues") or [] if o.get("optionName") == n), None)
                      for n in option_names]
            variant = existing.get(_num(row["id"])) if row.get("id") else by_options.get(tuple(values))
            sku = (row.get("inventoryItem") or {}).get("sku", row.get("sku"))
            if variant is None:
                product_variants = product["variants"]
                product["variants"] = []
                variant = self._new_variant(product, {"sku": sku, "price": row.get("price")}, values)
                product["variants"] = product_variants
            if variant.get("sku") and variant["sku"] != sku:
                self.sku_index.pop(variant["sku"], None)
            if "tracked" in (row.get("inventoryItem") or {}):
                variant["inventory_management"] = "shopify" if row["inventoryItem"]["tracked"] else None
            variant.update({"sku": sku, "price": str(row.get("price", variant["price"])),
                            "compare_at_price": row.get("compareAtPrice"), "barcode": row.get("barcode"),
                            "title": " / ".join(v for v in values if v) or "Default Title", "updated_at": self._now()})
            for index, value in enumerate(values[:3], start=1):
                variant[f"option{index}"] = value
            if sku:
                self.sku_index[sku] = variant["id"]
            keep.append(variant)
        kept_ids = {v["id"] for v in keep}
        for vid, variant in existing.items():
            if vid not in kept_ids:  # deleted with its inventory item and levels
                self.variants.pop(vid, None)
                if variant.get("sku") and self.sku_index.get(variant["sku"]) == vid:
                    self.sku_index.pop(variant["sku"], None)
                self.item_to_variant.pop(variant["inventory_item_id"], None)
                for key in [k for k in self.levels if k[0] == variant["inventory_item_id"]]:
                    self.levels.pop(key)
        product["variants"] = keep

    def _mutation_productVariantsBulkUpdate(self, f: Field, version: str) -> dict:  # noqa: N802
        product = self.products.get(_num(f.args.get("productId")))
        if product is None:
            return {"productVariants": None, "userErrors": [_user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]}
        rows = f.args.get("variants") or []
        ids = {v["id"] for v in product["variants"]}
        errors = [_user_error(["variants", str(i), "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")
                  for i, r in enumerate(rows) if _num(r.get("id", 0)) not in ids]
        if errors:
            return {"productVariants": None, "userErrors": errors}
        updated = []
        with self.lock:
            for row in rows:
                variant = self.variants[_num(row["id"])]
                if "price" in row:
                    variant["price"] = str(row["price"])
                if "compareAtPrice" in row:
                    variant["compare_at_price"] = row["compareAtPrice"]
                variant["updated_at"] = self._now()
                updated.append(self.gql_variant(variant))
            product["updated_at"] = self._now()
        self._emit("products/update", self.rest_product(product))
        return {"productVariants": updated, "userErrors": []}

    def _mutation_fulfillmentCreate(self, f: Field, version: str) -> dict:  # noqa: N802
        data = f.args.get("fulfillment") or {}
        groups = data.get("lineItemsByFulfillmentOrder") or []
        with self.lock:
            fos = []
            for index, group in enumerate(groups):
                fo = self.fulfillment_orders.get(_num(group.get("fulfillmentOrderId", 0)))
                if fo is None or fo["status"] != "OPEN":
                    return {"fulfillment": None, "userErrors": [_user_error(
                        ["fulfillment", "lineItemsByFulfillmentOrder", str(index)], "Fulfillment order is not open or does not exist.", "INVALID")]}
                fos.append((fo, group.get("fulfillmentOrderLineItems")))
            if not fos:
                return {"fulfillment": None, "userErrors": [_user_error(["fulfillment"], "No fulfillment orders given.", "INVALID")]}
            if len({fo["order_id"] for fo, _ in fos}) > 1 or len({fo["location_id"] for fo, _ in fos}) > 1:
                return {"fulfillment": None, "userErrors": [_user_error(
                    ["fulfillment", "lineItemsByFulfillmentOrder"], "Fulfillment orders must belong to the same order and location.", "INVALID")]}
            order = self.orders[fos[0][0]["order_id"]]
            moved: list[tuple[dict, int]] = []
            for fo, items in fos:
                wanted = {x["id"]: x for x in fo["line_items"]}
                if items is None:
                    moved += [(x, x["remaining"]) for x in fo["line_items"] if x["remaining"]]
                    continue
                for item in items:
                    x = wanted.get(_num(item["id"]))
                    if x is None or int(item["quantity"]) > x["remaining"] or int(item["quantity"]) <= 0:
                        return {"fulfillment": None, "userErrors": [_user_error(
                            ["fulfillment", "lineItemsByFulfillmentOrder"], "Invalid fulfillment order line item quantity.", "INVALID")]}
                    moved.append((x, int(item["quantity"])))
            lines = {li["id"]: li for li in order["line_items"]}
            for x, qty in moved:
                x["remaining"] -= qty
                lines[x["line_item_id"]]["fulfillable_quantity"] -= qty
            for fo, _ in fos:
                if all(x["remaining"] == 0 for x in fo["line_items"]):
                    fo["status"] = "CLOSED"
            tracking = data.get("trackingInfo") or {}
            fid = self._next_id()
            order["fulfillments"].append({
                "id": fid, "created_at": self._now(), "status": "success", "location_id": fos[0][0]["location_id"],
                "tracking_company": tracking.get("company"), "tracking_number": tracking.get("number"),
                "tracking_url": tracking.get("url"), "notify_customer": bool(data.get("notifyCustomer")),
                "line_items": [{"id": x["line_item_id"], "sku": lines[x["line_item_id"]].get("sku"), "quantity": q} for x, q in moved],
            })
            remaining = sum(li["fulfillable_quantity"] for li in order["line_items"])
            order["fulfillment_status"] = "fulfilled" if remaining == 0 else "partial"
            order["updated_at"] = self._now()
        if order["fulfillment_status"] == "fulfilled":
            self._emit("orders/fulfilled", order)
        self._emit("orders/updated", order)
        return {"fulfillment": {"id": _gid("Fulfillment", fid), "status": "SUCCESS",
                                "trackingInfo": [tracking] if tracking else []}, "userErrors": []}

    def _mutation_orderCancel(self, f: Field, version: str) -> dict:  # noqa: N802
        order = self.orders.get(_num(f.args.get("orderId", 0)))
        if order is None:
            return {"job": None, "orderCancelUserErrors": [_user_error(["orderId"], "Order does not exist", "NOT_FOUND")]}
        if f.args.get("reason") not in ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "STAFF", "OTHER"):
            return {"job": None, "orderCancelUserErrors": [_user_error(["reason"], "Invalid reason", "INVALID")]}
        if "refundMethod" not in f.args and "refund" not in f.args:
            raise GraphQLFailure("Field 'orderCancel' is missing required arguments: refundMethod", "missingRequiredArguments")
        if self.async_cancel and not order.get("cancelled_at"):
            return self._cancel_later(f)
        with self.lock:
            if order.get("cancelled_at"):
                return {"job": None, "orderCancelUserErrors": [_user_error(["orderId"], "Order has already been cancelled", "INVALID")]}
            refund = bool((f.args.get("refundMethod") or {}).get("originalPaymentMethodsRefund", f.args.get("refund")))
            changed = self._cancel(order, f.args["reason"], refund=refund, restock=bool(f.args.get("restock")))
        for key in changed:
            self._emit_level(*key)
        self._emit("orders/cancelled", order)
        self._emit("orders/updated", order)
        return {"job": {"id": _gid("Job", self._next_id()), "done": True}, "orderCancelUserErrors": []}

    def _cancel_later(self, f: Field) -> dict:
        """``orderCancel`` as an unfinished job: the order is cancelled when the job is next polled."""
        job_id = self._next_id()
        with self.lock:
            self.jobs[job_id] = {"done": False, "then": (_num(f.args["orderId"]), f.args["reason"],
                                                         bool((f.args.get("refundMethod") or {}).get("originalPaymentMethodsRefund")),
                                                         bool(f.args.get("restock")))}
        return {"job": {"id": _gid("Job", job_id), "done": False}, "orderCancelUserErrors": []}

    def _query_job(self, f: Field, version: str) -> dict | None:
        job_id = _num(f.args.get("id", 0))
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                return {"id": _gid("Job", job_id), "done": True}  # finished jobs are forgotten
            pending = None if job["done"] else job["then"]
            job["done"] = True
        if pending is not None:
            order_id, reason, refund, restock = pending
            order = self.orders[order_id]
            with self.lock:
                changed = self._cancel(order, reason, refund=refund, restock=restock)
            for key in changed:
                self._emit_level(*key)
            self._emit("orders/cancelled", order)
            self._emit("orders/updated", order)
        return {"id": _gid("Job", job_id), "done": True}

    def _mutation_refundCreate(self, f: Field, version: str) -> dict:  # noqa: N802
        data = f.args.get("input") or {}
        order = self.orders.get(_num(data.get("orderId", 0)))
        if order is None:
            return {"refund": None, "userErrors": [_user_error(["input", "orderId"], "Order does not exist", "NOT_FOUND")]}
        prate = _d(order.get("presentment_rate") or "1")
        if order["presentment_currency"] != order["currency"] and data.get("currency") != order["presentment_currency"]:
            # RefundInput.currency: "required for orders where the currency and presentment currency differ"
            return {"refund": None, "userErrors": [_user_error(["input", "currency"],
                    f"Currency must be the presentment currency {order['presentment_currency']}", "INVALID")]}  # noqa: E128
        with self.lock:
            lines = {li["id"]: li for li in order["line_items"]}
            refunded_qty = {}
            for r in order["refunds"]:
                for x in r["refund_line_items"]:
                    refunded_qty[x["line_item_id"]] = refunded_qty.get(x["line_item_id"], 0) + x["quantity"]
            rows, restock = [], {}
            for index, row in enumerate(data.get("refundLineItems") or []):
                li = lines.get(_num(row.get("lineItemId", 0)))
                qty = int(row.get("quantity", 0))
                if li is None or qty <= 0 or qty > li["quantity"] - refunded_qty.get(li["id"], 0):
                    return {"refund": None, "userErrors": [_user_error(["input", "refundLineItems", str(index)],
                                                                       "Invalid line item or quantity", "INVALID")]}
                kind = (row.get("restockType") or "NO_RESTOCK").upper()
                if kind == "LEGACY_RESTOCK":
                    return {"refund": None, "userErrors": [_user_error(["input", "refundLineItems", str(index), "restockType"],
                                                                       "LEGACY_RESTOCK is not accepted", "INVALID")]}
                if kind in ("RETURN", "CANCEL"):
                    restock[li["id"]] = restock.get(li["id"], 0) + qty
                subtotal = _d(li["price"]) * qty
                line_tax = sum((_d(t["price"]) for t in li.get("tax_lines") or []), Decimal(0))
                tax = _c(line_tax * qty / li["quantity"])  # RefundLineItem.totalTaxSet: the units' share of the line's tax
                rows.append({"line_item_id": li["id"], "quantity": qty, "restock_type": kind.lower(),
                             "line_item": {"id": li["id"], "sku": li.get("sku")},
                             "subtotal_set": _money_set(subtotal, order["currency"], prate, order["presentment_currency"]),
                             "total_tax_set": _money_set(tax, order["currency"], prate, order["presentment_currency"])})
            amount = sum((_d(t.get("amount")) for t in data.get("transactions") or []), Decimal(0)) / prate  # shop money
            rid = self._next_id()
            refund = {"id": rid, "order_id": order["id"], "created_at": self._now(), "note": data.get("note"),
                      "refund_line_items": rows,
                      "transactions": [{"id": self._next_id(), "kind": "refund", "status": "success",
                                        "amount": f"{_c(_d(t.get('amount')))}", "currency": order["presentment_currency"],
                                        "gateway": t.get("gateway")} for t in data.get("transactions") or []],
                      "total_refunded_set": _money_set(amount, order["currency"], prate, order["presentment_currency"])}
            order["refunds"].append(refund)
            for row in rows:  # currentQuantity excludes refunded units
                line = lines[row["line_item_id"]]
                line["current_quantity"] = line.get("current_quantity", line["quantity"]) - row["quantity"]
            refunded = sum((_d(r["total_refunded_set"]["shop_money"]["amount"]) for r in order["refunds"]), Decimal(0))
            if amount:
                order["financial_status"] = "refunded" if refunded >= _d(order["total_price"]) else "partially_refunded"
            changed = self._commit_stock(order, +1, restock) if restock else []
            order["updated_at"] = self._now()
        for key in changed:
            self._emit_level(*key)
        self._emit("refunds/create", {**refund, "created_at": _rest_time(refund["created_at"])})
        self._emit("orders/updated", order)
        return {"refund": {"id": _gid("Refund", rid), "totalRefundedSet": _gql_bag(refund["total_refunded_set"])},
                "userErrors": []}

    def _mutation_customerSet(self, f: Field, version: str) -> dict:  # noqa: N802
        data = f.args.get("input") or {}
        identifier = f.args.get("identifier") or {}
        with self.lock:
            customer = None
            if identifier.get("id"):
                customer = self.customers.get(_num(identifier["id"]))
                if customer is None:
                    return {"customer": None, "userErrors": [_user_error(["identifier", "id"], "Resource matching the identifier was not found.", "NOT_FOUND")]}
            elif identifier.get("email"):
                customer = next((c for c in self.customers.values() if c.get("email") == identifier["email"]), None)
            elif identifier.get("phone"):
                customer = next((c for c in self.customers.values() if c.get("phone") == identifier["phone"]), None)
            email = data.get("email")
            if email is not None and "@" not in str(email):
                return {"customer": None, "userErrors": [_user_error(["input", "email"], "Email is invalid", "INVALID")]}
            clash = next((c for c in self.customers.values() if email and c.get("email") == email and c is not customer), None)
            if clash is not None:
                return {"customer": None, "userErrors": [_user_error(["input", "email"], "Email has already been taken", "TAKEN")]}
            created = customer is None
            if created:
                cid = self._next_id()
                customer = {"id": cid, "created_at": self._now(), "addresses": [], "admin_graphql_api_id": _gid("Customer", cid)}
            for src, dst in (("email", "email"), ("firstName", "first_name"), ("lastName", "last_name"), ("phone", "phone")):
                if src in data:
                    customer[dst] = data[src]
            if "tags" in data:
                customer["tags_list"] = list(data["tags"])
                customer["tags"] = ", ".join(data["tags"])
            if "addresses" in data:
                customer["addresses"] = [_rest_address(a) for a in data["addresses"]]
                customer["default_address"] = customer["addresses"][0] if customer["addresses"] else None
            customer["updated_at"] = self._now()
            self.customers[customer["id"]] = customer
        self._emit("customers/create" if created else "customers/update", self.rest_customer(customer))
        return {"customer": self.gql_customer(customer), "userErrors": []}

    def _mutation_orderCreate(self, f: Field, version: str) -> dict:  # noqa: N802
        data = f.args.get("order") or {}
        lines = []
        for index, li in enumerate(data.get("lineItems") or []):
            sku = li.get("sku")
            if li.get("variantId"):
                variant = self.variants.get(_num(li["variantId"]))
                if variant is None:
                    return {"order": None, "userErrors": [_user_error(["order", "lineItems", str(index), "variantId"], "Variant does not exist", "INVALID")]}
                sku = variant.get("sku")
            price = ((li.get("priceSet") or {}).get("shopMoney") or {}).get("amount")
            lines.append({"sku": sku, "quantity": li.get("quantity", 1), "price": price, "title": li.get("title")})
        if not lines:
            return {"order": None, "userErrors": [_user_error(["order", "lineItems"], "Line items can't be empty", "INVALID")]}
        rate = Decimal(0)
        first_tax = next((t for li in data.get("lineItems") or [] for t in li.get("taxLines") or []), None)
        if first_tax:
            rate = _d(first_tax.get("rate"))
        shipping = next((((s.get("priceSet") or {}).get("shopMoney") or {}).get("amount") for s in data.get("shippingLines") or []), "0")
        code = data.get("discountCode") or {}
        discount = (((code.get("itemFixedDiscountCode") or {}).get("amountSet") or {}).get("shopMoney") or {}).get("amount", "0")
        if code.get("itemPercentageDiscountCode"):
            gross = sum((_d(li["price"]) * int(li["quantity"]) for li in lines), Decimal(0))
            discount = _c(gross * _d(code["itemPercentageDiscountCode"].get("percentage") or 0) / 100)
        order = self._build_order(
            lines, data.get("email"), taxes_included=bool(data.get("taxesIncluded", self.taxes_included)),
            tax_rate=rate, tax_title=(first_tax or {}).get("title", "Tax"), shipping=shipping, discount=discount,
            financial_status=str(data.get("financialStatus") or "PAID").lower(), tags=", ".join(data.get("tags") or []),
            note=data.get("note"),
        )
        order["tags_list"] = list(data.get("tags") or [])
        self._emit("orders/create", order)
        return {"order": {"id": _gid("Order", order["id"]), "name": order["name"],
                          "totalPriceSet": _gql_bag(order["total_price_set"])}, "userErrors": []}

    def _mutation_webhookSubscriptionCreate(self, f: Field, version: str) -> dict:  # noqa: N802
        topic = f.args.get("topic")
        spec = f.args.get("webhookSubscription") or {}
        uri = spec.get("uri") or spec.get("callbackUrl")
        if topic not in TOPICS:
            raise GraphQLFailure(f"Argument 'topic' has an invalid value ({topic}).", "argumentLiteralsIncompatible")
        if not uri or not str(uri).startswith(("https://", "http://127.0.0.1", "http://localhost", "pubsub://", "arn:")):
            return {"webhookSubscription": None, "userErrors": [_user_error(["webhookSubscription", "uri"], "Address is invalid", "INVALID")]}
        with self.lock:
            if any(s["topic"] == topic and s["uri"] == uri for s in self.subscriptions.values()):
                return {"webhookSubscription": None, "userErrors": [_user_error(["webhookSubscription", "uri"], "Address for this topic has already been taken", "TAKEN")]}
            sid = self._next_id()
            self.subscriptions[sid] = {"id": sid, "topic": topic, "uri": uri, "format": spec.get("format", "JSON")}
        return {"webhookSubscription": {"id": _gid("WebhookSubscription", sid), "topic": topic, "uri": uri}, "userErrors": []}

    def _mutation_webhookSubscriptionDelete(self, f: Field, version: str) -> dict:  # noqa: N802
        with self.lock:
            removed = self.subscriptions.pop(_num(f.args.get("id", 0)), None)
        if removed is None:
            return {"deletedWebhookSubscriptionId": None, "userErrors": [_user_error(["id"], "Webhook subscription does not exist", "NOT_FOUND")]}
        return {"deletedWebhookSubscriptionId": _gid("WebhookSubscription", removed["id"]), "userErrors": []}

    def _mutation_bulkOperationRunQuery(self, f: Field, version: str) -> dict:  # noqa: N802
        refused = contract.request_errors(f.args.get("query") or "", {}, contract.schema_version_for(version))
        if refused:  # Shopify validates the inner query and answers a userError
            return {"bulkOperation": None, "userErrors": [_user_error(["query"], "; ".join(refused), "INVALID")]}
        inner = parse(f.args.get("query") or "")
        root = inner.fields[0] if inner.fields else None
        if root is None or root.name != "products":
            return {"bulkOperation": None, "userErrors": [_user_error(["query"], "Only products exports are simulated", "INVALID")]}
        with self.lock:
            if any(op["status"] in ("CREATED", "RUNNING") for op in self.bulk_ops.values()) and \
                    sum(op["status"] in ("CREATED", "RUNNING") for op in self.bulk_ops.values()) >= 5:
                return {"bulkOperation": None, "userErrors": [_user_error(None, "A bulk query operation for this app and shop is already in progress", "LIMIT_REACHED")]}
            oid = self._next_id()
            products = sorted(self.products.values(), key=lambda p: p["id"])
        path = Path(self._tmp.name) / f"{oid}.jsonl"
        objects = roots = 0
        with path.open("w", encoding="utf-8") as out:
            for p in products:
                node = self.gql_product(p, None)
                out.write(json.dumps(node) + "\n")
                roots += 1
                objects += 1
                for v in p["variants"]:
                    row = self.gql_variant(v)
                    row.pop("product", None)
                    row["__parentId"] = node["id"]
                    out.write(json.dumps(row) + "\n")
                    objects += 1
        op = {"id": oid, "status": "RUNNING", "polls": 0, "objects": objects, "roots": roots,
              "size": os.path.getsize(path), "path": path}
        with self.lock:
            self.bulk_ops[oid] = op
        return {"bulkOperation": {"id": _gid("BulkOperation", oid), "status": "CREATED"}, "userErrors": []}

    def _bulk_file(self, path: str) -> SimResponse:
        try:
            oid = int(path.rsplit("/", 1)[1].split(".")[0])
        except ValueError:
            return SimResponse(404, {"errors": "Not Found"})
        op = self.bulk_ops.get(oid)
        if op is None or op["status"] != "COMPLETED":
            return SimResponse(404, {"errors": "Not Found"})
        return SimResponse(200, op["path"], {"Content-Type": "application/jsonl"})

    def _send(self, handler: Any, response: SimResponse) -> None:
        """Stream files (bulk JSONL) from disk in chunks instead of loading them."""
        if not isinstance(response.body, Path):
            super()._send(handler, response)
            return
        try:
            handler.send_response(response.status)
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(os.path.getsize(response.body)))
            handler.end_headers()
            with response.body.open("rb") as source:
                while chunk := source.read(64 * 1024):
                    handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass


# ---------------------------------------------------------------- helpers


def _allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split an order-level discount across lines like Shopify's "across" allocation."""
    if not amount or not weights:
        return [Decimal(0)] * len(weights)
    total = sum(weights, Decimal(0))
    shares = [_c(amount * w / total) if total else Decimal(0) for w in weights]
    shares[-1] += amount - sum(shares, Decimal(0))
    return shares


def _user_error(field: list[str] | None, message: str, code: str) -> dict:
    return {"field": field, "message": message, "code": code}


def _gql_address(a: dict | None) -> dict | None:
    if not a:
        return None
    return {"firstName": a.get("first_name"), "lastName": a.get("last_name"), "company": a.get("company"),
            "address1": a.get("address1"), "address2": a.get("address2"), "city": a.get("city"),
            "province": a.get("province"), "zip": a.get("zip"), "country": a.get("country"),
            "countryCodeV2": a.get("country_code"), "phone": a.get("phone")}


def _rest_address(a: dict) -> dict:
    return {"first_name": a.get("firstName"), "last_name": a.get("lastName"), "company": a.get("company"),
            "address1": a.get("address1"), "address2": a.get("address2"), "city": a.get("city"),
            "province": a.get("province"), "zip": a.get("zip"), "country_code": a.get("countryCode"),
            "country": a.get("countryCode"), "phone": a.get("phone")}


def _validate_product_input(data: dict) -> list[dict]:
    errors = []
    if not data.get("title") and "title" in data:
        errors.append(_user_error(["input", "title"], "Title can't be blank", "INVALID_INPUT"))
    variants = data.get("variants")
    if variants is not None:
        if len(variants) > 2048:
            errors.append(_user_error(["input", "variants"], "Too many variants", "VARIANTS_OVER_LIMIT"))
        options = {o["name"]: {v["name"] for v in o.get("values") or []} for o in data.get("productOptions") or []}
        seen = set()
        for index, row in enumerate(variants):
            chosen = tuple((o.get("optionName"), o.get("name")) for o in row.get("optionValues") or [])
            for name, value in chosen:
                if options and value not in options.get(name, set()):
                    errors.append(_user_error(["input", "variants", str(index)], f"Option value {value!r} is not in productOptions", "INVALID_VARIANT"))
            if chosen in seen:
                errors.append(_user_error(["input", "variants", str(index)], "Duplicate variant option values", "INVALID_VARIANT"))
            seen.add(chosen)
            try:
                if Decimal(str(row.get("price", "0"))) < 0:
                    raise ValueError
            except (ArithmeticError, ValueError):
                errors.append(_user_error(["input", "variants", str(index), "price"], "Price is invalid", "INVALID_INPUT"))
    return errors


def _largest_array(value: Any) -> int:
    if isinstance(value, list):
        return max([len(value)] + [_largest_array(v) for v in value])
    if isinstance(value, dict):
        return max([0] + [_largest_array(v) for v in value.values()])
    return 0


def _check_limits(f: Field) -> None:
    size = connection_size(f)
    if size is not None and size > MAX_PAGE:
        raise GraphQLFailure(f"The maximum page size is {MAX_PAGE}; {f.name} asked for {size}", "BAD_REQUEST")
    args = f.args
    if f.name == "productSet":  # ProductSetInput.variants: up to 2,048 variants per product (checked with the input)
        data = f.args.get("input") or {}
        args = {**f.args, "input": {k: v for k, v in data.items() if k not in ("variants", "productOptions")}}
    if _largest_array(args) > MAX_INPUT_ARRAY:
        raise GraphQLFailure(f"The input array size of {_largest_array(args)} is greater than the maximum allowed of {MAX_INPUT_ARRAY}.", "MAX_INPUT_SIZE_EXCEEDED")
    for child in f.children:
        _check_limits(child)


def _after(position: list, marker: list) -> bool:
    return tuple(position) > tuple(marker)


def _parse_when(text: str) -> datetime:
    from dateutil.parser import isoparse

    value = isoparse(text.strip("'\""))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _search_predicate(query: str | None) -> Callable[[dict], bool]:
    """Shopify search syntax, the subset the connector uses: updated_at:>=/>/<, sku:, tag:, id:; AND / OR."""
    if not query:
        return lambda record: True
    groups = [[term.strip() for term in part.split(" OR ")] for part in query.split(" AND ")]

    def term_matches(record: dict, term: str) -> bool:
        name, _, value = term.partition(":")
        value = value.strip()
        if name == "updated_at":
            for op in (">=", "<=", ">", "<"):
                if value.startswith(op):
                    when, stamp = _parse_when(value[len(op):]), record["updated_at"]
                    stamp = stamp.replace(microsecond=0)
                    return {">=": stamp >= when, "<=": stamp <= when, ">": stamp > when, "<": stamp < when}[op]
            return False
        value = value.strip("'\"")
        if name == "sku":
            return record.get("sku") == value
        if name == "tag":
            tags = record.get("tags_list") or [t.strip() for t in str(record.get("tags") or "").split(",")]
            return value in tags
        if name == "id":
            return str(record.get("id")) == value
        return True

    return lambda record: all(any(term_matches(record, t) for t in group) for group in groups)


def _wanted_skus(query: str | None) -> list[str] | None:
    if not query or " AND " in query:
        return None
    terms = [t.strip() for t in query.split(" OR ")]
    if not all(t.startswith("sku:") for t in terms):
        return None
    return [t[4:].strip("'\"") for t in terms]
