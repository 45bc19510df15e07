"""ERPNext records a site needs before the app can sync (company, accounts, warehouses, price list).

Idempotent, and written to the real Frappe API: the shell tests use it on a real ERPNext 15 site and on
the stand-in, and the sandbox uses it to prepare its stand-in site.
"""

from __future__ import annotations

from decimal import Decimal

import frappe

COMPANY = "Sandbox Store Co"
ABBR = "SSC"
PRICE_LIST = "Commerce Test Selling"


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
