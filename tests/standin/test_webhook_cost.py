"""What one accepted webhook costs in SQL, and the per-store config cache behind it (stand-in only: it counts
the statements the stand-in's database layer sends, on SQLite or MariaDB alike).

Accept path: verify, what dedupe and ordering need, insert the job, enqueue, commit. Store config and decrypted
secrets come from a per-process cache that a store save invalidates; nothing is written to the store's own row.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from pathlib import Path
from unittest import mock

import frappe
import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "shopify" / "webhook-orders-create-sample.json"
MAX_STATEMENTS = 5


@pytest.fixture
def shop(frappe_site):
    from wix_commerce_sync.tests import fixtures as fx

    frappe.set_user("Administrator")
    name, _ = fx.make_store(fx.ensure_basics(), f"Webhook Cost Shop {frappe.generate_hash(length=6)}")
    frappe.db.commit()
    yield name
    frappe.db.rollback()


def _order_delivery(shop: str, n: int) -> tuple[bytes, dict]:
    from wix_commerce_sync import shell
    from wix_commerce_sync.testing.factories import make_order

    order = make_order(oid=f"wc-{frappe.generate_hash(length=8)}-{n}")
    return shell.CONNECTOR_OVERRIDES[shop].webhook("orders/create", order, f"evt-{order.external_id}")


def _deliver(shop: str, body: bytes, headers: dict):
    from wix_commerce_sync.tests import fixtures as fx

    return fx.post_webhook("shopify", body, headers, shop)


def test_an_accepted_delivery_costs_at_most_five_statements(shop):
    from wix_commerce_sync.tests import fixtures as fx

    frappe.local.flags.in_test = False  # production requests: frappe reads the time zone from its cache
    try:
        with _held_jobs():
            first = _deliver(shop, *_order_delivery(shop, 0))  # warms the per-store cache
            assert fx.response_json(first)["status"] == "queued"
            db = frappe.db
            db.statement_log = []
            before = db.statement_count
            response = _deliver(shop, *_order_delivery(shop, 1))
            spent, log = db.statement_count - before, db.statement_log
            db.statement_log = None
    finally:
        frappe.local.flags.in_test = True
    assert fx.response_json(response)["status"] == "queued"
    assert spent <= MAX_STATEMENTS, f"{spent} statements per accepted delivery:\n" + "\n".join(log)


def test_no_delivery_writes_the_store_row(shop):
    with _held_jobs():
        _deliver(shop, *_order_delivery(shop, 0))
        frappe.db.statement_log = []
        _deliver(shop, *_order_delivery(shop, 1))
        log, frappe.db.statement_log = frappe.db.statement_log, None
    assert not [q for q in log if q.lower().startswith("update") and "tabCommerce Store" in q]
    from wix_commerce_sync.shell import last_webhook_at

    assert last_webhook_at(shop) is not None  # kept in the cache instead


def _shopify_delivery(secret: str) -> tuple[bytes, dict]:
    payload = json.loads(FIXTURE.read_text())
    payload["id"] = int(frappe.generate_hash(length=8), 16)
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/create",
                  "X-Shopify-Webhook-Id": frappe.generate_hash(length=12), "Content-Type": "application/json"}  # fmt: skip


def test_saving_the_store_invalidates_its_cached_secret(frappe_site):
    """A real Shopify connector (no override): the secret it verifies with comes from the cached store config."""
    from wix_commerce_sync import shell
    from wix_commerce_sync.tests import fixtures as fx

    name, _ = fx.make_store(fx.ensure_basics(), f"Webhook Secret Shop {frappe.generate_hash(length=6)}",
                            webhook_secret="first-secret")  # fmt: skip
    shell.CONNECTOR_OVERRIDES.pop(name, None)
    frappe.db.commit()
    with _held_jobs():
        assert _deliver(name, *_shopify_delivery("first-secret")).status_code == 200
        store = frappe.get_doc("Commerce Store", name)
        store.webhook_secret = "second-secret"
        store.save(ignore_permissions=True)
        frappe.db.commit()
        assert _deliver(name, *_shopify_delivery("first-secret")).status_code == 401
        assert _deliver(name, *_shopify_delivery("second-secret")).status_code == 200


@contextlib.contextmanager
def _held_jobs():
    """frappe.enqueue captured: no background run while the test counts."""
    with mock.patch("frappe.enqueue"):
        yield
