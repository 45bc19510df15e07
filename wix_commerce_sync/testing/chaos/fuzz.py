"""Fuzzing the three webhook endpoints: generated deliveries, signed and unsigned, through the real endpoint code.

Each delivery is posted the way Frappe calls a whitelisted method (a werkzeug request, the store in the query
string, as Guest) to a store served by the platform's real connector. An outcome records the answer's status,
any exception the endpoint let escape (Frappe would answer 500) and the statements that wrote a table other than
the Commerce Sync Log (an unsigned delivery must write nothing else).
Shapes (``KINDS``): malformed JSON, wrong types, missing fields, ids beyond 2**53, unicode and control
characters, deep nesting, huge arrays, oversized bodies, wrong content types, replayed and stale signatures,
Wix JWTs with ``alg: none``, HS256 signed with the public key, and expired tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

PLATFORMS = ("Shopify", "WooCommerce", "Wix")
ENDPOINTS = {"Shopify": "shopify", "WooCommerce": "woocommerce", "Wix": "wix"}
SECRET = "fuzz-webhook-secret-never-log-me"  # noqa: S105 - test-only value
WRITE = re.compile(r"^\s*(insert|update|delete|replace)\b[^`]*`(tab[^`]+)`", re.IGNORECASE)
LOG_TABLE = "tabCommerce Sync Log"
JOB_TABLE = "tabCommerce Sync Job"
OVERSIZED = 6_000_000  # over every platform's cap

KINDS = ("valid", "malformed_json", "wrong_types", "missing_fields", "big_ids", "unicode_control", "deep_nesting",
         "huge_array", "oversized", "wrong_content_type", "replayed", "stale_signature", "wrong_secret",
         "no_signature", "alg_none", "hs256_public_key", "expired")  # fmt: skip


# ------------------------------------------------------------------ generated JSON values

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "1e309", "null", "\u0000", "\u202e", "\ud7ff", "💥", "9" * 40]),
)  # fmt: skip
json_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=25)  # fmt: skip

ORDER_FIELDS = ("id", "name", "order_number", "number", "status", "line_items", "customer", "billing", "email",
                "total_price", "total", "currency", "created_at", "updated_at", "date_modified_gmt", "sku", "title",
                "variants", "stock_quantity", "first_name", "last_name", "financial_status", "admin_graphql_api_id")  # fmt: skip


def _base_record(n: int) -> dict[str, Any]:
    return {"id": 4_000_000 + n, "name": f"#F{n}", "order_number": n, "number": str(n), "status": "processing",
            "email": f"fuzz{n}@example.com", "currency": "USD", "total_price": "10.00", "total": "10.00",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "date_modified_gmt": "2026-01-01T00:00:00", "financial_status": "paid",
            "line_items": [{"id": n, "sku": f"FUZZ-{n}", "quantity": 1, "price": "10.00", "title": "Fuzz"}],
            "customer": {"id": n, "email": f"fuzz{n}@example.com", "first_name": "F", "last_name": "Z"}}  # fmt: skip


@st.composite
def records(draw, kind: str) -> Any:
    """A resource body of the given shape (a dict for most shapes, anything for ``wrong_types``)."""
    record = _base_record(draw(st.integers(min_value=0, max_value=10**6)))
    if kind == "wrong_types":
        keys = draw(st.lists(st.sampled_from(ORDER_FIELDS), min_size=1, max_size=6, unique=True))
        for key in keys:
            record[key] = draw(json_values)
        return draw(st.one_of(st.just(record), json_values))
    if kind == "missing_fields":
        for key in draw(st.lists(st.sampled_from(sorted(record)), min_size=1, max_size=len(record), unique=True)):
            record.pop(key, None)
        return record
    if kind == "big_ids":
        big = draw(st.integers(min_value=2**53 + 1, max_value=2**80))
        record["id"] = draw(st.sampled_from([big, -big, str(big), float(2**53) * 3]))
        record["line_items"][0]["id"] = big
        return record
    if kind == "unicode_control":
        text = draw(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=["Cs"]),
                            min_size=1, max_size=60))  # fmt: skip
        for key in ("name", "email", "status", "currency"):
            record[key] = text
        record["line_items"][0]["sku"] = text
        return record
    if kind == "deep_nesting":
        depth = draw(st.integers(min_value=50, max_value=900))  # json.dumps itself recurses
        nested: Any = {}
        for _ in range(depth):
            nested = {"a": nested}
        record[draw(st.sampled_from(ORDER_FIELDS))] = nested
        return record
    if kind == "huge_array":
        size = draw(st.integers(min_value=1_000, max_value=20_000))
        record["line_items"] = [{"id": i, "sku": "X", "quantity": 1, "price": "1"} for i in range(size)]
        return record
    return record


def _deep_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"{}" + b"}" * depth


# ------------------------------------------------------------------ targets


@dataclass
class Target:
    """One platform's store and how to sign a body for it."""

    platform: str
    store: str
    connector: Any
    sim: Any = None

    @property
    def endpoint(self) -> str:
        return ENDPOINTS[self.platform]

    def topic_headers(self, n: int, topic: str | None = None) -> dict[str, str]:
        if self.platform == "Shopify":
            return {"X-Shopify-Topic": topic or "orders/create", "X-Shopify-Webhook-Id": f"fuzz-{n}",
                    "X-Shopify-Api-Version": self.connector.client.api_version,
                    "X-Shopify-Triggered-At": "2026-01-01T00:00:00Z"}  # fmt: skip
        if self.platform == "WooCommerce":
            return {"X-WC-Webhook-Topic": topic or "order.updated", "X-WC-Webhook-Resource": "order",
                    "X-WC-Webhook-Event": "updated", "X-WC-Webhook-Delivery-ID": str(n), "X-WC-Webhook-ID": "1"}  # fmt: skip
        return {}

    def sign(self, body: bytes, headers: dict[str, str], secret: str = SECRET) -> dict[str, str]:
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if self.platform == "Shopify":
            return {**headers, "X-Shopify-Hmac-Sha256": digest}
        if self.platform == "WooCommerce":
            return {**headers, "X-WC-Webhook-Signature": digest}
        return headers

    def wix_body(self, data: Any, *, iat: float | None = None, expires_in: float = 3600,
                 event_type: str = "wix.ecom.v1.order_updated") -> bytes:
        """A signed Wix JWT around ``data`` (the envelope's ``data`` may be anything a fuzzer makes)."""
        issued = time.time() if iat is None else iat
        envelope = {"eventType": event_type, "instanceId": self.sim.instance_id,
                    "data": data if isinstance(data, str) else json.dumps(data),
                    "identity": json.dumps({"identityType": "APP", "appId": self.sim.app_id})}  # fmt: skip
        return self.sim.sign({"data": json.dumps(envelope), "iat": int(issued), "exp": int(issued + expires_in)})


