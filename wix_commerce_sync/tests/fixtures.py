"""Fixtures the shell tests make for themselves (real ERPNext 15 site or the stand-in).

Every helper is idempotent and returns the record name the site actually gave, so the same code
works where ERPNext's controllers name things ("Stores - SSC") and where they do not.
"""

from __future__ import annotations

import json
from decimal import Decimal

import frappe
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from wix_commerce_sync import shell
from wix_commerce_sync.connectors.base import StoreConfig
from wix_commerce_sync.sync.models import Platform
from wix_commerce_sync.testing.fake_connector import FakeConnector

COMPANY = "Sandbox Store Co"
ABBR = "SSC"
PRICE_LIST = "Commerce Test Selling"
WEBHOOK_SECRET = "whsec-Fz83kQ-never-log-me"  # noqa: S105 - test-only value
ACCESS_TOKEN = "shpat_0b1e7c9d-never-log-me"  # noqa: S105 - test-only value


def _ensure(doctype: str, name: str | None, doc: dict) -> str:
    if name and frappe.db.exists(doctype, name):
        return name
    return frappe.get_doc({"doctype": doctype, **doc}).insert(ignore_permissions=True).name


def ensure_basics() -> dict:
    from wix_commerce_sync.install import ensure_custom_fields, ensure_role

    ensure_role()
    ensure_custom_fields()
    _ensure("Currency", "USD", {"currency_name": "USD", "enabled": 1, "symbol": "$"})
    _ensure("Country", "United States", {"country_name": "United States", "code": "us"})
    _ensure("UOM", "Nos", {"uom_name": "Nos", "must_be_whole_number": 1})
    if not frappe.db.exists("Item Group", "All Item Groups"):
        _ensure("Item Group", None, {"item_group_name": "All Item Groups", "is_group": 1})
    _ensure("Item Group", "Products", {"item_group_name": "Products", "parent_item_group": "All Item Groups"})
    if not frappe.db.exists("Customer Group", "All Customer Groups"):
        _ensure("Customer Group", None, {"customer_group_name": "All Customer Groups", "is_group": 1})
    _ensure("Customer Group", "Individual", {"customer_group_name": "Individual", "parent_customer_group": "All Customer Groups"})
    _ensure("Territory", "All Territories", {"territory_name": "All Territories", "is_group": 1})
    company = _ensure("Company", COMPANY, {"company_name": COMPANY, "abbr": ABBR, "default_currency": "USD",
                                           "country": "United States"})  # fmt: skip
    warehouse = frappe.db.get_value("Warehouse", {"warehouse_name": "Commerce Stores", "company": company}, "name") or \
        _ensure("Warehouse", None, {"warehouse_name": "Commerce Stores", "company": company})  # fmt: skip
    second = frappe.db.get_value("Warehouse", {"warehouse_name": "Commerce Shop Floor", "company": company}, "name") or \
        _ensure("Warehouse", None, {"warehouse_name": "Commerce Shop Floor", "company": company})  # fmt: skip
    tax_account = _account("Commerce Sales Tax", "Liability", company, account_type="Tax")
    shipping_account = _account("Commerce Shipping Income", "Income", company)
    price_list = _ensure("Price List", PRICE_LIST, {"price_list_name": PRICE_LIST, "currency": "USD", "selling": 1, "enabled": 1})
    frappe.db.commit()  # the code under test commits and rolls back; fixtures must survive both
    return {"company": company, "warehouse": warehouse, "second_warehouse": second, "tax_account": tax_account,
            "shipping_account": shipping_account, "price_list": price_list}  # fmt: skip


def _account(account_name: str, root_type: str, company: str, account_type: str | None = None) -> str:
    found = frappe.db.get_value("Account", {"account_name": account_name, "company": company}, "name")
    if found:
        return found
    parent = frappe.db.get_value("Account", {"company": company, "is_group": 1, "root_type": root_type}, "name")
    doc = {"account_name": account_name, "company": company, "root_type": root_type, "is_group": 0,
           "account_currency": "USD", "report_type": "Balance Sheet" if root_type == "Liability" else "Profit and Loss"}  # fmt: skip
    if parent:
        doc["parent_account"] = parent
    if account_type:
        doc["account_type"] = account_type
    return _ensure("Account", None, doc)


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


def make_item(code: str, price: str = "10.00", *, valuation: str = "4.00", stock: bool = True) -> str:
    if not frappe.db.exists("Item", code):
        frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": code, "item_group": "Products",
                        "stock_uom": "Nos", "is_stock_item": 1 if stock else 0, "valuation_rate": float(Decimal(valuation)),
                        "standard_rate": float(Decimal(price))}).insert(ignore_permissions=True)  # fmt: skip
    if not frappe.db.exists("Item Price", {"item_code": code, "price_list": PRICE_LIST}):
        frappe.get_doc({"doctype": "Item Price", "item_code": code, "price_list": PRICE_LIST, "uom": "Nos",
                        "price_list_rate": float(Decimal(price))}).insert(ignore_permissions=True)  # fmt: skip
    frappe.db.commit()
    return code


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
