"""The engine's ERP port on a real ERPNext site (frappe APIs).

Rules kept everywhere:
- inbound changes run with ``frappe.flags.in_commerce_sync = True`` so our own doc_events do not
  bounce them back to the store;
- every write that makes several documents runs inside a savepoint: on any failure it is rolled back
  to that point and the error is raised, so the job is Failed with a clear reason and nothing is
  half-written;
- existing catalogue is linked, never duplicated: an Item is found by mapping, then SKU = item code,
  then barcode, before anything is created;
- the Commerce Order Mapping (unique ``order_key``) is inserted in the same transaction as the Sales
  Order: a second Sales Order for the same store order cannot be committed.
"""

from __future__ import annotations

from wix_commerce_sync.erpnext.common import atomic, inbound_sync, readable
from wix_commerce_sync.erpnext.customers import CustomersMixin, find_duplicate_customers
from wix_commerce_sync.erpnext.fulfilment import FulfilmentMixin
from wix_commerce_sync.erpnext.items import ItemsMixin
from wix_commerce_sync.erpnext.links import LinksMixin
from wix_commerce_sync.erpnext.order_edits import OrderEditsMixin
from wix_commerce_sync.erpnext.orders import OrdersMixin
from wix_commerce_sync.erpnext.refunds import RefundsMixin
from wix_commerce_sync.erpnext.stock import StockMixin

__all__ = ["ErpNextAdapter", "atomic", "find_duplicate_customers", "inbound_sync", "readable"]


class ErpNextAdapter(ItemsMixin, StockMixin, CustomersMixin, OrdersMixin, OrderEditsMixin, FulfilmentMixin, RefundsMixin,
                     LinksMixin):  # fmt: skip
    """``ErpPort`` for any Commerce Store of this site, one ERPNext concept per module:
    items.py, stock.py, customers.py, orders.py, order_edits.py, fulfilment.py, refunds.py, links.py."""
