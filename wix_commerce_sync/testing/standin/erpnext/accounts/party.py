"""erpnext/accounts/party.py (ERPNext 15), the one function the stand-in mappers need."""

from __future__ import annotations

import frappe


def get_party_account(party_type, party, company):
    """erpnext/accounts/party.py ``get_party_account`` (subset): the party's own account for the company, then its
    group's, then the company's default receivable / payable account."""
    account_field = "default_receivable_account" if party_type == "Customer" else "default_payable_account"
    account = frappe.db.get_value("Party Account", {"parenttype": party_type, "parent": party, "company": company}, "account")
    if not account and party_type == "Customer":
        group = frappe.get_cached_value("Customer", party, "customer_group")
        account = frappe.db.get_value("Party Account", {"parenttype": "Customer Group", "parent": group, "company": company},
                                      "account") if group else None  # fmt: skip
    return account or frappe.get_cached_value("Company", company, account_field)