def _b64url(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def forged_jwt(alg: str, claims: dict[str, Any], key: bytes = b"") -> bytes:
    """A JWT with the given header ``alg``: ``none`` unsigned, ``HS256`` keyed with ``key`` (e.g. the public PEM)."""
    head = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + b"." + _b64url(json.dumps(claims).encode())
    signature = b"" if alg == "none" else _b64url(hmac.new(key, head, hashlib.sha256).digest())
    return head + b"." + signature


# ------------------------------------------------------------------ deliveries


@dataclass
class Delivery:
    kind: str
    body: bytes
    headers: dict[str, str]
    signed: bool  # signed with the store's real secret (a row may then be written)
    content_type: str = "application/json"
    replay_of: Delivery | None = None

    def __repr__(self) -> str:  # a failing example stays readable
        return (f"Delivery({self.kind}, signed={self.signed}, {len(self.body)} bytes: {self.body[:200]!r}, "
                f"headers={self.headers}, content_type={self.content_type!r}, replay={self.replay_of is not None})")


@st.composite
def deliveries(draw, target: Target, kinds: tuple[str, ...] = KINDS) -> Delivery:
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(min_value=0, max_value=2**31))
    if target.platform == "Wix":
        return _wix_delivery(draw, target, kind, n)
    headers = target.topic_headers(n, draw(st.sampled_from([None, None, None, "orders/updated", "products/update",
                                                            "customers/create", "order.deleted", "bogus/topic",
                                                            "product.updated", ""])))  # fmt: skip
    body = _hmac_body(draw, kind)
    if kind == "no_signature":
        return Delivery(kind, body, headers, signed=False)
    if kind == "wrong_secret":
        return Delivery(kind, body, target.sign(body, headers, secret="not-" + SECRET), signed=False)
    if kind == "stale_signature":  # a real signature of another body (an old delivery's header on a new body)
        other = json.dumps(_base_record(n + 1)).encode()
        return Delivery(kind, body, target.sign(other, headers), signed=False)
    content_type = draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                         "application/xml", ""])) if kind == "wrong_content_type" else "application/json"  # fmt: skip
    first = Delivery(kind, body, target.sign(body, headers), signed=kind != "oversized", content_type=content_type)
    if kind == "replayed":
        return Delivery(kind, body, dict(first.headers), signed=True, replay_of=first)
    return first


