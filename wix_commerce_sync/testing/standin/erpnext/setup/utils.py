"""erpnext/setup/utils.py ``before_tests`` (ERPNext 15 and 16): complete the setup wizard on a test site.

ERPNext runs ``setup_complete(...)`` (company "Wind Power LLC", fiscal year, the setup wizard's fixtures) when no
Company exists, deletes every Item Price, and commits. The stand-in inserts its setup-wizard fixtures
(``site_fixtures.setup_wizard_fixtures``) and the same test company; fiscal years and roles are not modelled.
"""

from __future__ import annotations

import frappe


def before_tests() -> None:
    if not frappe.db.a_row_exists("Company"):
        from site_fixtures import setup_wizard_fixtures

        if not frappe.db.exists("Warehouse Type", "Transit"):  # the wizard's fixtures, once
            setup_wizard_fixtures()
        frappe.get_doc({"doctype": "Company", "company_name": "Wind Power LLC", "abbr": "WP", "default_currency": "USD",
                        "country": "United States"}).insert(ignore_permissions=True)  # fmt: skip
    frappe.db.delete("Item Price")
    frappe.db.commit()
