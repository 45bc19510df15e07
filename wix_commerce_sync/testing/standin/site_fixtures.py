"""Records a fresh Frappe + ERPNext site has (the subset the app and its tests need).

``install_base_fixtures``: what ``bench new-site`` + ``install-app erpnext`` leave (roles, users, currencies,
countries, System Settings without ``setup_complete``). ``setup_wizard_fixtures``: what ERPNext's setup wizard
adds (UOMs, root groups, territories, price lists, Warehouse Type "Transit", stock entry types, modes of payment,
selling/stock settings). A site made for ``bench run-tests`` semantics has only the first until the app's
``before_tests`` hook runs ERPNext's (``erpnext.setup.utils.before_tests`` in the stand-in).
"""

from __future__ import annotations

import frappe

ROLES = (
    "Administrator", "System Manager", "Guest", "All", "Accounts Manager", "Accounts User", "Stock Manager",
    "Stock User", "Sales Manager", "Sales User", "Item Manager", "Website Manager",
)
CURRENCIES = {
    "USD": ("$", "Cent"), "EUR": ("€", "Cent"), "GBP": ("£", "Penny"), "INR": ("₹", "Paisa"),
}
COUNTRIES = {
    "United States": "us", "Germany": "de", "United Kingdom": "gb", "India": "in", "France": "fr", "Canada": "ca",
    "Australia": "au",
}
SYSTEM_TIME_ZONE = "Asia/Kolkata"  # frappe's fallback zone: deliberately not UTC so naive-UTC bugs show


def _insert(doc: dict, name: str | None = None):
    new = frappe.get_doc(doc)
    new.flags.ignore_permissions = True
    return new.insert(set_name=name)


def install_fixtures() -> None:
    """A site whose setup wizard has run (the sandbox's and the pytest suite's site)."""
    install_base_fixtures()
    setup_wizard_fixtures()


def install_base_fixtures() -> None:
    for role in ROLES:
        _insert({"doctype": "Role", "role_name": role, "desk_access": 0 if role == "Guest" else 1})
    _insert({"doctype": "Language", "language_code": "en", "language_name": "English"})
    _insert(
        {"doctype": "User", "email": "admin@example.com", "first_name": "Administrator", "user_type": "System User",
         "roles": [{"role": "Administrator"}, {"role": "System Manager"}], "send_welcome_email": 0},
        name="Administrator",
    )
    _insert(
        {"doctype": "User", "email": "guest@example.com", "first_name": "Guest", "user_type": "Website User",
         "roles": [{"role": "Guest"}], "send_welcome_email": 0},
        name="Guest",
    )
    for code, (symbol, fraction) in CURRENCIES.items():
        _insert({"doctype": "Currency", "currency_name": code, "enabled": 1, "symbol": symbol, "fraction": fraction,
                 "fraction_units": 100, "smallest_currency_fraction_value": 0.01, "number_format": "#,###.##"})
    for country, code in COUNTRIES.items():
        _insert({"doctype": "Country", "country_name": country, "code": code})
    _set_single("System Settings", time_zone=SYSTEM_TIME_ZONE, float_precision="3", currency_precision="",
                number_format="#,###.##", date_format="yyyy-mm-dd", country="United States", language="en",
                enable_scheduler=0, setup_complete=0)
    frappe.db.set_default("float_precision", "3")
    frappe.db.set_default("currency_precision", "")


def setup_wizard_fixtures() -> None:
    for uom, whole in (("Nos", 1), ("Unit", 1), ("Kg", 0), ("Box", 1)):
        _insert({"doctype": "UOM", "uom_name": uom, "must_be_whole_number": whole})
    _insert({"doctype": "Item Group", "item_group_name": "All Item Groups", "is_group": 1})
    for group in ("Products", "Services"):
        _insert({"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"})
    _insert({"doctype": "Customer Group", "customer_group_name": "All Customer Groups", "is_group": 1})
    for group in ("Individual", "Commercial"):
        _insert({"doctype": "Customer Group", "customer_group_name": group, "parent_customer_group": "All Customer Groups"})
    _insert({"doctype": "Territory", "territory_name": "All Territories", "is_group": 1})
    _insert({"doctype": "Territory", "territory_name": "Rest Of The World", "parent_territory": "All Territories"})
    _insert({"doctype": "Price List", "price_list_name": "Standard Selling", "currency": "USD", "selling": 1, "enabled": 1})
    _insert({"doctype": "Price List", "price_list_name": "Standard Buying", "currency": "USD", "buying": 1, "enabled": 1})
    _insert({"doctype": "Warehouse Type", "description": "Transit"}, name="Transit")
    for purpose in ("Material Issue", "Material Receipt", "Material Transfer", "Manufacture", "Repack"):
        _insert({"doctype": "Stock Entry Type", "purpose": purpose, "is_standard": 1}, name=purpose)
    _insert({"doctype": "Mode of Payment", "mode_of_payment": "Cash", "type": "Cash", "enabled": 1})
    _insert({"doctype": "Mode of Payment", "mode_of_payment": "Credit Card", "type": "Bank", "enabled": 1})

    _set_single("System Settings", setup_complete=1)
    _set_single("Global Defaults", default_currency="USD", country="United States", disable_rounded_total=0)
    _set_single("Selling Settings", cust_master_name="Customer Name", customer_group="Individual",
                territory="All Territories", selling_price_list="Standard Selling")
    _set_single("Stock Settings", item_naming_by="Item Code", stock_uom="Nos", item_group="Products",
                valuation_method="FIFO", allow_negative_stock=0)
    frappe.db.set_default("currency", "USD")
    frappe.db.set_default("cust_master_name", "Customer Name")


def _set_single(doctype: str, **values) -> None:
    doc = frappe.get_doc(doctype)
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()
