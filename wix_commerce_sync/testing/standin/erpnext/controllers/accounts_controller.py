"""erpnext/controllers/accounts_controller.py (ERPNext 15): ``update_child_qty_rate`` with its signature, for
Sales Orders (the "Update Items" action on a submitted order).

Kept from the original: ``trans_items`` as JSON (rows with ``docname`` update that row, rows without add one
with the Item's defaults), rows left out are deleted (``validate_and_delete_children``: refused when delivered
or billed), ``Quantity ... cannot be zero``, ``Cannot set quantity less than delivered quantity``, ``Cannot set Rate if amount is greater than
billed amount``, totals recalculated and saved with ``ignore_validate_update_after_submit``, reserved quantity
and delivery/billing status updated. Omitted: permissions and workflow checks, purchase orders, packing lists,
payment schedule, credit limit, blanket orders, UOM conversion (rows use the stock UOM). The original edits
child documents one by one and then saves the parent; this edits the rows on the parent and saves it once.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import flt


def validate_and_delete_children(parent, data) -> bool:
    kept = {d.get("docname") for d in data}
    deleted = [d for d in parent.get("items") if d.name not in kept]
    for d in deleted:
        if flt(d.delivered_qty):
            frappe.throw(_("Row #{0}: Cannot delete item {1} which has already been delivered").format(d.idx, d.item_code))
        if flt(d.billed_amt):
            frappe.throw(_("Row #{0}: Cannot delete item {1} which has already been billed.").format(d.idx, d.item_code))
    parent.set("items", [d for d in parent.get("items") if d.name in kept])
    return bool(deleted)


def update_child_qty_rate(parent_doctype, trans_items, parent_doctype_name, child_docname="items"):
    if parent_doctype != "Sales Order" or child_docname != "items":
        raise NotImplementedError("the erpnext stand-in updates the items of Sales Orders only")
    data = json.loads(trans_items)
    parent = frappe.get_doc(parent_doctype, parent_doctype_name)
    if parent.docstatus != 1:
        frappe.throw(_("Items can be updated only on a submitted {0}").format(parent_doctype))
    parent.update_reserved_qty(-1)
    validate_and_delete_children(parent, data)
    rows = {d.name: d for d in parent.get("items")}
    for d in data:
        if not flt(d.get("qty")):  # validate_quantity
            frappe.throw(_("Row # {0}: Quantity for Item {1} cannot be zero").format(d.get("idx"), d.get("item_code")),
                         title=_("Invalid Qty"))  # fmt: skip
        if not d.get("docname"):
            child = parent.append("items", _new_row(parent, d))
        else:
            child = rows.get(d["docname"])
            if child is None:
                frappe.throw(_("Row {0} is not on {1}").format(d["docname"], parent.name))
            if flt(d.get("qty")) < flt(child.delivered_qty):
                frappe.throw(_("Cannot set quantity less than delivered quantity"))
        child.qty = flt(d.get("qty"))
        child.stock_qty = flt(child.qty) * flt(child.conversion_factor or 1)
        precision = 2
        if flt(child.billed_amt, precision) > flt(flt(d.get("rate")) * flt(d.get("qty")), precision):
            frappe.throw(_("Row #{0}: Cannot set Rate if amount is greater than billed amount for Item {1}.").format(
                child.idx, child.item_code))
        child.rate = flt(d.get("rate"))
        if flt(child.price_list_rate) and flt(child.rate) <= flt(child.price_list_rate):
            child.discount_percentage = flt((1 - flt(child.rate) / flt(child.price_list_rate)) * 100.0, 6)
        if d.get("delivery_date"):
            child.delivery_date = d["delivery_date"]
    for i, row in enumerate(parent.get("items"), 1):
        row.idx = i
    parent.flags.ignore_validate_update_after_submit = True
    parent.calculate_taxes_and_totals()
    parent.save()
    parent.update_reserved_qty(+1)
    from erpnext_behaviour import update_sales_order_progress

    update_sales_order_progress(parent.name)


def _new_row(parent, d) -> dict:
    """set_sales_order_defaults: the Item's name, UOM and default warehouse, the order's delivery date."""
    item = frappe.get_cached_doc("Item", d.get("item_code"))
    warehouse = parent.get("set_warehouse") or next((r.warehouse for r in parent.get("items") if r.warehouse), None)
    return {"item_code": item.name, "item_name": item.item_name, "description": item.get("description"),
            "uom": item.stock_uom, "stock_uom": item.stock_uom, "conversion_factor": 1.0,
            "delivery_date": d.get("delivery_date") or parent.delivery_date, "warehouse": warehouse,
            "price_list_rate": flt(d.get("rate")), "rate": flt(d.get("rate")), "qty": flt(d.get("qty"))}  # fmt: skip
