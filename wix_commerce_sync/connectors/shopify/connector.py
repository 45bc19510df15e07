"""ShopifyConnector: the Connector interface over the Admin GraphQL API (2026-04 and later).

Ids are stored as Shopify's numeric ids in decimal text (see mapping.py); GIDs are rebuilt
for every GraphQL call. Reads page ascending by ``updated_at`` (``sortKey: UPDATED_AT``,
``query: "updated_at:>='...'"``); writes are batched (250 stock rows per
``inventorySetQuantities``; several aliased ``productSet``/``customerSet`` fields per
request) and report one WriteResult per input row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

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
from wix_commerce_sync.connectors.http import validate_store_url
from wix_commerce_sync.connectors.shopify import mapping as m
from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.client import DEFAULT_API_VERSION, ShopifyGraphQL
from wix_commerce_sync.connectors.signing import verify_hmac_b64
from wix_commerce_sync.sync.errors import (
    NotFoundError,
    SyncError,
    TransientError,
    ValidationError,
    WebhookVerificationError,
)
from wix_commerce_sync.sync.models import (
    Customer,
    DeletedRecord,
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

STALE = "CHANGE_FROM_QUANTITY_STALE"
FULFILMENT_CLOCK_SKEW = timedelta(minutes=2)  # ERPNext's clock vs Shopify's, when matching earlier attempts
STALE_RETRIES = 2
STALE_OVERWRITE, STALE_SKIP = "overwrite", "skip"  # Commerce Store "Stock Conflict Policy"
CANCEL_REASONS = {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "STAFF", "OTHER"}
ORDER_TOPICS = ["orders/create", "orders/updated", "orders/cancelled", "orders/fulfilled", "orders/paid", "refunds/create",
                "orders/delete"]
DELETED_ENTITIES = {"products": Entity.ITEMS, "customers": Entity.CUSTOMERS, "orders": Entity.ORDERS}
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d0c0e-2f7a-4d8e-9a57-3c0b1a2d5e11")


log = logging.getLogger(__name__)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _iso(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def ordering_key(dt: datetime | None) -> str | None:
    """Fixed-width UTC text: sorts like the time it names."""
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if dt else None


class ShopifyConnector(Connector):
    platform = Platform.SHOPIFY
    capabilities = Capabilities(
        locations=True,
        order_creation=True,
        product_batch_size=10,  # aliased productSet fields per request
        stock_batch_size=250,  # inventorySetQuantities rows (input-array limit)
        customer_batch_size=25,
        order_batch_size=10,
        page_size=q.PAGE,
        webhook_topics={
            Entity.ORDERS: ORDER_TOPICS,
            Entity.ITEMS: ["products/create", "products/update", "products/delete"],
            Entity.STOCK: ["inventory_levels/update"],
            Entity.CUSTOMERS: ["customers/create", "customers/update", "customers/delete"],
        },
    )

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        options = config.options or {}
        base_url = validate_store_url(config.base_url, allow_insecure_loopback=config.allow_insecure_http)
        timeout = options.get("timeout", (5.0, 30.0))
        self.client = ShopifyGraphQL(
            base_url,
            dict(config.credentials),
            api_version=options.get("api_version") or config.api_version or DEFAULT_API_VERSION,
            timeout=tuple(timeout) if isinstance(timeout, (list, tuple)) else (float(timeout), float(timeout)),
            max_attempts=int(options.get("max_attempts", 5)),
            backoff_initial=float(options.get("backoff_initial", 0.5)),
            backoff_max=float(options.get("backoff_max", 30.0)),
            secrets=config.secret_values(),
        )
        self.http = self.client.http
        self.status_map: StatusMap = options.get("status_map") or StatusMap.default(Platform.SHOPIFY)
        self._default_location: str | None = str(options["location_id"]) if options.get("location_id") else None
        self._sku_cache: dict[str, dict[str, str]] = {}
        self._warned_versions: set[str] = set()

    # ------------------------------------------------------------------ helpers
    def _run(self, query: str, variables: dict[str, Any] | None = None, *, idempotent: bool | None = None) -> dict[str, Any]:
        """``idempotent=None``: queries and ``@idempotent``-keyed mutations only (client.is_idempotent)."""
        return self.client.execute(query, variables, idempotent=idempotent)

    def _paginate(self, query: str, root: str, variables: dict[str, Any]) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            data = self._run(query, {**variables, "after": after})
            conn = data.get(root) or {}
            yield from conn.get("nodes") or []
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")

    def default_location_id(self) -> str:
        if self._default_location is None:
            active = [loc for loc in self.list_locations() if loc.active]
            if not active:
                raise ValidationError("the Shopify store has no active location")
            self._default_location = active[0].external_id
        return self._default_location

    # ------------------------------------------------------------------ connection
    def check_connection(self) -> ConnectionInfo:
        shop = self._run(q.SHOP).get("shop") or {}
        return ConnectionInfo(
            ok=True,
            shop_name=shop.get("name"),
            currency=shop.get("currencyCode"),
            detail={"domain": shop.get("myshopifyDomain"), "plan": (shop.get("plan") or {}).get("publicDisplayName"),
                    "api_version": self.client.api_version, "taxes_included": shop.get("taxesIncluded")},
        )

    def list_locations(self) -> list[Location]:
        locations = [
            Location(external_id=m.numeric_id(n["id"]) or "", name=n.get("name") or "", active=bool(n.get("isActive", True)))
            for n in self._paginate(q.LOCATIONS, "locations", {"first": q.PAGE})
        ]
        if locations:
            first_active = next((loc for loc in locations if loc.active), locations[0])
            first_active.is_default = True
        return locations

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _since(updated_since: datetime | None) -> str | None:
        return f"updated_at:>='{_iso(updated_since)}'" if updated_since else None

    def iter_products(self, updated_since: datetime | None = None) -> Iterator[Product]:
        variables = {"first": q.PRODUCT_PAGE, "query": self._since(updated_since), "variantsFirst": q.VARIANT_PAGE}
        for node in self._paginate(q.PRODUCTS, "products", variables):
            yield self._product_from_node(node)

    def _product_from_node(self, node: dict[str, Any]) -> Product:
        variants = list((node.get("variants") or {}).get("nodes") or [])
        info = (node.get("variants") or {}).get("pageInfo") or {}
        if info.get("hasNextPage"):  # more variants than the nested page holds
            pages = self._paginate_nested(q.PRODUCT_VARIANTS_PAGE, "product", "variants", node["id"],
                                          q.VARIANT_FOLLOWUP_PAGE, info.get("endCursor"))
            variants.extend(pages)
        return m.product_from_rest(m.rest_product_from_graphql(node, variants))

    def _paginate_nested(self, query: str, root: str, field: str, ident: str, first: int, after: str | None) -> list:
        out = []
        while after is not None:
            data = self._run(query, {"id": ident, "first": first, "after": after})
            conn = (data.get(root) or {}).get(field) or {}
            out.extend(conn.get("nodes") or [])
            info = conn.get("pageInfo") or {}
            after = info.get("endCursor") if info.get("hasNextPage") else None
        return out

    def iter_orders(
        self,
        updated_since: datetime | None = None,
        *,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[Order]:
        wanted = {s.lower() for s in statuses} if statuses else None
        variables = {"first": q.ORDER_PAGE, "query": self._since(updated_since), "linesFirst": q.LINE_PAGE}
        count = 0
        for node in self._paginate(q.ORDERS, "orders", variables):
            order = self._order_from_node(node)
            if wanted is not None and (order.store_status or "") not in wanted:
                continue
            yield order
            count += 1
            if limit is not None and count >= limit:
                return

    def _order_from_node(self, node: dict[str, Any]) -> Order:
        lines = (node.get("lineItems") or {})
        info = lines.get("pageInfo") or {}
        if info.get("hasNextPage"):
            extra = self._paginate_nested(q.ORDER_LINES_PAGE, "order", "lineItems", node["id"],
                                          q.LINE_FOLLOWUP_PAGE, info.get("endCursor"))
            node = {**node, "lineItems": {"nodes": list(lines.get("nodes") or []) + extra}}
        rest = m.rest_order_from_graphql(node)
        if node.get("refunds"):
            rest["refunds"] = self._refund_details(node["id"], rest["refunds"])
        return m.order_from_rest(rest, self.status_map)

    def _refund_details(self, order_gid: str, refunds: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The order's refunds with their lines, restock, tax and shipping (the order query carries only the
        totals). ``currentQuantity`` excludes refunded *and* removed units; the refunded ones stay on the
        ERPNext order, whose credit notes take them back, so the lines are also needed for the quantities."""
        order = self._run(q.ORDER_REFUNDS, {"id": order_gid}).get("order") or {}
        details = {m.numeric_id(r.get("id")): m.rest_refund_details(r) for r in order.get("refunds") or []}
        return [{**r, **details.get(r.get("id"), {})} for r in refunds]

    def iter_customers(self, updated_since: datetime | None = None) -> Iterator[Customer]:
        """The customers ``updated_at`` filter matches "a whole day" (2026-04 filter table): ask for the
        whole day and keep the rows changed since the exact time here."""
        day = f"updated_at:>='{utc(updated_since).date().isoformat()}'" if updated_since else None
        cut = utc(updated_since).replace(microsecond=0) if updated_since else None  # Shopify times are whole seconds
        for node in self._paginate(q.CUSTOMERS, "customers", {"first": q.CUSTOMER_PAGE, "query": day}):
            customer = m.customer_from_rest(m.rest_customer_from_graphql(node))
            if cut is None or customer.updated_at is None or customer.updated_at >= cut:
                yield customer

    def get_product(self, external_id: str) -> Product:
        node = self._run(q.PRODUCT, {"id": m.gid("Product", external_id), "variantsFirst": q.VARIANT_FOLLOWUP_PAGE}).get("product")
        if not node:
            raise NotFoundError(f"Shopify product {external_id} not found")
        return self._product_from_node(node)

    def get_order(self, external_id: str) -> Order:
        node = self._run(q.ORDER, {"id": m.gid("Order", external_id), "linesFirst": q.LINE_FOLLOWUP_PAGE}).get("order")
        if not node:
            raise NotFoundError(f"Shopify order {external_id} not found")
        return self._order_from_node(node)

    def get_customer(self, external_id: str) -> Customer:
        node = self._run(q.CUSTOMER, {"id": m.gid("Customer", external_id)}).get("customer")
        if not node:
            raise NotFoundError(f"Shopify customer {external_id} not found")
        return m.customer_from_rest(m.rest_customer_from_graphql(node))

    def import_products(self) -> Iterator[Product]:
        """Initial import through a bulk operation; the JSONL result is streamed line by line."""
        # a bulk *query* only reads: a second run after a lost answer makes no store data (up to 5 may run at once)
        data = self._run(q.BULK_RUN, {"query": q.BULK_PRODUCTS_INNER}, idempotent=True)["bulkOperationRunQuery"]
        if data.get("userErrors"):
            raise ValidationError(f"bulkOperationRunQuery: {data['userErrors']}")
        operation = self._wait_for_bulk(data["bulkOperation"]["id"])
        if not operation.get("url"):
            return
        current: dict[str, Any] | None = None
        variants: list[dict[str, Any]] = []
        for row in self.client.stream_lines(operation["url"]):
            if "__parentId" not in row:  # a product line starts the next product
                if current is not None:
                    yield m.product_from_rest(m.rest_product_from_graphql(current, variants))
                current, variants = row, []
            elif current is not None and row["__parentId"] == current["id"]:
                variants.append(row)
            else:
                raise ValidationError("bulk JSONL child arrived away from its parent (groupObjects expected)")
        if current is not None:
            yield m.product_from_rest(m.rest_product_from_graphql(current, variants))

    def _wait_for_bulk(self, operation_id: str) -> dict[str, Any]:
        interval = float(self.config.options.get("bulk_poll_interval", 1.0))
        deadline = time.monotonic() + float(self.config.options.get("bulk_timeout", 3600.0))
        while True:
            operation = self._run(q.BULK_STATUS, {"id": operation_id}).get("bulkOperation") or {}
            status = operation.get("status")
            if status == "COMPLETED":
                return operation
            if status in ("FAILED", "CANCELED", "CANCELING", "EXPIRED"):
                raise TransientError(f"bulk operation {status}: {operation.get('errorCode')}")
            if time.monotonic() > deadline:
                raise TransientError("bulk operation did not finish in time")
            time.sleep(interval)

    # ------------------------------------------------------------------ stock
    def _resolve_skus(self, skus: Sequence[str]) -> dict[str, dict[str, str]]:
        """SKU -> {variant_id, product_id, inventory_item_id}; batched search, cached per connector."""
        missing = [s for s in dict.fromkeys(skus) if s and s not in self._sku_cache]
        for chunk in _chunks(missing, q.SKU_LOOKUP_CHUNK):
            search = " OR ".join('sku:"{}"'.format(s.replace("\\", "\\\\").replace('"', '\\"')) for s in chunk)
            for node in self._paginate(q.VARIANTS_BY_SKU, "productVariants", {"first": q.PAGE, "query": search}):
                if node.get("sku"):
                    self._sku_cache[node["sku"]] = {
                        "variant_id": m.numeric_id(node["id"]) or "",
                        "product_id": m.numeric_id((node.get("product") or {}).get("id")) or "",
                        "inventory_item_id": m.numeric_id((node.get("inventoryItem") or {}).get("id")) or "",
                    }
        return {s: self._sku_cache[s] for s in skus if s in self._sku_cache}

    def read_stock(self, levels: Sequence[StockLevel]) -> list[StockLevel]:
        """Current ``available`` of each (item, location); levels not stocked there are left out."""
        resolved = self._resolve_skus([lv.sku for lv in levels if not lv.inventory_item_id and lv.sku])
        by_location: dict[str, list[tuple[StockLevel, str]]] = {}
        for level in levels:
            item = level.inventory_item_id or (resolved.get(level.sku or "") or {}).get("inventory_item_id")
            if item:
                by_location.setdefault(level.location_id or self.default_location_id(), []).append((level, item))
        found: dict[tuple[str, str], Decimal] = {}
        for location, rows in by_location.items():
            for chunk in _chunks(rows, q.PAGE):
                ids = [m.gid("InventoryItem", item) for _, item in chunk]
                nodes = self._run(q.INVENTORY_LEVELS, {"ids": ids, "locationId": m.gid("Location", location)}).get("nodes") or []
                for node in nodes:
                    level = (node or {}).get("inventoryLevel")
                    if not level:
                        continue
                    available = next((x["quantity"] for x in level.get("quantities") or [] if x.get("name") == "available"), None)
                    if available is not None:
                        found[(m.numeric_id(node["id"]) or "", location)] = Decimal(available)
        out = []
        for location, rows in by_location.items():
            for level, item in rows:
                if (item, location) in found:
                    out.append(StockLevel(sku=level.sku, quantity=found[(item, location)], location_id=location,
                                          variant_id=level.variant_id, product_id=level.product_id,
                                          inventory_item_id=item, previous_quantity=found[(item, location)]))
        return out

    def set_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(levels)
        resolved = self._resolve_skus([lv.sku for lv in levels if not lv.inventory_item_id and lv.sku])
        rows: list[dict[str, Any]] = []
        for index, level in enumerate(levels):
            ids = resolved.get(level.sku or "", {}) if not level.inventory_item_id else {}
            item = level.inventory_item_id or ids.get("inventory_item_id")
            key = stock_key(level)
            if not item:
                results[index] = WriteResult(key=key, ok=False, error=f"SKU {level.sku!r} not found in Shopify")
                continue
            if level.quantity != level.quantity.to_integral_value():
                results[index] = WriteResult(key=key, ok=False, error=f"Shopify quantities are whole numbers, got {level.quantity}")
                continue
            rows.append({
                "index": index, "key": key, "item": m.numeric_id(item), "location": level.location_id or self.default_location_id(),
                "quantity": int(level.quantity),
                "change_from": int(level.previous_quantity) if level.previous_quantity is not None else None,
                "variant_id": level.variant_id or ids.get("variant_id"), "product_id": level.product_id or ids.get("product_id"),
            })
        for chunk in _chunks(rows, self.capabilities.stock_batch_size):
            self._push_stock(list(chunk), results, attempt=0)
        return [r or WriteResult(key=stock_key(levels[i]), ok=False, error="not sent") for i, r in enumerate(results)]

    def _push_stock(self, rows: list[dict[str, Any]], results: list[WriteResult | None], attempt: int) -> None:
        if not rows:
            return
        document = f"gid://wix-commerce-sync/StockSync/{uuid.uuid4()}"
        variables = {
            "key": str(uuid.uuid4()),  # one key per logical write; HTTP retries resend it unchanged
            "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": document,
                "quantities": [
                    {"inventoryItemId": m.gid("InventoryItem", r["item"]), "locationId": m.gid("Location", r["location"]),
                     "quantity": r["quantity"], "changeFromQuantity": r["change_from"]}  # null sent explicitly
                    for r in rows
                ],
            },
        }
        try:
            payload = self._run(q.INVENTORY_SET, variables, idempotent=True)["inventorySetQuantities"]  # absolute + keyed
        except SyncError as exc:
            for r in rows:
                results[r["index"]] = WriteResult(key=r["key"], ok=False, error=exc.message, retryable=exc.retryable)
            return
        errors = payload.get("userErrors") or []
        if not errors:
            for r in rows:
                results[r["index"]] = WriteResult(key=r["key"], ok=True, external_id=r["item"], data={
                    "inventory_item_id": r["item"], "location_id": r["location"], "variant_id": r["variant_id"],
                    "product_id": r["product_id"], "quantity": r["quantity"], "reference": document,
                    **({"overwrote_store_change": r["overwrote"]} if r.get("overwrote") else {})})
            return
        by_row: dict[int, dict[str, Any]] = {}
        for error in errors:
            path = error.get("field") or []
            if len(path) >= 3 and path[1] == "quantities" and str(path[2]).isdigit():
                by_row.setdefault(int(path[2]), error)
            else:  # an error about the whole call
                for r in rows:
                    results[r["index"]] = WriteResult(key=r["key"], ok=False, error=error.get("message"))
                return
        stale = [rows[i] for i, e in by_row.items() if e.get("code") == STALE]
        for i, error in by_row.items():
            if error.get("code") != STALE:
                results[rows[i]["index"]] = WriteResult(key=rows[i]["key"], ok=False,
                                                        error=f"{error.get('code')}: {error.get('message')}")
        clean = [r for i, r in enumerate(rows) if i not in by_row]
        if stale and self.stale_stock_policy == STALE_SKIP:
            self._report_stale_conflicts(stale, results)
        elif stale and attempt < STALE_RETRIES:
            self._refresh_change_from(stale)
            clean += stale
        else:
            for r in stale:
                results[r["index"]] = WriteResult(key=r["key"], ok=False, retryable=True,
                                                  error="CHANGE_FROM_QUANTITY_STALE: the store quantity kept changing")
        self._push_stock(clean, results, attempt + 1)  # the mutation is all-or-nothing: resend the good rows

    @property
    def stale_stock_policy(self) -> str:
        """What a stale ``changeFromQuantity`` means for this store (Commerce Store "Stock Conflict Policy"):
        ``overwrite`` - ERPNext is the stock master: re-base on the store's current figure, write ERPNext's, and
        log the concurrent store change that is overwritten (Shopify's docs allow this only for a system that is
        the source of truth); ``skip`` - the store's concurrent change wins: nothing is written, the row is
        reported as a conflict."""
        policy = str(self.config.options.get("stale_stock_policy") or STALE_OVERWRITE)
        if policy not in (STALE_OVERWRITE, STALE_SKIP):
            raise ValidationError(f"unknown stale_stock_policy {policy!r}: use {STALE_OVERWRITE!r} or {STALE_SKIP!r}")
        return policy

    def _current_quantities(self, rows: list[dict[str, Any]]) -> dict[tuple[str, str], Decimal]:
        probes = [StockLevel(sku=None, quantity=Decimal(0), location_id=r["location"], inventory_item_id=r["item"]) for r in rows]
        return {(lv.inventory_item_id or "", lv.location_id or ""): lv.quantity for lv in self.read_stock(probes)}

    def _refresh_change_from(self, rows: list[dict[str, Any]]) -> None:
        """Policy ``overwrite``: re-read current quantities and make them the CAS base; each overwrite of a
        concurrent store change is logged and reported on the row's result."""
        current = self._current_quantities(rows)
        for r in rows:
            value = current.get((r["item"], r["location"]))
            if value is not None and r["change_from"] is not None and int(value) != r["change_from"]:
                r.setdefault("overwrote", []).append({"expected": r["change_from"], "found": int(value), "written": r["quantity"]})
                log.warning("Shopify store %s: stock of inventory item %s at %s changed on the store (%s expected, %s found); "
                            "ERPNext is the stock master, writing %s", self.config.name, r["item"], r["location"],
                            r["change_from"], int(value), r["quantity"])
            r["change_from"] = int(value) if value is not None else None

    def _report_stale_conflicts(self, rows: list[dict[str, Any]], results: list[WriteResult | None]) -> None:
        """Policy ``skip``: the concurrent store change is kept; ERPNext's figure is not written."""
        current = self._current_quantities(rows)
        for r in rows:
            found = current.get((r["item"], r["location"]))
            results[r["index"]] = WriteResult(
                key=r["key"], ok=False, retryable=False,
                error=(f"CONFLICT: the store's quantity changed since ERPNext read it ({r['change_from']} expected, "
                       f"{found if found is None else int(found)} found); not overwritten (stock conflict policy: skip)"),
                data={"conflict": True, "expected": r["change_from"], "found": None if found is None else int(found),
                      "wanted": r["quantity"]})

    # ------------------------------------------------------------------ products
    def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for chunk in _chunks(list(products), self.capabilities.product_batch_size):
            results.extend(self._product_set_batch(chunk))
        return results

    @staticmethod
    def _product_key(product: Product) -> str:
        return next((v.sku for v in product.variants if v.sku), None) or product.external_id or product.title

    def _product_set_batch(self, products: Sequence[Product]) -> list[WriteResult]:
        prepared: list[tuple[int, Product, dict[str, Any]]] = []
        results: list[WriteResult | None] = [None] * len(products)
        for index, product in enumerate(products):
            try:
                prepared.append((index, product, m.product_set_input(product)))
            except ValueError as exc:
                results[index] = WriteResult(key=self._product_key(product), ok=False, error=str(exc))
        if prepared:
            made = self._products_made_earlier([p for _, p, _ in prepared if not p.external_id])
            variables: dict[str, Any] = {}
            for slot, (_, product, data) in enumerate(prepared):
                variables[f"input{slot}"] = data
                known = product.external_id or made.get(id(product))
                variables[f"identifier{slot}"] = {"id": m.gid("Product", known)} if known else None
            document = q.batched_mutation("ProductSetBatch", q.PRODUCT_SET_FIELD, len(prepared), "ProductSetInput", "ProductSetIdentifiers")
            updates_only = all(variables[f"identifier{slot}"] for slot in range(len(prepared)))
            try:
                data = self._run(document, variables, idempotent=updates_only)
            except SyncError as exc:
                for index, product, _ in prepared:
                    results[index] = WriteResult(key=self._product_key(product), ok=False, error=exc.message, retryable=exc.retryable)
                return [r for r in results if r is not None]
            for slot, (index, product, _) in enumerate(prepared):
                results[index] = self._product_result(product, data.get(f"m{slot}") or {})
        return [r for r in results if r is not None]

    def _products_made_earlier(self, products: Sequence[Product]) -> dict[int, str]:
        """Look first (issue 11): a product to create whose SKUs all belong to one Shopify product was
        made by an earlier attempt whose answer was lost; it is updated by id instead of made twice."""
        skus = [v.sku for p in products for v in p.variants if v.sku]
        if not skus:
            return {}
        for sku in skus:
            self._sku_cache.pop(sku, None)  # the store's word, not what this connector saw before
        found = self._resolve_skus(skus)
        made: dict[int, str] = {}
        for product in products:
            owners = {(found.get(v.sku or "") or {}).get("product_id") for v in product.variants}
            if len(owners) == 1 and None not in owners and "" not in owners:
                made[id(product)] = owners.pop()
        return made

    def _product_result(self, product: Product, payload: dict[str, Any]) -> WriteResult:
        key = self._product_key(product)
        if payload.get("userErrors"):
            text = "; ".join(f"{'.'.join(map(str, e.get('field') or []))}: {e.get('message')}" for e in payload["userErrors"])
            return WriteResult(key=key, ok=False, error=text)
        node = payload.get("product") or {}
        info = (node.get("variants") or {}).get("pageInfo") or {}
        if info.get("hasNextPage"):  # Shopify allows 2,048 variants; the answer holds 250
            extra = self._paginate_nested(q.PRODUCT_VARIANTS_PAGE, "product", "variants", node["id"],
                                          q.VARIANT_FOLLOWUP_PAGE, info.get("endCursor"))
            node = {**node, "variants": {"nodes": list((node.get("variants") or {}).get("nodes") or []) + extra}}
        variants = [
            {"sku": v.get("sku"), "variant_id": m.numeric_id(v["id"]),
             "inventory_item_id": m.numeric_id((v.get("inventoryItem") or {}).get("id"))}
            for v in (node.get("variants") or {}).get("nodes") or []
        ]
        for v in variants:
            if v["sku"]:
                self._sku_cache[v["sku"]] = {"variant_id": v["variant_id"], "product_id": m.numeric_id(node["id"]) or "",
                                             "inventory_item_id": v["inventory_item_id"]}
        return WriteResult(key=key, ok=True, external_id=m.numeric_id(node.get("id")), data={"variants": variants},
                           store_updated_at=utc(node.get("updatedAt")))

    def update_prices(self, products: Sequence[Product]) -> list[WriteResult]:
        """Price-only change through productVariantsBulkUpdate (keeps every other variant)."""
        results = []
        for product in products:
            key = self._product_key(product)
            rows = [{"id": m.gid("ProductVariant", v.external_id), "price": str(v.price),
                     **({"compareAtPrice": str(v.compare_at_price)} if v.compare_at_price is not None else {})}
                    for v in product.variants if v.external_id]
            if not product.external_id or not rows:
                results.append(WriteResult(key=key, ok=False, error="price updates need product and variant ids"))
                continue
            try:
                payload = self._run(q.VARIANTS_BULK_UPDATE, {"productId": m.gid("Product", product.external_id), "variants": rows},
                                    idempotent=True)  # absolute prices on variants by id
            except SyncError as exc:
                results.append(WriteResult(key=key, ok=False, error=exc.message, retryable=exc.retryable))
                continue
            errors = payload["productVariantsBulkUpdate"].get("userErrors") or []
            results.append(WriteResult(key=key, ok=not errors, external_id=product.external_id,
                                       error="; ".join(e.get("message", "") for e in errors) or None))
        return results

    # ------------------------------------------------------------------ orders
    def update_order_status(self, updates: Sequence[OrderStatusUpdate]) -> list[WriteResult]:
        results = []
        for update in updates:
            word = self.status_map.to_store(update.status)
            if word == "cancelled":
                results.extend(self.cancel_orders([update.order_id], update.note))
            elif word == "fulfilled":
                results.extend(self.create_fulfilments([Fulfilment(order_id=update.order_id)]))
            elif word is None:
                results.append(WriteResult(key=update.order_id, ok=False,
                                           error=f"no Shopify status is mapped for {update.status.value}"))
            elif word == "refunded":
                results.append(WriteResult(key=update.order_id, ok=False,
                                           error="Shopify refunds need amounts: record them with record_refunds"))
            else:  # open / pending / partially_fulfilled: Shopify derives these, nothing to write
                results.append(WriteResult(key=update.order_id, ok=True, external_id=update.order_id,
                                           data={"store_status": word, "action": "none"}))
        return results

    def create_fulfilments(self, fulfilments: Sequence[Fulfilment]) -> list[WriteResult]:
        results = []
        for fulfilment in fulfilments:
            try:
                results.append(self._fulfil(fulfilment))
            except SyncError as exc:
                results.append(WriteResult(key=fulfilment.order_id, ok=False, error=exc.message, retryable=exc.retryable))
        return results

    def _fulfil(self, fulfilment: Fulfilment) -> WriteResult:
        key = fulfilment.order_id
        earlier = self._fulfilled_earlier(fulfilment) if fulfilment.lines else None
        if earlier:
            return WriteResult(key=key, ok=True, external_id=earlier, data={"fulfillment_ids": [earlier], "existing": True})
        open_fos = [fo for fo in self._fulfillment_orders(fulfilment.order_id) if fo.get("status") in ("OPEN", "IN_PROGRESS")]
        if not open_fos:
            return WriteResult(key=key, ok=True, external_id=None, data={"already_fulfilled": True})
        groups = self._fulfilment_groups(fulfilment, open_fos)
        if isinstance(groups, str):
            return WriteResult(key=key, ok=False, error=groups)
        tracking = {k: v for k, v in (("company", fulfilment.tracking_company), ("number", fulfilment.tracking_number),
                                      ("url", fulfilment.tracking_url)) if v}
        ids = []
        for location, group in groups.items():  # one call per location (Shopify's rule)
            data: dict[str, Any] = {"lineItemsByFulfillmentOrder": group, "notifyCustomer": fulfilment.notify_customer}
            if tracking:
                data["trackingInfo"] = tracking
            payload = self._run(q.FULFILLMENT_CREATE, {"fulfillment": data})["fulfillmentCreate"]
            if payload.get("userErrors"):
                return WriteResult(key=key, ok=False, error="; ".join(e.get("message", "") for e in payload["userErrors"]),
                                   data={"fulfillment_ids": ids, "location_id": location})
            ids.append(m.numeric_id(payload["fulfillment"]["id"]))
        return WriteResult(key=key, ok=True, external_id=ids[0] if ids else None, data={"fulfillment_ids": ids})

    def _fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        """Every fulfillment order of the order, page after page (an order can have more than a page)."""
        found: list[dict[str, Any]] = []
        after = None
        while True:
            order = self._run(q.FULFILLMENT_ORDERS, {"id": m.gid("Order", order_id), "first": q.FULFILLMENT_ORDER_PAGE,
                                                     "after": after}).get("order")
            if not order:
                raise NotFoundError(f"Shopify order {order_id} not found")
            page = order.get("fulfillmentOrders") or {}
            for fo in page.get("nodes") or []:
                if ((fo.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"):
                    raise ValidationError(f"Shopify order {order_id}: a fulfillment order has more than 50 lines; "
                                          "not fulfilled rather than fulfilled in part")
                found.append(fo)
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return found
            after = info.get("endCursor")

    def _fulfilled_earlier(self, fulfilment: Fulfilment) -> str | None:
        """Look first (issue 11): fulfillmentCreate has no idempotency key and no field for a marker, so
        an attempt whose answer was lost is recognised by what it made: a fulfilment of exactly these
        lines (and this tracking number), made no earlier than the Delivery Note it comes from."""
        order = self._run(q.ORDER_FULFILLMENTS, {"id": m.gid("Order", fulfilment.order_id),
                                                 "first": q.FULFILLMENTS_LOOKBACK}).get("order") or {}
        wanted: dict[str, int] = {}
        for ref, qty in fulfilment.lines:
            wanted[ref] = wanted.get(ref, 0) + int(qty)
        since = utc(fulfilment.created_at) - FULFILMENT_CLOCK_SKEW if fulfilment.created_at else None
        for made in order.get("fulfillments") or []:
            if since is not None and utc(made.get("createdAt")) < since:
                continue
            numbers = {t.get("number") for t in made.get("trackingInfo") or []}
            if fulfilment.tracking_number and fulfilment.tracking_number not in numbers:
                continue
            shipped: dict[str, int] = {}
            for node in (made.get("fulfillmentLineItems") or {}).get("nodes") or []:
                line = node.get("lineItem") or {}
                ref = line.get("sku") if line.get("sku") in wanted else m.numeric_id(line.get("id"))
                shipped[ref or ""] = shipped.get(ref or "", 0) + int(node.get("quantity") or 0)
            if shipped == wanted:
                return m.numeric_id(made.get("id"))
        return None

    @staticmethod
    def _fulfilment_groups(fulfilment: Fulfilment, fos: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]] | str:
        groups: dict[str, list[dict[str, Any]]] = {}

        def location_of(fo: dict[str, Any]) -> str:
            return m.numeric_id(((fo.get("assignedLocation") or {}).get("location") or {}).get("id")) or "?"

        if not fulfilment.lines:  # everything still open
            for fo in fos:
                groups.setdefault(location_of(fo), []).append({"fulfillmentOrderId": fo["id"]})
            return groups
        pool = [(fo, li) for fo in fos for li in (fo.get("lineItems") or {}).get("nodes") or [] if li.get("remainingQuantity")]
        picked: dict[str, dict[str, int]] = {}
        for ref, qty in fulfilment.lines:
            need = int(qty)
            for fo, li in pool:
                line = li.get("lineItem") or {}
                if ref not in (m.numeric_id(line.get("id")), line.get("sku")):
                    continue
                already = picked.get(fo["id"], {}).get(li["id"], 0)
                take = min(need, int(li["remainingQuantity"]) - already)
                if take > 0:
                    picked.setdefault(fo["id"], {})[li["id"]] = already + take
                    need -= take
                if need == 0:
                    break
            if need:
                return f"line {ref!r}: {qty} requested, only {int(qty) - need} left to fulfil"
        for fo in fos:
            if fo["id"] in picked:
                groups.setdefault(location_of(fo), []).append({
                    "fulfillmentOrderId": fo["id"],
                    "fulfillmentOrderLineItems": [{"id": i, "quantity": n} for i, n in picked[fo["id"]].items()],
                })
        return groups

    def cancel_orders(self, order_ids: Sequence[str], reason: str | None = None) -> list[WriteResult]:
        options = self.config.options
        enum = (reason or "OTHER").strip().upper()
        results = []
        for order_id in order_ids:
            variables = {
                "orderId": m.gid("Order", order_id),
                "reason": enum if enum in CANCEL_REASONS else "OTHER",
                "refundMethod": {"originalPaymentMethodsRefund": bool(options.get("cancel_refund", True))},
                "restock": bool(options.get("cancel_restock", True)),
                "notifyCustomer": bool(options.get("notify_customer", False)),
                "staffNote": (reason or "Cancelled from ERPNext")[:255],
            }
            try:
                # resending is harmless: a cancelled order refuses a second cancel, and _cancel_result reads its state
                payload = self._run(q.ORDER_CANCEL, variables, idempotent=True)["orderCancel"]
            except SyncError as exc:
                results.append(WriteResult(key=order_id, ok=False, error=exc.message, retryable=exc.retryable))
                continue
            try:
                results.append(self._cancel_result(order_id, payload))
            except SyncError as exc:
                results.append(WriteResult(key=order_id, ok=False, error=exc.message, retryable=exc.retryable))
        return results

    def _cancel_result(self, order_id: str, payload: dict[str, Any]) -> WriteResult:
        """Shopify has no "already cancelled" error code (2026-04 ``OrderCancelUserErrorCode``): on any
        user error the order itself says whether it is cancelled; on success the cancel runs as a job."""
        errors = payload.get("orderCancelUserErrors") or []
        if errors:
            order = self._run(q.ORDER_CANCELLED_AT, {"id": m.gid("Order", order_id)}).get("order") or {}
            if order.get("cancelledAt"):
                return WriteResult(key=order_id, ok=True, external_id=order_id, data={"already_cancelled": True})
            return WriteResult(key=order_id, ok=False, error="; ".join(e.get("message", "") for e in errors))
        job = payload.get("job") or {}
        if job.get("id") and not job.get("done") and not self._wait_for_job(job["id"]):
            return WriteResult(key=order_id, ok=False, retryable=True, data={"job": job},
                               error="Shopify's cancel job has not finished; the order is not cancelled yet")
        return WriteResult(key=order_id, ok=True, external_id=order_id, data={"job": {**job, "done": True}})

    def _wait_for_job(self, job_id: str) -> bool:
        interval = float(self.config.options.get("job_poll_interval", 0.5))
        for _ in range(int(self.config.options.get("job_poll_rounds", 20))):
            if (self._run(q.JOB, {"id": job_id}).get("job") or {}).get("done"):
                return True
            time.sleep(interval)
        return False

    def record_refunds(self, refunds: Sequence[Refund]) -> list[WriteResult]:
        results = []
        for refund in refunds:
            key = refund.external_id or refund.order_id
            try:
                results.append(self._refund(refund, key))
            except SyncError as exc:
                results.append(WriteResult(key=key, ok=False, error=exc.message, retryable=exc.retryable))
        return results

    def _refund(self, refund: Refund, key: str) -> WriteResult:
        order = self._run(q.ORDER_FOR_REFUND, {"id": m.gid("Order", refund.order_id), "first": q.PAGE}).get("order")
        if not order:
            raise NotFoundError(f"Shopify order {refund.order_id} not found")
        refund_lines = self._refund_lines(refund, order)
        if isinstance(refund_lines, str):
            return WriteResult(key=key, ok=False, error=refund_lines)
        data: dict[str, Any] = {"orderId": m.gid("Order", refund.order_id), "notify": False,
                                "note": m.refund_note(refund), "refundLineItems": refund_lines}
        presentment = order.get("presentmentCurrencyCode") or order.get("currencyCode")
        if presentment and presentment != order.get("currencyCode"):
            data["currency"] = presentment  # RefundInput.currency: required when shop and customer currency differ
        if refund.amount and self.config.options.get("api_refund") is True:  # money moves only when the store says so
            parent = next((t for t in order.get("transactions") or []
                           if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"), None)
            if parent is None:
                return WriteResult(key=key, ok=False, error="the order has no successful payment to refund against")
            data["transactions"] = [{"orderId": data["orderId"], "parentId": parent["id"], "gateway": parent.get("gateway"),
                                     "kind": "REFUND", "amount": str(self._in_presentment(refund, order, parent))}]
        # deterministic key: the same ERP refund re-sent (retry, re-run) is created only once
        identity = refund.external_id or json.dumps([str(refund.amount), [(r, str(n)) for r, n in refund.lines]])
        idem = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{self.config.name}|{refund.order_id}|{identity}"))
        payload = self._run(q.REFUND_CREATE, {"input": data, "key": idem})["refundCreate"]
        if payload.get("userErrors"):
            return WriteResult(key=key, ok=False, error="; ".join(e.get("message", "") for e in payload["userErrors"]))
        return WriteResult(key=key, ok=True, external_id=m.numeric_id(payload["refund"]["id"]), data={"idempotency_key": idem})

    @staticmethod
    def _refund_lines(refund: Refund, order: dict[str, Any]) -> list[dict[str, Any]] | str:
        """RefundLineItemRestockType: CANCEL "when restocking unfulfilled line items", RETURN for fulfilled
        ones. Refunded units are taken from the unfulfilled units first (a refund before shipping)."""
        lines: dict[str, dict[str, Any]] = {}
        for li in (order.get("lineItems") or {}).get("nodes") or []:
            lines[m.numeric_id(li["id"]) or ""] = li
            if li.get("sku"):
                lines.setdefault(li["sku"], li)
        rows: list[dict[str, Any]] = []
        for ref, qty in refund.lines:
            line = lines.get(ref)
            if line is None:
                return f"refund line {ref!r} is not on order {refund.order_id}"
            quantity = int(qty)
            if not refund.restock:
                rows.append({"lineItemId": line["id"], "quantity": quantity, "restockType": "NO_RESTOCK"})
                continue
            unfulfilled = min(quantity, int(line.get("unfulfilledQuantity") or 0))
            if unfulfilled:
                rows.append({"lineItemId": line["id"], "quantity": unfulfilled, "restockType": "CANCEL"})
            if quantity - unfulfilled:
                rows.append({"lineItemId": line["id"], "quantity": quantity - unfulfilled, "restockType": "RETURN"})
        return rows

    @staticmethod
    def _in_presentment(refund: Refund, order: dict[str, Any], parent: dict[str, Any]) -> Decimal:
        """Refund transaction amounts are in the order's presentment currency; ERP amounts in the shop's
        are converted at the rate of the payment being refunded."""
        shop, presentment = order.get("currencyCode"), order.get("presentmentCurrencyCode") or order.get("currencyCode")
        if presentment == shop or (refund.currency and refund.currency == presentment):
            return refund.amount
        bag = parent.get("amountSet") or {}
        shop_amount = Decimal(str((bag.get("shopMoney") or {}).get("amount") or 0))
        paid = Decimal(str((bag.get("presentmentMoney") or {}).get("amount") or 0))
        if not shop_amount:
            raise ValidationError(f"order {refund.order_id}: no exchange rate to refund in {presentment}")
        return (refund.amount * paid / shop_amount).quantize(Decimal("0.01"))

    def create_orders(self, orders: Sequence[Order]) -> list[WriteResult]:
        """ERPNext-made orders -> orderCreate; tagged so a re-run finds them instead of duplicating."""
        tags = {o.external_id: self._erp_tag(o.external_id) for o in orders}
        existing: dict[str, str] = {}
        for chunk in _chunks(list(tags.values()), 50):
            search = " OR ".join(f"tag:'{t}'" for t in chunk)
            for node in self._paginate(q.ORDERS_BY_TAG, "orders", {"first": q.PAGE, "query": search}):
                for tag in node.get("tags") or []:
                    existing[tag] = m.numeric_id(node["id"]) or ""
        results = []
        for order in orders:
            tag = tags[order.external_id]
            if tag in existing:
                results.append(WriteResult(key=order.external_id, ok=True, external_id=existing[tag], data={"existing": True}))
                continue
            try:
                payload = self._run(q.ORDER_CREATE, {"order": self._order_input(order, tag),
                                                     "options": {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY",
                                                                 "sendReceipt": False}})["orderCreate"]
            except SyncError as exc:
                results.append(WriteResult(key=order.external_id, ok=False, error=exc.message, retryable=exc.retryable))
                continue
            if payload.get("userErrors"):
                results.append(WriteResult(key=order.external_id, ok=False,
                                           error="; ".join(e.get("message", "") for e in payload["userErrors"])))
            else:
                results.append(WriteResult(key=order.external_id, ok=True, external_id=m.numeric_id(payload["order"]["id"]),
                                           data={"name": payload["order"].get("name")}))
        return results

    @staticmethod
    def _erp_tag(order_id: str) -> str:
        return "erp-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in order_id)

    def _order_input(self, order: Order, tag: str) -> dict[str, Any]:
        currency = order.currency or self.config.currency or "USD"

        def price(amount: Decimal) -> dict[str, Any]:
            return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}

        def taxes(lines: list) -> list[dict[str, Any]]:
            return [{"title": t.title, "rate": float(t.rate) if t.rate is not None else 0.0, "priceSet": price(t.amount)}
                    for t in lines]

        items = []
        for line in order.lines:
            item: dict[str, Any] = {"quantity": int(line.quantity), "priceSet": price(line.unit_price), "taxLines": taxes(line.taxes)}
            if line.variant_id:
                item["variantId"] = m.gid("ProductVariant", line.variant_id)
            else:
                item.update({"title": line.title, "sku": line.sku})
            items.append(item)
        data: dict[str, Any] = {
            "currency": currency,
            "lineItems": items,
            "email": order.email,
            "taxesIncluded": order.taxes_included,
            "financialStatus": (order.financial_status.value if order.financial_status else "pending").upper(),
            "tags": [tag],
            "note": order.note,
            "shippingLines": [{"title": s.title, "priceSet": price(s.amount), "taxLines": taxes(s.taxes)} for s in order.shipping_lines],
        }
        discount = sum((d.amount for d in order.discounts), Decimal(0)) + sum((li.discount for li in order.lines), Decimal(0))
        if discount:
            # 2026-04 OrderCreateDiscountCodeInput: item*/freeShipping codes only; a fixed amount across the items
            data["discountCode"] = {"itemFixedDiscountCode": {"code": "ERP", "amountSet": price(discount)}}
        for key, address in (("billingAddress", order.billing_address), ("shippingAddress", order.shipping_address)):
            if address is not None and not address.is_empty():
                data[key] = m.address_input(address)
        return {k: v for k, v in data.items() if v is not None}

    # ------------------------------------------------------------------ customers
    def upsert_customers(self, customers: Sequence[Customer]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for chunk in _chunks(list(customers), self.capabilities.customer_batch_size):
            variables: dict[str, Any] = {}
            for slot, customer in enumerate(chunk):
                variables[f"input{slot}"] = m.customer_set_input(customer)
                if customer.external_id:
                    variables[f"identifier{slot}"] = {"id": m.gid("Customer", customer.external_id)}
                elif customer.email:
                    variables[f"identifier{slot}"] = {"email": customer.email}  # upsert by unique email
                elif customer.phone:
                    variables[f"identifier{slot}"] = {"phone": customer.phone}  # upsert by unique phone
                else:  # a plain create, marked so that a retry after a lost answer finds it
                    variables[f"input{slot}"]["tags"] = [self._customer_marker(customer)]
                    variables[f"identifier{slot}"] = None
            self._customers_made_earlier(chunk, variables)
            document = q.batched_mutation("CustomerSetBatch", q.CUSTOMER_SET_FIELD, len(chunk), "CustomerSetInput", "CustomerSetIdentifiers")
            upserts_only = all(variables[f"identifier{slot}"] for slot in range(len(chunk)))
            try:
                data = self._run(document, variables, idempotent=upserts_only)
            except SyncError as exc:
                results.extend(WriteResult(key=c.email or c.external_id or "?", ok=False, error=exc.message,
                                           retryable=exc.retryable) for c in chunk)
                continue
            for slot, customer in enumerate(chunk):
                payload = data.get(f"m{slot}") or {}
                key = customer.email or customer.external_id or "?"
                if payload.get("userErrors"):
                    results.append(WriteResult(key=key, ok=False, error="; ".join(e.get("message", "") for e in payload["userErrors"])))
                else:
                    made = payload.get("customer") or {}
                    results.append(WriteResult(key=key, ok=True, external_id=m.numeric_id(made.get("id")),
                                               store_updated_at=utc(made.get("updatedAt"))))
        return results

    @staticmethod
    def _customer_marker(customer: Customer) -> str:
        """A customer with neither email nor phone has no unique key on Shopify: a tag made from what
        identifies it (name, company, addresses) marks the create, for the look-first of a retry."""
        identity = json.dumps([customer.first_name, customer.last_name, customer.company,
                               [(a.line1, a.city, a.postcode, a.country_code) for a in customer.addresses]])
        return "erp-customer-" + hashlib.sha256(identity.encode()).hexdigest()[:16]

    def _customers_made_earlier(self, chunk: Sequence[Customer], variables: dict[str, Any]) -> None:
        """Look first (issue 11): a marked create whose tag is already on a Shopify customer becomes an update."""
        marked = {variables[f"input{slot}"]["tags"][0]: slot for slot in range(len(chunk))
                  if variables[f"identifier{slot}"] is None}
        if not marked:
            return
        search = " OR ".join(f"tag:'{tag}'" for tag in marked)
        for node in self._paginate(q.CUSTOMERS_BY_TAG, "customers", {"first": q.PAGE, "query": search}):
            for tag in node.get("tags") or []:
                if tag in marked:
                    variables[f"identifier{marked[tag]}"] = {"id": node["id"]}

    # ------------------------------------------------------------------ webhooks
    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        h = lower_headers(headers)
        verify_hmac_b64(self.config.webhook_secret, body, h.get("x-shopify-hmac-sha256"), header="X-Shopify-Hmac-Sha256")
        if not h.get("x-shopify-topic"):
            raise WebhookVerificationError("missing X-Shopify-Topic header")
        expected_shop = self.config.options.get("shop_domain")
        if expected_shop and h.get("x-shopify-shop-domain") != expected_shop:
            raise WebhookVerificationError("X-Shopify-Shop-Domain is not this store")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        with payload_errors_refused("Shopify"):
            return self._parse_webhook(body, headers)

    def _parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        h = lower_headers(headers)
        topic = h.get("x-shopify-topic") or ""
        try:
            payload = json.loads(body, parse_float=str)  # ints stay int: ids beyond 2**53 stay exact
        except ValueError as exc:
            raise ValidationError("Shopify webhook body is not JSON") from exc
        if not isinstance(payload, dict):
            raise ValidationError("Shopify webhook body is not a JSON object")
        self._check_payload_version(h.get("x-shopify-api-version"))
        triggered = utc(h["x-shopify-triggered-at"]) if h.get("x-shopify-triggered-at") else None
        entity, action, record, external_id, changed = self._webhook_record(topic, payload)
        occurred = changed or triggered
        return WebhookEvent(
            topic=topic, entity=entity, action=action, external_id=external_id,
            dedupe_key=self._dedupe_key(h, topic, body), ordering_key=ordering_key(occurred),
            occurred_at=occurred, record=record, payload=payload,
        )

    def _check_payload_version(self, version: str | None) -> None:
        """Webhook payloads follow the app's configured webhook version, not this store's API version
        ("You can't specify it per subscription"): say so once when they differ."""
        if version and version != self.client.api_version and version not in self._warned_versions:
            self._warned_versions.add(version)
            log.warning("Shopify store %s: webhooks arrive in API version %s while the store uses %s; align the app's "
                        "webhook API version", self.config.name, version, self.client.api_version)

    @staticmethod
    def _dedupe_key(h: Mapping[str, str], topic: str, body: bytes) -> str:
        """X-Shopify-Webhook-Id is "a unique composite key per delivery. Use to identify and deduplicate";
        X-Shopify-Event-Id is shared by every delivery of one merchant action, so it is no key alone."""
        if h.get("x-shopify-webhook-id"):
            return f"shopify:{h['x-shopify-webhook-id']}"
        digest = hashlib.sha256(topic.encode() + b"|" + body).hexdigest()
        return f"shopify:{h.get('x-shopify-event-id') or 'body'}:{digest}"

    def _webhook_record(self, topic: str, payload: dict[str, Any]) -> tuple[Entity, str, Any, str | None, datetime | None]:
        resource, _, verb = topic.partition("/")
        actions = {"create": "created", "update": "updated", "updated": "updated", "delete": "deleted",
                   "cancelled": "cancelled", "fulfilled": "fulfilled", "paid": "paid"}
        action = actions.get(verb, verb)
        try:
            if verb == "delete" and resource in DELETED_ENTITIES:
                return self._deleted(DELETED_ENTITIES[resource], payload)
            if resource == "orders":
                order = m.order_from_rest(payload, self.status_map)
                return Entity.ORDERS, action, order, order.external_id, order.updated_at
            if resource == "refunds":
                return self._refund_event(payload)
            if resource == "products":
                product = m.product_from_rest(payload)
                return Entity.ITEMS, action, product, product.external_id, product.updated_at
            if resource == "inventory_levels":
                level = m.stock_from_rest(payload)
                return Entity.STOCK, "updated", [level], level.inventory_item_id, level.updated_at
            if resource == "customers":
                customer = m.customer_from_rest(payload)
                return Entity.CUSTOMERS, action, customer, customer.external_id, customer.updated_at
        except ValueError as exc:
            raise ValidationError(f"Shopify {topic} webhook: {exc}") from exc
        raise ValidationError(f"unsupported Shopify webhook topic {topic!r}")

    @staticmethod
    def _deleted(entity: Entity, payload: dict[str, Any]) -> tuple[Entity, str, Any, str | None, datetime | None]:
        """``*/delete`` bodies carry the id alone."""
        ident = m.numeric_id(payload.get("id"))
        if not ident:
            raise ValueError("a deleted-record webhook needs 'id'")
        return entity, "deleted", DeletedRecord(entity, ident), ident, None

    def _refund_event(self, payload: dict[str, Any]) -> tuple[Entity, str, Any, str | None, datetime | None]:
        """A Refund is not an Order: it is queued under a key of its own, so it cannot supersede a queued
        ``orders/updated`` of the same order (nor be superseded by it); the worker applies it by re-reading the
        order (its refunds in shop money, the same figures as the poll), never the webhook request."""
        refund = m.refund_from_rest(payload)
        return Entity.ORDERS, "refunded", refund, f"{refund.order_id}/refund/{refund.external_id}", refund.created_at

    @staticmethod
    def topic_enum(topic: str) -> str:
        return topic.replace("/", "_").upper()

    @staticmethod
    def topic_name(enum: str) -> str:
        """``INVENTORY_LEVELS_UPDATE`` -> ``inventory_levels/update`` (the verb is the last word)."""
        resource, _, verb = enum.lower().rpartition("_")
        return f"{resource}/{verb}" if resource else verb

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookRegistration]:
        existing = {(w.topic, w.address): w for w in self.list_webhooks()}
        registrations = []
        for topic in topics:
            if (topic, address) in existing:
                registrations.append(existing[(topic, address)])
                continue
            payload = self._run(q.WEBHOOK_CREATE, {"topic": self.topic_enum(topic),
                                                   "webhookSubscription": {"uri": address, "format": "JSON"}})["webhookSubscriptionCreate"]
            if payload.get("userErrors"):
                raise ValidationError(f"webhookSubscriptionCreate {topic}: {payload['userErrors']}")
            sub = payload["webhookSubscription"]
            registrations.append(WebhookRegistration(external_id=m.numeric_id(sub["id"]) or "", topic=topic, address=sub["uri"]))
        return registrations

    def list_webhooks(self) -> list[WebhookRegistration]:
        return [
            WebhookRegistration(external_id=m.numeric_id(n["id"]) or "", topic=self.topic_name(n["topic"]),
                                address=n.get("uri") or "")
            for n in self._paginate(q.WEBHOOKS, "webhookSubscriptions", {"first": q.PAGE})
        ]

    def unregister_webhooks(self, address: str) -> int:
        removed = 0
        for registration in self.list_webhooks():
            if registration.address == address:
                payload = self._run(q.WEBHOOK_DELETE, {"id": m.gid("WebhookSubscription", registration.external_id)},
                                    idempotent=True)
                if not payload["webhookSubscriptionDelete"].get("userErrors"):
                    removed += 1
        return removed

    def close(self) -> None:
        self.client.close()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
