"""Refunds from the store: credit notes against invoiced orders."""

from __future__ import annotations

import frappe

from wix_commerce_sync.erpnext.common import (
    AdapterBase,
    _dec,
    atomic,
    inbound_sync,
    readable,
)
from wix_commerce_sync.sync.errors import ValidationError
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    CENT,
    Order,
    Refund,
)
from wix_commerce_sync.sync.ports import ApplyResult


class RefundsMixin(AdapterBase):
    def record_refund(self, store: str, order: Order, refund: Refund) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return ApplyResult("Sales Order", "", changed=False, message="never synced")
        ident = record_key(store, refund.external_id or f"{refund.amount}")
        existing = frappe.db.get_value("Sales Invoice", {"commerce_refund_id": ident, "docstatus": ["<", 2]}, "name")
        if existing:
            return ApplyResult("Sales Invoice", existing, changed=False)
        invoice = mapping.sales_invoice
        full = invoice and abs(_dec(frappe.db.get_value("Sales Invoice", invoice, "grand_total")) - refund.amount) < CENT
        with inbound_sync():
            if invoice and full and frappe.db.get_value("Sales Invoice", invoice, "docstatus") == 1:
                from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

                try:
                    with atomic("commerce_refund"):
                        credit = make_sales_return(invoice)
                        credit.commerce_store = store
                        credit.commerce_refund_id = ident
                        credit.insert(ignore_permissions=True)
                        credit.submit()
                except frappe.ValidationError as exc:
                    raise ValidationError(f"order {order.number}: credit note failed: {readable(exc)}") from exc
                return ApplyResult("Sales Invoice", credit.name, created=True, message="credit note")
            so = frappe.get_doc("Sales Order", mapping.sales_order)
            note = (f"Store refund {refund.external_id or ''} of {refund.amount} {refund.currency or order.currency}"
                    f"{': ' + refund.reason if refund.reason else ''}. "
                    + ("Partial refund: make the credit note by hand." if invoice else "No invoice yet: nothing to credit."))  # fmt: skip
            seen = frappe.db.exists("Comment", {"reference_doctype": "Sales Order", "reference_name": so.name,
                                                "content": ["like", f"%{refund.external_id or refund.amount}%"]})  # fmt: skip
            if not seen:
                so.add_comment("Comment", text=frappe.utils.escape_html(note))
        return ApplyResult("Sales Order", so.name, changed=not seen, message=note)
