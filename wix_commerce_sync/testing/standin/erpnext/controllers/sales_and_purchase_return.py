"""erpnext/controllers/sales_and_purchase_return.py (ERPNext 15): ``make_return_doc`` with its signature, for the
selling documents (Sales Invoice, Delivery Note). The return validation is ``SellingController.validate_return``
in ``erpnext_behaviour``.

Kept from the original: is_return / return_against / ignore_pricing_rule, Actual tax rows and the additional
discount negated, every row with qty = -(qty - already returned), the links back to the original row
(sales_invoice_item / dn_detail, so_detail, sales_order / against_sales_order, delivery_note), payments negated,
taxes and totals recalculated. Omitted: serial / batch bundles, POS consolidation, purchase-side documents,
print headings, the company's default return warehouse.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt

from erpnext._mapper import get_mapped_doc

SELLING = ("Sales Invoice", "Delivery Note")
RETURN_ROW_FIELD = {"Sales Invoice": "sales_invoice_item", "Delivery Note": "dn_detail"}


def get_returned_qty_map_for_row(return_against, party, row_name, doctype):
    """Quantities already returned against one row of ``return_against`` by submitted returns."""
    child_doctype = doctype + " Item"
    rows = frappe.get_all(child_doctype, filters={RETURN_ROW_FIELD[doctype]: row_name, "docstatus": 1},
                          fields=["parent", "qty", "stock_qty"])  # fmt: skip
    qty = stock_qty = 0.0
    for row in rows:
        parent = frappe.db.get_value(doctype, row.parent, ["return_against", "customer", "is_return"], as_dict=True)
        if parent and parent.is_return and parent.return_against == return_against and parent.customer == party:
            qty += abs(flt(row.qty))
            stock_qty += abs(flt(row.stock_qty))
    return frappe._dict(qty=qty, stock_qty=stock_qty)


def make_return_doc(doctype: str, source_name: str, target_doc=None, return_against_rejected_qty=False):
    if doctype not in SELLING:
        raise NotImplementedError(f"the erpnext stand-in makes returns of {SELLING}, not {doctype}")
    if doctype == "Sales Invoice":
        is_consolidated, is_pos = frappe.db.get_value("Sales Invoice", source_name, ["is_consolidated", "is_pos"])
        if is_consolidated and is_pos:
            frappe.throw(_("Cannot create return for consolidated invoice {0}.").format(source_name),
                         title=_("Cannot Create Return"))  # fmt: skip

    def set_missing_values(source, target):
        doc = target
        doc.is_return = 1
        doc.ignore_pricing_rule = 1
        doc.return_against = source.name
        doc.set_warehouse = ""
        if doctype == "Sales Invoice":
            doc.is_pos = source.is_pos
        for tax in doc.get("taxes") or []:
            if tax.charge_type == "Actual":
                tax.tax_amount = -1 * tax.tax_amount
        if doctype == "Sales Invoice":
            doc.party_account_currency = source.party_account_currency  # no_copy on the invoice
            doc.set("payments", [])
            for data in source.get("payments") or []:
                base_amount = flt(data.amount * source.conversion_rate, source.precision("base_paid_amount"))
                doc.append("payments", {"mode_of_payment": data.mode_of_payment, "type": data.type,
                                        "amount": -1 * flt(data.amount), "base_amount": -1 * base_amount,
                                        "account": data.account, "default": data.default})  # fmt: skip
            if doc.is_pos:
                doc.paid_amount = -1 * source.paid_amount
        if doc.get("discount_amount"):
            doc.discount_amount = -1 * source.discount_amount
        doc.run_method("calculate_taxes_and_totals")

    def update_item(source_doc, target_doc, source_parent):
        returned = get_returned_qty_map_for_row(source_parent.name, source_parent.customer, source_doc.name, doctype)
        target_doc.qty = -1 * flt(source_doc.qty - (returned.get("qty") or 0))
        target_doc.stock_qty = -1 * flt(source_doc.stock_qty - (returned.get("stock_qty") or 0))
        target_doc.so_detail = source_doc.so_detail
        target_doc.expense_account = source_doc.get("expense_account")
        if doctype == "Delivery Note":
            target_doc.against_sales_order = source_doc.against_sales_order
            target_doc.against_sales_invoice = source_doc.against_sales_invoice
            target_doc.dn_detail = source_doc.name
        else:
            target_doc.sales_order = source_doc.sales_order
            target_doc.delivery_note = source_doc.delivery_note
            target_doc.dn_detail = source_doc.dn_detail
            target_doc.sales_invoice_item = source_doc.name

    return get_mapped_doc(
        doctype,
        source_name,
        {
            doctype: {"doctype": doctype, "validation": {"docstatus": ["=", 1]}},
            doctype + " Item": {"doctype": doctype + " Item", "field_map": {"serial_no": "serial_no", "batch_no": "batch_no"},
                                "postprocess": update_item, "condition": lambda doc: doc.qty},
            "Payment Schedule": {"doctype": "Payment Schedule",
                                 "postprocess": lambda s, t, p: setattr(t, "payment_amount", -flt(s.payment_amount))},
        },
        target_doc,
        set_missing_values,
    )  # fmt: skip
