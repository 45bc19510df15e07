"""The ERP port: the narrow interface the engine calls to change the ERP.

``wix_commerce_sync.erpnext.adapter.ErpNextAdapter`` implements it on Frappe;
``wix_commerce_sync.sync.memory_erp.InMemoryErp`` implements it for engine tests.
Every method is per store (``store`` = Commerce Store name) and idempotent:
calling it twice with the same input leaves the ERP as calling it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from wix_commerce_sync.sync.models import Customer, Fulfilment, Order, Product, Refund, StockLevel


@dataclass
class ApplyResult:
    """What an ERP write did: the document it made or touched."""

    doctype: str
    name: str
    created: bool = False
    changed: bool = True
    message: str | None = None


@dataclass
class OutboundChange:
    """A change on the ERP side waiting to go to a store."""

    entity: str  # Entity value
    key: str  # item code, "sku@location", sales order name, customer name
    payload: object  # canonical object (Product, StockLevel, Fulfilment, ...)
    action: str = "upsert"  # upsert | fulfil | cancel | status | create
    changed_at: datetime | None = None


class ErpPort(Protocol):
    # items
    def find_item(self, store: str, *, variant_id: str | None, sku: str | None, barcode: str | None = None) -> str | None: ...
    def upsert_product(self, store: str, product: Product) -> list[ApplyResult]: ...
    def product_for_item(self, store: str, item_code: str) -> Product | None: ...

    # stock
    def available_stock(self, store: str, sku: str, location_id: str | None) -> Decimal: ...
    def set_stock(self, store: str, level: StockLevel) -> ApplyResult: ...

    # customers
    def upsert_customer(self, store: str, customer: Customer) -> ApplyResult: ...

    # orders
    def find_order(self, store: str, external_order_id: str) -> str | None: ...
    def create_order(self, store: str, order: Order) -> ApplyResult: ...
    def update_order(self, store: str, order: Order) -> ApplyResult: ...
    def cancel_order(self, store: str, order: Order) -> ApplyResult: ...
    def record_fulfilment(self, store: str, order: Order, fulfilment: Fulfilment) -> ApplyResult: ...
    def record_refund(self, store: str, order: Order, refund: Refund) -> ApplyResult: ...


def skus_of(products: Sequence[Product]) -> list[str]:
    return [v.sku for p in products for v in p.variants if v.sku]