def _hmac_body(draw, kind: str) -> bytes:
    if kind == "oversized":
        return b'{"id": 1, "pad": "' + b"x" * OVERSIZED + b'"}'
    if kind == "malformed_json":
        good = json.dumps(_base_record(1)).encode()
        cut = draw(st.integers(min_value=0, max_value=len(good)))
        return draw(st.sampled_from([good[:cut], good + b"}", b"\xff\xfe" + good, b"", b"null", b"[]", b"{'id': 1}",
                                     b"webhook_id=1&x=2", b"webhook_id=", draw(st.binary(max_size=200))]))  # fmt: skip
    if kind == "deep_nesting" and draw(st.booleans()):
        return _deep_json(draw(st.integers(min_value=500, max_value=200_000)))
    return json.dumps(draw(records(kind)), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def _wix_delivery(draw, target: Target, kind: str, n: int) -> Delivery:
    claims = {"data": json.dumps({"eventType": "wix.ecom.v1.order_updated", "instanceId": target.sim.instance_id,
                                  "data": json.dumps({"entityId": str(n)})}),
              "iat": int(time.time()), "exp": int(time.time()) + 3600}  # fmt: skip
    public = target.connector.config.webhook_secret
    public = public.encode() if isinstance(public, str) else public
    if kind == "alg_none":
        return Delivery(kind, forged_jwt("none", claims), {}, signed=False, content_type="text/plain")
    if kind == "hs256_public_key":
        return Delivery(kind, forged_jwt("HS256", claims, public), {}, signed=False, content_type="text/plain")
    if kind == "expired":
        return Delivery(kind, target.wix_body({"entityId": str(n)}, iat=time.time() - 7200, expires_in=60), {},
                        signed=False, content_type="text/plain")  # fmt: skip
    if kind in ("no_signature", "wrong_secret", "stale_signature"):
        body = target.wix_body({"entityId": str(n)})
        head, payload, signature = body.split(b".")
        tampered = {"no_signature": head + b"." + payload + b".",
                    "wrong_secret": head + b"." + payload + b"." + signature[::-1],
                    "stale_signature": head + b"." + _b64url(json.dumps({**claims, "x": n}).encode()) + b"." + signature}
        return Delivery(kind, tampered[kind], {}, signed=False, content_type="text/plain")
    if kind == "oversized":
        return Delivery(kind, b"e" * OVERSIZED, {}, signed=False, content_type="text/plain")
    if kind == "malformed_json":
        raw = draw(st.sampled_from([b"", b"not a jwt", b"a.b.c", b"..", b"\xff.\xfe.\xfd", b"eyJ.eyJ.x",
                                    draw(st.binary(max_size=300))]))  # fmt: skip
        if draw(st.booleans()):  # or a signed token whose nested JSON is broken
            raw = target.wix_body(draw(st.text(max_size=80)), event_type=draw(st.sampled_from(
                ["wix.ecom.v1.order_updated", "wix.stores.catalog.v3.product_created", "unknown", ""])))  # fmt: skip
            return Delivery(kind, raw, {}, signed=True, content_type="text/plain")
        return Delivery(kind, raw, {}, signed=False, content_type="text/plain")
    record = draw(records(kind)) if kind != "valid" else {"entityId": str(n)}
    event = draw(st.sampled_from(["wix.ecom.v1.order_updated", "wix.ecom.v1.order_created",
                                  "wix.stores.catalog.v3.product_updated", "wix.contacts.v4.contact_created",
                                  "wix.stores.catalog.v3.product_deleted", "wix.ecom.v1.order_canceled",
                                  "com.wix.ecommerce.catalog.api.v1.ProductChanged", "nonsense"]))  # fmt: skip
    payload = record if not isinstance(record, dict) else {
        "id": str(n), "entityFqdn": event.rsplit("_", 1)[0], "slug": event.rsplit("_", 1)[-1],
        "entityId": record.get("id"), "updatedEvent": {"currentEntity": record}, "createdEvent": {"entity": record},
        "actionEvent": {"body": {"order": record}}, "eventTime": "2026-01-01T00:00:00Z"}  # fmt: skip
    body = target.wix_body(payload, event_type=event)
    content_type = draw(st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
    first = Delivery(kind, body, {}, signed=True, content_type=content_type)
    if kind == "replayed":
        return Delivery(kind, body, {}, signed=True, content_type=content_type, replay_of=first)
    return first


# ------------------------------------------------------------------ posting


@dataclass
class Outcome:
    status: int
    unhandled: str | None = None
    rows_written: int = 0  # statements writing a table other than the log
    writes: list[str] = field(default_factory=list)


def post(target: Target, body: bytes, headers: dict[str, str], content_type: str = "application/json") -> Outcome:
    """Deliver as Frappe would: a raw POST body, the store in the query string, as Guest; count the writes."""
    import frappe
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from wix_commerce_sync.api import webhooks

    all_headers = {**headers}
    if content_type:
        all_headers["Content-Type"] = content_type
    environ = EnvironBuilder(method="POST", path=f"/api/method/wix_commerce_sync.api.webhooks.{target.endpoint}",
                             query_string=urlencode({"store": target.store}), data=body,
                             headers=all_headers).get_environ()  # fmt: skip
    frappe.local.request = Request(environ)
    frappe.local.form_dict = frappe._dict()
    endpoint = getattr(webhooks, target.endpoint)
    user = frappe.session.user
    frappe.set_user("Guest")
    jobs_before = frappe.db.count("Commerce Sync Job")
    frappe.db.statement_log = []
    try:
        frappe.is_whitelisted(endpoint)
        status, unhandled = endpoint().status_code, None
    except Exception:  # noqa: BLE001 - what the fuzzer looks for: Frappe would answer 500
        frappe.db.rollback()
        status, unhandled = 500, traceback.format_exc(limit=8)
    finally:
        log, frappe.db.statement_log = frappe.db.statement_log or [], None
        frappe.set_user(user)
        frappe.local.request = None
    # a job insert that meets the unique dedupe key is a no-op: count jobs, and every other table's writes
    writes = [q for q in log if (m := WRITE.match(q)) and m.group(2) not in (LOG_TABLE, JOB_TABLE)]
    new_jobs = frappe.db.count("Commerce Sync Job") - jobs_before
    return Outcome(status, unhandled, len(writes) + new_jobs, writes[:3] + [f"{new_jobs} new job(s)"])


def deliver(target: Target, delivery: Delivery) -> Outcome:
    """Post a delivery (a replay posts the first copy, then the same bytes again: the second must write nothing)."""
    if delivery.replay_of is not None:
        post(target, delivery.replay_of.body, delivery.replay_of.headers, delivery.replay_of.content_type)
    return post(target, delivery.body, delivery.headers, delivery.content_type)


def must_write_nothing(delivery: Delivery) -> bool:
    """Unsigned (or forged) deliveries and replays write no row but the log."""
    return not delivery.signed or delivery.replay_of is not None


@dataclass
class Tally:
    """Figures per platform: deliveries, answers by status class, 5xx, unhandled, rows written, kinds."""

    deliveries: int = 0
    fuzz_5xx: int = 0
    fuzz_unhandled: int = 0
    fuzz_rows_written: int = 0
    statuses: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, delivery: Delivery, outcome: Outcome) -> None:
        self.deliveries += 1
        self.kinds[delivery.kind] += 1
        self.statuses[outcome.status] += 1
        problem = None
        if outcome.unhandled:
            self.fuzz_unhandled += 1
            problem = outcome.unhandled
        if outcome.status >= 500:
            self.fuzz_5xx += 1
            problem = problem or f"{outcome.status}"
        if must_write_nothing(delivery) and outcome.rows_written:
            self.fuzz_rows_written += outcome.rows_written
            problem = problem or f"wrote {outcome.writes}"
        if problem and len(self.examples) < 5:
            self.examples.append(f"{delivery.kind}: {delivery.body[:120]!r} -> {problem}")


# ------------------------------------------------------------------ set-up


def make_targets(basics: dict, tag: str) -> tuple[dict[str, Target], list[Any]]:
    """One store per platform served by its real connector (simulators started for their keys and URLs).

    Returns the targets and the simulators to stop.
    """
    import frappe

    from wix_commerce_sync import shell
    from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
    from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
    from wix_commerce_sync.connectors.wix.connector import WixConnector
    from wix_commerce_sync.connectors.wix.simulator import WixSimulator
    from wix_commerce_sync.connectors.woocommerce.connector import WooCommerceConnector
    from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator

    # a reused site may hold enabled fuzz stores of an earlier run (whose simulators are gone): switch them off
    for old in frappe.get_all("Commerce Store", filters={"name": ["like", "Fuzz %"], "enabled": 1}, pluck="name"):
        frappe.db.set_value("Commerce Store", old, "enabled", 0)
    sims = {"Shopify": ShopifySimulator(), "WooCommerce": WooCommerceSimulator(), "Wix": WixSimulator()}
    targets = {}
    for platform, sim in sims.items():
        sim.start()
        name = f"Fuzz {platform} {tag}"
        if platform == "Wix":
            config = sim.store_config(name=name)
            connector = WixConnector(config)
            secret = config.webhook_secret
        elif platform == "Shopify":
            config = sim.store_config(name=name)
            config.webhook_secret = SECRET
            connector = ShopifyConnector(config)
            secret = SECRET
        else:
            connector = WooCommerceConnector(sim.store_config(name=name, webhook_secret=SECRET))
            secret = SECRET
        if not frappe.db.exists("Commerce Store", name):
            frappe.get_doc(store_doc(basics, name, platform, sim.base_url, secret)).insert(ignore_permissions=True)
        frappe.db.commit()
        shell.CONNECTOR_OVERRIDES[name] = connector
        targets[platform] = Target(platform, name, connector, sim)
    return targets, list(sims.values())


def store_doc(basics: dict, name: str, platform: str, url: str, webhook_secret: str) -> dict:
    """Disabled: its webhooks are verified and stored all the same, but no ERPNext change on a reused test site
    (stock, orders of other tests) is ever sent to it once its simulator is gone."""
    return {
        "doctype": "Commerce Store", "store_name": name, "platform": platform, "enabled": 0, "store_url": url,
        "allow_insecure_http": 1, "access_token": "fuzz-token-never-log-me", "webhook_secret": webhook_secret,
        "company": basics["company"], "price_list": basics["price_list"], "currency": "USD", "item_group": "Products",
        "stock_uom": "Nos", "default_warehouse": basics["warehouse"], "customer_group": "Individual",
        "territory": "All Territories", "tax_account": basics["tax_account"],
        "shipping_account": basics["shipping_account"], "items_direction": "Bidirectional",
        "stock_direction": "Bidirectional", "orders_direction": "Bidirectional",
        "customers_direction": "Bidirectional", "guest_customer_policy": "One customer per email",
        "warehouse_mappings": [{"warehouse": basics["warehouse"], "location_id": "loc-1", "location_name": "Main"}],
    }  # fmt: skip
