"""erpnext/stock/doctype/delivery_note/delivery_note.py (ERPNext 15): ``make_sales_return`` with its signature.
The Delivery Note controller itself is ``erpnext_behaviour.DeliveryNote``."""

from __future__ import annotations


def make_sales_return(source_name, target_doc=None):
    from erpnext.controllers.sales_and_purchase_return import make_return_doc

    return make_return_doc("Delivery Note", source_name, target_doc)
