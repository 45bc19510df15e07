"""erpnext/selling/doctype/sales_order/sales_order.py (ERPNext 15): the Sales Order -> Delivery Note / Sales Invoice
mappers, with the same signatures. The SalesOrder controller itself is ``erpnext_behaviour.SalesOrder``.

Omitted from the originals (nothing in the stand-in has them): stock reservation entries, packed items /
product bundles, company address, item/item-group default cost centers, pick lists, advances, payment terms.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt

from erpnext._mapper import get_mapped_doc
from erpnext.accounts.party import get_party_account


def make_delivery_note(source_name, target_doc=None, kwargs=None):
    """ERPNext 15 ``make_delivery_note``: pending qty (qty - delivered_qty) of every undelivered row, rate kept,
    ``so_detail``/``against_sales_order`` set, taxes copied (``reset_value``), then set_missing_values,
    set_po_nos and calculate_taxes_and_totals."""
    kwargs = frappe._dict(kwargs or {})

    def set_missing_values(source, target):
        if kwargs.get("ignore_pricing_rule"):
            target.ignore_pricing_rule = 1
        target.run_method("set_missing_values")
        target.run_method("set_po_nos")
        target.run_method("calculate_taxes_and_totals")

    def condition(doc):
        return abs(flt(doc.delivered_qty)) < abs(flt(doc.qty)) and doc.delivered_by_supplier != 1

    def update_item(source, target, source_parent):
        target.base_amount = (flt(source.qty) - flt(source.delivered_qty)) * flt(source.base_rate)
        target.amount = (flt(source.qty) - flt(source.delivered_qty)) * flt(source.rate)
        target.qty = flt(source.qty) - flt(source.delivered_qty)

    mapper = {
        "Sales Order": {"doctype": "Delivery Note", "validation": {"docstatus": ["=", 1]}},
        "Sales Taxes and Charges": {"doctype": "Sales Taxes and Charges", "reset_value": True},
        "Sales Team": {"doctype": "Sales Team", "add_if_empty": True},
    }
    if not kwargs.skip_item_mapping:
        mapper["Sales Order Item"] = {
            "doctype": "Delivery Note Item",
            "field_map": {"rate": "rate", "name": "so_detail", "parent": "against_sales_order"},
            "condition": condition,
            "postprocess": update_item,
        }
    so = frappe.get_doc("Sales Order", source_name)
    target_doc = get_mapped_doc("Sales Order", so.name, mapper, target_doc)
    set_missing_values(so, target_doc)  # ERPNext 15 calls it after mapping the items
    return target_doc


def make_sales_invoice(source_name, target_doc=None, ignore_permissions=False):
    """ERPNext 15 ``make_sales_invoice``: unbilled amount (amount - billed_amt) of every row, qty = amount / rate
    when partly billed else qty - returned_qty, ``so_detail``/``sales_order`` set, taxes copied, debit_to =
    the customer's receivable account, then set_missing_values, set_po_nos and calculate_taxes_and_totals."""

    def postprocess(source, target):
        set_missing_values(source, target)

    def set_missing_values(source, target):
        target.flags.ignore_permissions = True
        target.run_method("set_missing_values")
        target.run_method("set_po_nos")
        target.run_method("calculate_taxes_and_totals")
        target.debit_to = get_party_account("Customer", source.customer, source.company)

    def update_item(source, target, source_parent):
        target.amount = flt(source.amount) - flt(source.billed_amt)
        target.base_amount = target.amount * flt(source_parent.conversion_rate)
        target.qty = (
            target.amount / flt(source.rate) if (source.rate and source.billed_amt) else source.qty - flt(source.returned_qty)
        )

    return get_mapped_doc(
        "Sales Order",
        source_name,
        {
            "Sales Order": {
                "doctype": "Sales Invoice",
                "field_map": {"party_account_currency": "party_account_currency",
                              "payment_terms_template": "payment_terms_template"},
                "field_no_map": ["payment_terms_template"],
                "validation": {"docstatus": ["=", 1]},
            },
            "Sales Order Item": {
                "doctype": "Sales Invoice Item",
                "field_map": {"name": "so_detail", "parent": "sales_order"},
                "postprocess": update_item,
                "condition": lambda doc: doc.qty and (doc.base_amount == 0 or abs(flt(doc.billed_amt)) < abs(flt(doc.amount))),
            },
            "Sales Taxes and Charges": {"doctype": "Sales Taxes and Charges", "reset_value": True},
            "Sales Team": {"doctype": "Sales Team", "add_if_empty": True},
        },
        target_doc,
        postprocess,
        ignore_permissions=ignore_permissions,
    )  # fmt: skip

