"""Delivery Notes from store fulfilments."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import frappe

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
    ZERO,
    Fulfilment,
    Order,
)
from wix_commerce_sync.sync.ports import ApplyResult


class FulfilmentMixin(AdapterBase):
    def record_fulfilment(self, store: str, order: Order, fulfilment: Fulfilment) -> ApplyResult:
        store_doc = self.store_doc(store)
        so_name = self.find_order(store, order.external_id)
        ident = fulfilment.external_id or fulfilment.tracking_number or "fulfilment"
        if not so_name or not store_doc.create_delivery_note_on_fulfilment:
            return ApplyResult("Sales Order", so_name or "", changed=False, message="delivery notes from the store are off")
        existing = frappe.db.get_value("Delivery Note", {"commerce_fulfilment_id": record_key(store, ident), "docstatus": ["<", 2]}, "name")
        if existing:
            return ApplyResult("Delivery Note", existing, changed=False)
        so = frappe.get_doc("Sales Order", so_name)
        if so.docstatus != 1:
            return ApplyResult("Sales Order", so.name, changed=False, message="the Sales Order is not submitted")
        from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

        with inbound_sync():
            try:
                with atomic("commerce_fulfilment"):
                    dn = make_delivery_note(so.name)
                    self._restrict_delivery(store, dn, order, fulfilment)
                    dn.commerce_store = store
                    dn.commerce_fulfilment_id = record_key(store, ident)
                    if fulfilment.tracking_number:
                        dn.lr_no = fulfilment.tracking_number[:140]
                    dn.insert(ignore_permissions=True)
                    dn.submit()
            except frappe.ValidationError as exc:
                raise ValidationError(f"order {order.number}: delivery note failed: {readable(exc)}") from exc
        return ApplyResult("Delivery Note", dn.name, created=True)

    def _restrict_delivery(self, store: str, dn, order: Order, fulfilment: Fulfilment) -> None:
        if not fulfilment.lines:
            return
        wanted: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for ref, qty in fulfilment.lines:
            line = next((ln for ln in order.lines if ref in (ln.external_id, ln.sku)), None)
            code = self.item_for(store, variant_id=line.variant_id if line else None, sku=line.sku if line else ref)
            if code:
                wanted[code] += qty
        kept = []
        for row in dn.items:
            qty = min(_dec(row.qty), wanted.get(row.item_code, ZERO))
            if qty > 0:
                row.qty = float(qty)
                wanted[row.item_code] -= qty
                kept.append(row)
        if not kept:
            raise MappingError(f"order {order.number}: the fulfilment names no line of the Sales Order")
        dn.set("items", kept)
        warehouses = self.location_warehouses(store).get(fulfilment.location_id or None)
        if warehouses:
            for row in dn.items:
                row.warehouse = warehouses[0]
