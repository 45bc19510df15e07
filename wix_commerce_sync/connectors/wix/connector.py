"""Wix connector: REST client for ``https://www.wixapis.com`` (or a simulator serving the same paths).

- Auth: API key (``Authorization: <key>`` + ``wix-site-id``) or app client credentials exchanged at
  ``POST /oauth2/token`` for a 4 h token, refreshed before expiry and once more on a 401.
- Catalog version (V1/V3) detected per site via ``/stores/v3/provision/version``, cached on the
  instance, overridable with ``options["catalog_version"]``; every product/stock call branches on it.
- 200 requests/min per site: a token bucket per site whose refill is ``(limit - burst) / 60`` per
  second, so that even a full burst followed by steady use keeps every sliding 60 s window at or under
  the limit; 429 answers pause the bucket for Retry-After.
- Webhooks: RS256 JWT bodies verified with the store's public key (loaded once per connector).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import requests

from wix_commerce_sync.connectors.base import (
    Capabilities,
    ConnectionInfo,
    Connector,
    StoreConfig,
    WebhookEvent,
    WebhookRegistration,
    stock_key,
)
from wix_commerce_sync.connectors.http import HttpClient, TokenBucket, validate_store_url
from wix_commerce_sync.connectors.wix import mapping, webhooks
from wix_commerce_sync.sync.errors import (
    AmbiguousWriteError,
    AuthError,
    ConfigurationError,
    ConflictError,
    MappingError,
    NotFoundError,
    SyncError,
    ValidationError,
)
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
    utc,
)
from wix_commerce_sync.sync.status_map import StatusMap

DEFAULT_BASE_URL = "https://www.wixapis.com"
V1_QUERY = "/stores-reader/v1/products/query"  # docs' endpoint; the SDK maps /stores-reader/v1/products
PAGE = 100  # cursorPaging.limit maximum on the APIs used
VARIANT_PAGE = 1000  # Read-Only Variants allow up to 1,000 per request
CONTACT_PAGE = 1000
BULK = 100  # bulk endpoints: at most 100 items
BULK_VARIANTS = 1000  # bulk product create/update: at most 1,000 variants per request
BULK_OPTIONS = 100  # ... and at most 100 options in total (P3 bulk method docs)
BULK_INVENTORY = 1000  # bulk inventory update: at most 1,000 items (INV3 maxSize)
INVENTORY_PAGE = 1000  # inventory query cursorPaging.limit maximum (INV3): all locations of 100 SKUs in a page
PRODUCT_FIELDS = ["PLAIN_DESCRIPTION", "CURRENCY"]  # returned only when asked for (P3 meta.d.ts)
# Search Orders leaves PENDING (and REJECTED) orders out unless the filter names a status (ORD docs);
# INITIALIZED orders are never real, REJECTED ones never paid.
ORDER_STATUSES = ["APPROVED", "CANCELED", "PENDING"]
TOKEN_MARGIN = 300.0  # refresh an OAuth token 5 minutes before it expires
FULFILMENT_MARKER = "erpReference"  # customInfo.fieldsData key naming the ERP document of a fulfilment

ORDER_TOPICS = ["wix.ecom.v1.order_created", "wix.ecom.v1.order_updated", "wix.ecom.v1.order_approved",
                "wix.ecom.v1.order_canceled", "wix.ecom.v1.order_payment_status_updated",
                "wix.ecom.v1.order_imported_order_deleted"]
ITEM_TOPICS = ["wix.stores.catalog.v3.product_created", "wix.stores.catalog.v3.product_updated",
               "wix.stores.catalog.v3.product_deleted", "com.wix.ecommerce.catalog.api.v1.ProductCreated",
               "com.wix.ecommerce.catalog.api.v1.ProductChanged", "com.wix.ecommerce.catalog.api.v1.ProductDeleted",
               "com.wix.ecommerce.catalog.api.v1.VariantsChanged"]
STOCK_TOPICS = ["wix.stores.catalog.v3.inventory_item_created", "wix.stores.catalog.v3.inventory_item_updated",
                "com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged",
                "com.wix.ecommerce.inventory.api.v1.InventoryItemChanged"]
CUSTOMER_TOPICS = ["wix.contacts.v4.contact_created", "wix.contacts.v4.contact_updated",
                   "wix.contacts.v4.contact_deleted"]

REFUND_NOT_SUPPORTED = ("a Wix refund needs its amount and lines: it is sent from the Credit Note (trigger-refund), "
                        "not from a FULLY_REFUNDED status")
REFUND_LOST = ("Wix trigger-refund for order {order}: the answer was lost after the request was sent, and Wix offers "
               "no idempotency key or refund marker to look for, so it is not re-sent: check the order's payments "
               "in the Wix dashboard, then re-queue the job if no refund was made")

_SHARED_BUCKETS: dict[tuple[str, str], TokenBucket] = {}
_SHARED_LOCK = threading.Lock()


class NothingToFulfil(MappingError):
    """Every line of the order is fulfilled already."""


class StaleRevisionError(ConflictError):
    """Wix answered 409 for a stale ``revision``. Not retried blindly by the HTTP layer: re-read first."""

    retryable = False


def iso_ms(moment: datetime) -> str:
    """Wix timestamps: UTC, millisecond precision, ``Z``."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# Stale-revision codes: Contacts documents CONTACT_ALREADY_CHANGED (CON index.typings.d.ts, Update Contact
# errors); the catalog/inventory code is not in the SDK, REVISION_MISMATCH is kept for them.
STALE_CODES = {"CONTACT_ALREADY_CHANGED", "REVISION_MISMATCH"}


