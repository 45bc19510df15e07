"""tests/standin: make the helper module importable by dotted path (frappe.get_attr) and register it as an app."""

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def _register_helper_app(request):
    if "frappe_site" in request.fixturenames or "standin" in request.fixturenames:
        from frappe import standin

        standin.register_test_app("standin_test_api")
    yield


@pytest.fixture(scope="session")
def company():
    """A committed test company (ERPNext setup creates accounts, cost centers, warehouses)."""
    import frappe

    name = "Standin Test Co"
    if not frappe.db.exists("Company", name):
        frappe.get_doc(
            {"doctype": "Company", "company_name": name, "abbr": "STC", "default_currency": "USD",
             "country": "United States"}
        ).insert()
        frappe.db.commit()
    return frappe.get_doc("Company", name)
