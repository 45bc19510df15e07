"""A stateful fake WooCommerce site (REST v3) on 127.0.0.1 for tests, the sandbox and benchmarks.

It follows the contract fixture taken from WooCommerce's PHP source
(``testing/contracts/woocommerce/rest_v3.json``), not the client: every query param and request field the
client sends is checked against it and an unknown one is recorded in ``contract_violations`` (the tests fail
on any). From the source: the delivery id is one hash per webhook per wall-clock second (``delivery_second``),
deleted payloads are ``{"id": N}``, a product's attribute list is replaced whole (an attribute without ``id``
is custom), a line's ``sku`` wins over its ids (an unknown sku makes a product-less line), top-level stock is
ignored while ``manage_stock_enabled`` (the store-wide option) is off, every refund failure is HTTP 500
``woocommerce_rest_cannot_create_order_refund``, the refund create answer has no ``refunded_payment``,
``GET /customers`` lists role "customer" unless ``role=all``, and ``price``/``on_sale`` follow the sale dates.

What it enforces, as WooCommerce does (platform-apis.md section 2):
- consumer key/secret by HTTP Basic or ``consumer_key``/``consumer_secret`` query params; 401 JSON errors;
- ``per_page`` at most 100, ``X-WP-Total`` / ``X-WP-TotalPages`` / ``Link`` headers;
- ``modified_after`` (+ ``dates_are_gmt``) on products and orders; the ``sku`` filter (comma separated)
  also matches variations; customers have no modified filter (WooCommerce has none);
- batch endpoints: at most 100 objects per call (413 otherwise), one result or ``{"id", "error"}`` per slot;
- order totals computed the WooCommerce way (net line subtotal/total, coupons spread over lines,
  tax-inclusive prices, shipping tax, fees, rounding of the order total from unrounded parts);
- webhooks: ping ``webhook_id=N`` (form body) on creation, body built at send time, one pending
  delivery per (webhook, resource) (coalescing), HMAC-SHA256 base64 signature, no retries,
  ``disabled`` on the 7th consecutive failure (the count is checked before it is raised), a count that
  re-activating over REST does not reset.

Switchable faults beyond the inherited ``Faults``: ``lose_answer_to(method, path_suffix, status)`` (that
request commits, then its answer is lost, past the reads a client makes first), ``waf_strip_auth`` (the host drops the
Authorization header, only query-string auth works), ``waf_block`` (403 or 501 HTML page from a
ModSecurity-like firewall), ``throttle_next(n, retry_after)`` (429 + Retry-After).

Chaos hooks, the same on the three simulators (issue 16): ``fail_batch_items_next(n)`` (the next n product/variation
batches apply only part of their items, the others answer the ``batch_items`` per-item error; counted in
``batch_items_failed``), ``refund_order`` (a wp-admin refund), ``edit_product``/``product_by_sku`` and
``edit_customer``/``customer_by_email`` (store-side edits with their webhooks).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlencode, urlsplit

from dateutil.parser import isoparse

from wix_commerce_sync.connectors.base import StoreConfig
from wix_commerce_sync.connectors.signing import hmac_sha256_b64
from wix_commerce_sync.sync.models import Platform
from wix_commerce_sync.testing.contracts.woocommerce import check_request, param_default
from wix_commerce_sync.testing.simulator import SimRequest, SimResponse, SimulatorServer, post_webhook

API = "/wp-json/wc/v3"
MAX_PER_PAGE = 100
MAX_BATCH = 100
MAX_DELIVERY_FAILURES = 5  # woocommerce_max_webhook_delivery_failures: disabled on the 7th consecutive failure
SITE_OFFSET = timedelta(hours=-3)  # site-local time of the plain date_* fields
D2, D6 = Decimal("0.01"), Decimal("0.000001")
SIM_CONSUMER_KEY = "ck_simulator_key_0123456789"
SIM_CONSUMER_SECRET = "cs_simulator_secret_0123456789"

WAF_403_PAGE = (
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\"><html><head><title>403 Forbidden</title></head><body>"
    "<h1>Forbidden</h1><p>You don't have permission to access this resource.</p>"
    "<p>Additionally, a 403 Forbidden error was encountered while trying to use an ErrorDocument. "
    "Mod_Security</p></body></html>"
)
WAF_501_PAGE = (
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\"><html><head><title>501 Method Not Implemented</title>"
    "</head><body><h1>Method Not Implemented</h1><p>POST to /wp-json/wc/v3 not supported.<br /></p></body></html>"
)


def q2(value: Decimal) -> Decimal:
    return value.quantize(D2, rounding=ROUND_HALF_UP)


def s2(value: Decimal) -> str:
    return str(q2(value))


def s6(value: Decimal) -> str:
    """Unrounded tax figures as WooCommerce prints them (no trailing zeros)."""
    text = format(value.quantize(D6, rounding=ROUND_HALF_UP).normalize(), "f")
    return text if text not in ("-0",) else "0"


def err(status: int, code: str, message: str) -> SimResponse:
    return SimResponse(status, {"code": code, "message": message, "data": {"status": status}})


def _slot_error(item_id: Any, code: str, message: str, status: int = 400) -> dict[str, Any]:
    return {"id": item_id, "error": {"code": code, "message": message, "data": {"status": status}}}


class WooCommerceSimulator(SimulatorServer):
    name = "woocommerce-sim"

    def __init__(
        self,
        *,
        consumer_key: str = SIM_CONSUMER_KEY,
        consumer_secret: str = SIM_CONSUMER_SECRET,
        currency: str = "USD",
        tax_rate: Decimal | str | int = 0,
        tax_label: str = "Tax",
        prices_include_tax: bool = False,
        round_at_subtotal: bool = False,
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.currency = currency
        self.tax_rate = Decimal(str(tax_rate))  # percent
        self.tax_label = tax_label
        self.prices_include_tax = prices_include_tax
        self.round_at_subtotal = round_at_subtotal
        # state
        self.now = datetime(2024, 1, 1, tzinfo=timezone.utc)
        self._post_ids = itertools.count(100)  # products, variations, orders, refunds share post ids
        self._user_ids = itertools.count(2)
        self._item_ids = itertools.count(1000)  # order items and notes
        self._delivery_seq = itertools.count(1)
        self.product_store: dict[int, dict[str, Any]] = {}  # products and variations
        self.sku_index: dict[str, int] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.refund_records: dict[int, list[dict[str, Any]]] = {}
        # order id -> [(product/variation id, units)] taken off the shelf (the order's _order_stock_reduced flag and
        # its items' _reduced_stock meta): given back when the order goes to cancelled or pending
        self.stock_reduced: dict[int, list[tuple[int, int]]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self._pending: list[tuple[int, str, int | None]] = []  # (webhook id, event|"ping", resource id)
        self._pending_keys: set[tuple[int, int | None]] = set()
        self.webhook_deliveries: list[tuple[str, int]] = []  # (topic, HTTP status)
        self.delivery_log: list[dict[str, Any]] = []  # full record of each delivery, for tests
        # switches
        self.auto_deliver = False
        self.waf_strip_auth = False
        self.waf_block: int | None = None  # 403 or 501
        self.missing_auth_style = "key_missing"  # or "cannot_view" (the other WooCommerce wording)
        self.webhook_timeout = 5.0
        self.manage_stock_enabled = True  # the store-wide "Enable stock management" option
        self.global_attributes: dict[int, str] = {}  # attribute taxonomy id -> name (pa_*)
        # WooCommerce's delivery id is wp_hash(webhook id . strtotime('now')): one per webhook per wall-clock second
        self.delivery_second = lambda: int(time.time())
        self.contract_violations: list[str] = []
        self._lose_rules: list[tuple[str, str, int | None]] = []  # params/fields the client sent that the contract does not know
        self._partial_batches = 0  # product/variation batch writes still to carry out only in part
        self.batch_items_failed = 0  # items those partial batches reported failed (and did not apply)

    # ------------------------------------------------------------------ config, clock, faults
    def store_config(self, name: str = "woo-sim", **options: Any) -> StoreConfig:
        return StoreConfig(
            name=name,
            platform=Platform.WOOCOMMERCE,
            base_url=self.base_url,
            credentials={"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret},
            webhook_secret=options.pop("webhook_secret", None),
            currency=self.currency,
            options=options,
            allow_insecure_http=True,
        )

    def lose_answer_to(self, method: str, path_suffix: str, status: int | None = None) -> None:
        """The next ``method`` request whose path ends with ``path_suffix`` is carried out, then its answer lost.

        Like ``faults.lose_answer_next(1, status)``, but aimed past the reads a client makes first.
        """
        with self.lock:
            self._lose_rules.append((method.upper(), path_suffix, status))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        with self.lock:
            for rule in self._lose_rules:
                if handler.command == rule[0] and path.endswith(rule[1]):
                    self._lose_rules.remove(rule)
                    self.faults.queue.appendleft(("commit_then_lose", rule[2]))
                    break
        super()._serve(handler)

    def throttle_next(self, n: int, retry_after: float = 0.05) -> None:
        """The host answers 429 with Retry-After n times (WooCommerce core has no limiter; hosts do)."""
        self.faults.fail_next(n, 429, {"Retry-After": str(retry_after)})

    def fail_batch_items_next(self, n: int = 1) -> None:
        """The next ``n`` product/variation batch writes carry out only part of their items.

        Every second item (the first, third, ...) is not applied and its slot is the per-item error of the REST
        base ``batch_items``: ``{"id", "error": {code, message, data}}``, here the one ``save_object`` gives when
        ``$object->save()`` throws (``woocommerce_rest_{post_type}_not_created``, status 400).
        """
        with self.lock:
            self._partial_batches += n

    def _failing_slots(self) -> Callable[[], bool]:
        """For one batch request: a callable saying, slot by slot, whether that slot fails (an armed fault)."""
        with self.lock:
            armed = self._partial_batches > 0
            self._partial_batches -= armed
        slots = itertools.count()
        return (lambda: next(slots) % 2 == 0) if armed else (lambda: False)

    def _failed_slot(self, item_id: Any, post_type: str) -> dict[str, Any]:
        self.batch_items_failed += 1
        return _slot_error(item_id, f"woocommerce_rest_{post_type}_not_created",
                           "Deadlock found when trying to get lock; try restarting transaction (simulated)", 400)

    def tick(self, seconds: int = 1) -> str:
        """Advance the site clock; returns the new GMT time text."""
        with self.lock:
            self.now += timedelta(seconds=seconds)
            return self.gmt()

    def gmt(self, moment: datetime | None = None) -> str:
        return (moment or self.now).strftime("%Y-%m-%dT%H:%M:%S")

    def _local(self, gmt_text: str | None) -> str | None:
        if not gmt_text:
            return None
        return (datetime.fromisoformat(gmt_text) + SITE_OFFSET).strftime("%Y-%m-%dT%H:%M:%S")

    # ------------------------------------------------------------------ catalogue helpers
    def seed_catalog(self, products: int, variants_per_product: int = 1, sku_prefix: str = "SKU",
                     price: str = "10.00", stock: int = 10) -> list[int]:
        """Fast bulk seeding (no webhooks). One variant -> simple products; more -> variable ones."""
        ids = []
        with self.lock:
            stamp = self.gmt()
            for i in range(products):
                if variants_per_product <= 1:
                    ids.append(self._new_product(
                        {"name": f"Product {i}", "type": "simple", "sku": f"{sku_prefix}-{i:06d}",
                         "regular_price": price, "manage_stock": True, "stock_quantity": stock}, stamp))
                    continue
                parent = self._new_product(
                    {"name": f"Product {i}", "type": "variable",
                     "attributes": [{"name": "Size", "variation": True, "visible": True,
                                     "options": [f"S{j}" for j in range(variants_per_product)]}]}, stamp)
                for j in range(variants_per_product):
                    self._new_variation(parent, {
                        "sku": f"{sku_prefix}-{i:06d}-{j:02d}", "regular_price": price, "manage_stock": True,
                        "stock_quantity": stock, "attributes": [{"name": "Size", "option": f"S{j}"}]}, stamp)
                ids.append(parent)
        return ids

    def add_product(self, name: str = "Product", sku: str | None = None, price: str = "10.00",
                    stock: int | None = 10, variants: list[dict[str, Any]] | None = None,
                    option_name: str = "Size", **fields: Any) -> int:
        """Add a simple product, or a variable one when ``variants`` ([{sku, price, stock, option}]) is given."""
        with self.lock:
            stamp = self.tick()
            if not variants:
                data = {"name": name, "type": "simple", "sku": sku or "", "regular_price": price,
                        "manage_stock": stock is not None, "stock_quantity": stock, **fields}
                product_id = self._new_product(data, stamp)
            else:
                options = [v.get("option") or v["sku"] for v in variants]
                product_id = self._new_product({"name": name, "type": "variable", **fields, "attributes": [
                    {"name": option_name, "variation": True, "visible": True, "options": options}]}, stamp)
                for v, option in zip(variants, options):
                    self._new_variation(product_id, {
                        "sku": v.get("sku") or "", "regular_price": str(v.get("price", price)),
                        "manage_stock": v.get("stock", stock) is not None, "stock_quantity": v.get("stock", stock),
                        "attributes": [{"name": option_name, "option": option}]}, stamp)
            self._fire("product", "created", product_id)
        self._after_change(sync=True)
        return product_id

    def _new_product(self, data: dict[str, Any], stamp: str) -> int:
        product_id = next(self._post_ids)
        record = {
            "id": product_id, "name": data.get("name", ""), "slug": data.get("slug") or f"product-{product_id}",
            "type": data.get("type", "simple"), "status": data.get("status", "publish"),
            "description": data.get("description", ""), "sku": data.get("sku", "") or "",
            "regular_price": data.get("regular_price", "") or "", "sale_price": data.get("sale_price", "") or "",
            "manage_stock": bool(data.get("manage_stock", False)), "stock_quantity": data.get("stock_quantity"),
            "weight": data.get("weight", "") or "", "parent_id": 0,
            "attributes": self._attributes(data.get("attributes", [])),
            "tags": data.get("tags", []), "variations": [], "meta_data": list(data.get("meta_data") or []),
            "date_on_sale_from_gmt": data.get("date_on_sale_from_gmt"), "date_on_sale_to_gmt": data.get("date_on_sale_to_gmt"),
            "date_created_gmt": stamp, "date_modified_gmt": stamp,
        }
        if data.get("_via_api") and not self.manage_stock_enabled:
            record["manage_stock"] = False  # PROD3 ignores stock fields while store-wide stock management is off
        if not record["manage_stock"]:
            record["stock_quantity"] = None
        self.product_store[product_id] = record
        if record["sku"]:
            self.sku_index[record["sku"]] = product_id
        return product_id

    def _new_variation(self, parent_id: int, data: dict[str, Any], stamp: str) -> int:
        variation_id = next(self._post_ids)
        parent = self.product_store[parent_id]
        record = {
            "id": variation_id, "name": parent["name"], "type": "variation", "status": "publish",
            "sku": data.get("sku", "") or "", "regular_price": data.get("regular_price", "") or "",
            "sale_price": data.get("sale_price", "") or "", "manage_stock": bool(data.get("manage_stock", False)),
            "stock_quantity": data.get("stock_quantity") if data.get("manage_stock") else None,
            "weight": data.get("weight", "") or "", "parent_id": parent_id,
            "attributes": self._variation_attributes(parent, data.get("attributes", [])),
            "date_created_gmt": stamp, "date_modified_gmt": stamp,
        }
        self.product_store[variation_id] = record
        parent["variations"].append(variation_id)
        if record["sku"]:
            self.sku_index[record["sku"]] = variation_id
        return variation_id

    @property
    def products(self) -> dict[int, dict[str, Any]]:
        """Top-level products (no variations), rendered as the API shows them."""
        with self.lock:
            return {pid: self.render_product(p) for pid, p in self.product_store.items() if p["type"] != "variation"}

    def product_by_sku(self, sku: str) -> dict[str, Any] | None:
        with self.lock:
            pid = self.sku_index.get(sku)
            return self.render_product(self.product_store[pid]) if pid else None

    def stock_of(self, sku: str, location: str | None = None) -> int | None:
        with self.lock:
            pid = self.sku_index.get(sku)
            if pid is None:
                return None
            managed, quantity = self._stock_shown(self.product_store[pid])
            return quantity if managed else None

    def set_inventory(self, sku: str, qty: int, location: str | None = None) -> None:
        """A stock change made in the shop (fires product.updated for that product/variation)."""
        with self.lock:
            pid = self.sku_index[sku]
            record = self.product_store[pid]
            record.update(manage_stock=True, stock_quantity=int(qty), date_modified_gmt=self.tick())
            self._fire("product", "updated", pid)
        self._after_change(sync=True)

    def edit_product(self, sku: str, *, name: str | None = None, price: str | None = None) -> None:
        """The merchant edits the product holding ``sku`` in wp-admin: its name (a variation's is its parent's) and
        that SKU's regular price; product.updated fires for what changed."""
        with self.lock:
            record = self.product_store[self.sku_index[sku]]
            parent = self.product_store.get(record["parent_id"]) if record["type"] == "variation" else record
            stamp = self.tick()
            if name is not None:
                self._sync_variation_names(parent, parent["name"], name)
                parent.update(name=name, date_modified_gmt=stamp)
                self._fire("product", "updated", parent["id"])
            if price is not None:
                record.update(regular_price=str(price), date_modified_gmt=stamp)
                self._fire("product", "updated", record["id"])
        self._after_change(sync=True)

    def _sync_variation_names(self, parent: dict[str, Any], previous: str, new: str) -> None:
        """sync_variation_names (variable product data store): a renamed parent's name is replaced in its
        variations' titles (SQL ``REPLACE(post_title, previous, new)``)."""
        for variation_id in parent.get("variations", []):
            variation = self.product_store.get(variation_id)
            if variation is not None:
                variation["name"] = variation["name"].replace(previous or "AUTO-DRAFT", new)

    def edit_customer(self, email: str, *, first_name: str | None = None, last_name: str | None = None) -> None:
        """The customer's name changed in wp-admin (the user profile, not the order addresses): customer.updated."""
        with self.lock:
            record = self._customer_record(email)
            for key, value in (("first_name", first_name), ("last_name", last_name)):
                if value is not None:
                    record[key] = value
            record["date_modified_gmt"] = self.tick()
            self._fire("customer", "updated", record["id"])
        self._after_change(sync=True)

    def customer_by_email(self, email: str) -> dict[str, Any]:
        with self.lock:
            return self.render_customer(self._customer_record(email))

    def _customer_record(self, email: str) -> dict[str, Any]:
        found = next((c for c in self.customers.values() if c["email"].lower() == email.lower()), None)
        if found is None:
            raise KeyError(f"no WooCommerce customer with email {email}")
        return found

    def render_product(self, record: dict[str, Any]) -> dict[str, Any]:
        regular, sale = record.get("regular_price") or "", record.get("sale_price") or ""
        managed, quantity = self._stock_shown(record)
        on_sale = bool(sale) and self._sale_active(record)
        out = {
            **{k: v for k, v in record.items() if k not in ("variations",)},
            "manage_stock": managed,
            "stock_quantity": quantity,
            "price": sale if on_sale else regular,
            "on_sale": on_sale,
            "stock_status": "outofstock" if managed and (quantity or 0) <= 0 else "instock",
            "date_created": self._local(record["date_created_gmt"]),
            "date_modified": self._local(record["date_modified_gmt"]),
            "meta_data": list(record.get("meta_data") or []),
            "date_on_sale_from": self._local(record.get("date_on_sale_from_gmt")),
            "date_on_sale_to": self._local(record.get("date_on_sale_to_gmt")),
            "_links": {"self": [{"href": f"{self.base_url}{API}/products/{record['id']}"}]},
        }
        if record["type"] != "variation":
            out["variations"] = list(record.get("variations", []))
        return out

    def _stock_shown(self, record: dict[str, Any]) -> tuple[bool | str, int | None]:
        """(manage_stock, stock_quantity) as VAR3 answers them: a variation that keeps no stock of its own under a
        parent that does answers ``"parent"`` and the parent's quantity (WC_Product_Variation::get_manage_stock and
        get_stock_quantity in the view context)."""
        if record["type"] == "variation" and not record.get("manage_stock"):
            parent = self.product_store.get(record.get("parent_id") or 0) or {}
            if parent.get("manage_stock"):
                return "parent", parent.get("stock_quantity")
        return bool(record.get("manage_stock")), record.get("stock_quantity")

    def _sale_active(self, record: dict[str, Any]) -> bool:
        """WC_Product::is_on_sale(): not before date_on_sale_from, not after date_on_sale_to (site clock)."""
        now = self.gmt()
        start, end = record.get("date_on_sale_from_gmt"), record.get("date_on_sale_to_gmt")
        return not (start and start > now) and not (end and end < now)

    def _attributes(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """PROD3: an attribute with a known id is the global (pa_*) one; without id, a custom one by name."""
        out = []
        for position, row in enumerate(rows or []):
            attribute_id = int(row.get("id") or 0)
            if attribute_id and attribute_id not in self.global_attributes:
                continue  # unknown taxonomy id: WooCommerce skips it
            out.append({"id": attribute_id,
                         "name": self.global_attributes.get(attribute_id) or row.get("name") or "",
                         "position": row.get("position", position), "visible": bool(row.get("visible", False)),
                         "variation": bool(row.get("variation", False)), "options": list(row.get("options") or [])})
        return out

    @staticmethod
    def _variation_attributes(parent: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """VAR3: a global attribute by ``id``, a custom one by sanitize_title(name); no match on the parent: skipped."""
        def key(name: Any) -> str:
            return "-".join(str(name or "").strip().lower().split())

        out = []
        for row in rows or []:
            attribute_id = int(row.get("id") or 0)
            match = next((a for a in parent.get("attributes") or [] if (a.get("id") or 0) == attribute_id
                          and (attribute_id or key(a.get("name")) == key(row.get("name")))), None)
            if match is not None:
                out.append({"id": attribute_id, "name": match.get("name"), "option": row.get("option")})
        return out

    def add_global_attribute(self, attribute_id: int, name: str) -> None:
        with self.lock:
            self.global_attributes[int(attribute_id)] = name

    # ------------------------------------------------------------------ customers
    def add_customer(self, email: str, first_name: str = "", last_name: str = "", role: str = "customer",
                     **fields: Any) -> int:
        with self.lock:
            customer_id = self._create_customer({"email": email, "first_name": first_name, "last_name": last_name,
                                                 "_role": role, **fields})
            if isinstance(customer_id, dict):
                raise ValueError(customer_id["error"]["message"])
        self._after_change(sync=True)
        return customer_id

    def _create_customer(self, data: dict[str, Any]) -> int | dict[str, Any]:
        email = (data.get("email") or "").strip()
        if not email or "@" not in email:
            return _slot_error(0, "rest_invalid_param", "Invalid parameter(s): email", 400)
        if any(c["email"].lower() == email.lower() for c in self.customers.values()):
            return _slot_error(0, "registration-error-email-exists",
                               "An account is already registered with your email address.", 400)
        customer_id = next(self._user_ids)
        stamp = self.tick()
        self.customers[customer_id] = {
            "id": customer_id, "email": email, "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""), "role": data.get("_role") or "customer", "username": data.get("username") or email.split("@")[0],
            "billing": {**_blank_address(True), **(data.get("billing") or {})},
            "shipping": {**_blank_address(False), **(data.get("shipping") or {})},
            "is_paying_customer": False, "date_created_gmt": stamp, "date_modified_gmt": stamp, "meta_data": [],
        }
        self._fire("customer", "created", customer_id)
        return customer_id

    def render_customer(self, record: dict[str, Any]) -> dict[str, Any]:
        return {**record, "date_created": self._local(record["date_created_gmt"]),
                "date_modified": self._local(record["date_modified_gmt"])}

    # ------------------------------------------------------------------ orders
    def create_order(self, line_items: list[dict[str, Any]], customer_email: str | None = None, **kw: Any) -> dict:
        """Place an order as the shop would (fires order.created). Returns the order JSON.

        line_items: [{"sku" | "product_id"/"variation_id", "quantity", optional "price"}];
        kw: status, coupons=[{"code", "percent"|"amount"}], shipping=[{"method_id", "method_title", "total"}],
        fees=[{"name", "total", "taxable"}], customer_id, billing, shipping_address, prices_include_tax,
        shipping_taxable, set_paid, reduce_stock (default True).
        """
        with self.lock:
            if customer_email and "billing" not in kw:
                kw["billing"] = {"email": customer_email, "first_name": "Guest", "last_name": "Buyer"}
            elif customer_email:
                kw["billing"] = {**kw["billing"], "email": customer_email}
            order = self._build_order(line_items, **kw)
            self._fire("order", "created", order["id"])
            rendered = dict(order)
        self._after_change(sync=True)
        return rendered

    def update_order(self, order_id: int, **fields: Any) -> dict:
        with self.lock:
            order = self.orders[int(order_id)]
            before = order["status"]
            order.update(fields)
            self._stock_follows_status(order, before)
            order["date_modified_gmt"] = self.tick()
            order["date_modified"] = self._local(order["date_modified_gmt"])
            self._fire("order", "updated", order["id"])
            rendered = dict(order)
        self._after_change(sync=True)
        return rendered

    def cancel_order(self, order_id: int) -> dict:
        return self.update_order(order_id, status="cancelled")

    def order_status(self, order_id: int | str) -> str:
        with self.lock:
            return self.orders[int(order_id)]["status"]

    def fulfilments_of(self, order_id: int | str) -> list[dict[str, Any]]:
        """WooCommerce has no fulfilment object: the connector writes tracking as order notes."""
        with self.lock:
            return [dict(n) for n in self.notes.get(int(order_id), [])]

    def _resolve_line_product(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """ORD2 get_product_id: a posted sku wins over product_id/variation_id (unknown sku: no product)."""
        if item.get("sku"):
            found = self.sku_index.get(item["sku"])
            return self.product_store.get(found) if found else None
        if item.get("variation_id"):
            return self.product_store.get(int(item["variation_id"]))
        if item.get("product_id"):
            return self.product_store.get(int(item["product_id"]))
        return None

    def _build_order(self, line_items: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        """Compute the order the WooCommerce way and store it."""
        included = bool(kw.get("prices_include_tax", self.prices_include_tax))
        rate = self.tax_rate / 100
        order_id = next(self._post_ids)
        stamp = self.tick()
        lines = []
        for item in line_items:
            product = self._resolve_line_product(item)
            if product is None and "price" not in item and "subtotal" not in item:
                raise ValueError(f"line item {item!r} names no known product")
            quantity = int(item.get("quantity", 1))
            if "subtotal" in item:  # API callers may give net totals (WooCommerce then recalculates taxes)
                net_sub = Decimal(str(item["subtotal"]))
                basis = net_sub * (1 + rate) if included else net_sub
            else:
                price = Decimal(str(item.get("price") or (product or {}).get("sale_price") or (product or {}).get("regular_price") or "0"))
                basis = price * quantity
            lines.append({"item": item, "product": product, "quantity": quantity, "basis": basis,
                          "given_total": item.get("total")})
        self._apply_coupons(lines, kw.get("coupons") or [])
        line_json, coupon_totals = [], {c.get("code"): [Decimal(0), Decimal(0)] for c in kw.get("coupons") or []}
        cart_tax = Decimal(0)
        totals = Decimal(0)
        for line in lines:
            sub_net, sub_tax = self._split(line["basis"], rate, included)
            after_basis = line["basis"] - line["discount"]
            if line["given_total"] is not None and not kw.get("coupons"):
                after_basis = Decimal(str(line["given_total"])) * ((1 + rate) if included else 1)
            tot_net, tot_tax = self._split(after_basis, rate, included)
            for code, share in line["coupon_shares"].items():
                share_net, share_tax = self._split(share, rate, included)
                coupon_totals[code][0] += share_net
                coupon_totals[code][1] += share_tax
            cart_tax += tot_tax
            totals += tot_net
            product = line["product"] or {}
            line_json.append({
                "id": next(self._item_ids), "name": product.get("name") or line["item"].get("name", "Item"),
                "product_id": product.get("parent_id") or product.get("id") or 0,
                "variation_id": product.get("id") if product.get("type") == "variation" else 0,
                "quantity": line["quantity"], "tax_class": "",
                "subtotal": s2(sub_net), "subtotal_tax": s2(sub_tax), "total": s2(tot_net), "total_tax": s2(tot_tax),
                "taxes": [{"id": 1, "total": s6(tot_tax), "subtotal": s6(sub_tax)}] if rate else [],
                "meta_data": [], "sku": product.get("sku") or line["item"].get("sku") or "",
                "price": float(tot_net / line["quantity"]) if line["quantity"] else 0,
            })
        shipping_taxable = kw.get("shipping_taxable", True)
        shipping_json, shipping_total, shipping_tax = [], Decimal(0), Decimal(0)
        for ship in kw.get("shipping") or []:
            net = Decimal(str(ship.get("total", "0")))
            tax = self._tax(net * rate) if shipping_taxable else Decimal(0)
            shipping_total += net
            shipping_tax += tax
            shipping_json.append({"id": next(self._item_ids), "method_title": ship.get("method_title", "Flat rate"),
                                  "method_id": ship.get("method_id", "flat_rate"), "total": s2(net),
                                  "total_tax": s2(tax), "taxes": [{"id": 1, "total": s6(tax), "subtotal": ""}] if tax else [],
                                  "meta_data": []})
        fee_json, fee_total = [], Decimal(0)
        for fee in kw.get("fees") or []:
            net = Decimal(str(fee.get("total", "0")))
            tax = self._tax(net * rate) if fee.get("taxable", True) and rate else Decimal(0)
            fee_total += net
            cart_tax += tax
            fee_json.append({"id": next(self._item_ids), "name": fee.get("name", "Fee"), "tax_class": "",
                             "tax_status": "taxable" if fee.get("taxable", True) else "none", "total": s2(net),
                             "total_tax": s2(tax), "taxes": [{"id": 1, "total": s6(tax), "subtotal": ""}] if tax else [],
                             "meta_data": []})
        cart_tax_rounded = q2(cart_tax)
        shipping_tax_rounded = q2(shipping_tax)
        total = q2(totals + fee_total + shipping_total + cart_tax_rounded + shipping_tax_rounded)
        discount_net = sum((v[0] for v in coupon_totals.values()), Decimal(0))
        discount_tax = sum((v[1] for v in coupon_totals.values()), Decimal(0))
        status = kw.get("status") or ("processing" if kw.get("set_paid", True) else "pending")
        paid = status in ("processing", "completed") or kw.get("set_paid")
        customer_id = int(kw.get("customer_id") or 0)
        billing = {**_blank_address(True), **(kw.get("billing") or {})}
        if customer_id and customer_id in self.customers and not kw.get("billing"):
            billing = {**self.customers[customer_id]["billing"]}
        order = {
            "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": f"wc_order_{order_id:08x}",
            "created_via": kw.get("created_via", "checkout"), "version": "9.0.0", "status": status,
            "currency": self.currency, "date_created": self._local(stamp), "date_created_gmt": stamp,
            "date_modified": self._local(stamp), "date_modified_gmt": stamp,
            "discount_total": s2(discount_net), "discount_tax": s2(discount_tax),
            "shipping_total": s2(shipping_total), "shipping_tax": s2(shipping_tax_rounded),
            "cart_tax": s2(cart_tax_rounded), "total": s2(total), "total_tax": s2(cart_tax_rounded + shipping_tax_rounded),
            "prices_include_tax": included, "customer_id": customer_id, "customer_note": kw.get("customer_note", ""),
            "billing": billing, "shipping": {**_blank_address(False), **(kw.get("shipping_address") or {})},
            "payment_method": kw.get("payment_method", "bacs"), "payment_method_title": "Direct bank transfer",
            "transaction_id": kw.get("transaction_id", ""),
            "date_paid": self._local(stamp) if paid else None, "date_paid_gmt": stamp if paid else None,
            "date_completed": None, "date_completed_gmt": None,
            "meta_data": list(kw.get("meta_data") or []), "line_items": line_json,
            "tax_lines": [{"id": next(self._item_ids), "rate_code": f"{self.tax_label.upper()}-1", "rate_id": 1,
                           "label": self.tax_label, "compound": False, "tax_total": s2(cart_tax_rounded),
                           "shipping_tax_total": s2(shipping_tax_rounded), "rate_percent": float(self.tax_rate),
                           "meta_data": []}] if rate else [],
            "shipping_lines": shipping_json, "fee_lines": fee_json,
            "coupon_lines": [{"id": next(self._item_ids), "code": code, "discount": s2(v[0]), "discount_tax": s2(v[1]),
                              "meta_data": []} for code, v in coupon_totals.items()],
            "refunds": [],
        }
        self.orders[order_id] = order
        if kw.get("reduce_stock", True):
            self._stock_follows_status(order)
        return order

    _REDUCING = ("processing", "completed", "on-hold")  # wc_maybe_reduce_stock_levels runs on these statuses
    _RESTORING = ("cancelled", "pending")  # wc_maybe_increase_stock_levels runs on these

    def _stock_follows_status(self, order: dict[str, Any], before: str | None = None) -> None:
        """wc-stock-functions.php: an order entering processing/completed/on-hold takes its units off the shelf once
        (``_order_stock_reduced``); entering cancelled or pending gives back exactly what was taken. The hooks are
        ``woocommerce_order_status_<status>``: they run on a status change only."""
        if order["status"] == before:
            return
        if order["status"] in self._REDUCING and order["id"] not in self.stock_reduced:
            taken = []
            for line in order["line_items"]:
                product = self.product_store.get(line.get("variation_id") or line.get("product_id") or 0)
                if product and product.get("manage_stock") and product.get("stock_quantity") is not None:
                    product["stock_quantity"] -= line["quantity"]
                    taken.append((product["id"], line["quantity"]))
            self.stock_reduced[order["id"]] = taken
        elif order["status"] in self._RESTORING and order["id"] in self.stock_reduced:
            for product_id, units in self.stock_reduced.pop(order["id"]):
                product = self.product_store.get(product_id)
                if product and product.get("manage_stock") and product.get("stock_quantity") is not None:
                    product["stock_quantity"] += units

    def _tax(self, amount: Decimal) -> Decimal:
        """Tax as stored on an item: rounded per item unless 'round at subtotal' is on."""
        return amount.quantize(D6, rounding=ROUND_HALF_UP) if self.round_at_subtotal else q2(amount)

    def _split(self, basis: Decimal, rate: Decimal, included: bool) -> tuple[Decimal, Decimal]:
        """(net, tax) of a line amount: basis is gross when prices include tax."""
        if included:
            tax = self._tax(basis * rate / (1 + rate))
            return basis - tax, tax
        return basis, self._tax(basis * rate)

    @staticmethod
    def _apply_coupons(lines: list[dict[str, Any]], coupons: Iterable[dict[str, Any]]) -> None:
        """Spread coupon discounts over lines on the price basis (gross when tax-inclusive), in cents."""
        for line in lines:
            line["discount"], line["coupon_shares"] = Decimal(0), {}
        for coupon in coupons:
            code = coupon.get("code", "coupon")
            remaining = [line["basis"] - line["discount"] for line in lines]
            if "percent" in coupon:
                shares = [q2(r * Decimal(str(coupon["percent"])) / 100) for r in remaining]
            else:
                amount = min(Decimal(str(coupon.get("amount", "0"))), sum(remaining, Decimal(0)))
                base = sum(remaining, Decimal(0)) or Decimal(1)
                shares = [q2(amount * r / base) for r in remaining]
                if shares:
                    shares[-1] += amount - sum(shares, Decimal(0))  # cents left over go to the last line
            for line, share in zip(lines, shares):
                line["discount"] += share
                line["coupon_shares"][code] = line["coupon_shares"].get(code, Decimal(0)) + share

    # ------------------------------------------------------------------ webhooks
    def _fire(self, resource: str, event: str, resource_id: int) -> None:
        """Queue deliveries for active webhooks on ``resource.event``; one pending per (webhook, resource)."""
        topic = f"{resource}.{event}"
        for hook in self.webhooks.values():
            if hook["status"] != "active" or hook["topic"] != topic:
                continue
            key = (hook["id"], resource_id)
            if key in self._pending_keys:
                continue  # coalesced: the pending delivery will carry the state at send time
            self._pending_keys.add(key)
            self._pending.append((hook["id"], event, resource_id))

    def _after_change(self, sync: bool) -> None:
        if not self.auto_deliver or not self._pending:
            return
        if sync:
            self.deliver_webhooks()
        else:  # from an API call: WooCommerce delivers asynchronously (Action Scheduler)
            threading.Thread(target=self.deliver_webhooks, daemon=True).start()

    def pending_deliveries(self) -> int:
        with self.lock:
            return len(self._pending)

    def deliver_webhooks(self, duplicate: bool = False, reverse: bool = False) -> int:
        """Send every queued delivery now. Returns how many were sent (duplicates counted once)."""
        with self.lock:
            queue, self._pending, self._pending_keys = self._pending, [], set()
        if reverse:
            queue.reverse()
        sent = 0
        for hook_id, event, resource_id in queue:
            with self.lock:
                hook = self.webhooks.get(hook_id)
                if hook is None or (event != "ping" and hook["status"] != "active"):
                    continue
                body, headers = self._delivery(hook, event, resource_id)
            for _ in range(2 if duplicate and event != "ping" else 1):
                status = post_webhook(hook["delivery_url"], body, headers, timeout=self.webhook_timeout)
                self._log_delivery(hook, event, status, headers, body)
            sent += 1
        return sent

    def _delivery(self, hook: dict[str, Any], event: str, resource_id: int | None) -> tuple[bytes, dict[str, str]]:
        if event == "ping":  # form-encoded, unsigned (class-wc-webhook.php deliver_ping)
            return f"webhook_id={hook['id']}".encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                                          "User-Agent": "WordPress/6.5; simulator"}
        body_obj = {"id": resource_id} if event == "deleted" else self._resource_json(hook["resource"], resource_id)
        body = _json_dumps(body_obj)
        delivery_id = hashlib.md5(f"{hook['id']}{self.delivery_second()}".encode()).hexdigest()  # noqa: S324
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.5)",
            "X-WC-Webhook-Source": f"{self.base_url}/",
            "X-WC-Webhook-Topic": hook["topic"],
            "X-WC-Webhook-Resource": hook["resource"],
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": hmac_sha256_b64(hook["secret"], body),
            "X-WC-Webhook-ID": str(hook["id"]),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        return body, headers

    def _resource_json(self, resource: str, resource_id: int | None) -> dict[str, Any]:
        if resource == "order" and resource_id in self.orders:
            return dict(self.orders[resource_id])
        if resource == "product" and resource_id in self.product_store:
            return self.render_product(self.product_store[resource_id])
        if resource == "customer" and resource_id in self.customers:
            return self.render_customer(self.customers[resource_id])
        return {"id": resource_id}

    def _log_delivery(self, hook: dict[str, Any], event: str, status: int, headers: dict[str, str], body: bytes) -> None:
        with self.lock:
            topic = "ping" if event == "ping" else hook["topic"]
            self.webhook_deliveries.append((topic, status))
            self.delivery_log.append({"topic": topic, "status": status, "headers": headers, "body": body,
                                      "webhook_id": hook["id"]})
            if event == "ping":
                return
            if 200 <= status <= 302:
                hook["failure_count"] = 0
                return
            # WEBHOOK failed_delivery(): the count is compared BEFORE it is raised, so the 7th consecutive
            # failure disables the webhook (the docs say 5)
            if hook["failure_count"] > MAX_DELIVERY_FAILURES:
                hook["status"] = "disabled"
            else:
                hook["failure_count"] += 1

    def _create_webhook(self, data: dict[str, Any]) -> dict[str, Any]:
        topic = data.get("topic") or ""
        url = data.get("delivery_url") or ""
        if not re.fullmatch(r"(order|product|customer|coupon)\.(created|updated|deleted|restored)", topic):
            return _slot_error(0, "rest_invalid_param", "Invalid parameter(s): topic")
        if not url.startswith(("http://", "https://")):
            return _slot_error(0, "rest_invalid_param", "Invalid parameter(s): delivery_url")
        hook_id = next(self._post_ids)
        resource, event = topic.split(".")
        hook = {
            "id": hook_id, "name": data.get("name") or f"Webhook {hook_id}", "status": data.get("status") or "active",
            "topic": topic, "resource": resource, "event": event, "delivery_url": url,
            # without a secret WooCommerce uses a hash of the creating user: simulated likewise
            "secret": data.get("secret") or hashlib.sha256(f"user-1-{hook_id}".encode()).hexdigest(),
            "failure_count": 0, "date_created_gmt": self.tick(),
        }
        self.webhooks[hook_id] = hook
        if hook["status"] == "active":
            self._pending.append((hook_id, "ping", None))
        return hook

    def _update_webhook(self, hook_id: int, data: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhooks.get(int(hook_id))
        if hook is None:
            return _slot_error(hook_id, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        was_active = hook["status"] == "active"
        for key in ("name", "status", "delivery_url", "secret"):
            if key in data:
                hook[key] = data[key]
        if hook["status"] == "active" and not was_active:
            # the failure count is not reset over REST (only a successful delivery resets it)
            self._pending.append((hook["id"], "ping", None))
        return hook

    @staticmethod
    def render_webhook(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k not in ("secret", "failure_count")} | {
            "hooks": [], "date_created": hook["date_created_gmt"]}

    def disable_webhook(self, hook_id: int) -> None:
        """Test helper: what WooCommerce does after too many failures."""
        with self.lock:
            self.webhooks[int(hook_id)]["status"] = "disabled"

    def delete_webhook(self, hook_id: int) -> None:
        with self.lock:
            self.webhooks.pop(int(hook_id), None)

    # ------------------------------------------------------------------ HTTP routing
    def route(self, request: SimRequest) -> SimResponse:
        if self.waf_block in (403, 501):
            body = WAF_403_PAGE if self.waf_block == 403 else WAF_501_PAGE
            return SimResponse(self.waf_block, body, {"Content-Type": "text/html; charset=iso-8859-1"})
        if not request.path.startswith(API):
            return err(404, "rest_no_route", "No route was found matching the URL and request method.")
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        path = request.path[len(API):].rstrip("/")
        try:
            payload = request.json() if request.body else None
        except ValueError:
            return err(400, "rest_invalid_json", "Invalid JSON body passed.")
        for pattern, method, handler, endpoint in self._routes():
            match = re.fullmatch(pattern, path)
            if match and request.method == method:
                self._check_contract(endpoint, request, payload)
                with self.lock:
                    response = handler(request, payload, *match.groups())
                self._after_change(sync=False)
                return response
        return err(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _routes(self) -> list[tuple[str, str, Any, str]]:
        """(path pattern, method, handler, endpoint of the contract fixture)."""
        return [
            (r"/settings/general/woocommerce_currency", "GET", self._get_currency, "GET /settings/general/woocommerce_currency"),
            (r"/products", "GET", self._list_products, "GET /products"),
            (r"/products/batch", "POST", self._batch_products, "POST /products/batch"),
            (r"/products/(\d+)", "GET", self._get_product, "GET /products/{id}"),
            (r"/products/(\d+)/variations", "GET", self._list_variations, "GET /products/{id}/variations"),
            (r"/products/(\d+)/variations/batch", "POST", self._batch_variations, "POST /products/{id}/variations/batch"),
            (r"/products/(\d+)/variations/(\d+)", "GET", self._get_variation, "GET /products/{id}/variations/{vid}"),
            (r"/orders", "GET", self._list_orders, "GET /orders"),
            (r"/orders/batch", "POST", self._batch_orders, "POST /orders/batch"),
            (r"/orders/(\d+)", "GET", self._get_order, "GET /orders/{id}"),
            (r"/orders/(\d+)/notes", "GET", self._list_notes, "GET /orders/{id}/notes"),
            (r"/orders/(\d+)/notes", "POST", self._create_note, "POST /orders/{id}/notes"),
            (r"/orders/(\d+)/refunds", "GET", self._list_refunds, "GET /orders/{id}/refunds"),
            (r"/orders/(\d+)/refunds", "POST", self._create_refund, "POST /orders/{id}/refunds"),
            (r"/customers", "GET", self._list_customers, "GET /customers"),
            (r"/customers/batch", "POST", self._batch_customers, "POST /customers/batch"),
            (r"/customers/(\d+)", "GET", self._get_customer, "GET /customers/{id}"),
            (r"/webhooks", "GET", self._list_webhooks, "GET /webhooks"),
            (r"/webhooks", "POST", self._post_webhook, "POST /webhooks"),
            (r"/webhooks/batch", "POST", self._batch_webhooks, "POST /webhooks/batch"),
            (r"/webhooks/(\d+)", "PUT", self._put_webhook, "PUT /webhooks/{id}"),
            (r"/webhooks/(\d+)", "DELETE", self._delete_webhook, "DELETE /webhooks/{id}"),
        ]

    def _check_contract(self, endpoint: str, request: SimRequest, payload: Any) -> None:
        """Record every param or field WooCommerce's source does not know (the tests fail on any)."""
        problems = check_request(endpoint, request.query, payload)
        if problems:
            with self.lock:
                self.contract_violations.extend(problems)

    def _authenticate(self, request: SimRequest) -> SimResponse | None:
        key = secret = None
        auth = "" if self.waf_strip_auth else request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                key, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                key = secret = None
        if key is None and request.arg("consumer_key"):
            key, secret = request.arg("consumer_key"), request.arg("consumer_secret")
        if key is None:
            if self.missing_auth_style == "cannot_view":
                return err(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
            return err(401, "woocommerce_rest_authentication_error", "Consumer key is missing.")
        if key != self.consumer_key:
            return err(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if secret != self.consumer_secret:
            return err(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return None

    # paging -------------------------------------------------------------------
    def _page(self, request: SimRequest, rows: list[Any], render: Any) -> SimResponse:
        try:
            per_page = int(request.arg("per_page", "10"))
            page = int(request.arg("page", "1"))
        except ValueError:
            return err(400, "rest_invalid_param", "Invalid parameter(s): per_page, page")
        if not 1 <= per_page <= MAX_PER_PAGE:
            return err(400, "rest_invalid_param", "Invalid parameter(s): per_page (per_page must be between 1 (inclusive) and 100 (inclusive))")
        if page < 1:
            return err(400, "rest_invalid_param", "Invalid parameter(s): page")
        total = len(rows)
        pages = (total + per_page - 1) // per_page
        chunk = rows[(page - 1) * per_page: page * per_page]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []
        base_query = {k: v[0] for k, v in request.query.items() if k not in ("consumer_key", "consumer_secret")}
        for rel, target in (("prev", page - 1), ("next", page + 1)):
            if 1 <= target <= pages:
                links.append(f'<{self.base_url}{request.path}?{urlencode({**base_query, "page": target})}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return SimResponse(200, [render(r) for r in chunk], headers)

    @staticmethod
    def _modified_filter(request: SimRequest, name: str = "modified_after") -> str | None:
        value = request.arg(name)
        if not value:
            return None
        moment = isoparse(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        elif request.arg("dates_are_gmt") not in ("true", "1"):
            moment = moment - SITE_OFFSET  # site-local -> GMT
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    @staticmethod
    def _sort(request: SimRequest, rows: list[dict[str, Any]], default: str = "date") -> list[dict[str, Any]]:
        orderby = request.arg("orderby", default)
        key = {"id": "id", "date": "date_created_gmt", "modified": "date_modified_gmt"}.get(orderby, "date_created_gmt")
        return sorted(rows, key=lambda r: (r[key], r["id"]), reverse=request.arg("order", "desc") == "desc")

    # settings -----------------------------------------------------------------
    def _get_currency(self, request: SimRequest, payload: Any) -> SimResponse:
        return SimResponse(200, {"id": "woocommerce_currency", "label": "Currency", "value": self.currency,
                                 "default": "USD", "type": "select"})

    # products -----------------------------------------------------------------
    def _list_products(self, request: SimRequest, payload: Any) -> SimResponse:
        after = self._modified_filter(request)
        skus = [s for s in (request.arg("sku") or "").split(",") if s]
        wanted_type = request.arg("type")
        slug = request.arg("slug")
        include = {int(i) for i in (request.arg("include") or "").split(",") if i}
        if skus:  # the sku filter also returns variations
            rows = [self.product_store[self.sku_index[s]] for s in dict.fromkeys(skus) if s in self.sku_index]
        else:
            rows = [p for p in self.product_store.values() if p["type"] != "variation"]
        rows = [p for p in rows if (after is None or p["date_modified_gmt"] > after)
                and (not wanted_type or p["type"] == wanted_type) and (not include or p["id"] in include)
                and (not slug or p.get("slug") == slug)]
        return self._page(request, self._sort(request, rows), self.render_product)

    def _get_product(self, request: SimRequest, payload: Any, product_id: str) -> SimResponse:
        record = self.product_store.get(int(product_id))
        if record is None:
            return err(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return SimResponse(200, self.render_product(record))

    def _list_variations(self, request: SimRequest, payload: Any, product_id: str) -> SimResponse:
        parent = self.product_store.get(int(product_id))
        if parent is None or parent["type"] == "variation":
            return err(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        rows = [self.product_store[v] for v in parent["variations"] if v in self.product_store]
        return self._page(request, self._sort(request, rows, "date"), self.render_product)

    def _batch_guard(self, payload: Any) -> SimResponse | None:
        if not isinstance(payload, dict):
            return err(400, "rest_invalid_json", "Invalid JSON body passed.")
        count = sum(len(payload.get(k) or []) for k in ("create", "update", "delete"))
        if count > MAX_BATCH:
            return err(413, "rest_request_entity_too_large", f"Unable to accept more than {MAX_BATCH} items for this request.")
        return None

    def _batch_products(self, request: SimRequest, payload: Any) -> SimResponse:
        guard = self._batch_guard(payload)
        if guard:
            return guard
        out: dict[str, list[Any]] = {}
        fails = self._failing_slots()
        if payload.get("create"):
            out["create"] = [self._failed_slot(0, "product") if fails() else self._create_product_item(item)
                             for item in payload["create"]]
        if payload.get("update"):
            out["update"] = [self._failed_slot(item.get("id"), "product") if fails() else self._update_product_item(item)
                             for item in payload["update"]]
        if payload.get("delete"):
            out["delete"] = [self._failed_slot(i, "product") if fails() else self._delete_product_item(i)
                             for i in payload["delete"]]
        return SimResponse(200, out)

    def _sku_taken(self, sku: str, own_id: int | None) -> bool:
        holder = self.sku_index.get(sku)
        return bool(sku) and holder is not None and holder != own_id

    def _create_product_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if not item.get("name"):
            return _slot_error(0, "woocommerce_rest_product_invalid_name", "Product name is required.")
        if self._sku_taken(item.get("sku") or "", None):
            return _slot_error(0, "product_invalid_sku", "Invalid or duplicated SKU.")
        if item.get("stock_quantity") is not None and not item.get("manage_stock"):
            item = {**item, "stock_quantity": None}
        product_id = self._new_product({**item, "_via_api": True}, self.tick())
        self._fire("product", "created", product_id)
        return self.render_product(self.product_store[product_id])

    def _apply_product_fields(self, record: dict[str, Any], item: dict[str, Any]) -> dict[str, Any] | None:
        if "sku" in item and self._sku_taken(item["sku"] or "", record["id"]):
            return _slot_error(record["id"], "product_invalid_sku", "Invalid or duplicated SKU.")
        if "stock_quantity" in item and item["stock_quantity"] is not None:
            if not isinstance(item["stock_quantity"], int) or isinstance(item["stock_quantity"], bool):
                return _slot_error(record["id"], "rest_invalid_param", "Invalid parameter(s): stock_quantity")
        if record.get("sku") and "sku" in item and item["sku"] != record["sku"]:
            self.sku_index.pop(record["sku"], None)
        stock_locked = record["type"] != "variation" and not self.manage_stock_enabled
        if "name" in item and item["name"] != record["name"]:
            self._sync_variation_names(record, record["name"], item["name"])
        for key in ("name", "slug", "status", "description", "sku", "regular_price", "sale_price", "weight",
                    "attributes", "tags", "manage_stock", "meta_data", "date_on_sale_from_gmt", "date_on_sale_to_gmt"):
            if key not in item or (key == "manage_stock" and stock_locked):
                continue
            if key == "attributes":  # replaced whole (set_attributes)
                record[key] = self._attributes(item[key]) if record["type"] != "variation" else \
                    self._variation_attributes(self.product_store.get(record["parent_id"]) or {}, item[key])
            else:
                record[key] = item[key]
        if "type" in item and record["type"] != "variation":
            record["type"] = item["type"]
        if record["type"] != "variation" and not self.manage_stock_enabled:
            pass  # PROD3: stock fields applied only if get_option('woocommerce_manage_stock') is 'yes'
        elif "stock_quantity" in item and record.get("manage_stock"):  # needs manage_stock, as in WooCommerce
            record["stock_quantity"] = item["stock_quantity"]
        if not record.get("manage_stock"):
            record["stock_quantity"] = None
        if record.get("sku"):
            self.sku_index[record["sku"]] = record["id"]
        record["date_modified_gmt"] = self.tick()
        self._fire("product", "updated", record["id"])
        return None

    def _update_product_item(self, item: dict[str, Any]) -> dict[str, Any]:
        record = self.product_store.get(int(item.get("id") or 0))
        if record is None or record["type"] == "variation":
            return _slot_error(item.get("id"), "woocommerce_rest_product_invalid_id", "Invalid ID.")
        failed = self._apply_product_fields(record, item)
        return failed or self.render_product(record)

    def _delete_product_item(self, product_id: Any) -> dict[str, Any]:
        record = self.product_store.pop(int(product_id), None)
        if record is None:
            return _slot_error(product_id, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        for variation_id in record.get("variations", []):
            variation = self.product_store.pop(variation_id, None)
            if variation and variation.get("sku"):
                self.sku_index.pop(variation["sku"], None)
        if record.get("sku"):
            self.sku_index.pop(record["sku"], None)
        self._fire("product", "deleted", record["id"])
        return self.render_product(record)

    def _batch_variations(self, request: SimRequest, payload: Any, product_id: str) -> SimResponse:
        guard = self._batch_guard(payload)
        if guard:
            return guard
        parent = self.product_store.get(int(product_id))
        if parent is None or parent["type"] != "variable":
            return err(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        out: dict[str, list[Any]] = {}
        fails = self._failing_slots()
        if payload.get("create"):
            out["create"] = []
            for item in payload["create"]:
                if fails():
                    out["create"].append(self._failed_slot(0, "product_variation"))
                    continue
                if self._sku_taken(item.get("sku") or "", None):
                    out["create"].append(_slot_error(0, "product_invalid_sku", "Invalid or duplicated SKU."))
                    continue
                variation_id = self._new_variation(parent["id"], item, self.tick())
                self._fire("product", "created", variation_id)
                out["create"].append(self.render_product(self.product_store[variation_id]))
        if payload.get("update"):
            out["update"] = []
            for item in payload["update"]:
                if fails():
                    out["update"].append(self._failed_slot(item.get("id"), "product_variation"))
                    continue
                record = self.product_store.get(int(item.get("id") or 0))
                if record is None or record.get("parent_id") != parent["id"]:
                    out["update"].append(_slot_error(item.get("id"), "woocommerce_rest_product_variation_invalid_id",
                                                     "Invalid ID."))
                    continue
                failed = self._apply_product_fields(record, item)
                out["update"].append(failed or self.render_product(record))
        return SimResponse(200, out)

    # orders -------------------------------------------------------------------
    def _list_orders(self, request: SimRequest, payload: Any) -> SimResponse:
        after = self._modified_filter(request)
        created_after = self._modified_filter(request, "after")
        statuses = [s for s in (request.arg("status") or "any").split(",") if s]
        customer = request.arg("customer")
        rows = [o for o in self.orders.values()
                if (after is None or o["date_modified_gmt"] > after)
                and (created_after is None or o["date_created_gmt"] > created_after)
                and ("any" in statuses or o["status"] in statuses)
                and (customer is None or str(o["customer_id"]) == customer)]
        return self._page(request, self._sort(request, rows), dict)

    def _get_order(self, request: SimRequest, payload: Any, order_id: str) -> SimResponse:
        order = self.orders.get(int(order_id))
        if order is None:
            return err(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return SimResponse(200, dict(order))

    def _batch_orders(self, request: SimRequest, payload: Any) -> SimResponse:
        guard = self._batch_guard(payload)
        if guard:
            return guard
        out: dict[str, list[Any]] = {}
        if payload.get("create"):
            out["create"] = [self._create_order_item(item) for item in payload["create"]]
        if payload.get("update"):
            out["update"] = [self._update_order_item(item) for item in payload["update"]]
        return SimResponse(200, out)

    def _create_order_item(self, item: dict[str, Any]) -> dict[str, Any]:
        lines = item.get("line_items") or []
        if not lines or any(self._resolve_line_product(li) is None and not li.get("sku") for li in lines):
            return _slot_error(0, "woocommerce_rest_invalid_product_id", "Product ID or SKU is invalid.")
        status = item.get("status") or "pending"
        if item.get("set_paid") and status == "pending":
            status = "processing"
        order = self._build_order(
            lines, status=status, customer_id=item.get("customer_id"), billing=item.get("billing"),
            shipping_address=item.get("shipping"), shipping=item.get("shipping_lines"), fees=item.get("fee_lines"),
            customer_note=item.get("customer_note", ""), meta_data=item.get("meta_data"), created_via="rest-api",
            set_paid=item.get("set_paid"),
        )
        self._fire("order", "created", order["id"])
        return dict(order)

    def _update_order_item(self, item: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(int(item.get("id") or 0))
        if order is None:
            return _slot_error(item.get("id"), "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        status = item.get("status")
        if status is not None and status not in ("pending", "processing", "on-hold", "completed", "cancelled",
                                                 "refunded", "failed", "trash"):
            return _slot_error(order["id"], "rest_invalid_param", "Invalid parameter(s): status")
        before = order["status"]
        for key in ("status", "customer_note", "billing", "shipping", "meta_data"):
            if key in item:
                order[key] = item[key]
        self._stock_follows_status(order, before)
        stamp = self.tick()
        order["date_modified_gmt"], order["date_modified"] = stamp, self._local(stamp)
        if status == "completed":
            order["date_completed_gmt"], order["date_completed"] = stamp, self._local(stamp)
        self._fire("order", "updated", order["id"])
        return dict(order)

    def _list_notes(self, request: SimRequest, payload: Any, order_id: str) -> SimResponse:
        if int(order_id) not in self.orders:
            return err(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        return SimResponse(200, list(self.notes.get(int(order_id), [])))

    def _create_note(self, request: SimRequest, payload: Any, order_id: str) -> SimResponse:
        if int(order_id) not in self.orders:
            return err(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        if not isinstance(payload, dict) or not payload.get("note"):
            return err(400, "rest_missing_callback_param", "Missing parameter(s): note")
        note = {"id": next(self._item_ids), "author": "WooCommerce", "date_created_gmt": self.tick(),
                "note": payload["note"], "customer_note": bool(payload.get("customer_note", False))}
        self.notes.setdefault(int(order_id), []).append(note)
        return SimResponse(201, note)

    def _create_refund(self, request: SimRequest, payload: Any, order_id: str) -> SimResponse:
        order = self.orders.get(int(order_id))
        if order is None:
            return err(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        refund = self._make_refund(order, payload or {})
        if refund is None:
            return err(500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
        # create_item renders with context 'edit': refunded_payment (context 'view' only) is dropped
        return SimResponse(201, {k: v for k, v in self._render_refund(refund).items() if k != "refunded_payment"})

    def _make_refund(self, order: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any] | None:
        """wc_create_refund: the refund record, the order's refunds and status; None when the amount is refused."""
        amount = Decimal(str(payload.get("amount") or "0"))
        already = sum((-Decimal(r["total"]) for r in order["refunds"]), Decimal(0))
        if amount <= 0 or amount + already > Decimal(order["total"]):
            return None
        api_refund = payload.get("api_refund", True)  # WooCommerce default: move the money
        refund_id = next(self._post_ids)
        refund = {"id": refund_id, "date_created_gmt": self.tick(), "amount": s2(amount),
                  "reason": payload.get("reason", ""), "refunded_payment": bool(api_refund),
                  "api_refund": api_refund, "api_restock": payload.get("api_restock", True),
                  "line_items": self._refund_items(order, payload.get("line_items") or []),
                  "meta_data": list(payload.get("meta_data") or [])}
        order["refunds"].append({"id": refund_id, "reason": refund["reason"], "total": s2(-amount)})
        self.refund_records.setdefault(order["id"], []).append(refund)
        if amount + already == Decimal(order["total"]):
            order["status"] = "refunded"
        order["date_modified_gmt"] = self.gmt()
        self._fire("order", "updated", order["id"])  # order.updated also fires on refunds
        return refund

    def _refund_items(self, order: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """wc_create_refund: each refunded order item is copied with id 0, meta ``_refunded_item_id``, quantity
        ``qty * -1``, total/subtotal and taxes through wc_format_refund_total (negated); rows naming no order
        item, or with no quantity, total or tax, are skipped."""
        items = {li["id"]: li for li in order["line_items"]}
        out = []
        for row in rows:
            item = items.get(int(row.get("id") or 0))
            qty = int(row.get("quantity") or 0)
            total = Decimal(str(row.get("refund_total") or "0"))
            taxes = [Decimal(str(t.get("refund_total") or "0")) for t in row.get("refund_tax") or []]
            if item is None or not (qty or total or any(taxes)):
                continue
            out.append({"id": next(self._item_ids), "name": item.get("name"), "product_id": item.get("product_id"),
                        "variation_id": item.get("variation_id"), "quantity": -qty, "sku": item.get("sku"),
                        "subtotal": s2(-total), "total": s2(-total), "total_tax": s2(-sum(taxes, Decimal(0))),
                        "meta_data": [{"id": next(self._item_ids), "key": "_refunded_item_id", "value": str(item["id"])}]})  # fmt: skip
        return out

    @staticmethod
    def _render_refund(refund: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in refund.items() if k not in ("api_refund", "api_restock")}

    def _list_refunds(self, request: SimRequest, payload: Any, order_id: str) -> SimResponse:
        if int(order_id) not in self.orders:
            return err(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        rows = sorted(self.refund_records.get(int(order_id), []), key=lambda r: r["id"], reverse=True)
        return self._page(request, rows, self._render_refund)

    def _get_variation(self, request: SimRequest, payload: Any, product_id: str, variation_id: str) -> SimResponse:
        record = self.product_store.get(int(variation_id))
        if record is None or record.get("parent_id") != int(product_id):
            return err(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return SimResponse(200, self.render_product(record))

    def refunds_of(self, order_id: int | str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.refund_records.get(int(order_id), []))

    def refund_order(self, order_id: int | str, lines: list[dict[str, Any]] | None = None, amount: str | None = None,
                     restock: bool = True) -> dict[str, Any]:
        """A refund made in wp-admin (wc_create_refund): ``lines`` [{sku, quantity}] credited at their net price
        and tax (none: every unit not yet refunded); ``amount`` defaults to those lines' total (without lines: what
        is left of the order total); with ``restock`` the refunded units go back to stock
        (wc_restock_refunded_items); order.updated fires. Returns the refund; ValueError when WooCommerce refuses."""
        with self.lock:
            order = self.orders[int(order_id)]
            if lines is None:
                left = self._units_not_refunded(order)
                lines = [{"sku": li.get("sku"), "quantity": left[li["id"]]} for li in order["line_items"]
                         if left[li["id"]] > 0 and li.get("sku")]
                if amount is None:
                    amount = s2(Decimal(order["total"]) + sum((Decimal(r["total"]) for r in order["refunds"]), Decimal(0)))
            rows = self._refund_rows(order, lines)
            if amount is None:
                amount = s2(sum((Decimal(r["refund_total"]) + sum((Decimal(t["refund_total"]) for t in r["refund_tax"]),
                                                                   Decimal(0)) for r in rows), Decimal(0)))
            refund = self._make_refund(order, {"amount": amount, "reason": "Refunded in the shop",
                                               "api_refund": False, "api_restock": restock, "line_items": rows})
            if refund is None:
                raise ValueError(f"WooCommerce refuses a refund of {amount} on order {order_id}")
            if restock:
                self._restock_refunded(order, rows)
            rendered = dict(refund)
        self._after_change(sync=True)
        return rendered

    def _units_not_refunded(self, order: dict[str, Any]) -> dict[int, int]:
        left = {li["id"]: int(li["quantity"]) for li in order["line_items"]}
        for refund in self.refund_records.get(order["id"], []):
            for row in refund["line_items"]:
                item = int(next(m["value"] for m in row["meta_data"] if m["key"] == "_refunded_item_id"))
                left[item] = left.get(item, 0) + int(row["quantity"])  # refund rows carry negative quantities
        return left

    def _refund_rows(self, order: dict[str, Any], lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The ``line_items`` rows of a refund request for [{sku, quantity}]: net total and tax per unit share."""
        rows = []
        for wanted in lines:
            item = next(li for li in order["line_items"] if li.get("sku") == wanted["sku"])
            share = Decimal(int(wanted["quantity"])) / Decimal(item["quantity"])
            taxes = [{"id": t["id"], "refund_total": s2(Decimal(t["total"]) * share)} for t in item.get("taxes") or []]
            rows.append({"id": item["id"], "quantity": int(wanted["quantity"]),
                         "refund_total": s2(Decimal(item["total"]) * share), "refund_tax": taxes})
        return rows

    def _restock_refunded(self, order: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        items = {li["id"]: li for li in order["line_items"]}
        for row in rows:
            item = items[row["id"]]
            product = self.product_store.get(item.get("variation_id") or item.get("product_id") or 0)
            if product and product.get("manage_stock") and product.get("stock_quantity") is not None:
                product["stock_quantity"] += row["quantity"]
                product["date_modified_gmt"] = self.tick()
                self._fire("product", "updated", product["id"])

    # customers ----------------------------------------------------------------
    def _list_customers(self, request: SimRequest, payload: Any) -> SimResponse:
        email = (request.arg("email") or "").lower()
        role = request.arg("role") or param_default("GET /customers", "role")  # 'customer' unless told
        rows = [c for c in self.customers.values() if (not email or c["email"].lower() == email)
                and (role == "all" or c["role"] == role)]
        rows = sorted(rows, key=lambda c: c["id"], reverse=request.arg("order", "asc") == "desc")
        return self._page(request, rows, self.render_customer)

    def _get_customer(self, request: SimRequest, payload: Any, customer_id: str) -> SimResponse:
        record = self.customers.get(int(customer_id))
        if record is None:
            return err(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return SimResponse(200, self.render_customer(record))

    def _batch_customers(self, request: SimRequest, payload: Any) -> SimResponse:
        guard = self._batch_guard(payload)
        if guard:
            return guard
        out: dict[str, list[Any]] = {}
        if payload.get("create"):
            out["create"] = []
            for item in payload["create"]:
                created = self._create_customer(item)
                out["create"].append(created if isinstance(created, dict) else self.render_customer(self.customers[created]))
        if payload.get("update"):
            out["update"] = []
            for item in payload["update"]:
                record = self.customers.get(int(item.get("id") or 0))
                if record is None:
                    out["update"].append(_slot_error(item.get("id"), "woocommerce_rest_invalid_id", "Invalid resource ID."))
                    continue
                for key in ("email", "first_name", "last_name"):
                    if key in item:
                        record[key] = item[key]
                for key in ("billing", "shipping"):
                    if key in item:
                        record[key] = {**record[key], **item[key]}
                record["date_modified_gmt"] = self.tick()
                self._fire("customer", "updated", record["id"])
                out["update"].append(self.render_customer(record))
        return SimResponse(200, out)

    # webhooks -----------------------------------------------------------------
    def _list_webhooks(self, request: SimRequest, payload: Any) -> SimResponse:
        status = request.arg("status", "all")
        rows = [h for h in self.webhooks.values() if status == "all" or h["status"] == status]
        return self._page(request, sorted(rows, key=lambda h: h["id"]), self.render_webhook)

    def _post_webhook(self, request: SimRequest, payload: Any) -> SimResponse:
        created = self._create_webhook(payload or {})
        if "error" in created:
            return err(400, created["error"]["code"], created["error"]["message"])
        return SimResponse(201, self.render_webhook(created))

    def _batch_webhooks(self, request: SimRequest, payload: Any) -> SimResponse:
        guard = self._batch_guard(payload)
        if guard:
            return guard
        out: dict[str, list[Any]] = {}
        if payload.get("create"):
            out["create"] = [self._webhook_slot(self._create_webhook(item)) for item in payload["create"]]
        if payload.get("update"):
            out["update"] = [self._webhook_slot(self._update_webhook(item.get("id") or 0, item))
                             for item in payload["update"]]
        if payload.get("delete"):
            out["delete"] = []
            for hook_id in payload["delete"]:
                hook = self.webhooks.pop(int(hook_id), None)
                out["delete"].append(self.render_webhook(hook) if hook else _slot_error(
                    hook_id, "woocommerce_rest_webhook_invalid_id", "Invalid ID."))
        return SimResponse(200, out)

    def _webhook_slot(self, result: dict[str, Any]) -> dict[str, Any]:
        return result if "error" in result else self.render_webhook(result)

    def _put_webhook(self, request: SimRequest, payload: Any, hook_id: str) -> SimResponse:
        result = self._update_webhook(int(hook_id), payload or {})
        if "error" in result:
            return err(404, result["error"]["code"], result["error"]["message"])
        return SimResponse(200, self.render_webhook(result))

    def _delete_webhook(self, request: SimRequest, payload: Any, hook_id: str) -> SimResponse:
        if request.arg("force") not in ("true", "1"):
            return err(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        hook = self.webhooks.pop(int(hook_id), None)
        if hook is None:
            return err(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        return SimResponse(200, self.render_webhook(hook))


def _blank_address(with_contact: bool) -> dict[str, str]:
    fields = ["first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country"]
    if with_contact:
        fields += ["email", "phone"]
    return dict.fromkeys(fields, "")


def _json_dumps(value: Any) -> bytes:
    import json

    return json.dumps(value, separators=(",", ":"), default=str).encode()
