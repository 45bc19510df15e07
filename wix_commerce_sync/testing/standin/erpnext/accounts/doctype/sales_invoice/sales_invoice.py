"""erpnext/accounts/doctype/sales_invoice/sales_invoice.py (ERPNext 15): ``make_sales_return`` with its signature.
The Sales Invoice controller itself is ``erpnext_behaviour.SalesInvoice``."""

from __future__ import annotations


def make_sales_return(source_name, target_doc=None):
    from erpnext.controllers.sales_and_purchase_return import make_return_doc

    return make_return_doc("Sales Invoice", source_name, target_doc)
