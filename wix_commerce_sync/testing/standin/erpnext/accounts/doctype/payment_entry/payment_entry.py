"""erpnext/accounts/doctype/payment_entry/payment_entry.py (ERPNext 15): ``get_payment_entry`` with its signature.
The Payment Entry controller itself is ``erpnext_behaviour.PaymentEntry``.

Kept from the original: unbilled-order check, party type/account/currency, Receive/Pay by the sign of the
outstanding amount, grand total and outstanding per reference type, bank-or-cash account (explicit account,
then the mode of payment's, then the company's default bank, then default cash), one reference row allocating
the whole outstanding amount, party name, account types. Omitted (nothing in the stand-in has them): exchange
rates other than 1, early-payment discounts, payment terms, payment requests, bank accounts of the party,
accounting dimensions, Dunning / purchase documents.
"""

from __future__ import annotations

import frappe
from frappe import _, scrub
from frappe.utils import flt, getdate, nowdate

from erpnext.accounts.party import get_party_account


def get_payment_entry(dt, dn, party_amount=None, bank_account=None, bank_amount=None, party_type=None,
                      payment_type=None, reference_date=None, ignore_permissions=False,
                      created_from_payment_request=False):  # fmt: skip
    doc = frappe.get_doc(dt, dn)
    over_billing_allowance = 0.0  # Accounts Settings.over_billing_allowance: the stand-in has no Accounts Settings
    if dt in ("Sales Order", "Purchase Order") and flt(doc.per_billed, 2) >= (100.0 + over_billing_allowance):
        frappe.throw(_("Can only make payment against unbilled {0}").format(_(dt)))

    party_type = party_type or set_party_type(dt)
    party_account = set_party_account(dt, dn, doc, party_type)
    party_account_currency = doc.get("party_account_currency") or frappe.get_cached_value("Account", party_account, "account_currency")
    payment_type = payment_type or set_payment_type(dt, doc)
    grand_total, outstanding_amount = set_grand_total_and_outstanding_amount(party_amount, dt, party_account_currency, doc)
    bank = get_bank_cash_account(doc, bank_account)
    paid_amount = received_amount = abs(flt(bank_amount or outstanding_amount))

    pe = frappe.new_doc("Payment Entry")
    pe.payment_type = payment_type
    pe.company = doc.company
    pe.cost_center = doc.get("cost_center")
    pe.posting_date = nowdate()
    pe.reference_date = getdate(reference_date)
    pe.mode_of_payment = doc.get("mode_of_payment")
    pe.party_type = party_type
    pe.party = doc.get(scrub(party_type))
    pe.party_name = frappe.get_cached_value(party_type, pe.party, f"{scrub(party_type)}_name")
    pe.contact_person = doc.get("contact_person")
    pe.contact_email = doc.get("contact_email")
    pe.paid_from = party_account if payment_type == "Receive" else bank.account
    pe.paid_to = party_account if payment_type == "Pay" else bank.account
    pe.paid_from_account_currency = party_account_currency if payment_type == "Receive" else bank.account_currency
    pe.paid_to_account_currency = party_account_currency if payment_type == "Pay" else bank.account_currency
    pe.paid_from_account_type = frappe.db.get_value("Account", pe.paid_from, "account_type")
    pe.paid_to_account_type = frappe.db.get_value("Account", pe.paid_to, "account_type")
    pe.paid_amount = paid_amount
    pe.received_amount = received_amount
    pe.source_exchange_rate = pe.target_exchange_rate = 1.0
    pe.append("references", {
        "reference_doctype": dt, "reference_name": dn, "bill_no": doc.get("bill_no"), "due_date": doc.get("due_date"),
        "total_amount": grand_total, "outstanding_amount": outstanding_amount, "allocated_amount": outstanding_amount,
        "exchange_rate": 1.0,
    })  # fmt: skip
    return pe


def set_party_type(dt):
    if dt in ("Sales Invoice", "Sales Order", "Dunning"):
        return "Customer"
    if dt in ("Purchase Invoice", "Purchase Order"):
        return "Supplier"
    return None


def set_party_account(dt, dn, doc, party_type):
    if dt == "Sales Invoice":
        return doc.debit_to
    if dt == "Purchase Invoice":
        return doc.credit_to
    return get_party_account(party_type, doc.get(scrub(party_type)), doc.company)


def set_payment_type(dt, doc):
    if (dt == "Sales Order" or (dt == "Sales Invoice" and doc.outstanding_amount > 0)) or (
        dt == "Purchase Invoice" and doc.outstanding_amount < 0
    ):
        return "Receive"
    return "Pay"


def set_grand_total_and_outstanding_amount(party_amount, dt, party_account_currency, doc):
    """Invoices: their outstanding amount; orders: (rounded) grand total less the advance already paid."""
    if dt in ("Sales Invoice", "Purchase Invoice"):
        grand_total = doc.rounded_total or doc.grand_total
        outstanding_amount = doc.outstanding_amount
    else:
        grand_total = flt(doc.get("rounded_total")) or flt(doc.grand_total)
        outstanding_amount = grand_total - flt(doc.get("advance_paid"))
    if party_amount:
        grand_total = outstanding_amount = party_amount
    return grand_total, outstanding_amount


def get_bank_cash_account(doc, bank_account):
    bank = get_default_bank_cash_account(doc.company, "Bank", mode_of_payment=doc.get("mode_of_payment"), account=bank_account)
    if not bank:
        bank = get_default_bank_cash_account(doc.company, "Cash", mode_of_payment=doc.get("mode_of_payment"), account=bank_account)
    return bank


def get_default_bank_cash_account(company, account_type=None, mode_of_payment=None, account=None):
    """erpnext/accounts/doctype/journal_entry/journal_entry.py ``get_default_bank_cash_account`` (subset)."""
    if mode_of_payment and not account:
        account = frappe.db.get_value("Mode of Payment Account", {"parent": mode_of_payment, "company": company},
                                      "default_account")  # fmt: skip
    if not account:
        if account_type == "Bank":
            account = frappe.get_cached_value("Company", company, "default_bank_account")
        elif account_type == "Cash":
            account = frappe.get_cached_value("Company", company, "default_cash_account")
    if not account:
        return frappe._dict()
    currency = frappe.get_cached_value("Account", account, "account_currency")
    return frappe._dict(account=account, account_currency=currency, account_type=account_type)
