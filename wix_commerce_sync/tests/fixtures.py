"""Fixtures the shell tests make for themselves (real ERPNext 15/16 site or the stand-in), and their base class.

Every helper is idempotent and returns the record name the site actually gave, so the same code
works where ERPNext's controllers name things ("Stores - SSC") and where they do not. A test site is reused
run after run (``bench run-tests`` does not recreate it): every record a test looks up by value carries a value
unique to the run (a random tag), so what earlier runs committed is never mistaken for this run's.
"""

from __future__ import annotations

import json
from unittest import mock

import frappe
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from wix_commerce_sync import shell
from wix_commerce_sync.connectors.base import StoreConfig
from wix_commerce_sync.sync.models import Platform
from wix_commerce_sync.testing.erp_fixtures import ABBR, COMPANY, PRICE_LIST, ensure_basics, make_item  # noqa: F401 - re-exported for tests
from wix_commerce_sync.testing.fake_connector import FakeConnector

try:  # Frappe v16+: the integration test class; v16's runner prepares its category (before_tests hooks)
    from frappe.tests import IntegrationTestCase as _SiteTestCase
except ImportError:  # Frappe v15: FrappeTestCase (deprecated on v16, removed in v17)
    from frappe.tests.utils import FrappeTestCase as _SiteTestCase

try:  # Frappe v16+
    from frappe.tests import change_settings
except ImportError:  # Frappe v15
    from frappe.tests.utils import change_settings  # noqa: F401 - re-exported for tests

WEBHOOK_SECRET = "whsec-Fz83kQ-never-log-me"  # noqa: S105 - test-only value
ACCESS_TOKEN = "shpat_0b1e7c9d-never-log-me"  # noqa: S105 - test-only value


class ShellTestCase(_SiteTestCase):
    """Base of every shell test class: a site with ERPNext's setup, whichever runner runs the class.

    Frappe v15's runner calls the app's ``before_tests`` hook once before all tests; v16's only before its
    "integration" and "old-frappe-test-class-category" suites, and runs other categories first. So the class
    prepares the site itself: ``before_tests`` is idempotent (ERPNext's setup wizard only when no Company exists).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from wix_commerce_sync.install import before_tests

        before_tests()
        frappe.set_user("Administrator")


def run_tag(length: int = 6) -> str:
    """A value unique to this run (the site keeps what earlier runs committed)."""
    return frappe.generate_hash(length=length)


# a simulated store's client: few retries, short backoff and timeouts (a failing test fails fast)
FAST_CLIENT = {"max_attempts": 2, "backoff_initial": 0.01, "backoff_max": 0.05, "timeout": (2.0, 2.0)}


def start_simulator(test_class, simulator_class):
    """A simulator serving for the whole test class, stopped by the class cleanup."""
    sim = simulator_class()
    sim.start()
    test_class.addClassCleanup(sim.stop)
    return sim


def hold_background_jobs(test_class) -> mock.MagicMock:
    """Capture ``frappe.enqueue`` for a whole test class (call from ``setUpClass``; undone by a class cleanup).

    On a real bench the webhook endpoint and the doc_events enqueue RQ jobs after each commit, and the bench's
    workers (``bench start``) would run them at once on the same test site: a second ``process_inbound`` racing
    the one the test calls (its "synced" counts then flake), and connector calls from a worker process that has
    none of the test's ``CONNECTOR_OVERRIDES`` (so towards the store's real URL). The tests run the work
    themselves, in-process, the way a worker would.
    """
    patcher = mock.patch("frappe.enqueue")
    held = patcher.start()
    test_class.addClassCleanup(patcher.stop)
    return held


def make_store(basics: dict, name: str, **overrides) -> tuple[str, FakeConnector]:
    """A Shopify-platform Commerce Store served by a FakeConnector (HMAC webhooks, in-memory store)."""
    if not frappe.db.exists("Commerce Store", name):
        doc = {
            "doctype": "Commerce Store", "store_name": name, "platform": "Shopify", "enabled": 1,
            "store_url": "https://commerce-test-shop.myshopify.com", "access_token": ACCESS_TOKEN,
            "webhook_secret": WEBHOOK_SECRET, "company": basics["company"], "price_list": basics["price_list"],
            "currency": "USD", "item_group": "Products", "stock_uom": "Nos", "default_warehouse": basics["warehouse"],
            "customer_group": "Individual", "territory": "All Territories", "tax_account": basics["tax_account"],
            "shipping_account": basics["shipping_account"], "submit_sales_order": 1, "items_direction": "Bidirectional",
            "stock_direction": "Bidirectional", "orders_direction": "Bidirectional", "customers_direction": "Bidirectional",
            "guest_customer_policy": "One customer per email",
            "warehouse_mappings": [{"warehouse": basics["warehouse"], "location_id": "loc-1", "location_name": "Main"},
                                   {"warehouse": basics["second_warehouse"], "location_id": "loc-1", "location_name": "Main"}],
        }  # fmt: skip
        doc.update(overrides)
        frappe.get_doc(doc).insert(ignore_permissions=True)
    frappe.db.commit()
    config = StoreConfig(name, Platform.SHOPIFY, "https://commerce-test-shop.myshopify.com",
                         credentials={"access_token": ACCESS_TOKEN}, webhook_secret=WEBHOOK_SECRET)  # fmt: skip
    fake = FakeConnector(config)
    shell.CONNECTOR_OVERRIDES[name] = fake
    return name, fake


def post_webhook(method: str, body: bytes, headers: dict[str, str], store: str | None):
    """Deliver a webhook the way Frappe would: a raw POST body, the store in the query string, as Guest."""
    from urllib.parse import urlencode

    environ = EnvironBuilder(method="POST", path=f"/api/method/wix_commerce_sync.api.webhooks.{method}",
                             query_string=urlencode({"store": store}) if store else "", data=body,
                             headers=headers).get_environ()  # fmt: skip
    frappe.local.request = Request(environ)
    frappe.local.form_dict = frappe._dict(json.loads(body) if body.strip().startswith(b"{") else {})
    from wix_commerce_sync.api import webhooks

    endpoint = getattr(webhooks, method)
    user = frappe.session.user
    frappe.set_user("Guest")
    try:
        frappe.is_whitelisted(endpoint)
        return endpoint()
    finally:
        frappe.set_user(user)
        frappe.local.request = None


def response_json(response) -> dict:
    return json.loads(response.get_data(as_text=True))
