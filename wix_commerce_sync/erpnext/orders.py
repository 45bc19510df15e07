"""Sales Orders from store orders: create (one savepoint, unique order mapping), update, bill when paid, cancel."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import frappe
from frappe.utils import flt

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.erpnext.common import (
    DUPLICATE_ERRORS,
    ORDER_MAP,
    PAID_STATES,
    AdapterBase,
    atomic,
    inbound_sync,
    readable,
)
from wix_commerce_sync.persistence.times import to_db
from wix_commerce_sync.sync.errors import MappingError, ValidationError
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    CENT,
    Order,
)
from wix_commerce_sync.sync.ports import ApplyResult


class OrdersMixin(AdapterBase):
    def find_order(self, store: str, external_order_id: str) -> str | None:
        key = record_key(store, external_order_id)
        found = frappe.db.get_value(ORDER_MAP, {"order_key": key}, "sales_order")
        self._absent_order = None if found else key
        return found

    def _mapping(self, store: str, external_order_id: str):
        name = frappe.db.get_value(ORDER_MAP, {"order_key": record_key(store, external_order_id)}, "name")
        return frappe.get_doc(ORDER_MAP, name) if name else None

    def item_codes_for_order(self, store: str, order: Order) -> dict[str, str]:
        codes: dict[str, str] = {}
        for line in order.lines:
            code = self.item_for(store, variant_id=line.variant_id, sku=line.sku)
            if code:
                for key in (line.variant_id and f"variant:{line.variant_id}", line.sku):
                    if key:
                        codes[key] = code
        return codes

    def sales_order_for(self, store: str, order: Order) -> dict:
        """The Sales Order document dict for an order (used by create_order and the preview)."""
        defaults = self.defaults(store)
        codes = self.item_codes_for_order(store, order)
        for line in order.lines:
            d.item_code_for_line(line, codes, order)  # a readable MappingError before any write
        if order.all_tax_lines() and not defaults.tax_account and any(t.amount for t in order.all_tax_lines()):
            raise MappingError(f"order {order.number}: it has taxes but the store's tax account is not set")
        customer = self.customer_for_order(store, order)
        billing = shipping = None
        wanted = [a for a in (order.billing_address, order.shipping_address) if a and not a.is_empty()]
        known = self.customer_addresses(customer) if wanted else []  # one read for billing and shipping
        if order.billing_address and not order.billing_address.is_empty():
            billing = self._find_address(customer, order.billing_address, known)
        if order.shipping_address and not order.shipping_address.is_empty():
            shipping = self._find_address(customer, order.shipping_address, known)
        return d.sales_order_document(order, defaults, codes, customer, billing_address=billing, shipping_address=shipping)

    def create_order(self, store: str, order: Order) -> ApplyResult:
        # the engine's find_order just missed this order: no second read (a racing worker's mapping insert
        # makes ours fail on the unique order key, handled below as "already synced")
        just_missed = self._absent_order == record_key(store, order.external_id)
        self._absent_order = None
        existing = None if just_missed else self.find_order(store, order.external_id)
        if existing:
            return ApplyResult("Sales Order", existing, changed=False, message="already synced")
        store_doc = self.store_doc(store)
        with inbound_sync():
            try:
                with atomic("commerce_order"):
                    doc = self.sales_order_for(store, order)
                    doc["commerce_store"] = store
                    doc["commerce_order_id"] = order.external_id
                    so = frappe.get_doc(doc)
                    so.insert(ignore_permissions=True)
                    self._check_total(so, order, "Sales Order")
                    frappe.get_doc({
                        "doctype": ORDER_MAP, "store": store, "external_order_id": order.external_id,
                        "order_number": order.number, "sales_order": so.name, "store_status": order.store_status,
                        "financial_status": order.financial_status.value if order.financial_status else None,
                        "fulfilment_status": order.fulfilment_status.value if order.fulfilment_status else None,
                        "remote_updated_at": to_db(order.updated_at), "last_synced_at": frappe.utils.now_datetime(),
                        "store_total": float(order.total), "currency": order.currency,
                    }).insert(ignore_permissions=True)  # fmt: skip
                    if store_doc.submit_sales_order:
                        so.submit()
                    self._bill_if_paid(store, order, so)
            except DUPLICATE_ERRORS:
                existing = self.find_order(store, order.external_id)
                if existing:  # another worker committed the same order first
                    return ApplyResult("Sales Order", existing, changed=False, message="already synced")
                raise
            except (MappingError, ValidationError):
                raise
            except frappe.ValidationError as exc:
                raise ValidationError(f"order {order.number or order.external_id}: {readable(exc)}") from exc
        if order.note:
            with contextlib.suppress(Exception):
                so.add_comment("Comment", text=frappe.utils.escape_html(f"Store note: {order.note}"))
        return ApplyResult("Sales Order", so.name, created=True)

    @staticmethod
    def _check_total(doc, order: Order, what: str) -> None:
        """ERPNext's own grand total must equal the store's; otherwise nothing is kept."""
        grand = doc.get("grand_total")
        if grand in (None, "") or (not flt(grand) and order.total):  # not computed (no ERPNext controller)
            grand = d.expected_grand_total(doc.as_dict())
        if abs(Decimal(str(flt(grand))) - order.total) >= CENT / 2:
            raise ValidationError(
                f"order {order.number}: ERPNext computes {what} total {flt(grand):.2f} but the store's total is "
                f"{order.total}; the order was not written"
            )

    def _bill_if_paid(self, store: str, order: Order, so) -> None:
        store_doc = self.store_doc(store)
        if order.financial_status not in PAID_STATES or so.docstatus != 1:
            return
        mapping = self._mapping(store, order.external_id)
        if store_doc.create_sales_invoice and not (mapping and mapping.sales_invoice):
            manual = self._invoice_of(so.name)
            if manual:  # someone invoiced it in ERPNext already: link that invoice, never bill twice
                if mapping:
                    frappe.db.set_value(ORDER_MAP, mapping.name, "sales_invoice", manual)
                return
            from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

            si = make_sales_invoice(so.name, ignore_permissions=True)
            si.update({"commerce_store": store, "commerce_order_id": order.external_id})
            si.insert(ignore_permissions=True)
            self._check_total(si, order, "Sales Invoice")
            si.submit()
            frappe.db.set_value(ORDER_MAP, mapping.name, "sales_invoice", si.name) if mapping else None
            if store_doc.create_payment_entry:
                self._payment(store, "Sales Invoice", si.name, mapping, order)
        elif store_doc.create_payment_entry and not store_doc.create_sales_invoice and not (mapping and mapping.payment_entry):
            self._payment(store, "Sales Order", so.name, mapping, order)

    @staticmethod
    def _invoice_of(sales_order: str) -> str | None:
        """A submitted, non-return Sales Invoice billing this Sales Order, if any."""
        for parent in frappe.get_all("Sales Invoice Item", filters={"sales_order": sales_order, "docstatus": 1},
                                     pluck="parent"):  # fmt: skip
            if not frappe.db.get_value("Sales Invoice", parent, "is_return"):
                return parent
        return None

    def _payment(self, store: str, doctype: str, name: str, mapping, order: Order) -> None:
        from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

        store_doc = self.store_doc(store)
        account = None
        if store_doc.mode_of_payment:
            account = frappe.db.get_value("Mode of Payment Account", {"parent": store_doc.mode_of_payment,
                                                                      "company": store_doc.company}, "default_account")  # fmt: skip
        pe = get_payment_entry(doctype, name, bank_account=account)
        pe.mode_of_payment = store_doc.mode_of_payment
        pe.reference_no = (order.payments[0].transaction_id if order.payments and order.payments[0].transaction_id
                           else order.number or order.external_id)  # fmt: skip
        pe.reference_date = frappe.utils.nowdate()
        pe.insert(ignore_permissions=True)
        pe.submit()
        if mapping:
            frappe.db.set_value(ORDER_MAP, mapping.name, "payment_entry", pe.name)

    def update_order(self, store: str, order: Order) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return self.create_order(store, order)
        with inbound_sync(), atomic("commerce_order_update"):
            values = {"store_status": order.store_status,
                      "financial_status": order.financial_status.value if order.financial_status else None,
                      "fulfilment_status": order.fulfilment_status.value if order.fulfilment_status else None}  # fmt: skip
            changed = any(mapping.get(k) != v for k, v in values.items())
            mapping.update(values | {"remote_updated_at": to_db(order.updated_at), "last_synced_at": frappe.utils.now_datetime()})
            mapping.save(ignore_permissions=True)
            so = frappe.get_doc("Sales Order", mapping.sales_order)
            edit = self.follow_order_edit(store, order, so, mapping) if so.docstatus == 1 else None
            if edit is not None and edit.conflict:
                return edit  # nothing billed on top of a version ERPNext does not have
            if so.docstatus == 1:
                so.reload()
                try:
                    self._bill_if_paid(store, order, so)
                except frappe.ValidationError as exc:
                    raise ValidationError(f"order {order.number}: invoicing failed: {readable(exc)}") from exc
        if edit is not None:
            return edit
        return ApplyResult("Sales Order", mapping.sales_order, changed=changed)

    def order_deleted(self, store: str, external_order_id: str) -> ApplyResult | None:
        """An order deleted or trashed on the store: never cancelled here. An open Sales Order gets one comment
        and ``changed=True`` (the engine logs a Conflict for a person); a closed one ``changed=False``."""
        mapping = self._mapping(store, external_order_id)
        if mapping is None or not mapping.sales_order:
            return None
        so = frappe.get_doc("Sales Order", mapping.sales_order)
        if so.docstatus == 2 or so.status in ("Completed", "Closed", "Cancelled"):
            return ApplyResult("Sales Order", so.name, changed=False, message=f"already {so.status or 'cancelled'}")
        note = (f"Order {external_order_id} was deleted on store {store}. This Sales Order was NOT cancelled: "
                "review it (cancel or close it by hand if the sale is off).")
        with inbound_sync(), atomic("commerce_order_deleted"):
            seen = frappe.db.exists("Comment", {"reference_doctype": "Sales Order", "reference_name": so.name,
                                                "content": ["like", f"%{external_order_id} was deleted on store%"]})  # fmt: skip
            if not seen:
                so.add_comment("Comment", text=frappe.utils.escape_html(note))
        return ApplyResult("Sales Order", so.name, changed=True, message="comment added" if not seen else "already flagged")

    def cancel_order(self, store: str, order: Order) -> ApplyResult:
        mapping = self._mapping(store, order.external_id)
        if mapping is None:
            return ApplyResult("Sales Order", "", changed=False, message="never synced")
        so = frappe.get_doc("Sales Order", mapping.sales_order)
        with inbound_sync(), atomic("commerce_order_cancel"):
            mapping.store_status = order.store_status
            mapping.save(ignore_permissions=True)
            if so.docstatus == 2 or so.status == "Closed":
                return ApplyResult("Sales Order", so.name, changed=False)
            if so.docstatus == 0:
                so.add_comment("Comment", text="Cancelled on the store; this draft was not submitted.")
                return ApplyResult("Sales Order", so.name, message="draft kept, cancellation noted")
            if flt(so.get("per_billed")) or flt(so.get("per_delivered")):
                so.update_status("Closed")  # invoiced or delivered documents stay; the order is closed
                return ApplyResult("Sales Order", so.name, message="closed (already billed or delivered)")
            so.cancel()
        return ApplyResult("Sales Order", so.name)