def _wix_error(response: requests.Response) -> SyncError | None:
    if response.status_code not in (400, 409, 412, 428):
        return None
    try:
        code = response.json()["details"]["applicationError"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code in STALE_CODES:
        return StaleRevisionError(f"Wix: stale revision ({code})", status=response.status_code, details=code)
    if response.status_code != 409:
        return None
    return ValidationError(f"Wix: conflict {code or ''}".strip(), status=409, details=code)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _WixAuth(requests.auth.AuthBase):
    """Adds the Authorization header on every request (never on the token exchange itself)."""

    def __init__(self, connector: WixConnector) -> None:
        self.connector = connector

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not (request.url or "").split("?")[0].endswith("/oauth2/token"):
            request.headers["Authorization"] = self.connector._authorization()
            if self.connector.config.site_id:
                request.headers["wix-site-id"] = self.connector.config.site_id
        return request


class WixConnector(Connector):
    platform = Platform.WIX
    capabilities = Capabilities(
        locations=True,
        order_creation=False,
        product_batch_size=BULK,
        stock_batch_size=BULK_INVENTORY,
        customer_batch_size=BULK,
        order_batch_size=BULK,
        page_size=PAGE,
        webhook_topics={Entity.ORDERS: ORDER_TOPICS, Entity.ITEMS: ITEM_TOPICS, Entity.STOCK: STOCK_TOPICS,
                        Entity.CUSTOMERS: CUSTOMER_TOPICS},
    )

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        options = config.options or {}
        base_url = validate_store_url(config.base_url or DEFAULT_BASE_URL,
                                      allow_insecure_loopback=config.allow_insecure_http)
        creds = config.credentials or {}
        if creds.get("api_key"):
            self.auth_mode = "api_key"
            if not config.site_id:
                raise ConfigurationError("Wix API-key access needs the site id (wix-site-id)")
        elif all(creds.get(k) for k in ("app_id", "app_secret", "instance_id")):
            self.auth_mode = "oauth"
        else:
            raise ConfigurationError("Wix store needs an api_key, or app_id + app_secret + instance_id")
        self._token: str | None = None
        self._token_expiry = 0.0
        self._token_lock = threading.Lock()
        self._auth_clock: Callable[[], float] = options.get("auth_clock") or time.monotonic
        timeout = options.get("timeout")
        self.http = HttpClient(
            base_url,
            auth=_WixAuth(self),
            timeout=(timeout, timeout) if isinstance(timeout, (int, float)) else (timeout or (5.0, 30.0)),
            max_attempts=int(options.get("max_attempts", 5)),
            backoff_initial=float(options.get("backoff_initial", 0.5)),
            backoff_max=float(options.get("backoff_max", 30.0)),
            rate_limiter=self._bucket(base_url, options),
            secrets=config.secret_values(),
            error_hook=_wix_error,
        )
        self._catalog_version: str | None = options.get("catalog_version")
        status_map = options.get("status_map")
        self.status_map = status_map if isinstance(status_map, StatusMap) else StatusMap.default(Platform.WIX)
        self._public_key: Any = None
        self._public_key_pem: str | None = None
        self._default_location: str | None = None
        # (sku or variant id, location) -> inventory item dict (id, revision, variantId...) from earlier calls
        self._item_cache: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._fulfilments_cache: tuple[list[str], list[dict[str, Any]]] = ([], [])
        self._v1_variants: dict[str, tuple[str, str]] = {}  # V1 sku -> (product id, variant id)
        self._v1_walked = False  # the V1 catalog was read whole once to learn variant SKUs

    # ------------------------------------------------------------ plumbing
    def _bucket(self, base_url: str, options: Mapping[str, Any]) -> TokenBucket:
        limit = float(options.get("rate_limit_per_minute", 200))
        burst = float(options.get("rate_burst", 10))
        if burst >= limit:
            burst = max(1.0, limit / 2)
        rate = (limit - burst) / 60.0
        clock, sleep = options.get("rate_clock"), options.get("rate_sleep")
        if clock is not None:  # a test/benchmark clock: private bucket
            return TokenBucket(rate, burst, clock=clock, sleep=sleep or time.sleep)
        site = self.config.site_id or self.config.credentials.get("instance_id") or ""
        key = (base_url, f"{site}|{limit}|{burst}")
        with _SHARED_LOCK:  # one bucket per site, shared by every connector instance in this process
            if key not in _SHARED_BUCKETS:
                _SHARED_BUCKETS[key] = TokenBucket(rate, burst)
            return _SHARED_BUCKETS[key]

    def _authorization(self) -> str:
        if self.auth_mode == "api_key":
            return self.config.credentials["api_key"]
        with self._token_lock:
            if self._token is None or self._auth_clock() >= self._token_expiry:
                self._fetch_token()
            return self._token or ""

    def _fetch_token(self) -> None:
        creds = self.config.credentials
        payload = {"grant_type": "client_credentials", "client_id": creds["app_id"],
                   "client_secret": creds["app_secret"], "instance_id": creds["instance_id"]}
        data = self.http.request("POST", "/oauth2/token", json=payload, idempotent=True).json()  # a new token
        ttl = float(data.get("expires_in") or 14400)
        self._token = data["access_token"]
        self._token_expiry = self._auth_clock() + max(ttl - min(TOKEN_MARGIN, ttl * 0.1), 1.0)

    def _call(self, method: str, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """One API call; on 401 with an app token, fetch a new token once and repeat.

        Idempotency (issue 11): GET and PATCH-by-id are idempotent (HttpClient's default for GET;
        PATCH carries a revision or absolute values); Wix queries and revisioned/absolute bulk updates
        are POSTs and say ``idempotent=True``; creates say ``idempotent=False`` and look first on retry.
        """
        if payload is not None:
            kwargs["json"] = payload
        if method == "PATCH":
            kwargs.setdefault("idempotent", True)
        try:
            response = self.http.request(method, path, **kwargs)
        except AuthError:
            if self.auth_mode != "oauth":
                raise
            with self._token_lock:
                self._token = None
            response = self.http.request(method, path, **kwargs)
        return response.json() if response.content else {}

    @property
    def catalog_version(self) -> str:
        if self._catalog_version is None:
            version = self._call("GET", "/stores/v3/provision/version").get("catalogVersion")
            if version not in (mapping.V1_CATALOG, mapping.V3_CATALOG):
                raise ConfigurationError(f"Wix Stores is not usable on this site (catalogVersion={version})")
            self._catalog_version = version
        return self._catalog_version

    @property
    def is_v3(self) -> bool:
        return self.catalog_version == mapping.V3_CATALOG

    # ------------------------------------------------------------ connection
    def check_connection(self) -> ConnectionInfo:
        try:
            version = self.catalog_version
            props = self._call("GET", "/site-properties/v4/properties").get("properties") or {}
        except SyncError as exc:
            return ConnectionInfo(ok=False, detail={"error": str(exc), "kind": type(exc).__name__})
        return ConnectionInfo(ok=True, shop_name=props.get("siteDisplayName"), currency=props.get("paymentCurrency"),
                              detail={"catalog_version": version, "auth": self.auth_mode})

    def list_locations(self) -> list[Location]:
        if not self.is_v3:
            return [Location(external_id="default", name="Default", is_default=True)]
        # inventory locationId is a Stores location id (INV3), not a business-location id
        locations = [Location(external_id=str(loc["id"]), name=loc.get("name") or str(loc["id"]),
                              is_default=bool(loc.get("defaultLocation")))
                     for page in self._cursor_pages("/stores/v3/locations/query", {}, "storesLocations")
                     for loc in page]
        default = next((loc for loc in locations if loc.is_default), None)
        self._default_location = default.external_id if default else None
        return locations

    def _default_location_id(self) -> str | None:
        if self._default_location is None and self.is_v3:
            self.list_locations()
        return self._default_location

    # ------------------------------------------------------------ reads
    def iter_products(self, updated_since: datetime | None = None) -> Iterator[Product]:
        if self.is_v3:
            yield from self._iter_products_v3(updated_since)
        else:
            yield from self._iter_products_v1(updated_since)

    def _cursor_pages(self, path: str, query: dict[str, Any], key: str, limit: int = PAGE,
                      wrapper: str = "query", extra: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Wix cursor paging: first page with filter/sort, later pages with the cursor only."""
        body: dict[str, Any] = {**query, "cursorPaging": {"limit": limit}}
        while True:
            data = self._call("POST", path, {wrapper: body, **(extra or {})}, idempotent=True)  # a query
            yield data.get(key) or []
            meta = data.get("pagingMetadata") or data.get("metadata") or {}
            cursor = (meta.get("cursors") or {}).get("next")
            # some APIs (inventory items) answer {count, cursors} with no hasNext: the cursor decides
            if not cursor or meta.get("hasNext") is False:
                return
            body = {"cursorPaging": {"limit": limit, "cursor": cursor}}

    def _iter_products_v3(self, updated_since: datetime | None) -> Iterator[Product]:
        query: dict[str, Any] = {"sort": [{"fieldName": "updatedDate", "order": "ASC"}]}
        if updated_since:
            query["filter"] = {"updatedDate": {"$gt": iso_ms(updated_since)}}
        for page in self._cursor_pages("/stores/v3/products/query", query, "products",
                                       extra={"fields": PRODUCT_FIELDS}):
            if not page:
                continue
            variants = self._variants_of([p["id"] for p in page])  # Query omits variants: one call per page
            for product in page:
                yield mapping.product_from_v3(product, variants.get(product["id"], []))

    def _variants_of(self, product_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {pid: [] for pid in product_ids}
        query = {"filter": {"productData.productId": {"$in": product_ids}}}
        for page in self._cursor_pages("/stores/v3/products/query-variants", query, "variants", VARIANT_PAGE):
            for variant in page:
                grouped.setdefault((variant.get("productData") or {}).get("productId"), []).append(variant)
        return grouped

    def _iter_products_v1(self, updated_since: datetime | None) -> Iterator[Product]:
        """V1 offset paging is capped at 10k per query: page by ``lastUpdated >= last seen`` instead."""
        since = iso_ms(updated_since) if updated_since else None
        op, offset = "$gt", 0
        while True:
            query: dict[str, Any] = {"sort": json.dumps([{"lastUpdated": "asc"}]),
                                     "paging": {"limit": PAGE, "offset": offset}}
            if since:
                query["filter"] = json.dumps({"lastUpdated": {op: since}})
            products = self._call("POST", V1_QUERY, {"query": query, "includeVariants": True},
                                  idempotent=True).get("products") or []
            for product in products:
                self._remember_v1_variants(product)
                yield mapping.product_from_v1(product)
            if len(products) < PAGE:
                return
            last = products[-1].get("lastUpdated")
            same = sum(1 for p in products if p.get("lastUpdated") == last)
            offset = offset + same if (op == "$gte" and since == last) else same
            since, op = last, "$gte"

    def _remember_v1_variants(self, product: dict[str, Any]) -> None:
        for variant in product.get("variants") or []:
            sku = (variant.get("variant") or {}).get("sku")
            if sku:
                self._v1_variants[sku] = (product["id"], variant["id"])

    def get_product(self, external_id: str) -> Product:
        if self.is_v3:
            return mapping.product_from_v3(self._call("GET", f"/stores/v3/products/{external_id}",
                                                      params={"fields": PRODUCT_FIELDS})["product"])
        product = self._call("GET", f"/stores-reader/v1/products/{external_id}")["product"]
        self._remember_v1_variants(product)
        return mapping.product_from_v1(product)

    def iter_orders(self, updated_since: datetime | None = None, *, statuses: Sequence[str] | None = None,
                    limit: int | None = None) -> Iterator[Order]:
        query: dict[str, Any] = {"sort": [{"fieldName": "updatedDate", "order": "ASC"}],
                                 "filter": {"status": {"$in": ORDER_STATUSES}}}
        if updated_since:
            query["filter"]["updatedDate"] = {"$gt": iso_ms(updated_since)}
        wanted = {s.upper() for s in statuses} if statuses else None
        count = 0
        for page in self._cursor_pages("/ecom/v1/orders/search", query, "orders", wrapper="search"):
            for raw in page:
                if (raw.get("status") or "").upper() == "INITIALIZED":  # never a real order
                    continue
                order = mapping.order_from_wix(raw, self.status_map)
                if wanted and (order.store_status or "").upper() not in wanted:
                    continue
                yield order
                count += 1
                if limit is not None and count >= limit:
                    return

    def get_order(self, external_id: str) -> Order:
        return mapping.order_from_wix(self._call("GET", f"/ecom/v1/orders/{external_id}")["order"], self.status_map)

    def iter_customers(self, updated_since: datetime | None = None) -> Iterator[Customer]:
        # updatedDate can be filtered but not sorted on (CON ContactQuerySpec): a stable createdDate order
        query: dict[str, Any] = {"sort": [{"fieldName": "createdDate", "order": "ASC"}]}
        if updated_since:
            query["filter"] = {"updatedDate": {"$gt": iso_ms(updated_since)}}
        offset = 0
        while True:
            data = self._call("POST", "/contacts/v4/contacts/query",
                              {"query": {**query, "paging": {"limit": CONTACT_PAGE, "offset": offset}}},
                              idempotent=True)
            contacts = data.get("contacts") or []
            for contact in contacts:
                yield mapping.customer_from_contact(contact)
            if len(contacts) < CONTACT_PAGE:
                return
            offset += len(contacts)

    def get_customer(self, external_id: str) -> Customer:
        return mapping.customer_from_contact(self._call("GET", f"/contacts/v4/contacts/{external_id}")["contact"])

    def read_stock(self, levels: Sequence[StockLevel]) -> list[StockLevel]:
        if self.is_v3:
            items = self._lookup_items_v3(levels)
            return [mapping.stock_from_v3_item(items[i]) for i, _ in enumerate(levels) if i in items]
        resolved = self._resolve_v1(levels)
        product_ids = sorted({pid for pid, _ in resolved.values()})
        by_product: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(product_ids, PAGE):
            query = {"filter": json.dumps({"productId": {"$in": list(chunk)}}), "paging": {"limit": PAGE}}
            for item in self._call("POST", "/stores-reader/v2/inventoryItems/query", {"query": query},
                                   idempotent=True).get("inventoryItems") or []:
                by_product[item["productId"]] = item
        result = []
        for index, level in enumerate(levels):
            if index not in resolved:
                continue
            pid, vid = resolved[index]
            for found in mapping.stock_from_v1_item(by_product.get(pid, {})):
                if found.variant_id == vid:
                    found.sku = level.sku
                    result.append(found)
        return result

    # ------------------------------------------------------------ products
    def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        creates, repeats = _one_row_per_sku([(i, p) for i, p in enumerate(products) if not p.external_id])
        updates = [(i, p) for i, p in enumerate(products) if p.external_id]
        if self.is_v3:
            results = self._create_products_v3(creates)
            for chunk in self._product_chunks(updates):
                try:
                    results.update(self._update_products_v3(chunk))
                except SyncError as exc:
                    results.update(_failed_chunk(chunk, exc))
        else:
            results = {i: self._upsert_product_v1(p) for i, p in sorted(creates + updates)}
        for repeat, sent in repeats.items():  # the same product queued twice: one write, one outcome for both
            results[repeat] = replace(results[sent])
        return [results[i] for i in range(len(products))]

    def _create_products_v3(self, creates: list[tuple[int, Product]]) -> dict[int, WriteResult]:
        results: dict[int, WriteResult] = {}
        for chunk in self._product_chunks(creates):
            try:
                found = self._existing_by_sku(chunk)  # a create whose answer was lost made these already
            except SyncError as exc:
                results.update(_failed_chunk(chunk, exc))
                continue
            results.update(found)
            chunk = [(i, p) for i, p in chunk if i not in found]
            if not chunk:
                continue
            bodies = [mapping.product_to_v3(p) for _, p in chunk]
            try:
                data = self._call("POST", "/stores/v3/bulk/products-with-inventory/create",
                                  {"products": bodies, "returnEntity": True}, idempotent=False)
            except SyncError as exc:
                results.update(_failed_chunk(chunk, exc))
                continue
            # {productResults: {results, bulkActionMetadata}, inventoryResults} (P3 meta.d.ts)
            results.update(self._product_results(chunk, (data.get("productResults") or {}).get("results")))
        return results

    @staticmethod
    def _product_chunks(rows: list[tuple[int, Product]]) -> Iterator[list[tuple[int, Product]]]:
        """Per bulk request at most 100 products, 1,000 variants and 100 options in total."""
        chunk: list[tuple[int, Product]] = []
        variants = options = 0
        for row in rows:
            count = max(1, len(row[1].variants))
            opts = len(mapping.option_names(row[1]))
            if chunk and (len(chunk) >= BULK or variants + count > BULK_VARIANTS or options + opts > BULK_OPTIONS):
                yield chunk
                chunk, variants, options = [], 0, 0
            chunk.append(row)
            variants += count
            options += opts
        if chunk:
            yield chunk

    def _existing_by_sku(self, chunk: list[tuple[int, Product]]) -> dict[int, WriteResult]:
        """Products to create that the store already has, found by SKU (one inventory query per chunk).

        Creates are not idempotent: when a create's answer is lost after Wix committed, the job retry
        finds the product here instead of making a second copy.
        """
        wanted = {v.sku: index for index, p in chunk for v in p.variants if v.sku}
        if not wanted:
            return {}
        owners: dict[int, str] = {}
        levels = [StockLevel(sku=sku, quantity=Decimal(0)) for sku in wanted]
        for position, item in self._lookup_items_v3(levels).items():
            owners.setdefault(wanted[str(levels[position].sku)], str(item.get("productId")))
        if not owners:
            return {}
        products = self._fetch_v3_products(sorted(set(owners.values())))
        results: dict[int, WriteResult] = {}
        for index, product in chunk:
            found = products.get(owners.get(index, ""))
            if found is not None:
                results[index] = _product_written(product, found, data={"found_existing": True})
        return results

    def _fetch_v3_products(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Current products with their variants, two calls per 100 ids."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids, PAGE):
            for page in self._cursor_pages("/stores/v3/products/query", {"filter": {"id": {"$in": list(chunk)}}},
                                           "products", extra={"fields": PRODUCT_FIELDS}):
                for product in page:
                    found[product["id"]] = product
        variants = self._variants_of(list(found)) if found else {}
        for pid, product in found.items():
            product["variantsInfo"] = {"variants": variants.get(pid, [])}
        return found

    def _update_products_v3(self, chunk: list[tuple[int, Product]]) -> dict[int, WriteResult]:
        needs_read = [p.external_id for _, p in chunk
                      if p.revision is None or any(v.external_id is None for v in p.variants)]
        existing = self._fetch_v3_products([str(x) for x in needs_read]) if needs_read else {}
        results = self._send_v3_updates(chunk, existing)
        stale = [(i, p) for i, p in chunk if results[i].error and "REVISION_MISMATCH" in results[i].error]
        if stale:  # someone else wrote in between: re-read and try once more
            fresh = self._fetch_v3_products([str(p.external_id) for _, p in stale])
            retry_rows = [(i, _without_revision(p)) for i, p in stale]
            results.update(self._send_v3_updates(retry_rows, fresh))
        return results

    def _send_v3_updates(self, chunk: list[tuple[int, Product]],
                         existing: dict[str, dict[str, Any]]) -> dict[int, WriteResult]:
        bodies = [{"product": mapping.product_to_v3(p, existing.get(str(p.external_id)))} for _, p in chunk]
        # revisioned update: a repeat is refused as stale, never applied twice
        data = self._call("POST", "/stores/v3/bulk/products/update", {"products": bodies, "returnEntity": True},
                          idempotent=True)
        return self._product_results(chunk, data.get("results"))

    def _product_results(self, chunk: list[tuple[int, Product]],
                         rows: list[dict[str, Any]] | None) -> dict[int, WriteResult]:
        results: dict[int, WriteResult] = {}
        slots = {r.get("itemMetadata", {}).get("originalIndex", n): r for n, r in enumerate(rows or [])}
        for position, (index, product) in enumerate(chunk):
            slot = slots.get(position) or {}
            meta = slot.get("itemMetadata") or {}
            key = _product_key(product)
            if not meta.get("success"):
                error = meta.get("error") or {"code": "MISSING_RESULT", "description": "no result for this item"}
                results[index] = WriteResult(key=key, ok=False, external_id=product.external_id,
                                             error=f"{error.get('code')}: {error.get('description')}",
                                             retryable=error.get("code") in ("REVISION_MISMATCH", "MISSING_RESULT"))
                continue
            item = slot.get("item") or {}
            results[index] = _product_written(product, {**item, "id": meta.get("id") or item.get("id")})
        return results

    def _upsert_product_v1(self, product: Product) -> WriteResult:
        """V1 has no bulk product write: create/PATCH the product, then its variants (1-2 calls)."""
        key = _product_key(product)
        try:
            body = mapping.product_to_v1(product)
            saved = None if product.external_id else self._v1_existing(product)
            if product.external_id:
                saved = self._call("PATCH", f"/stores/v1/products/{product.external_id}", {"product": body})["product"]
            elif saved is None:  # not idempotent: the look-up above finds what a lost answer made
                saved = self._call("POST", "/stores/v1/products", {"product": body}, idempotent=False)["product"]
            variants = mapping.variants_to_v1(product)
            if variants:
                saved["variants"] = self._call("PATCH", f"/stores/v1/products/{saved['id']}/variants",
                                               {"variants": variants}).get("variants") or saved.get("variants")
            elif product.variants and product.variants[0].sku and saved.get("variants"):
                saved["variants"][0].setdefault("variant", {})["sku"] = product.variants[0].sku
        except SyncError as exc:
            return WriteResult(key=key, ok=False, external_id=product.external_id, error=str(exc),
                               retryable=exc.retryable or isinstance(exc, ConflictError))
        self._remember_v1_variants(saved)
        variants_out = [{"sku": (v.get("variant") or {}).get("sku"), "variant_id": v.get("id"),
                         "inventory_item_id": saved.get("inventoryItemId")} for v in saved.get("variants") or []]
        return WriteResult(key=key, ok=True, external_id=saved["id"], data={"variants": variants_out},
                           store_updated_at=utc(saved.get("lastUpdated")))

    # ------------------------------------------------------------ stock
    def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        valid: list[tuple[int, StockLevel, int]] = []
        for index, level in enumerate(levels):
            quantity = _whole(level.quantity)
            if quantity is None:
                results[index] = WriteResult(key=stock_key(level), ok=False,
                                             error=f"Wix stock must be a whole number >= 0, got {level.quantity}")
            else:
                valid.append((index, level, quantity))
        if self.is_v3:
            results.update(self._set_stock_v3(valid))
        else:
            results.update(self._set_stock_v1(valid))
        return [results[i] for i in range(len(levels))]

    def _item_key(self, level: StockLevel) -> tuple[str, str | None]:
        return (level.variant_id or level.sku or "", level.location_id)

    def _lookup_items_v3(self, levels: Sequence[StockLevel]) -> dict[int, dict[str, Any]]:
        """Inventory items (id + revision) for levels, by SKU or variant id: one query per 100 levels."""
        found: dict[int, dict[str, Any]] = {}
        by_variant = [(i, lv) for i, lv in enumerate(levels) if lv.variant_id]
        by_sku = [(i, lv) for i, lv in enumerate(levels) if not lv.variant_id and lv.sku]
        for rows, field, attr in ((by_variant, "variantId", "variant_id"), (by_sku, "product.variantSku", "sku")):
            for chunk in _chunks(rows, PAGE):
                values = sorted({getattr(lv, attr) for _, lv in chunk})
                items: list[dict[str, Any]] = []
                query = {"filter": {field: {"$in": values}}}
                for page in self._cursor_pages("/stores/v3/inventory-items/query", query, "inventoryItems",
                                               INVENTORY_PAGE):
                    items += page
                for index, level in chunk:
                    match = self._pick_item(items, attr, getattr(level, attr), level.location_id)
                    if match is not None:
                        found[index] = match
        return found

    def _pick_item(self, items: list[dict[str, Any]], attr: str, value: str,
                   location: str | None) -> dict[str, Any] | None:
        def ident(item: dict[str, Any]) -> str | None:
            return item.get("variantId") if attr == "variant_id" else (item.get("product") or {}).get("variantSku")

        candidates = [it for it in items if ident(it) == value]
        if location:
            candidates = [it for it in candidates if it.get("locationId") == location]
        elif len(candidates) > 1:  # several locations: None means the store's default one
            default = self._default_location_id()
            candidates = [it for it in candidates if it.get("locationId") == default]
        return candidates[0] if candidates else None

    def _set_stock_v3(self, rows: list[tuple[int, StockLevel, int]]) -> dict[int, WriteResult]:
        results: dict[int, WriteResult] = {}
        items: dict[int, dict[str, Any]] = {}
        unknown: list[tuple[int, StockLevel, int]] = []
        for index, level, quantity in rows:
            cached = self._item_cache.get(self._item_key(level))
            if level.inventory_item_id and level.revision:
                items[index] = {"id": level.inventory_item_id, "revision": level.revision,
                                "variantId": level.variant_id, "productId": level.product_id,
                                "locationId": level.location_id}
            elif cached is not None:
                items[index] = cached
            else:
                unknown.append((index, level, quantity))
        try:
            looked_up = self._lookup_items_v3([lv for _, lv, _ in unknown])
        except SyncError as exc:  # the lookup failed: those rows fail (retryably), the known ones still go
            for index, level, _ in unknown:
                results[index] = WriteResult(key=stock_key(level), ok=False, error=f"lookup failed: {exc}",
                                             retryable=exc.retryable)
            unknown, looked_up = [], {}
        for position, (index, level, _) in enumerate(unknown):
            if position in looked_up:
                items[index] = looked_up[position]
            else:
                results[index] = WriteResult(key=stock_key(level), ok=False,
                                             error=f"no Wix inventory item for {level.sku or level.variant_id} at "
                                                   f"{level.location_id or 'the default location'}")
        pending = [(i, lv, q) for i, lv, q in rows if i in items]
        stale = self._push_items(pending, items, results)
        if stale:  # revisions moved since we read them: re-read those items once and retry
            fresh = self._lookup_items_v3([_without_item_ids(lv) for _, lv, _ in stale])
            for position, (index, _, _) in enumerate(stale):
                if position in fresh:
                    items[index] = fresh[position]
            self._push_items([r for p, r in enumerate(stale) if p in fresh], items, results, final=True)
        return results

    def _push_items(self, rows: list[tuple[int, StockLevel, int]], items: dict[int, dict[str, Any]],
                    results: dict[int, WriteResult], final: bool = False) -> list[tuple[int, StockLevel, int]]:
        stale: list[tuple[int, StockLevel, int]] = []
        for chunk in _chunks(rows, BULK_INVENTORY):
            body = {"inventoryItems": [{"inventoryItem": {"id": items[i]["id"], "revision": items[i]["revision"],
                                                          "trackQuantity": True, "quantity": q}}
                                       for i, _, q in chunk], "returnEntity": True}
            try:
                # absolute quantities with a revision: a repeat is refused as stale, never applied twice
                data = self._call("POST", "/stores/v3/bulk/inventory-items/update", body, idempotent=True)
            except SyncError as exc:
                for index, level, _ in chunk:
                    results[index] = WriteResult(key=stock_key(level), ok=False, error=str(exc),
                                                 retryable=exc.retryable)
                continue
            slots = {r.get("itemMetadata", {}).get("originalIndex", n): r
                     for n, r in enumerate(data.get("results") or [])}
            for position, (index, level, _quantity) in enumerate(chunk):
                slot = slots.get(position) or {}
                meta = slot.get("itemMetadata") or {}
                if meta.get("success"):
                    item = slot.get("item") or {**items[index]}
                    self._item_cache[self._item_key(level)] = item
                    results[index] = WriteResult(key=stock_key(level), ok=True, external_id=item.get("id"), data={
                        "inventory_item_id": item.get("id"), "variant_id": item.get("variantId"),
                        "product_id": item.get("productId"), "location_id": item.get("locationId"),
                        "revision": item.get("revision")})
                    continue
                error = meta.get("error") or {}
                self._item_cache.pop(self._item_key(level), None)
                if error.get("code") == "REVISION_MISMATCH" and not final:
                    stale.append((index, level, _quantity))
                    continue
                results[index] = WriteResult(key=stock_key(level), ok=False,
                                             error=f"{error.get('code')}: {error.get('description')}",
                                             retryable=error.get("code") == "REVISION_MISMATCH")
        return stale

    def _v1_existing(self, product: Product) -> dict[str, Any] | None:
        """The V1 product that already carries one of ``product``'s SKUs (a create whose answer was lost)."""
        skus = [v.sku for v in product.variants if v.sku]
        if not skus:
            return None
        resolved = self._resolve_v1([StockLevel(sku=sku, quantity=Decimal(0)) for sku in skus])
        if not resolved:
            return None
        pid = next(iter(resolved.values()))[0]
        return self._call("GET", f"/stores-reader/v1/products/{pid}")["product"]

    def _resolve_v1(self, levels: Sequence[StockLevel]) -> dict[int, tuple[str, str]]:
        """V1 level -> (product id, variant id).

        V1 products can be filtered on the product ``sku`` only (P1 ProductQuerySpec has no variant SKU):
        unknown SKUs are looked up that way 100 at a time; variant SKUs still unknown after it come from
        one walk of the catalog (remembered for the connector's life).
        """
        resolved: dict[int, tuple[str, str]] = {}
        missing: list[tuple[int, StockLevel]] = []
        for index, level in enumerate(levels):
            if level.product_id and level.variant_id:
                resolved[index] = (level.product_id, level.variant_id)
            elif level.sku and level.sku in self._v1_variants:
                resolved[index] = self._v1_variants[level.sku]
            elif level.sku:
                missing.append((index, level))
        for chunk in _chunks(missing, PAGE):
            skus = sorted({str(lv.sku) for _, lv in chunk})
            query = {"filter": json.dumps({"sku": {"$in": skus}}), "paging": {"limit": PAGE}}
            for product in self._call("POST", V1_QUERY, {"query": query, "includeVariants": True},
                                      idempotent=True).get("products") or []:
                self._remember_v1_variants(product)
        if any(lv.sku not in self._v1_variants for _, lv in missing) and not self._v1_walked:
            self._v1_walked = True
            for _ in self._iter_products_v1(None):  # remembers every variant SKU on the way
                pass
        for index, level in missing:
            if level.sku in self._v1_variants:
                resolved[index] = self._v1_variants[str(level.sku)]
        return resolved

    def _set_stock_v1(self, rows: list[tuple[int, StockLevel, int]]) -> dict[int, WriteResult]:
        """V1/v2 inventory: one PATCH per product carrying all its variants' quantities."""
        results: dict[int, WriteResult] = {}
        try:
            resolved = self._resolve_v1([lv for _, lv, _ in rows])
        except SyncError as exc:
            return {i: WriteResult(key=stock_key(lv), ok=False, error=f"lookup failed: {exc}",
                                   retryable=exc.retryable) for i, lv, _ in rows}
        per_product: dict[str, list[tuple[int, StockLevel, int, str]]] = {}
        for position, (index, level, quantity) in enumerate(rows):
            if position not in resolved:
                results[index] = WriteResult(key=stock_key(level), ok=False,
                                             error=f"no Wix product variant with SKU {level.sku}")
                continue
            pid, vid = resolved[position]
            per_product.setdefault(pid, []).append((index, level, quantity, vid))
        for pid, entries in per_product.items():
            body = {"inventoryItem": {"trackQuantity": True,
                                      "variants": [{"variantId": vid, "quantity": q} for _, _, q, vid in entries]}}
            try:
                self._call("PATCH", f"/stores/v2/inventoryItems/product/{pid}", body)
                error = None
            except SyncError as exc:
                error = exc
            for index, level, _, vid in entries:
                results[index] = WriteResult(
                    key=stock_key(level), ok=error is None, external_id=vid if error is None else None,
                    error=str(error) if error else None, retryable=bool(error and error.retryable),
                    data=None if error else {"product_id": pid, "variant_id": vid})
        return results

    # ------------------------------------------------------------ orders
    def update_order_status(self, updates: Sequence[OrderStatusUpdate]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for update in updates:
            word = self.status_map.to_store(update.status)
            if word is None:
                results.append(WriteResult(key=update.order_id, ok=False,
                                           error=f"no Wix status is mapped for {update.status.value}"))
            elif word == "CANCELED":
                results += self.cancel_orders([update.order_id], reason=update.note)
            elif word == "FULFILLED":
                [result] = self.create_fulfilments([Fulfilment(order_id=update.order_id)])
                if not result.ok and "nothing left to fulfil" in (result.error or ""):
                    result = WriteResult(key=update.order_id, ok=True, external_id=update.order_id,
                                         data={"already_fulfilled": True})
                results.append(result)
            elif word == "FULLY_REFUNDED":
                results.append(WriteResult(key=update.order_id, ok=False, error=REFUND_NOT_SUPPORTED))
            else:
                results.append(self._confirm_status(update.order_id, word))
        return results

    def _confirm_status(self, order_id: str, word: str) -> WriteResult:
        """Wix has no 'set status' write: succeed when the order already is in that state."""
        try:
            current = mapping.store_status_word(self._call("GET", f"/ecom/v1/orders/{order_id}")["order"])
        except SyncError as exc:
            return WriteResult(key=order_id, ok=False, error=str(exc), retryable=exc.retryable)
        if current == word:
            return WriteResult(key=order_id, ok=True, external_id=order_id, data={"store_status": current})
        return WriteResult(key=order_id, ok=False, error=f"Wix cannot move an order from {current} to {word}")

    def create_fulfilments(self, fulfilments: Sequence[Fulfilment]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        indexed = list(enumerate(fulfilments))
        for chunk in _chunks(indexed, BULK):
            order_ids = sorted({f.order_id for _, f in chunk})
            orders = self._orders_by_id(order_ids)
            self._fulfilments_cache = ([], [])
            done = self._fulfilled_quantities(order_ids)
            prepared: list[tuple[int, Fulfilment, dict[str, Any]]] = []
            made = self._marked_fulfilments(order_ids)
            for index, fulfilment in chunk:
                if fulfilment.external_id and (fulfilment.order_id, fulfilment.external_id) in made:
                    # an earlier attempt made it (its answer was lost): report it, never create it again
                    results[index] = WriteResult(key=fulfilment.order_id, ok=True, data={"found_existing": True},
                                                 external_id=made[(fulfilment.order_id, fulfilment.external_id)])
                    continue
                try:
                    body = self._fulfilment_body(fulfilment, orders.get(fulfilment.order_id), done)
                except (MappingError, NotFoundError) as exc:
                    results[index] = WriteResult(key=fulfilment.order_id, ok=False, error=str(exc))
                    continue
                prepared.append((index, fulfilment, body))
            if len(prepared) == 1:
                results.update(self._fulfil_one(*prepared[0]))
            elif prepared:
                results.update(self._fulfil_bulk(prepared))
        return [results[i] for i in range(len(fulfilments))]

    def _orders_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        orders: dict[str, dict[str, Any]] = {}
        query = {"filter": {"id": {"$in": ids}, "status": {"$in": ORDER_STATUSES}}}
        for page in self._cursor_pages("/ecom/v1/orders/search", query, "orders", wrapper="search"):
            orders.update({o["id"]: o for o in page})
        return orders

    def _fulfilments_of(self, ids: list[str]) -> list[dict[str, Any]]:
        if ids != self._fulfilments_cache[0]:
            data = self._call("POST", "/ecom/v1/fulfillments/list-by-ids", {"orderIds": ids}, idempotent=True)
            self._fulfilments_cache = (list(ids), data.get("ordersWithFulfillments") or [])
        return self._fulfilments_cache[1]

    def _marked_fulfilments(self, ids: list[str]) -> dict[tuple[str, str], str]:
        """(order id, ERP reference) -> Wix fulfilment id, from the marker this app writes in ``customInfo``."""
        made: dict[tuple[str, str], str] = {}
        for entry in self._fulfilments_of(ids):
            for fulfilment in entry.get("fulfillments") or []:
                ref = ((fulfilment.get("customInfo") or {}).get("fieldsData") or {}).get(FULFILMENT_MARKER)
                if ref:
                    made[(entry["orderId"], str(ref))] = fulfilment.get("id")
        return made

    def _fulfilled_quantities(self, ids: list[str]) -> dict[tuple[str, str], int]:
        done: dict[tuple[str, str], int] = {}
        for entry in self._fulfilments_of(ids):
            for fulfilment in entry.get("fulfillments") or []:
                for line in fulfilment.get("lineItems") or []:
                    key = (entry["orderId"], line["id"])
                    done[key] = done.get(key, 0) + int(line.get("quantity") or 0)
        return done

    @staticmethod
    def _fulfilment_body(fulfilment: Fulfilment, order: dict[str, Any] | None,
                         done: dict[tuple[str, str], int]) -> dict[str, Any]:
        if order is None:
            raise NotFoundError(f"Wix order {fulfilment.order_id} not found")
        lines = order.get("lineItems") or []
        by_id = {li["id"]: li for li in lines}
        by_sku = {(li.get("physicalProperties") or {}).get("sku"): li for li in lines}
        wanted: list[dict[str, Any]] = []
        if fulfilment.lines:
            for ref, quantity in fulfilment.lines:
                line = by_id.get(ref) or by_sku.get(ref)
                if line is None:
                    raise MappingError(f"order {fulfilment.order_id} has no line {ref}")
                wanted.append({"id": line["id"], "quantity": int(quantity)})
        else:
            for line in lines:
                left = int(line.get("quantity") or 0) - done.get((fulfilment.order_id, line["id"]), 0)
                if left > 0:
                    wanted.append({"id": line["id"], "quantity": left})
        if not wanted:
            raise NothingToFulfil(f"order {fulfilment.order_id} has nothing left to fulfil")
        body: dict[str, Any] = {"lineItems": wanted}
        tracking = {k: v for k, v in {"trackingNumber": fulfilment.tracking_number,
                                      "shippingProvider": fulfilment.tracking_company,
                                      "trackingLink": fulfilment.tracking_url}.items() if v}
        if tracking:
            body["trackingInfo"] = tracking
        if fulfilment.external_id:  # the ERP document: found again if this create's answer is lost
            body["customInfo"] = {"fieldsData": {FULFILMENT_MARKER: fulfilment.external_id}}
        return body

    def _fulfil_one(self, index: int, fulfilment: Fulfilment, body: dict[str, Any]) -> dict[int, WriteResult]:
        try:
            data = self._call("POST", f"/ecom/v1/fulfillments/orders/{fulfilment.order_id}/create-fulfillment",
                              {"fulfillment": body}, idempotent=False)
        except SyncError as exc:
            return {index: WriteResult(key=fulfilment.order_id, ok=False, error=str(exc), retryable=exc.retryable)}
        return {index: WriteResult(key=fulfilment.order_id, ok=True, external_id=data.get("fulfillmentId"),
                                   data={"line_items": body["lineItems"]})}

    def _fulfil_bulk(self, prepared: list[tuple[int, Fulfilment, dict[str, Any]]]) -> dict[int, WriteResult]:
        payload = {"ordersWithFulfillments": [{"orderId": f.order_id, "fulfillments": [b]} for _, f, b in prepared]}
        results: dict[int, WriteResult] = {}
        try:
            data = self._call("POST", "/ecom/v1/fulfillments/orders/bulk/create-fulfillments", payload,
                              idempotent=False)
        except SyncError as exc:
            return {i: WriteResult(key=f.order_id, ok=False, error=str(exc), retryable=exc.retryable)
                    for i, f, _ in prepared}
        slots = {r.get("itemMetadata", {}).get("originalIndex", n): r for n, r in enumerate(data.get("results") or [])}
        for position, (index, fulfilment, body) in enumerate(prepared):
            meta = (slots.get(position) or {}).get("itemMetadata") or {}
            if meta.get("success"):  # BulkOrderFulfillmentsResult: {itemMetadata, ordersWithFulfillments}
                made = ((slots[position].get("ordersWithFulfillments") or {}).get("fulfillments") or [{}])[-1]
                results[index] = WriteResult(key=fulfilment.order_id, ok=True, external_id=made.get("id"),
                                             data={"line_items": body["lineItems"]})
            else:
                error = meta.get("error") or {}
                results[index] = WriteResult(key=fulfilment.order_id, ok=False,
                                             error=f"{error.get('code')}: {error.get('description')}")
        return results

    def cancel_orders(self, order_ids: Sequence[str], reason: str | None = None) -> list[WriteResult]:
        results = []
        for order_id in order_ids:
            try:
                self._call("POST", f"/ecom/v1/orders/{order_id}/cancel",
                           {"sendOrderCanceledEmail": False, "restockAllItems": False}, idempotent=False)
                results.append(WriteResult(key=order_id, ok=True, external_id=order_id))
            except ValidationError as exc:
                # no "already canceled" code is documented: look at the order (an earlier attempt whose
                # answer was lost, or a cancel on the store, is success)
                results.append(self._already_cancelled(order_id) or WriteResult(key=order_id, ok=False,
                                                                                  error=str(exc)))
            except SyncError as exc:
                results.append(WriteResult(key=order_id, ok=False, error=str(exc), retryable=exc.retryable))
        return results

    def _already_cancelled(self, order_id: str) -> WriteResult | None:
        try:
            order = self._call("GET", f"/ecom/v1/orders/{order_id}")["order"]
        except SyncError:
            return None
        if (order.get("status") or "").upper() != "CANCELED":
            return None
        return WriteResult(key=order_id, ok=True, external_id=order_id, data={"already_cancelled": True})

    def record_refunds(self, refunds: Sequence[Refund]) -> list[WriteResult]:
        """Payments Collector (``@wix/auto_sdk_ecom_orders``): ``GET .../refundability`` names the payment, then
        ``POST .../trigger-refund`` refunds it with the credited lines (restocked when the refund restocks).
        The money moves only when the store's setting says so; otherwise ``externalRefund`` records a refund
        made elsewhere. Not idempotent and nothing to look for afterwards: a lost answer is a final, visible
        error (REFUND_LOST), never a second refund."""
        results = []
        for refund in refunds:
            key = refund.external_id or refund.order_id
            try:
                results.append(self._trigger_refund(refund, key))
            except AmbiguousWriteError:
                results.append(WriteResult(key=key, ok=False, retryable=False, error=REFUND_LOST.format(order=refund.order_id)))
            except SyncError as exc:
                results.append(WriteResult(key=key, ok=False, error=str(exc), retryable=exc.retryable))
        return results

    def _trigger_refund(self, refund: Refund, key: str) -> WriteResult:
        if not refund.amount:
            return WriteResult(key=key, ok=False, error="Wix trigger-refund refunds money: a return with no amount "
                                                        "(a return Delivery Note) has no Wix write; restock on Wix by hand")  # fmt: skip
        money_moves = self.config.options.get("api_refund") is True
        order = self._call("GET", f"/ecom/v1/orders/{refund.order_id}")["order"]
        rows = (self._call("GET", f"/ecom/v1/payments-collector/orders/{refund.order_id}/refundability")
                .get("refundabilities") or [])  # fmt: skip
        wanted = ("REFUNDABLE",) if money_moves else ("REFUNDABLE", "MANUAL")
        payment = next((r for r in rows if r.get("refundabilityStatus") in wanted), None)
        if payment is None:
            reasons = ", ".join(r.get("nonRefundableReason") or r.get("manuallyRefundableReason") or "?" for r in rows)
            return WriteResult(key=key, ok=False, error=f"Wix: order {refund.order_id} cannot be refunded ({reasons or 'no payment'})")
        lines = self._refund_line_items(refund, order)
        body: dict[str, Any] = {
            "payments": [{"paymentId": payment["paymentId"], "amount": {"amount": f"{refund.amount:.2f}"},
                          "externalRefund": not money_moves}],
            "details": {"lineItems": lines, "reason": (refund.reason or f"ERPNext {refund.external_id or ''}".strip())[:200]},
            "sideEffects": {"sendOrderRefundedEmail": False,
                            "restockInfo": {"type": "SOME_ITEMS", "items": lines} if refund.restock and lines else {"type": "NO_ITEMS"}},
        }  # fmt: skip
        answer = self._call("POST", f"/ecom/v1/payments-collector/orders/{refund.order_id}/trigger-refund", body,
                            idempotent=False)  # fmt: skip
        return WriteResult(key=key, ok=True, external_id=answer.get("refundId"), data={"api_refund": money_moves})

    @staticmethod
    def _refund_line_items(refund: Refund, order: dict[str, Any]) -> list[dict[str, Any]]:
        """(sku or line id, qty) -> Wix ``{lineItemId, quantity}``."""
        out = []
        for ref, qty in refund.lines:
            line = next((li for li in order.get("lineItems") or []
                         if ref in (li.get("id"), (li.get("physicalProperties") or {}).get("sku"))), None)  # fmt: skip
            if line is None:
                raise ValidationError(f"Wix order {refund.order_id} has no line {ref!r}")
            out.append({"lineItemId": line["id"], "quantity": int(qty)})
        return out

    # ------------------------------------------------------------ customers
    def upsert_customers(self, customers: Sequence[Customer]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        for chunk in _chunks(list(enumerate(customers)), BULK):
            ids = [c.external_id for _, c in chunk if c.external_id and c.revision is None]
            emails = [c.email for _, c in chunk if not c.external_id and c.email]
            phones = [c.phone for _, c in chunk if not c.external_id and not c.email and c.phone]
            known = self._contacts_where("id", ids)
            by_email = {(c.get("primaryInfo") or {}).get("email"): c for c in self._contacts_where(
                "primaryInfo.email", emails).values()}
            by_phone = {(c.get("primaryInfo") or {}).get("phone"): c for c in self._contacts_where(
                "primaryInfo.phone", phones).values()}
            for index, customer in chunk:
                match = by_email.get(customer.email) if customer.email else by_phone.get(customer.phone)
                results[index] = self._upsert_customer(customer, known, match)
        return [results[i] for i in range(len(customers))]

    def _contacts_where(self, field: str, values: list[Any]) -> dict[str, dict[str, Any]]:
        if not values:
            return {}
        data = self._call("POST", "/contacts/v4/contacts/query", {"query": {
            "filter": {field: {"$in": sorted(set(values))}}, "paging": {"limit": CONTACT_PAGE}}}, idempotent=True)
        return {c["id"]: c for c in data.get("contacts") or []}

    def _upsert_customer(self, customer: Customer, known: dict[str, dict[str, Any]],
                         match: dict[str, Any] | None) -> WriteResult:
        """``match``: the store contact with the customer's e-mail (or phone, when it has no e-mail)."""
        key = customer.email or customer.external_id or customer.display_name
        info = mapping.contact_info_from_customer(customer)
        try:
            target = customer.external_id or (match or {}).get("id")
            if target:
                revision = customer.revision or (known.get(target) or match or {}).get("revision")
                contact = self._patch_contact(target, revision, info)
            else:
                # not idempotent: a lost answer is found on the job retry by the look-up above
                contact = self._call("POST", "/contacts/v4/contacts", {"info": info, "allowDuplicates": False},
                                     idempotent=False)["contact"]
        except SyncError as exc:
            return WriteResult(key=key, ok=False, external_id=customer.external_id, error=str(exc),
                               retryable=exc.retryable)
        return WriteResult(key=key, ok=True, external_id=contact["id"], data={"revision": contact.get("revision")},
                           store_updated_at=utc(contact.get("updatedDate")))

    def _patch_contact(self, contact_id: str, revision: Any, info: dict[str, Any]) -> dict[str, Any]:
        if revision is None:
            revision = self._call("GET", f"/contacts/v4/contacts/{contact_id}")["contact"]["revision"]
        try:
            return self._call("PATCH", f"/contacts/v4/contacts/{contact_id}",
                              {"revision": _int_revision(revision), "info": info})["contact"]
        except StaleRevisionError:  # CONTACT_ALREADY_CHANGED: someone wrote in between; re-read once
            revision = self._call("GET", f"/contacts/v4/contacts/{contact_id}")["contact"]["revision"]
            return self._call("PATCH", f"/contacts/v4/contacts/{contact_id}",
                              {"revision": _int_revision(revision), "info": info})["contact"]

    # ------------------------------------------------------------ webhooks
    def _key(self) -> Any:
        pem = self.config.webhook_secret
        if self._public_key is None or pem != self._public_key_pem:  # load once; RSA parsing is the slow part
            self._public_key = webhooks.load_public_key(pem)
            self._public_key_pem = pem
        return self._public_key

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        webhooks.decode_jwt(body, self._key())

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        claims = webhooks.decode_jwt(body, self._key())
        try:
            return webhooks.event_from_envelope(webhooks.open_envelope(claims), self.status_map)
        except (ValueError, TypeError, AttributeError) as exc:  # signed, yet fields of the wrong type: refused, said
            raise MappingError(f"Wix webhook payload: {type(exc).__name__}: {exc}") from exc

    @property
    def _admin_path(self) -> str | None:
        """Where subscriptions are managed. Real Wix: nowhere (the app dashboard). The simulator serves
        ``/_sim/webhooks``; it is the default only for a plain-http loopback base URL, which
        ``validate_store_url`` admits for the sandbox alone."""
        options = self.config.options or {}
        if "webhook_admin_path" in options:
            return options["webhook_admin_path"]
        return "/_sim/webhooks" if self.http.base_url.startswith("http://") else None

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookRegistration]:
        """Wix subscriptions live in the app dashboard (Develop > Webhooks), not in a public API.

        Without ``options["webhook_admin_path"]`` (the simulator's stand-in for the dashboard) the
        registrations come back inactive: they list what must be configured in the dashboard.
        """
        if not self._admin_path:
            return [WebhookRegistration(external_id=f"dashboard:{t}", topic=t, address=address, active=False)
                    for t in topics]
        registrations = []
        for topic in topics:
            sub = self._call("POST", self._admin_path, {"eventType": topic, "uri": address},
                             idempotent=False)["subscription"]
            registrations.append(WebhookRegistration(external_id=sub["id"], topic=topic, address=address))
        return registrations

    def list_webhooks(self) -> list[WebhookRegistration]:
        if not self._admin_path:
            return []
        subs = self._call("GET", self._admin_path).get("subscriptions") or []
        return [WebhookRegistration(external_id=s["id"], topic=s["eventType"], address=s["uri"]) for s in subs]

    def unregister_webhooks(self, address: str) -> int:
        if not self._admin_path:
            return 0
        return int(self._call("DELETE", self._admin_path, params={"uri": address}).get("deleted") or 0)


# ---------------------------------------------------------------- helpers


def _failed_chunk(chunk: list[tuple[int, Product]], exc: SyncError) -> dict[int, WriteResult]:
    """A whole bulk call failed: every row of it fails the same way."""
    return {i: WriteResult(key=_product_key(p), ok=False, external_id=p.external_id, error=str(exc),
                           retryable=exc.retryable) for i, p in chunk}


def _one_row_per_sku(rows: list[tuple[int, Product]]) -> tuple[list[tuple[int, Product]], dict[int, int]]:
    """Rows to create with one row per SKU, and (repeat index -> sent index) for the rows not sent.

    Two creates of one SKU in a call are one record queued twice (a job retried next to a newer job of the same
    Item): sending both makes two store products, and a look-first by SKU answers only one of them. The last row
    (the newest) is sent; the earlier ones share its outcome.
    """
    latest: dict[str, int] = {}  # sku -> index of the last row carrying it
    for index, product in rows:
        for sku in _skus(product):
            latest[sku] = index
    replaced_by: dict[int, int] = {}
    for index, product in rows:
        later = [latest[sku] for sku in _skus(product) if latest[sku] != index]
        if later:
            replaced_by[index] = max(later)
    repeats: dict[int, int] = {}
    for index in replaced_by:
        sent = index
        while sent in replaced_by:  # a row replaced by one that is itself replaced follows the chain
            sent = replaced_by[sent]
        repeats[index] = sent
    return [(i, p) for i, p in rows if i not in repeats], repeats


def _skus(product: Product) -> set[str]:
    return {v.sku for v in product.variants if v.sku}


def _product_key(product: Product) -> str:
    for variant in product.variants:
        if variant.sku:
            return variant.sku
    return product.handle or product.external_id or product.title


def _without_revision(product: Product) -> Product:
    return replace(product, revision=None)


def _without_item_ids(level: StockLevel) -> StockLevel:
    return replace(level, inventory_item_id=None, revision=None)


def _whole(quantity: Decimal | int | float | None) -> int | None:
    if quantity is None:
        return None
    value = Decimal(str(quantity))
    if value < 0 or value != value.to_integral_value():
        return None
    return int(value)


def _int_revision(revision: Any) -> Any:
    """Contacts' ``revision`` is a number (CON meta.d.ts); mappings keep it as text."""
    try:
        return int(revision)
    except (TypeError, ValueError):
        return revision


def _product_written(product: Product, saved: dict[str, Any], data: dict[str, Any] | None = None) -> WriteResult:
    variants = [{"sku": v.get("sku"), "variant_id": v.get("variantId") or v.get("id"), "inventory_item_id": None}
                for v in (saved.get("variantsInfo") or {}).get("variants") or []]
    return WriteResult(key=_product_key(product), ok=True, external_id=saved.get("id"),
                       data={"variants": variants, "revision": saved.get("revision"), **(data or {})},
                       store_updated_at=utc(saved.get("updatedDate")))
