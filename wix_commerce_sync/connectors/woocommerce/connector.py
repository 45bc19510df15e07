"""WooCommerce REST API v3 connector (``{site}/wp-json/wc/v3``).

Facts relied on: WooCommerce's own PHP source, pinned in the contract fixture
``testing/contracts/woocommerce/rest_v3.json`` (the simulator enforces it; file references there).

- Auth: consumer key/secret by HTTP Basic over HTTPS. When the host drops the
  Authorization header WooCommerce answers 401 ("Consumer key is missing" /
  "cannot list resources"): the connector switches this store to query-string
  auth once and retries (``self.auth_mode`` then reads "query"; persist it as
  ``options["auth_mode"] = "query"`` to start there). Plain HTTP only to loopback.
- Reads page with ``per_page=100`` ordered by id (stable pages); incremental reads
  use ``modified_after`` + ``dates_are_gmt=true`` and are sorted client-side by
  ``date_modified_gmt`` (ordering by modified is not confirmed).
  Customers have no modified filter in WooCommerce: ``iter_customers(since)``
  scans all customers (ceil(N/100) calls) and filters client-side, with
  ``role=all`` (WooCommerce lists only role "customer" by default).
- Writes go through the batch endpoints (<= 100 objects per call); per-row errors
  come from the item slots (``{"id", "error": {code, message, data.status}}``).
- Stock: one number per simple product / variation (``capabilities.locations`` is
  False; the ERP side sums warehouses). Rows carry ids or only a sku; skus are
  resolved with ``GET /products?sku=a,b,...`` (matches variations too, 100 per
  call) and cached per connector instance, also from every product read/write.
  A row with a product id but no variation id goes by its sku: the id may be a
  variable parent, which WooCommerce lets keep stock (its variations then answer
  ``manage_stock: "parent"``), so a variant's stock never goes to one. A new simple
  product or variation of a stock item is created with ``manage_stock: true``.
- Refunds are recorded with ``api_refund: false`` unless ``options["api_refund"]``
  is True (WooCommerce's default would move money through the gateway). Every refund
  failure comes back as HTTP 500 ``woocommerce_rest_cannot_create_order_refund`` after
  WooCommerce deleted the refund: a final ValidationError, never retried. The create
  answer has no ``refunded_payment`` (context "edit"), so none is reported.
- No blind retry: reads and writes by id (GET/PUT/DELETE, update-only batches) retry in
  place; WooCommerce has no idempotency key, so a create is sent once and a lost answer is
  an AmbiguousWriteError (the engine retries the job). Every create looks first for what a
  lost attempt made: products/variations by sku (or slug), orders by their
  ``_erp_order_id`` meta among orders created since the ERP order, refunds by their
  ``_erp_refund_id`` meta (or amount + reason), notes by their text, customers by email
  (WooCommerce refuses a second account for it).
- Updates keep store data WooCommerce would otherwise replace: the product's attribute list
  is sent whole (global ``pa_*`` ones by id, non-variation ones kept), and ``type`` is sent
  only for simple/variable products. A stock write WooCommerce answered without applying
  (store-wide stock management off) is a row failure. Order lines go by product/variation
  id (a posted sku would win over the ids), by sku only when no id is known, and a line
  whose product the store lacks fails the order instead of making a product-less line.
- Webhooks: HMAC-SHA256 base64 of the raw body (``X-WC-Webhook-Signature``); the
  unsigned form ping ``webhook_id=N`` is accepted only in exactly that shape.
  ``register_webhooks`` uses ``config.webhook_secret`` or generates one and stores
  it in ``self.config.webhook_secret`` (and ``self.generated_webhook_secret``) so
  the shell can save it. WooCommerce never retries and disables a webhook after
  7 consecutive failures (a count re-activating does not reset: only a delivered
  event does): ``check_webhooks(address)`` re-activates or re-creates.
  The delivery id is ``wp_hash(webhook id . current second)``, shared by every delivery
  of a webhook within a second: the dedupe key is topic + resource id +
  ``date_modified_gmt`` (body hash for id-only deleted payloads). ``*.deleted`` parses to
  a ``DeletedRecord``. Product payloads list variations by id: they are read.
  The store is identified by the endpoint the shell routes to, never by the
  spoofable ``X-WC-Webhook-Source`` header (it is not read at all).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from typing import Any, TypeVar

import requests
from requests.auth import HTTPBasicAuth

from wix_commerce_sync.connectors.base import (
    Capabilities,
    ConnectionInfo,
    Connector,
    StoreConfig,
    WebhookEvent,
    WebhookRegistration,
    lower_headers,
    payload_errors_refused,
    stock_key,
)
from wix_commerce_sync.connectors.http import HttpClient, TokenBucket, excerpt, redact, validate_store_url
from wix_commerce_sync.connectors.signing import verify_hmac_b64
from wix_commerce_sync.connectors.woocommerce import mapping as wc
from wix_commerce_sync.sync.errors import (
    AuthError,
    ConfigurationError,
    NotFoundError,
    SyncError,
    ValidationError,
)
from wix_commerce_sync.sync.models import (
    Customer,
    DeletedRecord,
    Entity,
    Fulfilment,
    Location,
    Order,
    OrderStatus,
    OrderStatusUpdate,
    Platform,
    Product,
    Refund,
    StockLevel,
    Variant,
    WriteResult,
    utc,
)
from wix_commerce_sync.sync.status_map import StatusMap

API_PATH = "/wp-json/wc/v3"
PAGE_SIZE = 100
BATCH_SIZE = 100
STALE_VARIATION = "woocommerce_rest_product_variation_invalid_id"  # a variation id this product does not have
SKU_QUERY_CHARS = 1800  # keep lookup URLs well under common 8 KB limits
PING_BODY = re.compile(rb"webhook_id=\d{1,20}")
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
_HEADER_DROPPED_CODES = ("woocommerce_rest_cannot_",)  # unauthenticated request: header never arrived
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
IDEMPOTENT_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"  # REF3: every wc_create_refund failure, HTTP 500
ORDER_MARKER = "_erp_order_id"  # meta_data key on orders the ERP created: found again after a lost answer
REFUND_MARKER = "_erp_refund_id"
CREATE_LOOKBACK = timedelta(minutes=10)  # store/ERP clock skew when looking for an order a lost answer made
T = TypeVar("T")


class HostBlockedError(ConfigurationError):
    """The web host's firewall (ModSecurity-like) answered instead of WooCommerce (HTML 403/406/501).

    Not a credentials problem and not transient: the host must allow the REST API for this client.
    """


def chunked(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _sort_key(updated: datetime | None) -> datetime:
    return updated or _EPOCH


def _slot_error(slot: Any) -> dict[str, Any] | None:
    """The error object of a batch slot, or None when the item succeeded."""
    if not isinstance(slot, dict):
        return {"code": "invalid_response", "message": f"unexpected batch slot {slot!r}", "data": {"status": 500}}
    error = slot.get("error")
    return error if isinstance(error, dict) else None


def _failed(key: str, error: dict[str, Any]) -> WriteResult:
    status = (error.get("data") or {}).get("status") or 400
    message = f"{error.get('code', 'error')}: {error.get('message', '')}".strip()
    return WriteResult(key=key, ok=False, error=message, retryable=int(status) >= 500 or int(status) == 429)


def _call_failed(key: str, exc: SyncError) -> WriteResult:
    return WriteResult(key=key, ok=False, error=exc.message, retryable=exc.retryable)


class WooCommerceConnector(Connector):
    platform = Platform.WOOCOMMERCE
    capabilities = Capabilities(
        locations=False,
        order_creation=True,
        product_batch_size=BATCH_SIZE,
        stock_batch_size=BATCH_SIZE,
        customer_batch_size=BATCH_SIZE,
        order_batch_size=BATCH_SIZE,
        page_size=PAGE_SIZE,
        webhook_topics={
            Entity.ORDERS: ["order.created", "order.updated", "order.deleted"],
            Entity.ITEMS: ["product.created", "product.updated", "product.deleted"],
            Entity.STOCK: ["product.updated"],  # stock changes arrive as product/variation updates
            Entity.CUSTOMERS: ["customer.created", "customer.updated", "customer.deleted"],
        },
    )

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        site = validate_store_url(config.base_url, allow_insecure_loopback=config.allow_insecure_http)
        self.consumer_key = (config.credentials.get("consumer_key") or "").strip()
        self.consumer_secret = (config.credentials.get("consumer_secret") or "").strip()
        if not self.consumer_key or not self.consumer_secret:
            raise ConfigurationError(f"store {config.name!r}: consumer_key and consumer_secret are required")
        options = config.options
        self.auth_mode = "query" if options.get("auth_mode") == "query" else "basic"
        self._auth_switched = False
        timeout = options.get("timeout", (5.0, 30.0))
        rate = options.get("rate_per_second")
        self.http = HttpClient(
            site if site.endswith(API_PATH) else site + API_PATH,
            auth=HTTPBasicAuth(self.consumer_key, self.consumer_secret) if self.auth_mode == "basic" else None,
            timeout=tuple(timeout) if isinstance(timeout, (list, tuple)) else (float(timeout), float(timeout)),
            max_attempts=int(options.get("max_attempts", 5)),
            backoff_initial=float(options.get("backoff_initial", 0.5)),
            backoff_max=float(options.get("backoff_max", 30.0)),
            rate_limiter=TokenBucket(float(rate), float(options.get("rate_burst", rate))) if rate else None,
            secrets=config.secret_values(),
            error_hook=self._classify,
        )
        status_map = options.get("status_map")
        self.status_map: StatusMap = status_map if isinstance(status_map, StatusMap) else StatusMap.default(self.platform)
        self._sku_index: dict[str, tuple[str, str | None]] = {}  # sku -> (product/variation id, parent id)
        self._parent_of: dict[str, str | None] = {}  # product/variation id -> parent id (None: top level)
        self.generated_webhook_secret: str | None = None

    # ================================================================== HTTP
    def _classify(self, response: requests.Response) -> SyncError | None:
        """WooCommerce/host specifics before the generic mapping (429/5xx/404 stay generic)."""
        status = response.status_code
        if status < 400:
            return None
        where = f"{response.request.method if response.request else ''} {self._safe_url(response.url)}"
        content_type = response.headers.get("Content-Type", "")
        body = response.text[:2000]
        if status in (403, 405, 406, 501) and ("html" in content_type or body.lstrip().startswith("<")):
            return HostBlockedError(
                f"{where}: HTTP {status} HTML page from the web host's firewall (e.g. ModSecurity), not from "
                "WooCommerce; ask the host to allow the WooCommerce REST API (/wp-json/wc/v3) for this client",
                status=status,
            )
        if status == 500 and _error_code(response) == REFUND_REFUSED:
            # wc_create_refund failed and deleted its refund: nothing was made, and a resend fails the same way
            details = _json_or_none(response)
            return ValidationError(f"{where}: WooCommerce refused the refund: {details.get('message')}",
                                   status=status, details=details)
        if status in (401, 403):
            details = _json_or_none(response)
            code = details.get("code") if isinstance(details, dict) else None
            message = details.get("message") if isinstance(details, dict) else excerpt(body, self.http.secrets, 200)
            return AuthError(f"{where}: HTTP {status} {code or ''} {message or ''}".strip(), status=status, details=details)
        return None

    def _safe_url(self, url: str) -> str:
        return redact(url.split("?", 1)[0], self.http.secrets if hasattr(self, "http") else [])

    def _header_dropped(self, exc: AuthError) -> bool:
        details = exc.details if isinstance(exc.details, dict) else {}
        message = str(details.get("message") or "")
        code = str(details.get("code") or "")
        return exc.status == 401 and ("Consumer key is missing" in message or code.startswith(_HEADER_DROPPED_CODES))

    def _use_query_auth(self) -> None:
        self.auth_mode = "query"
        self._auth_switched = True
        self.http.session.auth = None

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
              idempotent: bool | None = None) -> requests.Response:
        """One API call, switching to query auth once if the header is dropped.

        Reads and writes by id (GET/PUT/DELETE, batch updates) are retried in place. WooCommerce has no
        idempotency key for creates, so a POST that creates is sent once: when its answer is lost the
        HTTP layer raises AmbiguousWriteError, the engine retries the job, and the create methods look
        first for what the lost attempt made (sku, marker meta_data, email, note text).
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        try:
            return self.http.request(method, path, params=self._params(params), json=json_body, idempotent=idempotent)
        except AuthError as exc:
            if self.auth_mode == "basic" and not self._auth_switched and self._header_dropped(exc):
                self._use_query_auth()  # a 401 before authentication: nothing was processed
                return self.http.request(method, path, params=self._params(params), json=json_body,
                                         idempotent=idempotent)
            raise

    def _params(self, params: dict[str, Any] | None) -> dict[str, Any]:
        params = dict(params or {})
        if self.auth_mode == "query":
            params.update(consumer_key=self.consumer_key, consumer_secret=self.consumer_secret)
        return params

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ValidationError(f"{method} {path}: answer is not JSON: {excerpt(response.text, self.http.secrets, 200)}") from exc

    def _pages(self, path: str, params: dict[str, Any] | None = None, *, max_rows: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of a collection: ``per_page=100``, follows X-WP-TotalPages (or a Link rel=next)."""
        page, seen = 1, 0
        while True:
            response = self._call("GET", path, params={**(params or {}), "per_page": PAGE_SIZE, "page": page})
            rows = response.json()
            if not isinstance(rows, list):
                raise ValidationError(f"GET {path}: expected a list, got {type(rows).__name__}")
            yield rows
            seen += len(rows)
            total_pages = response.headers.get("X-WP-TotalPages")
            more = page < int(total_pages) if total_pages else 'rel="next"' in response.headers.get("Link", "")
            if not rows or not more or (max_rows is not None and seen >= max_rows):
                return
            page += 1

    def _batch(self, path: str, create: Sequence[dict] = (), update: Sequence[dict] = (), delete: Sequence[int] = ()) -> dict[str, list]:
        body = {k: list(v) for k, v in (("create", create), ("update", update), ("delete", delete)) if v}
        if sum(len(v) for v in body.values()) > BATCH_SIZE:
            raise ValueError(f"a WooCommerce batch takes at most {BATCH_SIZE} objects")
        # updates by id and deletes may be resent; a batch that creates may not
        answer = self._json("POST", path, json_body=body, idempotent=not create)
        if not isinstance(answer, dict):
            raise ValidationError(f"POST {path}: unexpected batch answer")
        for key, sent in body.items():
            if len(answer.get(key) or []) != len(sent):
                raise ValidationError(f"POST {path}: batch answered {len(answer.get(key) or [])} {key} slots for {len(sent)}")
        return answer

    # ================================================================== connection
    def check_connection(self) -> ConnectionInfo:
        try:
            setting = self._json("GET", "/settings/general/woocommerce_currency")
        except SyncError as exc:
            return ConnectionInfo(ok=False, detail={"error": exc.message, "kind": type(exc).__name__})
        return ConnectionInfo(
            ok=True,
            shop_name=self.config.name,
            currency=setting.get("value") if isinstance(setting, dict) else None,
            detail={"auth_mode": self.auth_mode, "api": self.http.base_url},
        )

    def list_locations(self) -> list[Location]:
        return [Location(external_id="default", name="WooCommerce stock", active=True, is_default=True)]

    # ================================================================== reads
    def _since_params(self, updated_since: datetime | None) -> dict[str, Any]:
        if updated_since is None:
            return {}
        # one second of overlap: WooCommerce's filter is strictly "after" and times have second precision
        start = utc(updated_since) - timedelta(seconds=1)
        return {"modified_after": wc.wc_gmt(start), "dates_are_gmt": "true"}

    def _remember_product(self, data: dict[str, Any], parent_id: str | None = None) -> None:
        product_id = str(data.get("id"))
        parent = parent_id or (str(data["parent_id"]) if data.get("parent_id") else None)
        if data.get("type") == "simple" or data.get("type") == "variable":
            parent = None
        self._parent_of[product_id] = parent
        sku = wc.text(data.get("sku"))
        if sku:
            self._sku_index[sku] = (product_id, parent)

    def _variations(self, product_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in self._pages(f"/products/{product_id}/variations", {"orderby": "id", "order": "asc"}):
            rows.extend(page)
        for row in rows:
            self._remember_product(row, parent_id=str(product_id))
        return rows

    def _product(self, data: dict[str, Any]) -> Product:
        self._remember_product(data)
        variations = self._variations(str(data["id"])) if data.get("type") == "variable" else None
        return wc.product_from_wc(data, variations)

    def iter_products(self, updated_since: datetime | None = None) -> Iterator[Product]:
        """Ascending by modified time. A variable product costs one more call for its variations."""
        params = {"orderby": "id", "order": "asc", **self._since_params(updated_since)}
        if updated_since is None:  # full pass: stream page by page (memory stays flat)
            for page in self._pages("/products", params):
                yield from sorted((self._product(p) for p in page), key=lambda p: _sort_key(p.updated_at))
            return
        since = utc(updated_since)
        changed = [self._product(p) for page in self._pages("/products", params) for p in page]
        yield from sorted((p for p in changed if _sort_key(p.updated_at) >= since), key=lambda p: _sort_key(p.updated_at))

    def iter_orders(
        self,
        updated_since: datetime | None = None,
        *,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[Order]:
        params: dict[str, Any] = {"orderby": "id", "order": "asc", **self._since_params(updated_since)}
        if statuses:
            params["status"] = ",".join(statuses)
        if limit is not None and updated_since is None:
            params["order"] = "desc"  # the newest `limit` orders
        orders = [
            wc.order_from_wc(self._with_refund_details(o), self.status_map)
            for page in self._pages("/orders", params, max_rows=limit if updated_since is None else None)
            for o in page
        ]
        if updated_since is not None:
            since = utc(updated_since)
            orders = [o for o in orders if _sort_key(o.updated_at) >= since]
        orders.sort(key=lambda o: _sort_key(o.updated_at))
        yield from orders[:limit] if limit is not None else orders

    def iter_customers(self, updated_since: datetime | None = None) -> Iterator[Customer]:
        """WooCommerce has no modified filter for customers: scan by id, filter client-side."""
        since = utc(updated_since) if updated_since else None
        matched = [
            wc.customer_from_wc(c)
            for page in self._pages("/customers", {"orderby": "id", "order": "asc", "role": "all"})
            for c in page
        ]
        if since is not None:
            matched = [c for c in matched if _sort_key(c.updated_at) >= since]
        yield from sorted(matched, key=lambda c: _sort_key(c.updated_at))

    def get_product(self, external_id: str) -> Product:
        return self._product(self._json("GET", f"/products/{int(external_id)}"))

    def get_order(self, external_id: str) -> Order:
        return wc.order_from_wc(self._with_refund_details(self._json("GET", f"/orders/{int(external_id)}")), self.status_map)

    def _with_refund_details(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order's ``refunds`` carry only id, reason and total: their lines, taxes and whether money moved
        (``refunded_payment``) are read from ``GET /orders/{id}/refunds``, for orders that have refunds."""
        if not order.get("refunds"):
            return order
        details = {r.get("id"): r for page in self._pages(f"/orders/{int(order['id'])}/refunds") for r in page}
        return {**order, "refunds": [{**r, **details.get(r.get("id"), {})} for r in order["refunds"]]}

    def get_customer(self, external_id: str) -> Customer:
        return wc.customer_from_wc(self._json("GET", f"/customers/{int(external_id)}"))

    # ================================================================== stock
    def _lookup_skus(self, skus: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``GET /products?sku=a,b,...`` (variations included), up to 100 skus per call; fills the cache."""
        found: dict[str, dict[str, Any]] = {}
        for group in self._sku_groups(list(dict.fromkeys(skus))):
            params = {"sku": ",".join(group), "_fields": "id,sku,type,parent_id,manage_stock,stock_quantity,date_modified_gmt"}
            for page in self._pages("/products", params):
                for row in page:
                    self._remember_product(row)
                    sku = wc.text(row.get("sku"))
                    if sku in group:
                        found[sku] = row
        return found

    @staticmethod
    def _sku_groups(skus: list[str]) -> Iterator[list[str]]:
        group: list[str] = []
        length = 0
        for sku in skus:
            if group and (len(group) >= PAGE_SIZE or length + len(sku) + 1 > SKU_QUERY_CHARS):
                yield group
                group, length = [], 0
            group.append(sku)
            length += len(sku) + 1
        if group:
            yield group

    def _target(self, level: StockLevel) -> tuple[str, str | None] | None:
        """(id, parent id or None) from the row's own ids or the cache; None when a lookup is needed."""
        if level.variant_id and level.product_id:
            if level.variant_id == level.product_id:
                return level.variant_id, None
            return level.variant_id, level.product_id
        if level.sku and level.sku in self._sku_index:
            return self._sku_index[level.sku]
        if level.variant_id and level.variant_id in self._parent_of:
            return level.variant_id, self._parent_of[level.variant_id]
        if level.product_id and not level.variant_id and not level.sku:
            # a product id alone names the stock row only without a sku: a mapping made by a push may hold just the
            # parent of a variation, whose stock goes to the variation its sku finds, never to the variable parent
            return self._target_by_id(level.product_id)
        return None

    def _resolve(self, levels: Sequence[StockLevel]) -> list[tuple[str, str | None] | None]:
        targets = [self._target(level) for level in levels]
        missing_skus = [lv.sku for lv, t in zip(levels, targets) if t is None and lv.sku]
        if missing_skus:
            self._lookup_skus(missing_skus)
        for i, level in enumerate(levels):
            if targets[i] is None and level.sku in self._sku_index:
                targets[i] = self._sku_index[level.sku]
            elif targets[i] is None and level.variant_id:  # only a variation/product id: ask for its parent
                targets[i] = self._target_by_id(level.variant_id)
            elif targets[i] is None and level.product_id:  # its sku changed on the store: the product, if simple
                targets[i] = self._target_by_id(level.product_id)
        return targets

    def _target_by_id(self, ident: str) -> tuple[str, str | None] | None:
        """(id, parent id) of a simple product or variation by its id; None when the store has no such stock row
        (gone, or a variable product: its variations carry the stock)."""
        try:
            data = self._json("GET", f"/products/{int(ident)}", params={"_fields": "id,sku,type,parent_id"})
        except NotFoundError:
            return None
        self._remember_product(data)
        if data.get("type") == "variable":
            return None
        return ident, self._parent_of.get(ident)

    def read_stock(self, levels: Sequence[StockLevel]) -> list[StockLevel]:
        """Current quantities; rows that are unknown or not stock-managed are left out."""
        with_sku = [lv.sku for lv in levels if lv.sku]
        rows = self._lookup_skus(with_sku) if with_sku else {}
        out: list[StockLevel] = []
        for level in levels:
            data = rows.get(level.sku) if level.sku else None
            if data is None and not level.sku and (level.variant_id or level.product_id):
                target = self._target(level) or self._target_by_id(level.variant_id or level.product_id or "0")
                data = self._read_one(target) if target else None
            if not data or data.get("manage_stock") is not True or data.get("stock_quantity") is None:
                continue
            out.append(self._level_from(level, data))
        return out

    def _read_one(self, target: tuple[str, str | None]) -> dict[str, Any] | None:
        ident, parent = target
        path = f"/products/{parent}/variations/{ident}" if parent else f"/products/{ident}"
        try:
            return self._json("GET", path)
        except NotFoundError:
            return None

    def _level_from(self, level: StockLevel, data: dict[str, Any]) -> StockLevel:
        ident = str(data.get("id"))
        parent = self._parent_of.get(ident)
        return StockLevel(
            sku=level.sku or wc.text(data.get("sku")),
            quantity=Decimal(str(data.get("stock_quantity"))),
            location_id=level.location_id,
            variant_id=ident,
            product_id=parent or ident,
            updated_at=wc.gmt_time(data, "date_modified"),
        )

    def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Absolute quantities: simple products via /products/batch, variations per parent."""
        results: list[WriteResult | None] = [None] * len(levels)
        groups: OrderedDict[str, list[tuple[int, dict[str, Any]]]] = OrderedDict()
        for i, (level, target) in enumerate(zip(levels, self._resolve(levels))):
            key = stock_key(level)
            if target is None:
                named = f"sku {level.sku!r}" if level.sku else f"id {level.variant_id or level.product_id}"
                results[i] = WriteResult(key=key, ok=False, error=f"no WooCommerce product or variation with {named}"
                                                                  " whose stock can be set")
                continue
            ident, parent = target
            path = f"/products/{parent}/variations/batch" if parent else "/products/batch"
            quantity = int(Decimal(level.quantity).to_integral_value(rounding=ROUND_FLOOR))  # whole units only
            groups.setdefault(path, []).append((i, {"id": int(ident), "manage_stock": True, "stock_quantity": quantity}))
        for path, rows in groups.items():
            for chunk in chunked(rows, BATCH_SIZE):
                self._write_chunk(path, chunk, levels, results)
        return [r for r in results if r is not None]

    def _write_chunk(self, path: str, chunk: Sequence[tuple[int, dict[str, Any]]], levels: Sequence[StockLevel],
                     results: list[WriteResult | None]) -> None:
        try:
            answer = self._batch(path, update=[payload for _, payload in chunk])
        except (AuthError, ConfigurationError):
            raise
        except SyncError as exc:
            for i, _ in chunk:
                results[i] = _call_failed(stock_key(levels[i]), exc)
            return
        for (i, payload), slot in zip(chunk, answer["update"]):
            level = levels[i]
            error = _slot_error(slot)
            if error:
                results[i] = _failed(stock_key(level), error)
                continue
            if slot.get("manage_stock") is not True or slot.get("stock_quantity") != payload["stock_quantity"]:
                # PROD3 applies stock on top-level products only while store-wide stock management is on,
                # and still answers success: the answer shows whether it was applied
                results[i] = WriteResult(
                    key=stock_key(level), ok=False, retryable=False, external_id=str(payload["id"]),
                    error=f"WooCommerce did not apply stock {payload['stock_quantity']} to {level.sku or payload['id']} "
                          f"(it answered manage_stock={slot.get('manage_stock')!r}, stock_quantity="
                          f"{slot.get('stock_quantity')!r}): is 'Enable stock management' off in WooCommerce > "
                          "Settings > Products > Inventory?")
                continue
            parent = self._parent_of.get(str(payload["id"]))
            results[i] = WriteResult(
                key=stock_key(level), ok=True, external_id=str(payload["id"]),
                data={"sku": level.sku or wc.text(slot.get("sku")), "variant_id": str(payload["id"]),
                      "product_id": parent or str(payload["id"]), "quantity": slot.get("stock_quantity")},
            )

    # ================================================================== products
    def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        """Parents first (create or update, 100 per batch), then each variable product's variations."""
        results: list[WriteResult | None] = [None] * len(products)
        indexed = list(enumerate(products))
        for chunk in chunked(indexed, BATCH_SIZE):
            try:
                found = self._products_already_made([p for _, p in chunk if not p.external_id])
                self._lookup_skus([v.sku for _, p in chunk if p.external_id and p.has_variants
                                   for v in p.variants if v.sku and not v.external_id])
                targets = [(i, p, p.external_id or found.get(id(p))) for i, p in chunk]
                creates = [(i, p) for i, p, ident in targets if not ident]
                updates = [(i, p, ident) for i, p, ident in targets if ident]
                current = self._current_products([ident for _, _, ident in updates])
                answer = self._batch(
                    "/products/batch",
                    create=[self._new_product_payload(p) for _, p in creates],
                    update=[{**wc.product_to_wc(p, current.get(str(ident))), "id": int(ident)} for _, p, ident in updates],
                )
            except (AuthError, ConfigurationError):
                raise
            except SyncError as exc:
                for i, p in chunk:
                    results[i] = _call_failed(self._product_key(p), exc)
                continue
            for kind, rows in (("create", creates), ("update", [(i, p) for i, p, _ in updates])):
                for (i, product), slot in zip(rows, answer.get(kind) or []):
                    results[i] = self._after_parent(product, slot)
        return [r for r in results if r is not None]

    @staticmethod
    def _new_product_payload(product: Product) -> dict[str, Any]:
        payload = wc.product_to_wc(product)
        if not product.has_variants and product.variants:  # a variable parent keeps no stock: its variations do
            payload.update(wc.stock_fields_on_create(product.variants[0]))
        return payload

    def _current_products(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The store's type and attributes of products about to be updated (one call per 100)."""
        out: dict[str, dict[str, Any]] = {}
        for group in chunked(list(dict.fromkeys(str(i) for i in ids)), PAGE_SIZE):
            params = {"include": ",".join(group), "_fields": "id,type,attributes"}
            for page in self._pages("/products", params):
                out.update({str(row.get("id")): row for row in page})
        return out

    def _products_already_made(self, products: Sequence[Product]) -> dict[int, str]:
        """id(product) -> store id for products to create that the store already has (by sku or slug).

        A create whose answer was lost left the product there: the retry updates it instead of making a copy.
        """
        skus = {id(p): next((v.sku for v in p.variants if v.sku), None) for p in products}
        wanted = [sku for sku in skus.values() if sku]
        rows = self._lookup_skus(wanted) if wanted else {}
        # variants to create, of any product: their skus are looked up now (and cached) for _upsert_variations; any
        # of them found also names the product (a lost create whose first variation failed made the others)
        rows.update(self._lookup_skus([v.sku for p in products for v in p.variants if v.sku and not v.external_id
                                       and v.sku not in rows]))  # fmt: skip
        found: dict[int, str] = {}
        for product in products:
            row = next((rows[v.sku] for v in product.variants if v.sku in rows), None)
            if row is not None:
                parent = row.get("parent_id") if row.get("type") == "variation" else None
                found[id(product)] = str(parent or row["id"])
            elif product.handle and not skus[id(product)]:
                same = self._json("GET", "/products", params={"slug": product.handle, "_fields": "id"})
                if isinstance(same, list) and same:
                    found[id(product)] = str(same[0]["id"])
        return found

    @staticmethod
    def _product_key(product: Product) -> str:
        first_sku = next((v.sku for v in product.variants if v.sku), None)
        return first_sku or product.external_id or product.handle or product.title

    def _after_parent(self, product: Product, slot: Any) -> WriteResult:
        key = self._product_key(product)
        error = _slot_error(slot)
        if error:
            return _failed(key, error)
        product_id = str(slot["id"])
        self._remember_product(slot)
        # the parent's time, the first write of this push: an event of the product older than it describes a
        # version the push replaced whole. A variable product's variations are written after, by another call, so an
        # event between the two may be a store edit the push did not overwrite (its parent fields): it is left to
        # the echo checks
        written_at = wc.gmt_time(slot, "date_modified")
        if not product.has_variants:
            sku = wc.text(slot.get("sku"))
            return WriteResult(key=key, ok=True, external_id=product_id,
                               data={"variants": [{"sku": sku, "variant_id": product_id, "inventory_item_id": None}]},
                               store_updated_at=written_at)
        variants, errors, retryable = self._upsert_variations(product_id, product,
                                                              wc.global_attribute_ids(slot.get("attributes")))
        return WriteResult(key=key, ok=not errors, external_id=product_id, error="; ".join(errors) or None,
                           retryable=retryable, data={"variants": variants}, store_updated_at=written_at)

    def _existing_variation(self, product_id: str, variant: Variant) -> str | None:
        """The id of this product's variation already carrying the variant's sku (a lost create made it)."""
        found = self._sku_index.get(variant.sku or "") if variant.sku else None
        return found[0] if found and found[1] == product_id else None

    def _upsert_variations(self, product_id: str, product: Product, global_ids: dict[str, int] | None = None, *,
                           relink: bool = True) -> tuple[list[dict[str, Any]], list[str], bool]:  # fmt: skip
        variants: list[dict[str, Any]] = []
        errors: list[str] = []
        retryable = False
        for chunk in chunked(product.variants, BATCH_SIZE):
            existing = {id(v): None if v.external_id else self._existing_variation(product_id, v) for v in chunk}
            creates = [v for v in chunk if not v.external_id and not existing[id(v)]]
            updates = [v for v in chunk if v.external_id or existing[id(v)]]
            try:
                answer = self._batch(
                    f"/products/{product_id}/variations/batch",
                    create=[{**wc.variation_to_wc(v, product.option_names, global_ids), **wc.stock_fields_on_create(v)}
                            for v in creates],
                    update=[{**wc.variation_to_wc(v, product.option_names, global_ids),
                             "id": int(v.external_id or existing[id(v)])} for v in updates],
                )
            except (AuthError, ConfigurationError):
                raise
            except SyncError as exc:
                errors += [f"{v.sku or v.external_id}: {exc.message}" for v in chunk]
                retryable = retryable or exc.retryable
                continue
            stale: list[Variant] = []
            for kind, sent in (("create", creates), ("update", updates)):
                for variant, slot in zip(sent, answer.get(kind) or []):
                    error = _slot_error(slot)
                    if error and relink and kind == "update" and error.get("code") == STALE_VARIATION and variant.sku:
                        stale.append(variant)
                    elif error:
                        errors.append(f"{variant.sku or variant.external_id}: {error.get('code')}: {error.get('message')}")
                    else:
                        self._remember_product(slot, parent_id=product_id)
                        variants.append({"sku": wc.text(slot.get("sku")) or variant.sku, "variant_id": str(slot["id"]),
                                         "inventory_item_id": None})
            if stale:
                relinked, failed, again = self._relink_variations(product_id, product, stale, global_ids)
                variants, errors, retryable = variants + relinked, errors + failed, retryable or again
        return variants, errors, retryable

    def _relink_variations(self, product_id: str, product: Product, stale: list[Variant],
                           global_ids: dict[str, int] | None) -> tuple[list[dict[str, Any]], list[str], bool]:  # fmt: skip
        """Variants whose linked variation id this product no longer has ("Invalid ID."): the id is found again by
        SKU (the store's truth) and the write sent once more; a SKU the product has no variation for gets one. A
        retry with the same stale id could never succeed. A SKU on another product stays an error."""
        rows = self._lookup_skus([v.sku for v in stale if v.sku])
        found = {sku: str(row["id"]) for sku, row in rows.items() if str(row.get("parent_id") or "") == product_id}
        elsewhere = [v for v in stale if v.sku in rows and v.sku not in found]
        again = [replace(v, external_id=found.get(v.sku or "")) for v in stale if v not in elsewhere]
        errors = [f"{v.sku}: {STALE_VARIATION}: the linked variation is gone and the SKU is on another product "
                  f"({rows[v.sku or ''].get('parent_id') or rows[v.sku or ''].get('id')})" for v in elsewhere]  # fmt: skip
        if not again:
            return [], errors, False
        variants, failed, retryable = self._upsert_variations(product_id, replace(product, variants=again), global_ids,
                                                              relink=False)  # fmt: skip
        return variants, errors + failed, retryable

    # ================================================================== orders
    def _batch_rows(self, path: str, keyed: Sequence[tuple[str, dict[str, Any]]], kind: str,
                    on_ok: Callable[[str, dict[str, Any]], WriteResult] | None = None) -> list[WriteResult]:
        """Send (key, payload) rows in batches of 100 under ``kind`` (create/update); one result per row."""
        results: list[WriteResult] = []
        for chunk in chunked(keyed, BATCH_SIZE):
            try:
                answer = self._batch(path, **{kind: [payload for _, payload in chunk]})
            except (AuthError, ConfigurationError):
                raise
            except SyncError as exc:
                results += [_call_failed(key, exc) for key, _ in chunk]
                continue
            for (key, _), slot in zip(chunk, answer[kind]):
                error = _slot_error(slot)
                if error:
                    results.append(_failed(key, error))
                elif on_ok is not None:
                    results.append(on_ok(key, slot))
                else:
                    results.append(WriteResult(key=key, ok=True, external_id=str(slot.get("id")),
                                               store_updated_at=wc.gmt_time(slot, "date_modified")))
        return results

    def _note(self, order_id: str, note: str, *, to_customer: bool) -> dict[str, Any]:
        """Add an order note once: a note with the same text (left by an attempt whose answer was lost) is reused."""
        existing = self._json("GET", f"/orders/{int(order_id)}/notes")
        for row in existing if isinstance(existing, list) else []:
            if isinstance(row, dict) and row.get("note") == note:
                return row
        return self._json("POST", f"/orders/{int(order_id)}/notes", json_body={"note": note, "customer_note": to_customer})

    def update_order_status(self, updates: Sequence[OrderStatusUpdate]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(updates)
        rows: list[tuple[int, dict[str, Any]]] = []
        for i, update in enumerate(updates):
            word = self.status_map.to_store(update.status)
            if word is None:
                results[i] = WriteResult(key=update.order_id, ok=False,
                                         error=f"the status table has no WooCommerce status for {update.status.value}")
            else:
                rows.append((i, {"id": int(update.order_id), "status": word}))
        written = self._batch_rows("/orders/batch", [(updates[i].order_id, p) for i, p in rows], "update")
        for (i, _), result in zip(rows, written):
            results[i] = result
            if result.ok and updates[i].note:
                self._add_note_to_result(result, updates[i].note, to_customer=False)
        return [r for r in results if r is not None]

    def _add_note_to_result(self, result: WriteResult, note: str, *, to_customer: bool) -> None:
        try:
            created = self._note(result.key, note, to_customer=to_customer)
            result.data = {**(result.data or {}), "note_id": str(created.get("id"))}
        except (AuthError, ConfigurationError):
            raise
        except SyncError as exc:
            result.ok, result.error, result.retryable = False, f"status set, note failed: {exc.message}", exc.retryable

    def create_fulfilments(self, fulfilments: Sequence[Fulfilment]) -> list[WriteResult]:
        """WooCommerce core has no fulfilment object: tracking goes to the customer as an order note."""
        to_customer = bool(self.config.options.get("tracking_note_to_customer", True))
        results = []
        for fulfilment in fulfilments:
            try:
                note = self._note(fulfilment.order_id, self._tracking_text(fulfilment), to_customer=to_customer)
            except (AuthError, ConfigurationError):
                raise
            except SyncError as exc:
                results.append(_call_failed(fulfilment.order_id, exc))
                continue
            results.append(WriteResult(key=fulfilment.order_id, ok=True, external_id=str(note.get("id")),
                                       data={"note_id": str(note.get("id"))}))
        if self.config.options.get("complete_on_fulfilment"):
            done = self.update_order_status([OrderStatusUpdate(f.order_id, OrderStatus.DELIVERED) for f in fulfilments])
            for result, status in zip(results, done):
                if result.ok and not status.ok:
                    result.ok, result.error = False, f"note added, status not set: {status.error}"
        return results

    @staticmethod
    def _tracking_text(fulfilment: Fulfilment) -> str:
        parts = ["Your order has been shipped"]
        if fulfilment.tracking_company:
            parts.append(f"with {fulfilment.tracking_company}")
        text = " ".join(parts) + "."
        if fulfilment.tracking_number:
            text += f" Tracking number: {fulfilment.tracking_number}."
        if fulfilment.tracking_url:
            text += f" Track it at {fulfilment.tracking_url}"
        if fulfilment.lines:
            text += " Items: " + ", ".join(f"{ref} x {qty.normalize()}" for ref, qty in fulfilment.lines)
        return text

    def cancel_orders(self, order_ids: Sequence[str], reason: str | None = None) -> list[WriteResult]:
        word = self.status_map.to_store(OrderStatus.CANCELLED) or "cancelled"
        results = self._batch_rows("/orders/batch", [(oid, {"id": int(oid), "status": word}) for oid in order_ids], "update")
        if reason:
            for result in results:
                if result.ok:
                    self._add_note_to_result(result, f"Cancelled: {reason}", to_customer=False)
        return results

    def record_refunds(self, refunds: Sequence[Refund]) -> list[WriteResult]:
        """Record refunds; ``api_refund`` false unless the store opts in, so no money moves by default."""
        api_refund = self.config.options.get("api_refund") is True
        results = []
        for refund in refunds:
            key = refund.external_id or f"{refund.order_id}:{refund.amount}"
            try:
                made = self._refund_already_made(refund)
                if made is not None:  # a lost answer: the refund is there already, never refund twice
                    results.append(WriteResult(key=key, ok=True, external_id=str(made.get("id")),
                                               data={"api_refund": api_refund, "found_existing": True}))
                    continue
                body: dict[str, Any] = {"amount": wc.wc_money(refund.amount), "reason": refund.reason or "",
                                        "api_refund": api_refund, "api_restock": bool(refund.restock)}
                if refund.external_id:
                    body["meta_data"] = [{"key": REFUND_MARKER, "value": refund.external_id}]
                if refund.lines:
                    body["line_items"] = self._refund_lines(refund)
                created = self._json("POST", f"/orders/{int(refund.order_id)}/refunds", json_body=body)
            except (AuthError, ConfigurationError):
                raise
            except SyncError as exc:
                results.append(_call_failed(key, exc))
                continue
            # the create answer has no refunded_payment (context 'edit'): report what was asked of the gateway
            results.append(WriteResult(key=key, ok=True, external_id=str(created.get("id")),
                                       data={"api_refund": api_refund}))
        return results

    def _refund_already_made(self, refund: Refund) -> dict[str, Any] | None:
        """The order's refund carrying this refund's marker (or, without a key, the same amount and reason)."""
        amount, reason = wc.wc_money(refund.amount), refund.reason or ""
        for page in self._pages(f"/orders/{int(refund.order_id)}/refunds"):
            for row in page:
                marker = _meta(row, REFUND_MARKER)
                if refund.external_id and marker == refund.external_id:
                    return row
                if not refund.external_id and marker is None and wc.wc_money(wc.money(row.get("amount"))) == amount \
                        and (row.get("reason") or "") == reason:
                    return row
        return None

    def _refund_lines(self, refund: Refund) -> list[dict[str, Any]]:
        """(sku or line id, qty) -> WooCommerce line item ids; reads the order only when skus are given."""
        line_ids: dict[str, int] = {}
        if any(not str(ref).isdigit() for ref, _ in refund.lines):
            order = self._json("GET", f"/orders/{int(refund.order_id)}")
            line_ids = {str(li.get("sku")): int(li["id"]) for li in order.get("line_items") or [] if li.get("sku")}
        out = []
        for ref, qty in refund.lines:
            line_id = int(ref) if str(ref).isdigit() else line_ids.get(str(ref))
            if line_id is None:
                raise ValidationError(f"order {refund.order_id} has no line with sku {ref!r}")
            out.append({"id": line_id, "quantity": int(qty), "refund_total": 0})
        return out

    def create_orders(self, orders: Sequence[Order]) -> list[WriteResult]:
        """ERP-made orders, created once: an order a lost answer already made (marker meta) is reported, not re-sent.

        Line products are resolved to ids first: WooCommerce reads a posted sku ahead of the ids and an unknown
        sku gives a line with no product, so a line whose product the store does not have fails the row.
        """
        results: dict[int, WriteResult] = {}
        made = self._orders_already_made(orders)
        targets = self._line_targets(orders)
        rows: list[tuple[int, tuple[str, dict[str, Any]]]] = []
        for i, order in enumerate(orders):
            if order.external_id in made:
                results[i] = self._order_result(order.external_id, made[order.external_id])
                continue
            missing = [line.sku or line.title for line in order.lines if targets.get(id(line)) is None]
            if missing:
                results[i] = WriteResult(key=order.external_id, ok=False, retryable=False,
                                         error=f"order {order.external_id}: no WooCommerce product for "
                                               f"{', '.join(map(repr, missing))}")
                continue
            rows.append((i, (order.external_id, wc.order_to_wc(order, self.status_map, targets))))
        written = self._batch_rows("/orders/batch", [row for _, row in rows], "create", on_ok=self._order_result)
        for (i, _), result in zip(rows, written):
            results[i] = result
        return [results[i] for i in range(len(orders))]

    @staticmethod
    def _order_result(key: str, slot: dict[str, Any]) -> WriteResult:
        return WriteResult(key=key, ok=True, external_id=str(slot["id"]),
                           data={"number": slot.get("number"), "total": slot.get("total")})

    def _line_targets(self, orders: Sequence[Order]) -> dict[int, tuple[int, int | None]]:
        """id(line) -> (product id, variation id or None), from the line's ids or its sku on the store."""
        skus = [line.sku for o in orders for line in o.lines if line.sku and not line.product_id]
        if skus:
            self._lookup_skus(skus)
        targets: dict[int, tuple[int, int | None]] = {}
        for order in orders:
            for line in order.lines:
                if line.product_id:
                    variation = line.variant_id if line.variant_id and line.variant_id != line.product_id else None
                    targets[id(line)] = (int(line.product_id), int(variation) if variation else None)
                elif line.sku and line.sku in self._sku_index:
                    ident, parent = self._sku_index[line.sku]
                    targets[id(line)] = (int(parent), int(ident)) if parent else (int(ident), None)
        return targets

    def _orders_already_made(self, orders: Sequence[Order]) -> dict[str, dict[str, Any]]:
        """Store orders carrying the ERP marker of these orders, created since the earliest ERP order (less skew)."""
        keys = {o.external_id for o in orders if o.external_id}
        if not keys:
            return {}
        now = datetime.now(timezone.utc)
        starts = [utc(o.created_at) for o in orders if o.created_at is not None]
        since = min(starts) - CREATE_LOOKBACK if len(starts) == len(orders) else now - timedelta(days=1)
        params = {"after": wc.wc_gmt(since), "dates_are_gmt": "true", "orderby": "id", "order": "desc",
                  "_fields": "id,number,total,meta_data"}
        found: dict[str, dict[str, Any]] = {}
        for page in self._pages("/orders", params):
            for row in page:
                marker = _meta(row, ORDER_MARKER)
                if marker in keys and marker not in found:
                    found[str(marker)] = row
        return found

    # ================================================================== customers
    def upsert_customers(self, customers: Sequence[Customer]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(customers)
        keyed = [(i, c.email or c.external_id or "", wc.customer_to_wc(c)) for i, c in enumerate(customers)]
        for kind, rows in (("create", [r for r in keyed if not customers[r[0]].external_id]),
                           ("update", [r for r in keyed if customers[r[0]].external_id])):
            written = self._batch_rows("/customers/batch", [(key, payload) for _, key, payload in rows], kind)
            for (i, _, _), result in zip(rows, written):
                results[i] = result
        self._update_existing_emails(customers, results)
        return [r for r in results if r is not None]

    def _update_existing_emails(self, customers: Sequence[Customer], results: list[WriteResult | None]) -> None:
        """A create refused because the email exists becomes an update of that customer."""
        retry: list[tuple[int, str, dict[str, Any]]] = []
        for i, result in enumerate(results):
            if result is None or result.ok or "email-exists" not in (result.error or ""):
                continue
            found = self._json("GET", "/customers", params={"email": customers[i].email, "role": "all"})
            if isinstance(found, list) and found:
                retry.append((i, result.key, {**wc.customer_to_wc(customers[i]), "id": found[0]["id"]}))
        written = self._batch_rows("/customers/batch", [(key, payload) for _, key, payload in retry], "update")
        for (i, _, _), result in zip(retry, written):
            results[i] = result

    # ================================================================== webhooks
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        """HMAC of the raw body, constant time. The unsigned ping is accepted only as exactly ``webhook_id=N``."""
        lowered = lower_headers(headers)
        signature = lowered.get(SIGNATURE_HEADER.lower())
        if not signature and PING_BODY.fullmatch(body):
            return  # carries no data: answered 200 and ignored
        verify_hmac_b64(self.config.webhook_secret, body, signature, header=SIGNATURE_HEADER)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        with payload_errors_refused("WooCommerce"):
            return self._parse_webhook(body, headers)

    def _parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        lowered = lower_headers(headers)
        if PING_BODY.fullmatch(body):
            hook_id = body.split(b"=", 1)[1].decode()
            return WebhookEvent(topic="ping", entity=Entity.ORDERS, action="ping", external_id=hook_id,
                                dedupe_key=f"woocommerce:ping:{hook_id}", is_ping=True)
        topic = lowered.get("x-wc-webhook-topic") or ""
        if "." not in topic:
            resource, event = lowered.get("x-wc-webhook-resource") or "", lowered.get("x-wc-webhook-event") or ""
            topic = f"{resource}.{event}"
        resource, _, event = topic.partition(".")
        entity = {"order": Entity.ORDERS, "product": Entity.ITEMS, "customer": Entity.CUSTOMERS}.get(resource)
        if entity is None:
            raise ValidationError(f"unsupported WooCommerce webhook topic {topic!r}")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise ValidationError(f"WooCommerce webhook {topic} body is not JSON") from exc
        if not isinstance(payload, dict) or "id" not in payload:
            raise ValidationError(f"WooCommerce webhook {topic} body has no resource id")
        return self._event(topic, entity, event, payload, lowered, body)

    def _event(self, topic: str, entity: Entity, event: str, payload: dict[str, Any], headers: dict[str, str],
               body: bytes = b"") -> WebhookEvent:
        external_id = str(payload["id"])
        modified = payload.get("date_modified_gmt")
        occurred = utc(modified) if modified else None
        record: Any
        action = event
        if event == "deleted":  # WooCommerce sends only {"id": N} (build_payload)
            record = DeletedRecord(entity=entity, external_id=external_id, deleted_at=datetime.now(timezone.utc))
        else:
            record = self._record_of(topic, entity, payload)
            if entity == Entity.ORDERS and payload.get("status") in ("cancelled", "refunded"):
                action = str(payload["status"])
        dedupe = self._dedupe_key(topic, external_id, modified, headers, body)
        # deletions carry no time: they sort as "now" (newer than any state seen so far)
        moment = occurred or datetime.now(timezone.utc)
        return WebhookEvent(
            topic=topic, entity=entity, action=action, external_id=external_id, dedupe_key=dedupe,
            ordering_key=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), occurred_at=occurred, record=record, payload=payload,
        )

    def _record_of(self, topic: str, entity: Entity, payload: dict[str, Any]) -> Any:
        if entity == Entity.ITEMS and wc.variation_ids(payload) and not any(
                isinstance(v, dict) for v in payload.get("variations") or []):
            # the payload lists variation ids only (PROD2 get_children()): read them, or the variants are lost
            try:
                payload = {**payload, "variations": self._variations(str(payload["id"]))}
            except NotFoundError as exc:  # deleted since: its product.deleted delivery follows
                raise ValidationError(f"WooCommerce webhook {topic}: product {payload['id']} is gone: {exc.message}") from exc
        try:
            record = wc.parse_payload(entity, payload, self.status_map)[0]
        except ValueError as exc:
            raise ValidationError(f"WooCommerce webhook {topic}: {exc}") from exc
        if entity == Entity.ITEMS and isinstance(record, Product):
            self._remember_product(payload)
        return record

    @staticmethod
    def _dedupe_key(topic: str, external_id: str, modified: str | None, headers: dict[str, str], body: bytes) -> str:
        """What is unique to one WooCommerce change: the delivery id is NOT (wp_hash(webhook id . second)).

        A resource's state is identified by topic + id + ``date_modified_gmt``; without a time (deleted
        payloads) the body hash with the delivery id of that second collapses only true repeats.
        """
        if modified:
            return f"woocommerce:{topic}:{external_id}:{modified}"
        digest = hashlib.sha256(body).hexdigest()[:24]
        return f"woocommerce:{topic}:{external_id}:{digest}:{headers.get('x-wc-webhook-delivery-id') or ''}"

    def _webhook_rows(self) -> list[dict[str, Any]]:
        return [row for page in self._pages("/webhooks", {"status": "all"}) for row in page]

    def _ensure_secret(self) -> str:
        if not self.config.webhook_secret:
            self.config.webhook_secret = self.generated_webhook_secret = secrets.token_urlsafe(32)
            self.http.secrets.append(self.config.webhook_secret)
        return self.config.webhook_secret

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookRegistration]:
        """Idempotent: existing subscriptions for ``address`` are re-activated with the current secret."""
        return self._register(address, topics, self._webhook_rows())

    def _register(self, address: str, topics: Sequence[str], rows: list[dict[str, Any]]) -> list[WebhookRegistration]:
        secret = self._ensure_secret()
        existing = {row.get("topic"): row for row in rows if row.get("delivery_url") == address}
        creates = [{"name": f"wix_commerce_sync {t}", "topic": t, "delivery_url": address, "secret": secret,
                    "status": "active"} for t in dict.fromkeys(topics) if t not in existing]
        updates = [{"id": row["id"], "status": "active", "secret": secret}
                   for t, row in existing.items() if t in topics]
        registrations: list[WebhookRegistration] = []
        failures: list[str] = []
        for chunk in chunked(creates + updates, BATCH_SIZE):
            answer = self._batch("/webhooks/batch", create=[c for c in chunk if "id" not in c],
                                 update=[u for u in chunk if "id" in u])
            for slot in (answer.get("create") or []) + (answer.get("update") or []):
                error = _slot_error(slot)
                if error:
                    failures.append(f"{error.get('code')}: {error.get('message')}")
                    continue
                registrations.append(WebhookRegistration(external_id=str(slot["id"]), topic=slot.get("topic", ""),
                                                         address=slot.get("delivery_url", address),
                                                         active=slot.get("status") == "active"))
        if failures:
            raise ValidationError("WooCommerce refused webhook registration: " + "; ".join(failures))
        return registrations

    def list_webhooks(self) -> list[WebhookRegistration]:
        return [WebhookRegistration(external_id=str(r["id"]), topic=r.get("topic", ""), address=r.get("delivery_url", ""),
                                    active=r.get("status") == "active") for r in self._webhook_rows()]

    def unregister_webhooks(self, address: str) -> int:
        ids = [int(r["id"]) for r in self._webhook_rows() if r.get("delivery_url") == address]
        deleted = 0
        for chunk in chunked(ids, BATCH_SIZE):
            answer = self._batch("/webhooks/batch", delete=chunk)
            deleted += sum(1 for slot in answer.get("delete") or [] if not _slot_error(slot))
        return deleted

    def check_webhooks(self, address: str, topics: Sequence[str] | None = None) -> dict[str, int]:
        """Health check: WooCommerce never retries and disables a webhook after repeated failures.

        Re-activates disabled/paused subscriptions for ``address`` and re-creates missing ones
        (``topics`` default: every topic this connector knows). Returns counts. Events lost while a
        webhook was down are recovered by the engine's reconciliation poll (``iter_orders(since)``).
        """
        wanted = list(dict.fromkeys(topics or [t for ts in self.capabilities.webhook_topics.values() for t in ts]))
        listed = self._webhook_rows()
        rows = {row.get("topic"): row for row in listed if row.get("delivery_url") == address}
        inactive = [t for t in wanted if t in rows and rows[t].get("status") != "active"]
        missing = [t for t in wanted if t not in rows]
        counts = {"active": len(wanted) - len(inactive) - len(missing), "reactivated": 0, "recreated": 0}
        if inactive or missing:
            registered = {r.topic for r in self._register(address, inactive + missing, listed) if r.active}
            counts["reactivated"] = sum(1 for t in inactive if t in registered)
            counts["recreated"] = sum(1 for t in missing if t in registered)
        return counts


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_code(response: requests.Response) -> str | None:
    details = _json_or_none(response)
    return details.get("code") if isinstance(details, dict) else None


def _meta(data: dict[str, Any], key: str) -> Any:
    for row in data.get("meta_data") or []:
        if isinstance(row, dict) and row.get("key") == key:
            return row.get("value")
    return None
