"""A stateful fake Wix site served over real HTTP on 127.0.0.1, built from Wix's published contract.

The contract (``wix_commerce_sync/testing/contracts/wix/contract.json``, extracted from Wix's SDK packages
by ``scripts/refresh_wix_contract.py``) decides what is served:
- only the contract's endpoints (verb + www.wixapis.com path), plus the OAuth token exchange of ``@wix/sdk``;
  anything else is 404;
- a request field the endpoint's request type does not declare, an enum value it does not allow, a list
  above its ``maxSize`` or a number above its ``max`` -> 400 ``details.validationError.fieldViolations``;
- answers are cut down to the fields the response type declares, deprecated ones left out (past their
  removal date): e.g. inventory paging is ``{count, cursors}`` without ``hasNext``, Read-Only Variants
  carry ``variantId`` and ``optionChoices``;
- behaviour from the method docs: per-request totals (options 100, variants 1000), PENDING/REJECTED orders
  left out of Search Orders unless the filter names a status, ``plainDescription``/``currency`` only when
  requested in ``fields``, sort and filter fields per the query specs, ``CONTACT_ALREADY_CHANGED``,
  ``physicalProperties`` required on PHYSICAL creates, immutable ``productType`` and read-only ``handle``.
Also: API-key or OAuth auth, 200 requests per minute per site (429 + Retry-After), one catalog version
per site (V3 or V1), Stores locations (the id space of inventory ``locationId``), RS256 JWT webhooks.
The webhook subscription endpoint ``/_sim/webhooks`` stands in for the Wix app dashboard.

Chaos hooks, the same on the three simulators (issue 16): ``fail_batch_items_next(n)`` (the next n V3 bulk writes -
inventory, products update/create - apply only part of their items, the others answer ``itemMetadata.success: false``;
counted in ``batch_items_failed``; V1 has no bulk write), ``refund_order`` (a dashboard refund, the trigger-refund
way), ``edit_product``/``product_by_sku`` and ``edit_customer``/``customer_by_email`` (dashboard edits, events).

A ``clock`` (seconds, float) can be injected: the rate limit and token expiry use it, so a benchmark can
run 10,000 stock rows against the 200/min bound on a virtual clock (see ``VirtualClock``).
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wix_commerce_sync.connectors.base import StoreConfig
from wix_commerce_sync.sync.models import Platform
from wix_commerce_sync.testing.contracts.wix import load as load_contract
from wix_commerce_sync.testing.simulator import SimRequest, SimResponse, SimulatorServer, post_webhook

V1, V3 = "V1_CATALOG", "V3_CATALOG"
APP_ID_STORES = "215238eb-22a5-4c36-9e7b-e7c08025e04e"
BULK_LIMIT = 100
PAGE_LIMIT = 100
VARIANT_PAGE_LIMIT = 1000
CENT = Decimal("0.01")
DEFAULT_VARIANT_V1 = "00000000-0000-0000-0000-000000000000"


class VirtualClock:
    """A clock whose sleep advances time instantly (thread-safe). Share it between client and simulator."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start  # small magnitudes keep float steps exact enough for token-bucket arithmetic
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(1e-6, seconds)  # always move on: a zero step could spin a waiting caller

    advance = sleep


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _money(value: Decimal) -> dict[str, str]:
    text = str(value.quantize(CENT, rounding=ROUND_HALF_UP))
    return {"amount": text, "formattedAmount": f"${text}"}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _get_path(obj: Any, path: str) -> list[Any]:
    """Values at a dotted path; lists along the way fan out."""
    values = [obj]
    for part in path.split("."):
        nxt = []
        for value in values:
            if isinstance(value, list):
                value_list = value
            else:
                value_list = [value]
            for item in value_list:
                if isinstance(item, dict) and part in item:
                    got = item[part]
                    nxt.extend(got if isinstance(got, list) else [got])
        values = nxt
    return values


