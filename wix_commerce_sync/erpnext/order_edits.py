"""Order edits from the store (lines added, removed, re-quantified after the order was placed) -> the Sales
Order, through ERPNext's own "Update Items" path (``update_child_qty_rate``).

The rule (README "Order edits"): applied only while nothing of the order is delivered or billed; ERPNext's
path updates the rows, then the order's store taxes, shipping and discount (Actual rows and the additional
discount, as on a new order) are set to the edited order's so the Sales Order equals the store to the cent.
Otherwise the difference is a Conflict: the log row shows both versions and the admin settles it (a return,
a credit note, an edit by hand) and re-queues the job.
"""

from __future__ import annotations

import json
from decimal import Decimal

import frappe
from frappe.utils import flt

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.erpnext.common import AdapterBase, atomic, readable
from wix_commerce_sync.sync.errors import ValidationError
from wix_commerce_sync.sync.models import CENT, Order
from wix_commerce_sync.sync.ports import ApplyResult


class OrderEditsMixin(AdapterBase):
    def follow_order_edit(self, store: str, order: Order, so, mapping) -> ApplyResult | None:
        """None when the Sales Order already has the order's lines, or the store's total is the one the order was
        made or last edited with (then a difference in lines is ERPNext's own, never overwritten); else the edit
        applied, or a conflict."""
        if so.docstatus != 1 or so.status in ("Closed", "Cancelled", "Completed"):
            return None
        if mapping.store_total is not None and abs(Decimal(str(flt(mapping.store_total))) - order.total) < CENT / 2:
            return None
        wanted = d.sales_order_document(order, self.defaults(store), self.item_codes_for_order(store, order), so.customer)
        current = [row.as_dict() for row in so.items]
        trans_items = d.order_edit_items(current, wanted["items"])
        if trans_items is None:
            return None
        if flt(so.per_delivered) or flt(so.per_billed):
            return ApplyResult("Sales Order", so.name, changed=False, conflict=(
                f"order {order.number} was edited on the store after {so.name} was "
                f"{'delivered' if flt(so.per_delivered) else 'billed'} in part or in full; it was not changed. "
                f"ERPNext: {d.describe_rows(current)}. Store: {d.describe_rows(wanted['items'])}. "
                "Settle it in ERPNext (a return, a credit note or Update Items), then re-queue this job."))
        from erpnext.controllers.accounts_controller import update_child_qty_rate

        before = d.describe_rows(current)
        try:
            with atomic("commerce_order_edit"):
                update_child_qty_rate("Sales Order", json.dumps(trans_items), so.name)
                so.reload()
                self._set_charges(so, wanted)
                if abs(Decimal(str(flt(so.grand_total))) - order.total) >= CENT / 2:
                    raise ValidationError(f"order {order.number}: after the edit ERPNext computes {flt(so.grand_total):.2f}, "
                                          f"the store's total is {order.total}; the Sales Order was not changed")  # fmt: skip
        except frappe.ValidationError as exc:
            raise ValidationError(f"order {order.number}: ERPNext refused the store's edit: {readable(exc)}") from exc
        frappe.db.set_value(mapping.doctype, mapping.name, "store_total", float(order.total), update_modified=False)
        return ApplyResult("Sales Order", so.name, changed=True,
                           message=f"edited on the store: {before} -> {d.describe_rows(wanted['items'])}")  # fmt: skip

    @staticmethod
    def _set_charges(so, wanted: dict) -> None:
        """The edited order's taxes, shipping and discount: update_child_qty_rate changes rows only."""
        so.set("taxes", [{k: v for k, v in row.items() if k != "doctype"} for row in wanted["taxes"]])
        so.discount_amount = wanted["discount_amount"]
        so.flags.ignore_validate_update_after_submit = True
        so.calculate_taxes_and_totals()
        so.save(ignore_permissions=True)
