"""Refunds from the store: a Credit Note equal to the refund to the cent, its Payment Entry, a return
Delivery Note for restocked shipped goods. Each store refund is applied once (its id on the documents).

The rule when the order is not invoiced (README "Refunds"): a refund is money given back against a sale,
so it is booked as a Credit Note against the invoice. A paid order is invoiced in the same pass (when the
store makes invoices), before its refunds. An order still without an invoice fails the refund with a
readable error: the job is kept and retried, nothing is lost, and it applies once the invoice exists.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import frappe
from frappe.utils import flt

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.erpnext.common import (
    AdapterBase,
    _dec,
    atomic,
    inbound_sync,
    readable,
)
from wix_commerce_sync.sync.errors import MappingError, ValidationError
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    CENT,
    ZERO,
    Order,
    Refund,
)
from wix_commerce_sync.sync.ports import ApplyResult


def refund_ident(store: str, refund: Refund) -> str:
    return record_key(store, refund.external_id or f"{refund.order_id}:{refund.amount}")


class RefundsMixin(AdapterBase):
    def record_refund(self, store: str, order: Order, refund: Refund) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return ApplyResult("Sales Order", "", changed=False, message="never synced")
        made_here = self._made_in_erpnext(store, refund)
        if made_here:  # the store's echo of a refund ERPNext sent: its document is there already
            return ApplyResult("Sales Invoice" if refund.amount else "Delivery Note", made_here, changed=False,
                               message="made in ERPNext")  # fmt: skip
        if refund.cumulative:
            invoice = mapping.sales_invoice or self._invoice_of(mapping.sales_order)
            refund = self._still_to_credit(store, order, refund, invoice) if invoice else refund
            if refund is None:
                return ApplyResult("Sales Invoice", invoice, changed=False, message="already credited")
        ident = refund_ident(store, refund)
        existing = frappe.db.get_value("Sales Invoice", {"commerce_refund_id": ident, "docstatus": ["<", 2]}, "name")
        if existing:
            return ApplyResult("Sales Invoice", existing, changed=False, message="already applied")
        if not refund.amount:  # goods back with no money (a restock-only refund): only the return delivery
            with inbound_sync(), atomic("commerce_refund"):
                returned = self._return_delivery(store, order, refund, ident) if refund.restock else None
            return ApplyResult("Delivery Note", returned or "", created=bool(returned),
                               message=f"return delivery {returned}" if returned else "nothing to credit")
        invoice = mapping.sales_invoice or self._invoice_of(mapping.sales_order)
        if not invoice or frappe.db.get_value("Sales Invoice", invoice, "docstatus") != 1:
            raise ValidationError(
                f"order {order.number}: refund {refund.external_id} of {refund.amount} waits for the order's Sales "
                "Invoice (a refund is booked as a Credit Note against it); make the invoice, then retry this job")
        with inbound_sync():
            try:
                with atomic("commerce_refund"):
                    credit = self._credit_note(store, order, refund, invoice, ident)
                    returned = self._return_delivery(store, order, refund, ident) if refund.restock else None
                    payment = self._refund_payment(store, credit, refund) if refund.money_returned else None
            except frappe.ValidationError as exc:
                raise ValidationError(f"order {order.number}: credit note for refund {refund.external_id} failed: "
                                      f"{readable(exc)}") from exc  # fmt: skip
        released = self._release_unshipped(store, order, refund, mapping.sales_order) if refund.restock else None
        parts = [f"credit note {credit.name} {flt(credit.grand_total):.2f}"]
        parts += [f"return delivery {returned}"] if returned else []
        parts += [f"payment {payment}"] if payment else []
        parts += [released] if released else []
        return ApplyResult("Sales Invoice", credit.name, created=True, message="; ".join(parts))

    def _refunded_qty_by_item(self, store: str, order: Order, refund: Refund) -> dict[str, Decimal]:
        """The refund's quantities per ERPNext item code (refund lines name a store line id or a SKU)."""
        codes = self.item_codes_for_order(store, order)
        qty_by_item: dict[str, Decimal] = {}
        for ref, qty in refund.lines:
            line = next((ln for ln in order.lines if ref in (ln.external_id, ln.sku)), None)
            if line:
                code = d.item_code_for_line(line, codes, order)
                qty_by_item[code] = qty_by_item.get(code, ZERO) + qty
        return qty_by_item

    def _release_unshipped(self, store: str, order: Order, refund: Refund, sales_order: str) -> str | None:
        """Restocked units never shipped leave the Sales Order (Update Items lowers their open quantity), so its
        reservation no longer holds stock the store has back on sale. A refusal keeps the credit note and says so."""
        from erpnext.controllers.accounts_controller import update_child_qty_rate

        so = frappe.get_doc("Sales Order", sales_order)
        if so.docstatus != 1 or so.status in ("Closed", "Completed"):
            return None
        cut = self._refunded_qty_by_item(store, order, refund)
        rows, changed = [], False
        for row in so.items:
            take = min(cut.get(row.item_code, ZERO), max(_dec(row.qty) - _dec(row.delivered_qty), ZERO))
            if take > 0:
                cut[row.item_code] -= take
                changed = True
            if _dec(row.qty) - take > 0:  # a row refunded whole is left out, which removes it
                rows.append({"docname": row.name, "item_code": row.item_code, "qty": float(_dec(row.qty) - take),
                             "rate": row.rate, "conversion_factor": row.conversion_factor or 1,
                             "delivery_date": str(row.delivery_date) if row.delivery_date else None})  # fmt: skip
        if not changed:
            return None
        if not rows:  # every unit refunded before shipping: the order is done, closing it frees its reservation
            so.update_status("Closed")
            return f"{so.name} closed: every unit was refunded before shipping"
        try:
            with atomic("commerce_refund_release"):
                update_child_qty_rate("Sales Order", json.dumps(rows), so.name)
        except frappe.ValidationError as exc:
            return f"the refunded units stay open on {so.name}: ERPNext refused Update Items ({readable(exc)})"
        return f"open quantity of {so.name} lowered by the refunded units"

    @staticmethod
    def _made_in_erpnext(store: str, refund: Refund) -> str | None:
        """The submitted Credit Note / return Delivery Note the store refund names as its origin (the app's marker:
        WooCommerce meta ``_erp_refund_id``, Shopify's note), its store id recorded if the answer has not yet."""
        if not refund.erp_document:
            return None
        for doctype in ("Sales Invoice", "Delivery Note"):
            if frappe.db.exists(doctype, {"name": refund.erp_document, "is_return": 1, "docstatus": 1}):
                if refund.external_id and not frappe.db.get_value(doctype, refund.erp_document, "commerce_refund_id"):
                    frappe.db.set_value(doctype, refund.erp_document, "commerce_refund_id", refund_ident(store, refund),
                                        update_modified=False)  # fmt: skip
                return refund.erp_document
        return None

    def _still_to_credit(self, store: str, order: Order, refund: Refund, invoice: str) -> Refund | None:
        """A cumulative store refund (the total refunded so far) less what ERPNext already credited against the
        invoice, whatever made those credit notes (the store's earlier figure, or ERPNext itself)."""
        credits = frappe.get_all("Sales Invoice", filters={"return_against": invoice, "docstatus": 1, "is_return": 1},
                                 fields=["name", "grand_total"])  # fmt: skip
        credited = sum((-_dec(c.grand_total) for c in credits), ZERO)
        returned: dict[str, Decimal] = {}
        for row in frappe.get_all("Sales Invoice Item", filters={"parent": ["in", [c.name for c in credits] or [""]]},
                                  fields=["item_code", "qty"]):  # fmt: skip
            returned[row.item_code] = returned.get(row.item_code, ZERO) + abs(_dec(row.qty))
        left = refund.amount - credited
        if left < CENT:
            return None
        codes = self.item_codes_for_order(store, order)
        lines = []
        for ref, qty in refund.lines:
            line = next((ln for ln in order.lines if ref in (ln.external_id, ln.sku)), None)
            code = d.item_code_for_line(line, codes, order) if line else None
            take = min(qty, max(qty - returned.get(code, ZERO), ZERO)) if code else qty
            if code:
                returned[code] = max(returned.get(code, ZERO) - qty, ZERO)
            if take > 0:
                lines.append((ref, take))
        return replace(refund, external_id=self._newest_store_refund(store, refund) or f"{refund.external_id}:{refund.amount}",
                       amount=left, lines=lines, tax=None, shipping=ZERO, cumulative=False)  # fmt: skip

    @staticmethod
    def _newest_store_refund(store: str, refund: Refund) -> str | None:
        """The newest store refund's id when no credit note names it yet: the credit note of what is new carries it,
        so the store's refund is found by its own id (several new at once: one credit note, named by the newest)."""
        if not refund.store_refunds:
            return None
        newest = refund.store_refunds[-1][0]
        ident = refund_ident(store, replace(refund, external_id=newest))
        return None if frappe.db.exists("Sales Invoice", {"commerce_refund_id": ident, "docstatus": ["<", 2]}) else newest

    def _credit_note(self, store: str, order: Order, refund: Refund, invoice: str, ident: str):
        from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

        defaults = self.defaults(store)
        credit = make_sales_return(invoice)
        grand = _dec(frappe.db.get_value("Sales Invoice", invoice, "grand_total"))
        untouched = not frappe.db.exists("Sales Invoice", {"return_against": invoice, "docstatus": 1})
        whole = untouched and not refund.lines and not refund.shipping and abs(grand - refund.amount) < CENT
        if not whole:  # a full refund of an untouched invoice is ERPNext's own full return, as it stands
            split = d.refund_split(order, refund, self.item_codes_for_order(store, order))
            shaped = d.credit_note_document(credit.as_dict(), split, defaults)
            credit.set("items", shaped["items"])
            credit.set("taxes", shaped["taxes"])
            credit.discount_amount = shaped["discount_amount"]
            credit.additional_discount_percentage = 0
            credit.apply_discount_on = "Net Total"
        credit.commerce_store = store
        credit.commerce_refund_id = ident
        if refund.reason:
            credit.remarks = f"Store refund {refund.external_id}: {refund.reason}"[:500]
        credit.insert(ignore_permissions=True)
        if abs(_dec(credit.grand_total) + refund.amount) >= CENT / 2:
            raise MappingError(f"order {order.number}: ERPNext computes the credit note at {flt(credit.grand_total):.2f}, "
                               f"the store refunded {refund.amount}; nothing was written")  # fmt: skip
        credit.submit()
        return credit

    def _refund_payment(self, store: str, credit, refund: Refund) -> str | None:
        """The money paid back: a Payment Entry (Pay) against the credit note, when the store makes payments."""
        from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

        store_doc = self.store_doc(store)
        if not store_doc.create_payment_entry or flt(frappe.db.get_value("Sales Invoice", credit.name, "outstanding_amount")) >= 0:
            return None
        account = None
        if store_doc.mode_of_payment:
            account = frappe.db.get_value("Mode of Payment Account", {"parent": store_doc.mode_of_payment,
                                                                      "company": store_doc.company}, "default_account")  # fmt: skip
        pe = get_payment_entry("Sales Invoice", credit.name, bank_account=account)
        pe.mode_of_payment = store_doc.mode_of_payment
        pe.reference_no = f"refund {refund.external_id or credit.name}"[:140]
        pe.reference_date = frappe.utils.nowdate()
        pe.insert(ignore_permissions=True)
        pe.submit()
        return pe.name

    def _return_delivery(self, store: str, order: Order, refund: Refund, ident: str) -> str | None:
        """Restocked units that were shipped go back into the warehouse they left (a return Delivery Note)."""
        if not refund.lines or frappe.db.exists("Delivery Note", {"commerce_refund_id": ident, "docstatus": 1}):
            return None
        wanted = self._refunded_qty_by_item(store, order, refund)
        so = self.find_order(store, order.external_id)
        delivered = frappe.get_all("Delivery Note Item", filters={"against_sales_order": so, "docstatus": 1},
                                   pluck="parent", distinct=True)  # fmt: skip
        for dn_name in [n for n in delivered if not frappe.db.get_value("Delivery Note", n, "is_return")]:
            if not any(v > 0 for v in wanted.values()):
                break
            made = self._return_from(dn_name, wanted, store, ident)
            if made:
                return made
        return None

    @staticmethod
    def _return_from(dn_name: str, wanted: dict[str, Decimal], store: str, ident: str) -> str | None:
        from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

        back = make_sales_return(dn_name)
        kept = []
        for row in back.items:
            take = min(wanted.get(row.item_code, ZERO), abs(_dec(row.qty)))
            if take > 0:
                wanted[row.item_code] -= take
                row.qty = row.stock_qty = -float(take)
                kept.append(row)
        if not kept:
            return None
        back.set("items", kept)
        back.commerce_store = store
        back.commerce_refund_id = ident
        back.insert(ignore_permissions=True)
        back.submit()
        return back.name