def matches(obj: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    """Wix API Query Language subset: $eq $ne $gt $gte $lt $lte $in $hasSome $startsWith $and $or."""
    for key, cond in (flt or {}).items():
        if key == "$and":
            if not all(matches(obj, c) for c in cond):
                return False
            continue
        if key == "$or":
            if not any(matches(obj, c) for c in cond):
                return False
            continue
        values = _get_path(obj, key)
        if not isinstance(cond, dict):
            cond = {"$eq": cond}
        for op, want in cond.items():
            if not _test(op, values, want):
                return False
    return True


def _filter_values(flt: dict[str, Any], field: str) -> list[Any]:
    """Values a filter pins ``field`` to ($in / $hasSome / $eq / bare value), for index-backed narrowing."""
    cond = flt.get(field)
    if cond is None:
        return []
    if not isinstance(cond, dict):
        return [cond]
    for op in ("$in", "$hasSome"):
        if isinstance(cond.get(op), list):
            return list(cond[op])
    return [cond["$eq"]] if "$eq" in cond else []


def _test(op: str, values: list[Any], want: Any) -> bool:
    if op == "$eq":
        return want in values
    if op == "$ne":
        return want not in values
    if op in ("$in", "$hasSome"):
        return any(v in want for v in values)
    if op == "$startsWith":
        return any(isinstance(v, str) and v.startswith(want) for v in values)
    compare = {"$gt": lambda a: a > want, "$gte": lambda a: a >= want, "$lt": lambda a: a < want,
               "$lte": lambda a: a <= want}.get(op)
    if compare is None:
        raise ValueError(f"unsupported operator {op}")
    return any(v is not None and compare(v) for v in values)


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code

    def response(self) -> SimResponse:
        details = {"applicationError": {"code": self.code or "ERROR", "description": self.message}}
        return SimResponse(self.status, {"message": self.message, "details": details})


class ValidationFailed(ApiError):
    """Wix's answer to a request with fields its API does not declare (400, ``validationError``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(400, "; ".join(problems), "INVALID_ARGUMENT")
        self.problems = problems

    def response(self) -> SimResponse:
        violations = [{"field": p.split(":")[0], "description": p.split(": ", 1)[-1], "violatedRule": "OTHER"}
                      for p in self.problems]
        return SimResponse(400, {"message": self.message, "details": {"validationError": {
            "fieldViolations": violations}}})


class WixSimulator(SimulatorServer):
    name = "wix-simulator"

    def __init__(
        self,
        catalog_version: str = V3,
        *,
        rate_limit_per_minute: int | None = 200,
        token_ttl: int = 14400,
        clock: Callable[[], float] | None = None,
        currency: str = "USD",
        locations: int = 1,
    ) -> None:
        super().__init__()
        if catalog_version not in (V1, V3):
            raise ValueError("catalog_version must be V1_CATALOG or V3_CATALOG")
        self.catalog_version = catalog_version
        self.contract = load_contract()
        self.rate_limit_per_minute = rate_limit_per_minute
        self.token_ttl = token_ttl
        self.clock = clock or time.time
        self.currency = currency
        self.site_id = str(uuid.uuid4())
        self.api_key = "IST." + uuid.uuid4().hex
        self.app_id, self.app_secret, self.instance_id = str(uuid.uuid4()), uuid.uuid4().hex, str(uuid.uuid4())
        self.tokens: dict[str, float] = {}  # token -> expiry (clock seconds)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._private_key = key
        self.public_key_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        # state
        self.products: dict[str, dict[str, Any]] = {}
        self.inventory: dict[str, dict[str, Any]] = {}  # V3 item id -> item ; V1 product id -> item
        self._inv_index: dict[tuple[str, str], str] = {}  # V3 (variant id, location id) -> item id
        self._sku_index: dict[str, tuple[str, str]] = {}  # sku -> (product id, variant id)
        self._inv_by_variant: dict[str, list[str]] = {}  # V3 variant id -> inventory item ids
        self._v1_prices: dict[tuple[str, str], Any] = {}  # V1 (product id, variant id) -> own price
        # Stores locations (the id space of inventory ``locationId``), each tied to a business location
        self.locations = [self._stores_location("Main" if i == 0 else f"Warehouse {i}", default=i == 0)
                          for i in range(locations)]
        self.orders: dict[str, dict[str, Any]] = {}
        self._payments: dict[str, dict[str, Any]] = {}  # order id -> its payment (Payments Collector)
        self.refunds: list[dict[str, Any]] = []  # every trigger-refund carried out
        self._fulfilments: dict[str, list[dict[str, Any]]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.subscriptions: list[dict[str, str]] = []
        self.webhook_queue: list[tuple[str, bytes]] = []
        self.webhook_failed: list[tuple[str, bytes, int]] = []
        self.webhook_deliveries: list[tuple[str, int]] = []
        self.auto_deliver = False
        self._sequences: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._order_numbers = itertools.count(10001)
        self._last_stamp = datetime.now(timezone.utc) - timedelta(days=1)
        # faults beyond the base ones
        self.conflict_next = 0  # next n revisioned writes answer 409 as if someone else wrote first
        self.bulk_item_errors: dict[str, str] = {}  # id -> error code for per-item bulk failures
        self._partial_batches = 0  # bulk writes still to carry out only in part (fail_batch_items_next)
        self.batch_items_failed = 0  # items those partial bulk writes reported failed (and did not apply)
        self.expire_tokens_now = False
        self.request_times: list[float] = []  # clock time of every admitted API request
        self.api_calls: list[tuple[str, str, Any]] = []  # (method, path, JSON body) of every Wix API request
        self._targeted_losses: list[list[Any]] = []  # [path part, times left, status]
        self._window: deque[float] = deque()

    # ------------------------------------------------------------ config for the connector
    def store_config(self, name: str = "wix-sim", **options: Any) -> StoreConfig:
        auth = options.pop("auth", "api_key")
        if auth == "oauth":
            credentials = {"app_id": self.app_id, "app_secret": self.app_secret, "instance_id": self.instance_id}
        else:
            credentials = {"api_key": self.api_key}
        options.setdefault("webhook_admin_path", "/_sim/webhooks")
        return StoreConfig(name=name, platform=Platform.WIX, base_url=self.base_url, credentials=credentials,
                           webhook_secret=self.public_key_pem, site_id=self.site_id, currency=self.currency,
                           options=options, allow_insecure_http=True)

    # ------------------------------------------------------------ helpers
    def _new_id(self) -> str:
        return str(uuid.UUID(int=(0x5EED << 64) | next(self._ids)))

    def _stamp(self) -> str:
        now = datetime.now(timezone.utc)
        self._last_stamp = max(now, self._last_stamp + timedelta(milliseconds=1))
        return _iso(self._last_stamp)

    def _sequence(self, entity_id: str) -> str:
        self._sequences[entity_id] = self._sequences.get(entity_id, 0) + 1
        return str(self._sequences[entity_id])

    @property
    def default_location_id(self) -> str:
        return next(loc["id"] for loc in self.locations if loc["defaultLocation"])

    def _stores_location(self, name: str, default: bool = False) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "wixLocationId": str(uuid.uuid4()), "name": name,
                "locationType": "PHYSICAL", "defaultLocation": default, "revision": "1"}

    # ------------------------------------------------------------ serving
    # contract endpoint (contract.json) -> handler; the contract gives verb and path
    HANDLERS: dict[str, str] = {
        "catalog_version": "version",
        "site_properties": "site_properties",
        "stores_locations_query": "query_locations",
        "v3_products_query": "v3_query_products",
        "v3_product_get": "v3_get_product",
        "v3_products_bulk_create_with_inventory": "v3_bulk_create",
        "v3_products_bulk_update": "v3_bulk_update",
        "v3_variants_query": "v3_query_variants",
        "v3_inventory_query": "v3_query_inventory",
        "v3_inventory_bulk_update": "v3_bulk_update_inventory",
        "v1_products_query": "v1_query_products",
        "v1_product_create": "v1_create_product",
        "v1_product_get": "v1_get_product",
        "v1_product_update": "v1_update_product",
        "v1_product_variants_update": "v1_update_variants",
        "v1_inventory_query": "v1_query_inventory",
        "v1_inventory_update": "v1_update_inventory",
        "orders_search": "search_orders",
        "order_get": "get_order",
        "order_cancel": "api_cancel_order",
        "order_refundability": "refundability",
        "order_trigger_refund": "trigger_refund",
        "fulfillments_bulk_create": "bulk_fulfil",
        "fulfillment_create": "fulfil",
        "fulfillments_list_by_ids": "list_fulfilments_by_ids",
        "contacts_query": "query_contacts",
        "contact_create": "create_contact",
        "contact_get": "get_contact",
        "contact_update": "update_contact",
    }
    SIM_ROUTES = {("POST", "/_sim/webhooks"): "sim_subscribe", ("GET", "/_sim/webhooks"): "sim_subscriptions",
                  ("DELETE", "/_sim/webhooks"): "sim_unsubscribe"}

    def lose_answer_of(self, path_contains: str, n: int = 1, status: int | None = None) -> None:
        """Fault: the next ``n`` requests whose path ends with ``path_contains`` are carried out (the store
        commits), then their answer is lost (connection reset, or ``status``)."""
        with self.lock:
            self._targeted_losses.append([path_contains, n, status])

    def fail_batch_items_next(self, n: int = 1) -> None:
        """The next ``n`` bulk writes (inventory items update, products update, products create with inventory)
        carry out only part of their items: every second one (the first, third, ...) is not applied and its result
        is ``itemMetadata {id, originalIndex, success: false, error {code, description}}``, counted in
        ``bulkActionMetadata.totalFailures``, as the contract's ``ItemMetadata``/``BulkActionMetadata`` declare."""
        with self.lock:
            self._partial_batches += n

    def _failing_items(self) -> Callable[[], bool]:
        """For one bulk request: a callable saying, item by item, whether that item fails (an armed fault)."""
        with self.lock:
            armed = self._partial_batches > 0
            if armed:
                self._partial_batches -= 1
        items = itertools.count()
        return (lambda: next(items) % 2 == 0) if armed else (lambda: False)

    def _serve(self, handler: Any) -> None:
        path = urlsplit(handler.path).path
        with self.lock:
            for entry in self._targeted_losses:
                if entry[1] > 0 and path.endswith(entry[0]):
                    entry[1] -= 1
                    self.faults.queue.appendleft(("commit_then_lose", entry[2]))
                    break
        super()._serve(handler)

    def route(self, request: SimRequest) -> SimResponse:
        if not request.path.startswith("/_sim/"):
            with self.lock:
                try:
                    body = request.json() if request.body else None
                except ValueError:
                    body = request.body
                self.api_calls.append((request.method, request.path, body))
        try:
            handler, params, endpoint = self._find_route(request)
            if endpoint is not None or handler == "token":
                self._admit(request, handler)
            if endpoint is not None:
                self._check_request(endpoint, request)
            with self.lock:
                response = getattr(self, "_" + handler)(request, *params)
            if endpoint is not None and response.status == 200 and isinstance(response.body, dict):
                # answer in the contract's shape only: undeclared and deprecated (past removal) fields go
                response.body = self.contract.prune(self.contract.endpoints[endpoint]["response"], response.body)
        except ApiError as exc:
            return exc.response()
        self._maybe_auto_deliver()
        return response

    def _find_route(self, request: SimRequest) -> tuple[str, list[str], str | None]:
        sim = self.SIM_ROUTES.get((request.method, request.path))
        if sim:
            return sim, [], None
        token = self.contract.data["auth"]["token"]
        if (request.method, request.path) == (token["method"], token["path"]):
            return "token", [], None
        found = self.contract.route(request.method, request.path)
        if found is None:
            raise ApiError(404, f"no route {request.method} {request.path}", "NOT_FOUND")
        return self.HANDLERS[found[0]], found[1], found[0]

    def _check_request(self, endpoint: str, request: SimRequest) -> None:
        """Fields the contract does not declare are refused, as Wix refuses them."""
        if not request.body:
            return
        try:
            body = request.json()
        except ValueError as exc:
            raise ApiError(400, "request body is not JSON", "INVALID_ARGUMENT") from exc
        problems = self.contract.violations(self.contract.endpoints[endpoint]["request"], body)
        if problems:
            raise ValidationFailed(problems)

    def _admit(self, request: SimRequest, handler: str) -> None:
        with self.lock:
            now = self.clock()
            if handler != "token":
                self._authenticate(request, now)
            if self.rate_limit_per_minute:
                while self._window and self._window[0] <= now - 60:
                    self._window.popleft()
                if len(self._window) >= self.rate_limit_per_minute:
                    retry = max(1, math.ceil(self._window[0] + 60 - now))
                    raise _RateLimited(retry)
                self._window.append(now)
            self.request_times.append(now)

    def _authenticate(self, request: SimRequest, now: float) -> None:
        auth = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if auth and auth == self.api_key:
            if request.headers.get("wix-site-id") != self.site_id:
                raise ApiError(403, "wix-site-id header missing or not the key's site", "SITE_MISMATCH")
            return
        expiry = self.tokens.get(auth)
        if expiry is None:
            raise ApiError(401, "unknown or missing credentials", "UNAUTHENTICATED")
        if self.expire_tokens_now or expiry <= now:
            raise ApiError(401, "access token expired", "TOKEN_EXPIRED")

    # ------------------------------------------------------------ auth, site
    def _token(self, request: SimRequest) -> SimResponse:
        body = request.json() or {}
        ok = (body.get("grant_type") == "client_credentials" and body.get("client_id") == self.app_id
              and body.get("client_secret") == self.app_secret and body.get("instance_id") == self.instance_id)
        if not ok:
            raise ApiError(401, "invalid client credentials", "INVALID_CLIENT")
        token = "OAUTH2." + uuid.uuid4().hex
        self.tokens[token] = self.clock() + self.token_ttl
        self.expire_tokens_now = False
        return SimResponse(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl})

    def expire_tokens(self) -> None:
        """Fault: every issued token is rejected as expired until a new one is issued."""
        self.expire_tokens_now = True

    def _version(self, request: SimRequest) -> SimResponse:
        return SimResponse(200, {"catalogVersion": self.catalog_version})

    def _site_properties(self, request: SimRequest) -> SimResponse:
        return SimResponse(200, {"properties": {"siteDisplayName": "Simulated Wix Store",
                                                "paymentCurrency": self.currency}})

    def _query_locations(self, request: SimRequest) -> SimResponse:
        query = (request.json() or {}).get("query") or {}
        page, meta = self._cursor_page(self.locations, query)
        return SimResponse(200, {"storesLocations": page, "pagingMetadata": meta})

    # ------------------------------------------------------------ paging
    @staticmethod
    def _encode_cursor(state: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()

    @staticmethod
    def _decode_cursor(cursor: str) -> dict[str, Any]:
        try:
            return json.loads(base64.urlsafe_b64decode(cursor.encode()))
        except ValueError as exc:
            raise ApiError(400, "invalid cursor", "INVALID_CURSOR") from exc

    def _cursor_page(self, items: list[dict[str, Any]], query: dict[str, Any], max_limit: int = PAGE_LIMIT,
                     default_limit: int = 50) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        paging = query.get("cursorPaging") or {}
        limit = int(paging.get("limit") or default_limit)
        if limit > max_limit:
            raise ApiError(400, f"cursorPaging.limit must be <= {max_limit}", "INVALID_ARGUMENT")
        if paging.get("cursor"):
            if query.get("filter") or query.get("sort"):
                raise ApiError(400, "filter and sort are not allowed with a cursor", "INVALID_ARGUMENT")
            state = self._decode_cursor(paging["cursor"])
        else:
            state = {"filter": query.get("filter") or {}, "sort": query.get("sort") or [], "after": None}
        sort = state["sort"][0] if state["sort"] else {"fieldName": "id", "order": "ASC"}
        field, descending = sort.get("fieldName") or "id", (sort.get("order") or "ASC").upper() == "DESC"

        def key(item: dict[str, Any]) -> tuple[str, str]:
            if "." not in field:  # fast path for top-level fields (large catalogs)
                value = item.get(field)
                return ("" if value is None else str(value), str(item.get("id")))
            values = _get_path(item, field)
            return (str(values[0]) if values else "", str(item.get("id")))

        flt = state["filter"]
        candidates = items if not flt else [i for i in items if matches(i, flt)]
        if state["after"] is not None:  # keyset: only what sorts after the previous page's last item
            after = tuple(state["after"])
            candidates = [i for i in candidates if (key(i) < after if descending else key(i) > after)]
        selected = sorted(candidates, key=key, reverse=descending)
        page = selected[:limit]
        has_next = len(selected) > limit
        meta: dict[str, Any] = {"count": len(page), "hasNext": has_next, "cursors": {}}
        if has_next:
            meta["cursors"]["next"] = self._encode_cursor({**state, "after": list(key(page[-1]))})
        return page, meta

    # ------------------------------------------------------------ V3 catalog
    def _require(self, version: str) -> None:
        if self.catalog_version != version:
            raise ApiError(428, f"this site runs {self.catalog_version}; endpoint needs {version}",
                           "CATALOG_VERSION_MISMATCH")

    def _v3_query_products(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        payload = request.json() or {}
        query = payload.get("query") or {}
        page, meta = self._cursor_page(list(self.products.values()), query)
        fields = payload.get("fields") or []
        products = [self._v3_view(p, fields, variants=False) for p in page]  # Query omits variants
        return SimResponse(200, {"products": products, "pagingMetadata": meta})

    @staticmethod
    def _v3_view(product: dict[str, Any], fields: list[str], variants: bool = True) -> dict[str, Any]:
        """A product as Wix answers it: ``plainDescription`` and ``currency`` only when requested."""
        hidden = {k for k, f in (("plainDescription", "PLAIN_DESCRIPTION"), ("currency", "CURRENCY"))
                  if f not in fields}
        if not variants:
            hidden.add("variantsInfo")
        return {k: v for k, v in product.items() if k not in hidden}

    def _v3_query_variants(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        query = (request.json() or {}).get("query") or {}
        flt = query.get("filter") or {}
        wanted = _filter_values(flt, "productData.productId")
        products = [self.products[p] for p in wanted if p in self.products] if wanted else self.products.values()
        variants = [self._readonly_variant(p, v) for p in products for v in p["variantsInfo"]["variants"]]
        page, meta = self._cursor_page(variants, query, max_limit=VARIANT_PAGE_LIMIT, default_limit=100)
        return SimResponse(200, {"variants": page, "pagingMetadata": meta})

    @staticmethod
    def _readonly_variant(product: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
        """Read-Only Variants: ``optionChoices`` (not ``choices``), ``variantId`` + ``productData.productId``."""
        view = {k: v for k, v in variant.items() if k != "choices"}
        return {**view, "variantId": variant["id"], "optionChoices": variant.get("choices") or [],
                "productData": {"productId": product["id"], "name": product["name"],
                                "visible": product.get("visible", True)}}

    def _v3_get_product(self, request: SimRequest, pid: str) -> SimResponse:
        self._require(V3)
        return SimResponse(200, {"product": self._v3_view(self._v3_product(pid), request.query.get("fields") or [])})

    def _v3_product(self, pid: str) -> dict[str, Any]:
        product = self.products.get(pid)
        if product is None:
            raise ApiError(404, f"product {pid} not found", "PRODUCT_NOT_FOUND")
        return product

    def _v3_create_product(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        product = self._v3_insert((request.json() or {}).get("product") or {})
        return SimResponse(200, {"product": product})

    def _v3_update_product(self, request: SimRequest, pid: str) -> SimResponse:
        self._require(V3)
        product = self._v3_apply_update(pid, (request.json() or {}).get("product") or {})
        return SimResponse(200, {"product": product})

    def _v3_bulk_create(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        items = (request.json() or {}).get("products") or []
        self._check_bulk(items)
        self._check_entity_limits("v3_products_bulk_create_with_inventory", items)
        results = []
        fails = self._failing_items()
        for index, body in enumerate(items):
            body = body if isinstance(body, dict) else {}
            results.append(self._bulk_item(index, lambda b=body: self._v3_create_checked(b), None, fails()))
        inventory = [{"itemMetadata": {"id": item_id, "originalIndex": n, "success": True}}
                     for n, item_id in enumerate(i for r in results if r["itemMetadata"]["success"]
                                                 for i in self._items_of(r["item"]))]
        return SimResponse(200, {"productResults": self._bulk_response(results),
                                 "inventoryResults": self._bulk_response(inventory)})

    def _items_of(self, product: dict[str, Any]) -> list[str]:
        return [i for v in product["variantsInfo"]["variants"] for i in self._inv_by_variant.get(v["id"], [])]

    def _v3_create_checked(self, body: dict[str, Any]) -> dict[str, Any]:
        """Docs: a PHYSICAL product must come with ``physicalProperties``, on the product and on each variant."""
        if (body.get("productType") or "PHYSICAL") == "PHYSICAL":
            if body.get("physicalProperties") is None or any(
                    v.get("physicalProperties") is None for v in dig_variants(body)):
                raise ApiError(400, "physicalProperties must be passed when productType is PHYSICAL",
                               "INVALID_ARGUMENT")
        return self._v3_insert(body)

    def _check_entity_limits(self, endpoint: str, products: list[dict[str, Any]]) -> None:
        """The per-request totals the method docs give (options 100, variants 1000, ...)."""
        for name, limit in (self.contract.endpoints[endpoint].get("request_limits") or {}).items():
            total = sum(len(_get_path(p.get("product", p) if isinstance(p, dict) else {}, name)) for p in products)
            if total > limit:
                raise ApiError(400, f"at most {limit} {name} per request, got {total}", "INVALID_ARGUMENT")

    def _v3_bulk_update(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        items = (request.json() or {}).get("products") or []
        self._check_bulk(items)
        self._check_entity_limits("v3_products_bulk_update", items)
        results = []
        fails = self._failing_items()
        for index, item in enumerate(items):
            body = item.get("product") or {}
            results.append(self._bulk_item(index, lambda b=body: self._v3_apply_update(b.get("id"), b), body.get("id"),
                                           fails()))
        return SimResponse(200, self._bulk_response(results))

    @staticmethod
    def _check_bulk(items: list[Any], limit: int | None = BULK_LIMIT) -> None:
        if not items:
            raise ApiError(400, "no items", "INVALID_ARGUMENT")
        if limit is not None and len(items) > limit:
            raise ApiError(400, f"at most {BULK_LIMIT} items per bulk request", "INVALID_ARGUMENT")

    def _bulk_item(self, index: int, action: Callable[[], dict[str, Any]], item_id: str | None,
                   fail: bool = False) -> dict[str, Any]:
        if fail:
            self.batch_items_failed += 1
            return {"itemMetadata": {"id": item_id, "originalIndex": index, "success": False, "error": {
                "code": "INTERNAL_ERROR", "description": "simulated partial bulk failure: item not written"}}}
        if item_id and item_id in self.bulk_item_errors:
            code = self.bulk_item_errors[item_id]
            return {"itemMetadata": {"id": item_id, "originalIndex": index, "success": False,
                                     "error": {"code": code, "description": f"simulated {code}"}}}
        try:
            item = action()
        except ApiError as exc:
            return {"itemMetadata": {"id": item_id, "originalIndex": index, "success": False,
                                     "error": {"code": exc.code, "description": exc.message}}}
        return {"itemMetadata": {"id": item["id"], "originalIndex": index, "success": True}, "item": item}

    @staticmethod
    def _bulk_response(results: list[dict[str, Any]]) -> dict[str, Any]:
        ok = sum(1 for r in results if r["itemMetadata"]["success"])
        return {"results": results, "bulkActionMetadata": {"totalSuccesses": ok, "totalFailures": len(results) - ok,
                                                           "undetailedFailures": 0}}

    def _v3_normalise_options(self, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result = []
        for option in options or []:
            choices = []
            for choice in (option.get("choicesSettings") or {}).get("choices") or []:
                choices.append({"choiceId": choice.get("choiceId") or self._new_id(), "choiceType": "CHOICE_TEXT",
                                "name": choice.get("name")})
            result.append({"id": option.get("id") or self._new_id(), "name": option.get("name"),
                           "optionRenderType": option.get("optionRenderType") or "TEXT_CHOICES",
                           "choicesSettings": {"choices": choices}})
        return result

    def _v3_normalise_variants(self, variants: list[dict[str, Any]], options: list[dict[str, Any]],
                               product_id: str) -> list[dict[str, Any]]:
        ids = {o["name"]: (o["id"], {c["name"]: c["choiceId"] for c in o["choicesSettings"]["choices"]})
               for o in options}
        result = []
        for variant in variants or [{}]:
            choices = []
            for choice in variant.get("choices") or []:
                names = choice.get("optionChoiceNames") or {}
                option_id, choice_ids = ids.get(names.get("optionName"), (None, {}))
                if option_id is None or names.get("choiceName") not in choice_ids:
                    raise ApiError(400, f"variant choice {names} is not among the options", "INVALID_VARIANT")
                choices.append({"optionChoiceIds": {"optionId": option_id, "choiceId": choice_ids[names["choiceName"]]},
                                "optionChoiceNames": {**names, "renderType": "TEXT_CHOICES"}})
            if len(choices) != len(options):
                raise ApiError(400, "every variant needs one choice per option", "INVALID_VARIANT")
            price = variant.get("price") or {}
            actual = (price.get("actualPrice") or {}).get("amount")
            if actual is None:
                raise ApiError(400, "variant price.actualPrice.amount is required", "INVALID_ARGUMENT")
            out = {"id": variant.get("id") or self._new_id(), "visible": variant.get("visible", True),
                   "sku": variant.get("sku"), "choices": choices,
                   "price": {"actualPrice": {"amount": str(actual)}}}
            if (price.get("compareAtPrice") or {}).get("amount") is not None:
                out["price"]["compareAtPrice"] = {"amount": str(price["compareAtPrice"]["amount"])}
            for extra in ("barcode", "physicalProperties"):
                if variant.get(extra) is not None:
                    out[extra] = variant[extra]
            result.append(out)
        return result

    def _v3_insert(self, body: dict[str, Any], *, stamp: str | None = None, quantity: int = 0,
                   emit: bool = True) -> dict[str, Any]:
        if not body.get("name"):
            raise ApiError(400, "product name is required", "INVALID_ARGUMENT")
        pid = body.get("id") or self._new_id()
        if pid in self.products:
            raise ApiError(409, f"product {pid} exists", "ALREADY_EXISTS")
        options = self._v3_normalise_options(body.get("options") or [])
        variants = self._v3_normalise_variants(dig_variants(body), options, pid)
        now = stamp or self._stamp()
        product = {
            "id": pid, "revision": "1", "createdDate": now, "updatedDate": now, "name": body["name"],
            "slug": body.get("slug") or re.sub(r"[^a-z0-9]+", "-", body["name"].lower()).strip("-"),
            "handle": body.get("handle") or f"handle-{pid[-12:]}", "visible": body.get("visible", True),
            "productType": body.get("productType") or "PHYSICAL", "options": options,
            "variantsInfo": {"variants": variants},
        }
        for extra in ("plainDescription", "brand", "physicalProperties"):
            if body.get(extra) is not None:
                product[extra] = body[extra]
        product["currency"] = self.currency
        self.products[pid] = product
        for variant in variants:
            self._index_variant(pid, variant)
            self._v3_make_item(pid, variant, self.default_location_id, quantity, now)
        if emit:
            self._emit_standard("wix.stores.catalog.v3.product", "created", pid, product)
        return product

    def _index_variant(self, pid: str, variant: dict[str, Any]) -> None:
        if variant.get("sku"):
            self._sku_index[variant["sku"]] = (pid, variant["id"])

    def _v3_make_item(self, pid: str, variant: dict[str, Any], location: str, quantity: int, now: str) -> None:
        item_id = self._new_id()
        self.inventory[item_id] = {
            "id": item_id, "revision": "1", "createdDate": now, "updatedDate": now, "variantId": variant["id"],
            "productId": pid, "locationId": location, "trackQuantity": True, "quantity": quantity,
            "inStock": quantity > 0, "product": {"variantSku": variant.get("sku"), "name": None},
        }
        self._inv_index[(variant["id"], location)] = item_id
        self._inv_by_variant.setdefault(variant["id"], []).append(item_id)

    def _check_revision(self, current: str, given: Any) -> None:
        if given in (None, ""):
            raise ApiError(400, "revision must not be empty", "INVALID_ARGUMENT")
        if self.conflict_next > 0:
            self.conflict_next -= 1
            raise ApiError(409, "revision mismatch (simulated concurrent write)", "REVISION_MISMATCH")
        if str(given) != str(current):
            raise ApiError(409, f"revision {given} is stale; current is {current}", "REVISION_MISMATCH")

    def _v3_apply_update(self, pid: str | None, body: dict[str, Any]) -> dict[str, Any]:
        product = self._v3_product(pid or "")
        self._check_revision(product["revision"], body.get("revision"))
        if ("options" in body) != ("variantsInfo" in body):
            raise ApiError(400, "options and variantsInfo must be sent together", "INVALID_ARGUMENT")
        if "productType" in body and body["productType"] != product["productType"]:
            raise ApiError(400, "productType cannot be changed after creation", "INVALID_ARGUMENT")
        if "handle" in body and body["handle"] != product["handle"]:
            raise ApiError(400, "handle cannot be changed after creation", "INVALID_ARGUMENT")
        for field in ("name", "visible", "plainDescription", "brand", "slug", "physicalProperties"):
            if field in body:
                product[field] = body[field]
        if "options" in body:
            # reuse option/choice ids by name so variant choice ids stay stable
            old = {o["name"]: o for o in product["options"]}
            for option in body["options"]:
                previous = old.get(option.get("name"))
                if previous:
                    option.setdefault("id", previous["id"])
                    known = {c["name"]: c["choiceId"] for c in previous["choicesSettings"]["choices"]}
                    for choice in (option.get("choicesSettings") or {}).get("choices") or []:
                        choice.setdefault("choiceId", known.get(choice.get("name")))
            options = self._v3_normalise_options(body["options"])
            variants = self._v3_normalise_variants(dig_variants(body), options, product["id"])
            old_ids = {v["id"] for v in product["variantsInfo"]["variants"]}
            new_ids = {v["id"] for v in variants}
            for gone in old_ids - new_ids:  # replaced whole: dropped variants lose their inventory
                for item_id in self._inv_by_variant.pop(gone, []):
                    item = self.inventory.pop(item_id)
                    self._inv_index.pop((gone, item["locationId"]), None)
            product["options"], product["variantsInfo"] = options, {"variants": variants}
            for variant in variants:
                self._index_variant(product["id"], variant)
                if variant["id"] not in old_ids:
                    self._v3_make_item(product["id"], variant, self.default_location_id, 0, self._stamp())
                for item_id in self._inv_by_variant.get(variant["id"], []):
                    self.inventory[item_id]["product"]["variantSku"] = variant.get("sku")
        product["revision"] = str(int(product["revision"]) + 1)
        product["updatedDate"] = self._stamp()
        self._emit_standard("wix.stores.catalog.v3.product", "updated", product["id"], product)
        return product

    def _v3_query_inventory(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        query = (request.json() or {}).get("query") or {}
        flt = query.get("filter") or {}
        candidates = self._inventory_candidates(flt)
        page, meta = self._cursor_page(candidates, query, max_limit=VARIANT_PAGE_LIMIT)
        return SimResponse(200, {"inventoryItems": page, "pagingMetadata": meta})

    def _inventory_candidates(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        """Index-backed narrowing for the common filters (keeps 10,000-row lookups fast)."""
        skus = _filter_values(flt, "product.variantSku")
        if skus:
            found = []
            for sku in skus:
                pid_vid = self._sku_index.get(sku)
                if pid_vid:
                    found += [self.inventory[i] for i in self._inv_by_variant.get(pid_vid[1], [])]
            return found
        variant_ids = _filter_values(flt, "variantId")
        if variant_ids:
            return [self.inventory[i] for v in variant_ids for i in self._inv_by_variant.get(v, [])]
        return list(self.inventory.values())

    def _v3_bulk_update_inventory(self, request: SimRequest) -> SimResponse:
        self._require(V3)
        items = (request.json() or {}).get("inventoryItems") or []
        self._check_bulk(items, limit=None)  # maxSize (1000) is checked from the contract
        results = []
        fails = self._failing_items()
        for index, entry in enumerate(items):
            body = entry.get("inventoryItem") or {}
            results.append(self._bulk_item(index, lambda b=body: self._v3_set_item(b), body.get("id"), fails()))
        return SimResponse(200, self._bulk_response(results))

    def _v3_set_item(self, body: dict[str, Any]) -> dict[str, Any]:
        item = self.inventory.get(body.get("id") or "")
        if item is None:
            raise ApiError(404, "inventory item not found", "INVENTORY_ITEM_NOT_FOUND")
        self._check_revision(item["revision"], body.get("revision"))
        if "quantity" in body:
            quantity = body["quantity"]
            if not isinstance(quantity, int) or quantity < 0:
                raise ApiError(400, "quantity must be a whole number >= 0", "INVALID_ARGUMENT")
            item["quantity"], item["inStock"] = quantity, quantity > 0
        if "trackQuantity" in body:
            item["trackQuantity"] = bool(body["trackQuantity"])
        item["revision"] = str(int(item["revision"]) + 1)
        item["updatedDate"] = self._stamp()
        self._emit_standard("wix.stores.catalog.v3.inventory_item", "updated", item["id"], item)
        return item

    # ------------------------------------------------------------ V1 catalog
    @staticmethod
    def _v1_filter(query: dict[str, Any]) -> dict[str, Any]:
        flt = query.get("filter") or {}
        if isinstance(flt, str):  # V1 sends filter and sort as JSON strings
            try:
                flt = json.loads(flt)
            except ValueError as exc:
                raise ApiError(400, "filter is not valid JSON", "INVALID_ARGUMENT") from exc
        return flt

    def _v1_offset_page(self, items: list[dict[str, Any]], query: dict[str, Any], sort_default: str) -> tuple:
        paging = query.get("paging") or {}
        limit, offset = int(paging.get("limit") or 100), int(paging.get("offset") or 0)
        if limit > PAGE_LIMIT:
            raise ApiError(400, f"paging.limit must be <= {PAGE_LIMIT}", "INVALID_ARGUMENT")
        if offset + limit > 10_000:  # Wix Stores query endpoints serve at most 10k items per query
            raise ApiError(400, "offset too large; narrow the filter", "INVALID_ARGUMENT")
        sort = query.get("sort")
        sort = json.loads(sort) if isinstance(sort, str) else (sort or [{sort_default: "asc"}])
        field, order = next(iter(sort[0].items())) if sort else (sort_default, "asc")
        flt = self._v1_filter(query)
        selected = sorted((i for i in items if matches(i, flt)), key=lambda i: (str(i.get(field) or ""), i["id"]),
                          reverse=order.lower() == "desc")
        return selected[offset:offset + limit], len(selected), offset

    def _v1_query_products(self, request: SimRequest) -> SimResponse:
        self._require(V1)
        payload = request.json() or {}
        for field in _filter_fields(self._v1_filter(payload.get("query") or {})):
            if self.contract.query_rule("P1.ProductQuerySpec", field) is None:
                raise ApiError(400, f"filter field {field} is not supported", "INVALID_ARGUMENT")
        page, total, offset = self._v1_offset_page(list(self.products.values()), payload.get("query") or {},
                                                   "lastUpdated")
        if not payload.get("includeVariants"):
            page = [{k: v for k, v in p.items() if k != "variants"} for p in page]
        return SimResponse(200, {"products": page, "metadata": {"items": len(page), "offset": offset},
                                 "totalResults": total})

    def _v1_get_product(self, request: SimRequest, pid: str) -> SimResponse:
        self._require(V1)
        return SimResponse(200, {"product": self._v3_product(pid)})

    def _v1_create_product(self, request: SimRequest) -> SimResponse:
        self._require(V1)
        return SimResponse(200, {"product": self._v1_insert((request.json() or {}).get("product") or {})})

    def _v1_insert(self, body: dict[str, Any], *, stamp: str | None = None, quantity: int = 0,
                   emit: bool = True) -> dict[str, Any]:
        if not body.get("name"):
            raise ApiError(400, "product name is required", "INVALID_ARGUMENT")
        if (body.get("priceData") or {}).get("price") is None:
            raise ApiError(400, "priceData.price is required", "INVALID_ARGUMENT")
        pid = self._new_id()
        now = stamp or self._stamp()
        product = {"id": pid, "name": body["name"], "slug": re.sub(r"[^a-z0-9]+", "-", body["name"].lower()),
                   "visible": body.get("visible", True), "productType": body.get("productType") or "physical",
                   "description": body.get("description"), "sku": body.get("sku"),
                   "priceData": {"currency": self.currency, "price": body["priceData"]["price"]},
                   "discount": body.get("discount") or {"type": "NONE", "value": 0},
                   "manageVariants": bool(body.get("productOptions")),
                   "productOptions": body.get("productOptions") or [], "brand": body.get("brand"),
                   "createdDate": now, "lastUpdated": now, "inventoryItemId": self._new_id(), "variants": []}
        self._v1_regenerate_variants(product, {})
        self.products[pid] = product
        self.inventory[pid] = {"id": product["inventoryItemId"], "productId": pid, "trackQuantity": True,
                               "lastUpdated": now,
                               "variants": [{"variantId": v["id"], "inStock": quantity > 0, "quantity": quantity}
                                            for v in product["variants"]]}
        if emit:
            self._emit_v1("com.wix.ecommerce.catalog.api.v1.ProductCreated", {"productId": pid, "name": body["name"]})
        return product

    def _v1_regenerate_variants(self, product: dict[str, Any], previous: dict[tuple, dict[str, Any]]) -> None:
        options = product["productOptions"]
        names = [o["name"] for o in options]
        combos = list(itertools.product(*[[c["value"] for c in o.get("choices") or []] for o in options])) or [()]
        variants = []
        for index, combo in enumerate(combos):
            choices = dict(zip(names, combo))
            old = previous.get(tuple(sorted(choices.items())))
            vid = old["id"] if old else (DEFAULT_VARIANT_V1 if not combo else
                                         f"00000000-0000-{index + 1:04x}-0000-{product['id'][-12:]}")
            inner = old["variant"] if old else {"priceData": {}, "sku": product.get("sku") if not combo else None,
                                                "visible": True, "weight": 0}
            variants.append({"id": vid, "choices": choices, "variant": inner})
        product["variants"] = variants
        self._v1_reprice(product)

    def _v1_reprice(self, product: dict[str, Any]) -> None:
        discount = product.get("discount") or {}
        for variant in product["variants"]:
            inner = variant["variant"]
            price = _d(self._v1_prices.get((product["id"], variant["id"]), product["priceData"]["price"]))
            cut = _d(discount.get("value") or 0)
            if discount.get("type") == "PERCENT":
                cut = (price * cut / 100).quantize(CENT)
            discounted = price - cut if discount.get("type") in ("AMOUNT", "PERCENT") else price
            inner["priceData"] = {"currency": self.currency, "price": float(price), "discountedPrice": float(discounted)}
            if inner.get("sku"):
                self._sku_index[inner["sku"]] = (product["id"], variant["id"])
        base = _d(product["priceData"]["price"])
        cut = _d((product.get("discount") or {}).get("value") or 0) if (product.get("discount") or {}).get("type") \
            == "AMOUNT" else Decimal(0)
        product["priceData"] = {"currency": self.currency, "price": float(base), "discountedPrice": float(base - cut)}

    def _v1_update_product(self, request: SimRequest, pid: str) -> SimResponse:
        self._require(V1)
        product = self._v3_product(pid)
        body = (request.json() or {}).get("product") or {}
        for field in ("name", "visible", "productType", "description", "sku", "discount", "brand"):
            if field in body:
                product[field] = body[field]
        if "priceData" in body:
            product["priceData"]["price"] = body["priceData"].get("price", product["priceData"]["price"])
        if "productOptions" in body:
            previous = {tuple(sorted(v["choices"].items())): v for v in product["variants"]}
            product["productOptions"] = body["productOptions"]
            product["manageVariants"] = bool(body["productOptions"])
            self._v1_regenerate_variants(product, previous)
            inv = self.inventory[pid]
            known = {v["variantId"]: v for v in inv["variants"]}
            inv["variants"] = [known.get(v["id"], {"variantId": v["id"], "inStock": False, "quantity": 0})
                               for v in product["variants"]]
        self._v1_reprice(product)
        product["lastUpdated"] = self._stamp()
        self._emit_v1("com.wix.ecommerce.catalog.api.v1.ProductChanged",
                      {"productId": pid, "changedFields": sorted(body)})
        return SimResponse(200, {"product": product})

    def _v1_update_variants(self, request: SimRequest, pid: str) -> SimResponse:
        self._require(V1)
        product = self._v3_product(pid)
        by_choices = {tuple(sorted(v["choices"].items())): v for v in product["variants"]}
        for change in (request.json() or {}).get("variants") or []:
            target = by_choices.get(tuple(sorted((change.get("choices") or {}).items())))
            if target is None:
                raise ApiError(400, f"no variant with choices {change.get('choices')}", "VARIANT_NOT_FOUND")
            inner = target["variant"]
            if change.get("price") is not None:
                self._v1_prices[(pid, target["id"])] = change["price"]
            for field in ("sku", "weight", "visible"):
                if field in change:
                    inner[field] = change[field]
        self._v1_reprice(product)
        product["lastUpdated"] = self._stamp()
        self._emit_v1("com.wix.ecommerce.catalog.api.v1.VariantsChanged", {"productId": pid})
        return SimResponse(200, {"variants": product["variants"]})

    def _v1_query_inventory(self, request: SimRequest) -> SimResponse:
        self._require(V1)
        query = (request.json() or {}).get("query") or {}
        page, total, offset = self._v1_offset_page(list(self.inventory.values()), query, "lastUpdated")
        return SimResponse(200, {"inventoryItems": page, "metadata": {"items": len(page), "offset": offset},
                                 "totalResults": total})

    def _v1_update_inventory(self, request: SimRequest, pid: str) -> SimResponse:
        self._require(V1)
        inv = self.inventory.get(pid)
        if inv is None:
            raise ApiError(404, f"no inventory for product {pid}", "PRODUCT_NOT_FOUND")
        body = (request.json() or {}).get("inventoryItem") or {}
        if pid in self.bulk_item_errors:
            raise ApiError(400, f"simulated {self.bulk_item_errors[pid]}", self.bulk_item_errors[pid])
        by_id = {v["variantId"]: v for v in inv["variants"]}
        changes = []
        for change in body.get("variants") or []:
            target = by_id.get(change.get("variantId"))
            if target is None:
                raise ApiError(400, f"unknown variant {change.get('variantId')}", "VARIANT_NOT_FOUND")
            quantity = change.get("quantity")
            if not isinstance(quantity, int) or quantity < 0:
                raise ApiError(400, "quantity must be a whole number >= 0", "INVALID_ARGUMENT")
            old = {"inStock": target["inStock"], "quantity": target["quantity"]}
            target["quantity"], target["inStock"] = quantity, quantity > 0
            changes.append({"id": target["variantId"], "oldValue": old,
                            "newValue": {"inStock": quantity > 0, "quantity": quantity}})
        if "trackQuantity" in body:
            inv["trackQuantity"] = bool(body["trackQuantity"])
        inv["lastUpdated"] = self._stamp()
        self._emit_v1("com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged",
                      {"inventoryItemId": inv["id"], "productId": pid, "variants": changes})
        return SimResponse(200, {})

    # ------------------------------------------------------------ eCom orders
    def _search_orders(self, request: SimRequest) -> SimResponse:
        search = (request.json() or {}).get("search") or {}
        cursor = (search.get("cursorPaging") or {}).get("cursor")
        flt = self._decode_cursor(cursor).get("filter") if cursor else search.get("filter")
        # docs: PENDING and REJECTED orders are left out unless the filter names a status
        hidden = {"INITIALIZED"} if _mentions(flt, "status") else {"INITIALIZED", "PENDING", "REJECTED"}
        visible = [o for o in self.orders.values() if o["status"] not in hidden]
        if not search.get("sort") and not (search.get("cursorPaging") or {}).get("cursor"):
            search = {**search, "sort": [{"fieldName": "createdDate", "order": "DESC"}]}
        page, meta = self._cursor_page(visible, search, default_limit=100)
        return SimResponse(200, {"orders": page, "metadata": meta})

    def _order(self, oid: str) -> dict[str, Any]:
        order = self.orders.get(oid)
        if order is None:
            raise ApiError(404, f"order {oid} not found", "ORDER_NOT_FOUND")
        return order

    def _get_order(self, request: SimRequest, oid: str) -> SimResponse:
        return SimResponse(200, {"order": self._order(oid)})

    # ------------------------------------------------------------ Payments Collector refunds (ORD package)
    def _payment_of(self, order: dict[str, Any]) -> dict[str, Any] | None:
        """The order's one online payment (made when it was paid): id, amount, refunded so far."""
        if order["paymentStatus"] not in ("PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED"):
            return None
        return self._payments.setdefault(order["id"], {"id": str(uuid.uuid4()), "amount": _d(order["priceSummary"]["total"]["amount"]),
                                                       "refunded": Decimal(0)})  # fmt: skip

    def _refundability(self, request: SimRequest, oid: str) -> SimResponse:
        order = self._order(oid)
        payment = self._payment_of(order)
        if payment is None:
            return SimResponse(200, {"refundabilities": []})
        row: dict[str, Any] = {"paymentId": payment["id"], "refundabilityStatus": "REFUNDABLE"}
        if payment["refunded"] >= payment["amount"]:
            row = {**row, "refundabilityStatus": "NOT_REFUNDABLE", "nonRefundableReason": "ALREADY_REFUNDED"}
        return SimResponse(200, {"refundabilities": [row]})

    def _trigger_refund(self, request: SimRequest, oid: str) -> SimResponse:
        """TriggerRefund: refunds the payment (``externalRefund``: recorded only, the money moved elsewhere),
        counts the refunded line quantities, restocks ``sideEffects.restockInfo`` items, updates the balance."""
        order = self._order(oid)
        body = request.json() or {}
        (wanted,) = body.get("payments") or [{}]
        payment = self._payment_of(order)
        if payment is None or wanted.get("paymentId") != payment["id"]:
            raise ApiError(400, "payment not found on the order", "PAYMENT_NOT_FOUND")
        restock = ((body.get("sideEffects") or {}).get("restockInfo") or {})
        refund = self._refund(order, payment, _d((wanted.get("amount") or {}).get("amount") or "0"),
                              (body.get("details") or {}).get("lineItems") or [],
                              restock.get("items") or [] if restock.get("type") == "SOME_ITEMS" else [],
                              external=bool(wanted.get("externalRefund")), reason=(body.get("details") or {}).get("reason"))
        return SimResponse(200, {"refundId": refund["id"], "orderTransactions": {"orderId": oid}})

    def _refund(self, order: dict[str, Any], payment: dict[str, Any], amount: Decimal, items: list[dict[str, Any]],
                restock: list[dict[str, Any]], *, external: bool, reason: str | None) -> dict[str, Any]:
        """A refund of the order's payment: line refund quantities, restocked units, balance and payment status."""
        if amount <= 0 or payment["refunded"] + amount > payment["amount"]:
            raise ApiError(400, "refund amount exceeds the refundable amount", "INVALID_REFUND_AMOUNT")
        lines = {li["id"]: li for li in order["lineItems"]}
        for item in items:
            line = lines.get(item.get("lineItemId"))
            if line is None or int(item["quantity"]) > int(line["quantity"]) - int(line.get("refundQuantity") or 0):
                raise ApiError(400, f"line item {item.get('lineItemId')} cannot be refunded for that quantity", "INVALID_LINE_ITEMS")
        for item in items:
            lines[item["lineItemId"]]["refundQuantity"] = int(lines[item["lineItemId"]].get("refundQuantity") or 0) + int(item["quantity"])
        for item in restock:
            self._restock(lines[item["lineItemId"]]["physicalProperties"].get("sku"), int(item["quantity"]))
        payment["refunded"] += amount
        order["balanceSummary"] = {"refunded": _money(payment["refunded"]), "paid": _money(payment["amount"])}
        order["paymentStatus"] = "FULLY_REFUNDED" if payment["refunded"] >= payment["amount"] else "PARTIALLY_REFUNDED"
        order["updatedDate"] = self._stamp()
        refund = {"id": str(uuid.uuid4()), "orderId": order["id"], "amount": amount, "externalRefund": external,
                  "reason": reason}
        self.refunds.append(refund)
        # the order's activities name the refund (ORD Activity: refundInitiated / paymentRefunded carry refundId);
        # the simulator's refunds complete at once
        paid = {"paymentId": payment["id"], "externalRefund": external, "regular": {"amount": _money(amount)}}
        order.setdefault("activities", []).extend([
            {"id": str(uuid.uuid4()), "createdDate": order["updatedDate"], "activityType": "REFUND_INITIATED",
             "refundInitiated": {"refundId": refund["id"], "amount": _money(amount), "payments": [paid],
                                 **({"reason": reason[:200]} if reason else {})}},
            {"id": str(uuid.uuid4()), "createdDate": order["updatedDate"], "activityType": "PAYMENT_REFUNDED",
             "paymentRefunded": {"refundId": refund["id"], "payment": paid}},
        ])  # fmt: skip
        self._emit_standard("wix.ecom.v1.order", "updated", order["id"], order)
        return refund

    def refund_order(self, order_id: str, lines: list[dict[str, Any]] | None = None, amount: str | None = None,
                     restock: bool = True) -> dict[str, Any]:
        """A refund made in the Wix dashboard, through the same path as trigger-refund: ``lines`` [{sku, quantity}]
        (none = every unit not yet refunded), restocked when ``restock``; ``amount`` the money returned (default:
        those units' share of their lines' total after tax); fires the order updated event. Returns the refund."""
        with self.lock:
            order = self._order(order_id)
            payment = self._payment_of(order)
            if payment is None:
                raise ValueError(f"Wix order {order_id} has no payment to refund")
            left = {li["id"]: int(li["quantity"]) - int(li.get("refundQuantity") or 0) for li in order["lineItems"]}
            if lines is None:
                rows = [{"lineItemId": lid, "quantity": qty} for lid, qty in left.items() if qty > 0]
            else:
                by_sku = {li["physicalProperties"].get("sku"): li["id"] for li in order["lineItems"]}
                rows = [{"lineItemId": by_sku[row["sku"]], "quantity": int(row["quantity"])} for row in lines]
            if amount is None:
                owed = sum((_d(li["totalPriceAfterTax"]["amount"]) * row["quantity"] / int(li["quantity"])
                            for row in rows for li in order["lineItems"] if li["id"] == row["lineItemId"]), Decimal(0))
                if lines is None:
                    owed = payment["amount"] - payment["refunded"]
                amount = str(owed.quantize(CENT, rounding=ROUND_HALF_UP))
            refund = self._refund(order, payment, _d(amount), rows, rows if restock else [], external=False,
                                  reason="Refunded in the Wix dashboard")
        self._maybe_auto_deliver()
        return dict(refund)

    def _restock(self, sku: str | None, quantity: int) -> None:
        current = self.stock_of(sku) if sku in self._sku_index else None
        if current is None:
            return
        pid, vid = self._sku_index[sku]
        if self.catalog_version == V3:
            item = self.inventory[self._inv_index[(vid, self.default_location_id)]]
            self._v3_set_item({"id": item["id"], "revision": item["revision"], "quantity": current + quantity})
        else:
            self._v1_set_quantity(pid, vid, current + quantity)

    def _api_cancel_order(self, request: SimRequest, oid: str) -> SimResponse:
        return SimResponse(200, {"order": self._cancel(oid)})

    def _cancel(self, oid: str) -> dict[str, Any]:
        order = self._order(oid)
        if order["status"] == "CANCELED":
            raise ApiError(400, "order is already canceled", "ORDER_ALREADY_CANCELED")
        order["status"] = "CANCELED"
        order["updatedDate"] = self._stamp()
        order.setdefault("activities", []).append({"type": "ORDER_CANCELED", "createdDate": order["updatedDate"]})
        self._emit_standard("wix.ecom.v1.order", "canceled", oid, order, action=True)
        return order

    def _fulfil(self, request: SimRequest, oid: str) -> SimResponse:
        fulfilment = self._add_fulfilment(oid, (request.json() or {}).get("fulfillment") or {})
        return SimResponse(200, {"fulfillmentId": fulfilment["id"],
                                 "orderWithFulfillments": {"orderId": oid, "fulfillments": self._fulfilments[oid]}})

    def _bulk_fulfil(self, request: SimRequest) -> SimResponse:
        items = (request.json() or {}).get("ordersWithFulfillments") or []
        self._check_bulk(items)
        results = []
        for index, entry in enumerate(items):
            oid = entry.get("orderId")

            def action(o: str = oid, e: dict = entry) -> dict[str, Any]:
                for fulfilment in e.get("fulfillments") or []:
                    self._add_fulfilment(o, fulfilment)
                return {"id": o, "orderId": o, "fulfillments": self._fulfilments.get(o, [])}
            result = self._bulk_item(index, action, oid)
            if "item" in result:  # FUL BulkOrderFulfillmentsResult: {itemMetadata, ordersWithFulfillments}
                result["ordersWithFulfillments"] = result.pop("item")
            results.append(result)
        return SimResponse(200, self._bulk_response(results))

    def _add_fulfilment(self, oid: str, body: dict[str, Any]) -> dict[str, Any]:
        order = self._order(oid)
        if order["status"] != "APPROVED":
            raise ApiError(400, f"order {oid} is {order['status']}; only APPROVED orders can be fulfilled",
                           "ORDER_NOT_APPROVED")
        lines = body.get("lineItems") or []
        if not lines or len(lines) > 300:
            raise ApiError(400, "a fulfillment needs 1 to 300 line items", "INVALID_ARGUMENT")
        remaining = self._remaining(oid)
        for line in lines:
            left = remaining.get(line.get("id"))
            if left is None:
                raise ApiError(400, f"unknown line item {line.get('id')}", "LINE_ITEM_NOT_FOUND")
            if not isinstance(line.get("quantity"), int) or line["quantity"] < 1 or line["quantity"] > left:
                raise ApiError(400, f"line item {line.get('id')} quantity exceeds what is left", "INVALID_QUANTITY")
            remaining[line["id"]] = left - line["quantity"]
        fulfilment = {"id": self._new_id(), "createdDate": self._stamp(), "lineItems": lines}
        for extra in ("trackingInfo", "customInfo"):
            if body.get(extra):
                fulfilment[extra] = body[extra]
        self._fulfilments.setdefault(oid, []).append(fulfilment)
        order["fulfillmentStatus"] = "FULFILLED" if not any(remaining.values()) else "PARTIALLY_FULFILLED"
        order["updatedDate"] = self._stamp()
        self._emit_standard("wix.ecom.v1.order", "updated", oid, order)
        return fulfilment

    def _remaining(self, oid: str) -> dict[str, int]:
        order = self._order(oid)
        left = {li["id"]: int(li["quantity"]) for li in order["lineItems"]}
        for fulfilment in self._fulfilments.get(oid, []):
            for line in fulfilment["lineItems"]:
                left[line["id"]] -= int(line["quantity"])
        return left

    def _list_fulfilments(self, request: SimRequest, oid: str) -> SimResponse:
        self._order(oid)
        return SimResponse(200, {"orderWithFulfillments": {"orderId": oid, "fulfillments": self._fulfilments.get(oid, [])}})

    def _list_fulfilments_by_ids(self, request: SimRequest) -> SimResponse:
        ids = (request.json() or {}).get("orderIds") or []
        if len(ids) > BULK_LIMIT:
            raise ApiError(400, f"at most {BULK_LIMIT} order ids", "INVALID_ARGUMENT")
        return SimResponse(200, {"ordersWithFulfillments": [
            {"orderId": oid, "fulfillments": self._fulfilments.get(oid, [])} for oid in ids if oid in self.orders]})

    # ------------------------------------------------------------ contacts
    def _query_contacts(self, request: SimRequest) -> SimResponse:
        query = (request.json() or {}).get("query") or {}
        paging = query.get("paging") or {}
        limit, offset = int(paging.get("limit") or 50), int(paging.get("offset") or 0)
        if limit > 1000:
            raise ApiError(400, "paging.limit must be <= 1000", "INVALID_ARGUMENT")
        sort = (query.get("sort") or [{"fieldName": "createdDate", "order": "DESC"}])[0]
        rule = self.contract.query_rule("CON.ContactQuerySpec", sort.get("fieldName") or "")
        if rule is None or rule["sort"] == "NONE":
            raise ApiError(400, f"sorting by {sort.get('fieldName')} is not supported", "UNSUPPORTED_SORT_FIELD")
        for field in _filter_fields(query.get("filter")):
            if self.contract.query_rule("CON.ContactQuerySpec", field) is None:
                raise ApiError(400, f"filter field {field} is not supported", "UNSUPPORTED_FILTER_FIELD_UNKNOWN")
        selected = sorted((c for c in self.contacts.values() if matches(c, query.get("filter"))),
                          key=lambda c: (str(_get_path(c, sort["fieldName"])[:1]), c["id"]),
                          reverse=(sort.get("order") or "ASC").upper() == "DESC")
        page = selected[offset:offset + limit]
        return SimResponse(200, {"contacts": page, "pagingMetadata": {
            "count": len(page), "offset": offset, "total": len(selected), "hasNext": offset + limit < len(selected)}})

    def _create_contact(self, request: SimRequest) -> SimResponse:
        body = request.json() or {}
        return SimResponse(200, {"contact": self._insert_contact(body.get("info") or {},
                                                                 bool(body.get("allowDuplicates")))})

    def _insert_contact(self, info: dict[str, Any], allow_duplicates: bool = False) -> dict[str, Any]:
        email = _primary_email(info)
        if email and not allow_duplicates and any(c["primaryInfo"].get("email") == email
                                                  for c in self.contacts.values()):
            raise ApiError(409, f"a contact with email {email} exists", "DUPLICATE_CONTACT_EXISTS")
        cid = self._new_id()
        now = self._stamp()
        contact = {"id": cid, "revision": 1, "source": {"sourceType": "APP"}, "createdDate": now, "updatedDate": now,
                   "primaryInfo": {"email": email, "phone": _primary_phone(info)}, "info": info}
        self.contacts[cid] = contact
        self._emit_standard("wix.contacts.v4.contact", "created", cid, contact)
        return contact

    def _get_contact(self, request: SimRequest, cid: str) -> SimResponse:
        return SimResponse(200, {"contact": self._contact(cid)})

    def _contact(self, cid: str) -> dict[str, Any]:
        contact = self.contacts.get(cid)
        if contact is None:
            raise ApiError(404, f"contact {cid} not found", "CONTACT_NOT_FOUND")
        return contact

    def _update_contact(self, request: SimRequest, cid: str) -> SimResponse:
        contact = self._contact(cid)
        body = request.json() or {}
        if body.get("info") is None:
            raise ApiError(400, "info is required", "INVALID_ARGUMENT")
        try:
            self._check_revision(str(contact["revision"]), body.get("revision"))
        except ApiError as exc:  # Contacts' documented conflict code
            if exc.status != 409:
                raise
            raise ApiError(409, exc.message, "CONTACT_ALREADY_CHANGED") from exc
        contact["info"] = {**contact["info"], **body["info"]}
        contact["primaryInfo"] = {"email": _primary_email(contact["info"]), "phone": _primary_phone(contact["info"])}
        contact["revision"] += 1
        contact["updatedDate"] = self._stamp()
        self._emit_standard("wix.contacts.v4.contact", "updated", cid, contact)
        return SimResponse(200, {"contact": contact})

    # ------------------------------------------------------------ webhooks
    def _sim_subscribe(self, request: SimRequest) -> SimResponse:
        body = request.json() or {}
        sub = {"id": self._new_id(), "eventType": body.get("eventType") or "*", "uri": body.get("uri") or ""}
        if not sub["uri"]:
            raise ApiError(400, "uri is required", "INVALID_ARGUMENT")
        self.subscriptions.append(sub)
        return SimResponse(200, {"subscription": sub})

    def _sim_subscriptions(self, request: SimRequest) -> SimResponse:
        return SimResponse(200, {"subscriptions": self.subscriptions})

    def _sim_unsubscribe(self, request: SimRequest) -> SimResponse:
        uri = request.arg("uri")
        before = len(self.subscriptions)
        self.subscriptions = [s for s in self.subscriptions if s["uri"] != uri]
        return SimResponse(200, {"deleted": before - len(self.subscriptions)})

    def sign(self, claims: dict[str, Any], *, algorithm: str = "RS256") -> bytes:
        return jwt.encode(claims, self._private_key, algorithm=algorithm).encode()

    def webhook_body(self, event_type: str, data: dict[str, Any], *, iat: float | None = None,
                     expires_in: float = 3600, identity: dict[str, Any] | None = None) -> bytes:
        """A delivery body exactly as Wix sends it: JWT {data: "<json>", iat, exp}, inner JSON as strings."""
        envelope = {"eventType": event_type, "instanceId": self.instance_id, "data": json.dumps(data),
                    "identity": json.dumps(identity or {"identityType": "APP", "appId": self.app_id})}
        issued = time.time() if iat is None else iat
        return self.sign({"data": json.dumps(envelope), "iat": int(issued), "exp": int(issued + expires_in)})

    def _emit_standard(self, fqdn: str, slug: str, entity_id: str, entity: dict[str, Any], *,
                       action: bool = False) -> None:
        if not self._subscribed(f"{fqdn}_{slug}"):
            return
        event: dict[str, Any] = {"id": str(uuid.uuid4()), "entityFqdn": fqdn, "slug": slug, "entityId": entity_id,
                                 "eventTime": self._stamp(), "triggeredByAnonymizeRequest": False,
                                 "entityEventSequence": self._sequence(entity_id)}
        snapshot = json.loads(json.dumps(entity))
        if action:
            event["actionEvent"] = {"body": {"order": snapshot}}
        elif slug == "deleted":  # EntityDeletedEvent declares only deletedEntityAsJson
            event["deletedEvent"] = {"deletedEntityAsJson": json.dumps(snapshot)} if snapshot else {}
        elif slug == "created":
            event["createdEvent"] = {"entity": snapshot} if fqdn.startswith("wix.ecom") or "contacts" in fqdn \
                else {"entityAsJson": json.dumps(snapshot)}
        else:
            event["updatedEvent"] = {"currentEntity": snapshot} if fqdn.startswith("wix.ecom") or "contacts" in fqdn \
                else {"currentEntityAsJson": json.dumps(snapshot)}
        self._queue(f"{fqdn}_{slug}", event)

    def _emit_v1(self, event_type: str, data: dict[str, Any]) -> None:
        self._queue(event_type, data)

    def _subscribed(self, event_type: str) -> bool:
        return any(s["eventType"] in ("*", event_type) for s in self.subscriptions)

    def _queue(self, event_type: str, data: dict[str, Any]) -> None:
        if not self._subscribed(event_type):
            return
        self.webhook_queue.append((event_type, self.webhook_body(event_type, data)))

    def _maybe_auto_deliver(self) -> None:
        if self.auto_deliver and (self.webhook_queue or self.webhook_failed):
            self.deliver_webhooks()

    def deliver_webhooks(self, duplicate: bool = False, reverse: bool = False) -> int:
        """Deliver queued events (and retry failed ones) now; returns the number answered 200."""
        with self.lock:
            pending = [(t, b, 0) for t, b in self.webhook_queue] + self.webhook_failed
            self.webhook_queue, self.webhook_failed = [], []
            targets = list(self.subscriptions)
        if reverse:
            pending.reverse()
        delivered = 0
        for topic, body, attempts in pending:
            for sub in [s for s in targets if s["eventType"] in ("*", topic)]:
                for _ in range(2 if duplicate else 1):
                    status = post_webhook(sub["uri"], body, {"Content-Type": "text/plain"})
                    with self.lock:
                        self.webhook_deliveries.append((topic, status))
                    if status == 200:
                        delivered += 1
                    elif attempts < 12:  # Wix retries up to 12 more times (+1 min ... +12 h)
                        with self.lock:
                            self.webhook_failed.append((topic, body, attempts + 1))
                        break
        return delivered

    # ------------------------------------------------------------ seeding and state access
    def seed_catalog(self, products: int, variants_per_product: int = 1, sku_prefix: str = "SKU",
                     quantity: int = 10) -> list[str]:
        """Add ``products`` products quickly (no webhooks); returns the SKUs in order."""
        skus: list[str] = []
        base = datetime.now(timezone.utc) - timedelta(days=2)
        with self.lock:
            start = len(self.products)
            for n in range(products):
                i = start + n
                stamp = _iso(base + timedelta(milliseconds=n))
                names = [f"{sku_prefix}{i:06d}" + (f"-{j + 1}" if variants_per_product > 1 else "")
                         for j in range(variants_per_product)]
                skus += names
                self._seed_one(i, names, stamp, quantity)
        return skus

    def _seed_one(self, i: int, skus: list[str], stamp: str, quantity: int) -> None:
        price = f"{10 + i % 90}.00"
        sizes = [f"S{j + 1}" for j in range(len(skus))] if len(skus) > 1 else []
        if self.catalog_version == V3:
            body = {"name": f"Product {i}", "options": [{"name": "Size", "choicesSettings": {
                "choices": [{"name": s} for s in sizes]}}] if sizes else [],
                "variantsInfo": {"variants": [
                    {"sku": sku, "price": {"actualPrice": {"amount": price}},
                     "choices": [{"optionChoiceNames": {"optionName": "Size", "choiceName": sizes[j]}}] if sizes else []}
                    for j, sku in enumerate(skus)]}}
            self._v3_insert(body, stamp=stamp, quantity=quantity, emit=False)
        else:
            body = {"name": f"Product {i}", "priceData": {"price": float(price)}, "sku": skus[0] if not sizes else None,
                    "productOptions": [{"name": "Size", "optionType": "drop_down",
                                        "choices": [{"value": s, "description": s} for s in sizes]}] if sizes else []}
            product = self._v1_insert(body, stamp=stamp, quantity=quantity, emit=False)
            for variant, sku in zip(product["variants"], skus):
                variant["variant"]["sku"] = sku
                self._sku_index[sku] = (product["id"], variant["id"])
        self._last_stamp = max(self._last_stamp, datetime.fromisoformat(stamp.replace("Z", "+00:00")))

    def add_product(self, name: str = "Product", skus: list[str] | None = None, price: str = "10.00",
                    options: dict[str, list[str]] | None = None, quantity: int = 0,
                    compare_at: str | None = None) -> dict[str, Any]:
        """Add one product (fires the created webhook). ``options`` {name: [values]} makes one variant per combo."""
        options = options or {}
        combos = list(itertools.product(*options.values())) or [()]
        skus = skus or [f"{name[:3].upper()}-{k}" for k in range(len(combos))]
        with self.lock:
            if self.catalog_version == V3:
                price_body: dict[str, Any] = {"actualPrice": {"amount": price}}
                if compare_at:
                    price_body["compareAtPrice"] = {"amount": compare_at}
                body = {"name": name, "options": [{"name": n, "choicesSettings": {"choices": [{"name": v} for v in vs]}}
                                                  for n, vs in options.items()],
                        "variantsInfo": {"variants": [
                            {"sku": sku, "price": price_body,
                             "choices": [{"optionChoiceNames": {"optionName": n, "choiceName": v}}
                                         for n, v in zip(options, combo)]} for sku, combo in zip(skus, combos)]}}
                product = self._v3_insert(body, quantity=quantity)
            else:
                body = {"name": name, "priceData": {"price": float(price)}, "sku": skus[0] if not options else None,
                        "productOptions": [{"name": n, "choices": [{"value": v, "description": v} for v in vs]}
                                           for n, vs in options.items()]}
                product = self._v1_insert(body, quantity=quantity)
                for variant, sku in zip(product["variants"], skus):
                    variant["variant"]["sku"] = sku
                self._v1_reprice(product)
        self._maybe_auto_deliver()
        return product

    def touch_product(self, product_id: str, **changes: Any) -> dict[str, Any]:
        """Change a product as the merchant would in the dashboard (new revision / lastUpdated, webhook)."""
        with self.lock:
            product = self.products[product_id]
            product.update(changes)
            if self.catalog_version == V3:
                product["revision"] = str(int(product["revision"]) + 1)
                product["updatedDate"] = self._stamp()
                self._emit_standard("wix.stores.catalog.v3.product", "updated", product_id, product)
            else:
                product["lastUpdated"] = self._stamp()
                self._emit_v1("com.wix.ecommerce.catalog.api.v1.ProductChanged",
                              {"productId": product_id, "changedFields": sorted(changes)})
        self._maybe_auto_deliver()
        return product

    def delete_product(self, product_id: str) -> None:
        """The merchant deletes a product in the dashboard (its inventory goes with it; webhook fires)."""
        with self.lock:
            product = self.products.pop(product_id)
            if self.catalog_version == V3:
                for variant in product["variantsInfo"]["variants"]:
                    for item_id in self._inv_by_variant.pop(variant["id"], []):
                        item = self.inventory.pop(item_id)
                        self._inv_index.pop((variant["id"], item["locationId"]), None)
                    self._sku_index.pop(variant.get("sku"), None)
                self._emit_standard("wix.stores.catalog.v3.product", "deleted", product_id, {})
            else:
                self.inventory.pop(product_id, None)
                for variant in product["variants"]:
                    self._sku_index.pop((variant.get("variant") or {}).get("sku"), None)
                self._emit_v1("com.wix.ecommerce.catalog.api.v1.ProductDeleted", {"productId": product_id})
        self._maybe_auto_deliver()

    def delete_contact(self, contact_id: str) -> None:
        with self.lock:
            contact = self.contacts.pop(contact_id)
            self._emit_standard("wix.contacts.v4.contact", "deleted", contact_id, contact)
        self._maybe_auto_deliver()

    def delete_imported_order(self, order_id: str) -> None:
        """Only imported orders can be deleted on Wix (``order_imported_order_deleted``, an action event)."""
        with self.lock:
            order = self.orders.pop(order_id)
            self._emit_standard("wix.ecom.v1.order", "imported_order_deleted", order_id, order, action=True)
        self._maybe_auto_deliver()

    def edit_product(self, sku: str, *, name: str | None = None, price: str | None = None) -> None:
        """The merchant edits, in the dashboard, the name of the product holding ``sku`` and/or that variant's price
        (a new revision; the product updated event, or V1's ProductChanged)."""
        with self.lock:
            pid, vid = self._sku_index[sku]
            product = self.products[pid]
            changed = []
            if name is not None:
                product["name"] = name
                changed.append("name")
            if price is not None and self.catalog_version == V3:
                variant = next(v for v in product["variantsInfo"]["variants"] if v["id"] == vid)
                variant["price"]["actualPrice"] = {"amount": str(price)}
            elif price is not None:
                self._v1_prices[(pid, vid)] = str(price)
                if len(product["variants"]) == 1:
                    product["priceData"]["price"] = float(price)
                self._v1_reprice(product)
                changed.append("priceData")
            if self.catalog_version == V3:
                product["revision"] = str(int(product["revision"]) + 1)
                product["updatedDate"] = self._stamp()
                self._emit_standard("wix.stores.catalog.v3.product", "updated", pid, product)
            else:
                product["lastUpdated"] = self._stamp()
                self._emit_v1("com.wix.ecommerce.catalog.api.v1.ProductChanged", {"productId": pid, "changedFields": changed})
        self._maybe_auto_deliver()

    def product_by_sku(self, sku: str) -> dict[str, Any] | None:
        with self.lock:
            found = self._sku_index.get(sku)
            if found is None:
                return None
            pid, vid = found
            return {"name": self.products[pid]["name"], "price": self._catalog_price(pid, vid),
                    "product_id": pid, "variant_id": vid}

    def edit_customer(self, email: str, *, first_name: str | None = None, last_name: str | None = None) -> None:
        """The site owner renames a contact in the dashboard (a new revision; the contact updated event)."""
        with self.lock:
            contact = self._contact_by_email(email)
            name = dict(contact["info"].get("name") or {})
            for key, value in (("first", first_name), ("last", last_name)):
                if value is not None:
                    name[key] = value
            contact["info"] = {**contact["info"], "name": name}
            contact["revision"] += 1
            contact["updatedDate"] = self._stamp()
            self._emit_standard("wix.contacts.v4.contact", "updated", contact["id"], contact)
        self._maybe_auto_deliver()

    def customer_by_email(self, email: str) -> dict[str, Any]:
        with self.lock:
            contact = self._contact_by_email(email)
            name = contact["info"].get("name") or {}
            return {"first_name": name.get("first"), "last_name": name.get("last"), "id": contact["id"], "email": email}

    def _contact_by_email(self, email: str) -> dict[str, Any]:
        found = next((c for c in self.contacts.values()
                      if (c["primaryInfo"].get("email") or "").lower() == email.lower()), None)
        if found is None:
            raise KeyError(f"no Wix contact with email {email}")
        return found

    @property
    def sku_index(self) -> dict[str, tuple[str, str]]:
        """Every SKU on the site -> (product id, variant id)."""
        with self.lock:
            return dict(self._sku_index)

    def variant_of(self, sku: str) -> tuple[str, str]:
        return self._sku_index[sku]

    def set_inventory(self, sku: str, quantity: int, location: str | None = None) -> None:
        with self.lock:
            pid, vid = self._sku_index[sku]
            if self.catalog_version == V3:
                item_id = self._inv_index.get((vid, location or self.default_location_id))
                if item_id is None:
                    self._v3_make_item(pid, {"id": vid, "sku": sku}, location, quantity, self._stamp())
                    item = self.inventory[self._inv_index[(vid, location)]]
                    self._emit_standard("wix.stores.catalog.v3.inventory_item", "created", item["id"], item)
                else:
                    item = self.inventory[item_id]
                    self._v3_set_item({"id": item_id, "revision": item["revision"], "quantity": quantity})
            else:
                self._v1_set_quantity(pid, vid, quantity)
        self._maybe_auto_deliver()

    def stock_of(self, sku: str, location: str | None = None) -> int | None:
        with self.lock:
            found = self._sku_index.get(sku)
            if found is None:
                return None
            pid, vid = found
            if self.catalog_version == V3:
                item_id = self._inv_index.get((vid, location or self.default_location_id))
                return None if item_id is None else self.inventory[item_id]["quantity"]
            for variant in self.inventory.get(pid, {}).get("variants", []):
                if variant["variantId"] == vid:
                    return variant["quantity"]
            return None

    def add_location(self, name: str) -> str:
        with self.lock:
            location = self._stores_location(name)
            self.locations.append(location)
            return location["id"]

    def add_customer(self, email: str, first_name: str = "Jane", last_name: str = "Doe",
                     phone: str | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {"name": {"first": first_name, "last": last_name},
                                "emails": {"items": [{"tag": "MAIN", "email": email, "primary": True}]}}
        if phone:
            info["phones"] = {"items": [{"tag": "MOBILE", "phone": phone, "primary": True}]}
        with self.lock:
            contact = self._insert_contact(info)
        self._maybe_auto_deliver()
        return contact

    def create_order(self, line_items: list[dict[str, Any]], customer_email: str | None = "buyer@example.com",
                     **kw: Any) -> dict[str, Any]:
        """Create an order as checkout would; totals are computed here, independently of the connector.

        kw: taxes_included, tax_rate ("0.2"), shipping ("5.00"), shipping_discount, order_discount (an
        order-level amount not allocated to lines), fees [{"name", "price"}], status, payment_status, coupon.
        Line items: {"sku", "quantity", optional "price", "discount" (total for the line)}.
        """
        with self.lock:
            order = self._build_order(line_items, customer_email, **kw)
            self.orders[order["id"]] = order
            if order["status"] != "INITIALIZED":
                self._emit_standard("wix.ecom.v1.order", "created", order["id"], order)
                self._deduct_stock(order)
        self._maybe_auto_deliver()
        return order

    def _build_order(self, line_items: list[dict[str, Any]], email: str | None, **kw: Any) -> dict[str, Any]:
        included = bool(kw.get("taxes_included"))
        rate = _d(kw.get("tax_rate") or 0)

        def tax_of(base: Decimal) -> Decimal:
            raw = base - base / (1 + rate) if included else base * rate
            return raw.quantize(CENT, rounding=ROUND_HALF_UP)

        lines, subtotal, line_discounts, taxes = [], Decimal(0), Decimal(0), Decimal(0)
        for index, spec in enumerate(line_items):
            sku, quantity = spec.get("sku"), int(spec.get("quantity") or 1)
            pid, vid = self._sku_index.get(sku, (self._new_id(), DEFAULT_VARIANT_V1))
            unit = _d(spec.get("price") or self._catalog_price(pid, vid) or "10.00")
            discount = _d(spec.get("discount") or 0)
            tax = tax_of(unit * quantity - discount)
            subtotal += unit * quantity
            line_discounts += discount
            taxes += tax
            lines.append({
                "id": str(uuid.UUID(int=index + 1)), "quantity": quantity,
                "productName": {"original": spec.get("name") or f"Item {sku}", "translated": spec.get("name") or sku},
                "catalogReference": {"catalogItemId": pid, "appId": APP_ID_STORES, "options": {"variantId": vid}},
                "physicalProperties": {"sku": sku, "shippable": True},
                "price": _money(unit), "priceBeforeDiscounts": _money(unit), "totalDiscount": _money(discount),
                "totalPriceBeforeTax": _money(unit * quantity - discount - (tax if included else 0)),
                "totalPriceAfterTax": _money(unit * quantity - discount + (0 if included else tax)),
                "taxInfo": {"taxRate": str(rate), "taxAmount": _money(tax), "taxIncludedInPrice": included,
                            "taxableAmount": _money(unit * quantity - discount)},
                "itemType": {"preset": "PHYSICAL"}, "refundQuantity": 0, "descriptionLines": [],
            })
        ship, ship_discount = _d(kw.get("shipping") or 0), _d(kw.get("shipping_discount") or 0)
        ship_tax = tax_of(ship - ship_discount)
        taxes += ship_tax
        fees, fee_total = [], Decimal(0)
        for fee in kw.get("fees") or []:
            price = _d(fee["price"])
            fee_tax = tax_of(price)
            taxes += fee_tax
            fee_total += price
            fees.append({"code": fee.get("code") or fee["name"].lower(), "name": fee["name"], "price": _money(price),
                         "priceBeforeTax": _money(price), "taxInfo": {"taxRate": str(rate), "taxAmount": _money(fee_tax)},
                         "priceAfterTax": _money(price + (0 if included else fee_tax))})
        order_discount = _d(kw.get("order_discount") or 0)
        discount_total = line_discounts + ship_discount + order_discount
        total = subtotal - discount_total + ship + fee_total + (0 if included else taxes)
        now = self._stamp()
        oid = self._new_id()
        address = {"city": "New York", "countryFullname": "United States", "subdivisionFullname": "New York",
                   "addressLine": "525 5th Avenue", "country": "US", "postalCode": "10173", "subdivision": "US-NY"}
        contact_details = {"firstName": kw.get("first_name", "Jane"), "lastName": kw.get("last_name", "Doe"),
                           "phone": "0555555555"}
        contact_id = next((c["id"] for c in self.contacts.values() if c["primaryInfo"].get("email") == email), None)
        order = {
            "id": oid, "number": str(next(self._order_numbers)), "createdDate": now, "updatedDate": now,
            "status": kw.get("status", "APPROVED"), "paymentStatus": kw.get("payment_status", "PAID"),
            "fulfillmentStatus": "NOT_FULFILLED", "currency": self.currency, "taxIncludedInPrices": included,
            "lineItems": lines, "additionalFees": fees, "weightUnit": "KG", "archived": False,
            "buyerInfo": {"contactId": contact_id or self._new_id(), "email": email},
            "billingInfo": {"address": address, "contactDetails": contact_details},
            "shippingInfo": {"title": "Standard Shipping", "code": "standard", "cost": {
                "price": _money(ship), "discount": _money(ship_discount),
                "taxInfo": {"taxRate": str(rate), "taxAmount": _money(ship_tax)}},
                "logistics": {"shippingDestination": {"address": address, "contactDetails": contact_details}}},
            "priceSummary": {"subtotal": _money(subtotal), "shipping": _money(ship - ship_discount),
                             "tax": _money(taxes), "discount": _money(discount_total), "total": _money(total),
                             "totalAdditionalFees": _money(fee_total)},
            "appliedDiscounts": [{"discountType": "GLOBAL", "coupon": {"code": kw["coupon"], "name": kw["coupon"],
                                                                        "amount": _money(discount_total)}}]
            if kw.get("coupon") else [],
            "activities": [{"type": "ORDER_PLACED", "createdDate": now}],
            "channelInfo": {"type": "WEB"},
        }
        return order

    def _deduct_stock(self, order: dict[str, Any]) -> None:
        """Checkout deducts the ordered quantities at the default location (never below zero)."""
        for line in order["lineItems"]:
            sku = line["physicalProperties"].get("sku")
            current = self.stock_of(sku) if sku in self._sku_index else None
            if current is None:
                continue
            left = max(0, current - int(line["quantity"]))
            pid, vid = self._sku_index[sku]
            if self.catalog_version == V3:
                item = self.inventory[self._inv_index[(vid, self.default_location_id)]]
                self._v3_set_item({"id": item["id"], "revision": item["revision"], "quantity": left})
            else:
                self._v1_set_quantity(pid, vid, left)

    def _v1_set_quantity(self, pid: str, vid: str, quantity: int) -> None:
        inv = self.inventory[pid]
        changes = []
        for variant in inv["variants"]:
            if variant["variantId"] == vid:
                old = {"inStock": variant["inStock"], "quantity": variant["quantity"]}
                variant["quantity"], variant["inStock"] = quantity, quantity > 0
                changes.append({"id": vid, "oldValue": old, "newValue": {"inStock": quantity > 0, "quantity": quantity}})
        inv["lastUpdated"] = self._stamp()
        self._emit_v1("com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged",
                      {"inventoryItemId": inv["id"], "productId": pid, "variants": changes})

    def _catalog_price(self, pid: str, vid: str) -> str | None:
        product = self.products.get(pid)
        if product is None:
            return None
        if self.catalog_version == V3:
            for variant in product["variantsInfo"]["variants"]:
                if variant["id"] == vid:
                    return variant["price"]["actualPrice"]["amount"]
            return None
        for variant in product["variants"]:
            if variant["id"] == vid:
                return str(variant["variant"]["priceData"]["discountedPrice"])
        return None

    def update_order(self, order_id: str, **changes: Any) -> dict[str, Any]:
        """Change an order (e.g. paymentStatus="FULLY_REFUNDED"); fires order_updated (or the payment event)."""
        with self.lock:
            order = self._order(order_id)
            order.update(changes)
            order["updatedDate"] = self._stamp()
            if set(changes) == {"paymentStatus"}:
                self._emit_standard("wix.ecom.v1.order", "payment_status_updated", order_id, order, action=True)
            else:
                self._emit_standard("wix.ecom.v1.order", "updated", order_id, order)
        self._maybe_auto_deliver()
        return order

    def approve_order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            order = self._order(order_id)
            order["status"] = "APPROVED"
            order["updatedDate"] = self._stamp()
            self._emit_standard("wix.ecom.v1.order", "approved", order_id, order, action=True)
        self._maybe_auto_deliver()
        return order

    def cancel_order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            order = self._cancel(order_id)
        self._maybe_auto_deliver()
        return order

    def fulfilments_of(self, order_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self._fulfilments.get(order_id, []))

    def order_status(self, order_id: str) -> str:
        from wix_commerce_sync.connectors.wix.mapping import store_status_word

        with self.lock:
            return store_status_word(self._order(order_id))

    def max_requests_in_window(self, seconds: float = 60.0) -> int:
        """Largest number of admitted requests inside any window of ``seconds`` (two-pointer sweep)."""
        times = sorted(self.request_times)
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best


class _RateLimited(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate limit exceeded: 200 requests per minute per site", "TOO_MANY_REQUESTS")
        self.retry_after = retry_after

    def response(self) -> SimResponse:
        response = super().response()
        response.headers["Retry-After"] = str(self.retry_after)
        return response


def dig_variants(body: dict[str, Any]) -> list[dict[str, Any]]:
    return ((body.get("variantsInfo") or {}).get("variants")) or []


def _primary_email(info: dict[str, Any]) -> str | None:
    items = (info.get("emails") or {}).get("items") or []
    return next((i.get("email") for i in items if i.get("primary")), items[0].get("email") if items else None)


def _primary_phone(info: dict[str, Any]) -> str | None:
    items = (info.get("phones") or {}).get("items") or []
    return next((i.get("phone") for i in items if i.get("primary")), items[0].get("phone") if items else None)


def _filter_fields(flt: Any) -> list[str]:
    """Field names a Wix filter uses (through $and/$or/$not)."""
    if not isinstance(flt, dict):
        return []
    fields: list[str] = []
    for key, value in flt.items():
        if key in ("$and", "$or"):
            for part in value or []:
                fields += _filter_fields(part)
        elif key == "$not":
            fields += _filter_fields(value)
        else:
            fields.append(key)
    return fields


def _mentions(flt: Any, field: str) -> bool:
    return field in _filter_fields(flt)
