"""Ports: the narrow interfaces the engine calls, so it never knows Frappe.

- ``ErpPort``: change the ERP (``erpnext.adapter.ErpNextAdapter`` on Frappe,
  ``sync.memory_erp.InMemoryErp`` in tests).
- ``StateStore``: per-record sync state (ordering key applied, content hashes pushed
  and pulled, last sync time) and per-entity cursors.
- ``SyncLogger``: the sync log and administrator alerts.
Every ERP method is per store (``store`` = Commerce Store name) and idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from wix_commerce_sync.sync.models import Customer, Fulfilment, Order, Product, Refund, StockLevel, WriteResult


@dataclass
class ApplyResult:
    """What an ERP write did: the document it made or touched."""

    doctype: str
    name: str
    created: bool = False
    changed: bool = True
    message: str | None = None
    conflict: str | None = None  # the store's change could not be applied: why, both versions (a Conflict log row)


@dataclass
class OutboundChange:
    """A change on the ERP side waiting to go to a store."""

    entity: str  # Entity value
    key: str  # item code, "sku@location", sales order name, customer name
    payload: object  # canonical object (Product, StockLevel, Fulfilment, OrderStatusUpdate, Order, Customer, Refund)
    action: str = "upsert"  # upsert | status | fulfil | cancel | refund | create
    reference_doctype: str | None = None
    reference_name: str | None = None


class ErpPort(Protocol):
    # items
    def upsert_product(self, store: str, product: Product) -> list[ApplyResult]: ...
    def delete_product(self, store: str, external_id: str, *, disable_items: bool = False) -> ApplyResult | None:
        """A product (or variant) deleted on the store: remove its mappings; disable the Items only when asked.

        Never deletes an Item. None when nothing was mapped."""

    def product_for_store(self, store: str, external_id: str) -> OutboundChange | None:
        """ERPNext's current version of the store product ``external_id`` (product or variant id), as the change
        that would push it (key: the template's item code). None when no Item is linked to it."""

    # stock
    def stock_levels(self, store: str, skus: Sequence[str] | None = None,
                     changed_since: datetime | None = None) -> list[StockLevel]: ...  # fmt: skip
    def set_stock(self, store: str, level: StockLevel) -> ApplyResult: ...

    # customers
    def upsert_customer(self, store: str, customer: Customer) -> ApplyResult: ...

    def delete_customer(self, store: str, external_id: str) -> ApplyResult | None:
        """A customer deleted on the store: remove the mapping (the Customer stays). None when not mapped."""

    # orders
    def find_order(self, store: str, external_order_id: str) -> str | None: ...
    def order_deleted(self, store: str, external_order_id: str) -> ApplyResult | None:
        """An order deleted/trashed on the store: an open Sales Order gets a comment and ``changed=True``
        (the engine flags it); a closed one ``changed=False``. Never cancels. None when no Sales Order."""
    def create_order(self, store: str, order: Order) -> ApplyResult: ...
    def update_order(self, store: str, order: Order) -> ApplyResult: ...
    def cancel_order(self, store: str, order: Order) -> ApplyResult: ...
    def record_fulfilment(self, store: str, order: Order, fulfilment: Fulfilment) -> ApplyResult: ...
    def record_refund(self, store: str, order: Order, refund: Refund) -> ApplyResult: ...

    # both ways
    def record_modified_at(self, store: str, entity: str, external_id: str) -> datetime | None:
        """When the ERP record linked to this store record last changed (conflict detection)."""

    def link_pushed(self, store: str, entity: str, key: str, record: object, result: WriteResult) -> None:
        """Store the ids the store gave a record we pushed (mapping rows)."""


@dataclass
class RecordState:
    applied_ordering_key: str | None = None  # newest inbound event applied
    pulled_hash: str | None = None  # content hash of the last inbound record applied
    pushed_hash: str | None = None  # content hash / value of the last thing we pushed
    synced_at: datetime | None = None
    # hashes pushed before ``pushed_hash``, newest first: a late echo of one of them, as old as the last push,
    # is no store edit
    earlier_pushed: tuple[str, ...] = ()


class StateStore(Protocol):
    # ``for_update``: the read the record's next write is made from. It waits for, and then sees, any other worker's
    # uncommitted write of that record, and holds the record until this transaction ends, so two workers applying
    # or pushing one record take turns instead of each writing back what it read before the other's write.
    def get(self, store: str, entity: str, key: str, *, for_update: bool = False) -> RecordState: ...
    def put(self, store: str, entity: str, key: str, state: RecordState) -> None: ...
    def get_cursor(self, store: str, entity: str) -> datetime | None: ...
    def set_cursor(self, store: str, entity: str, value: datetime) -> None: ...


@dataclass
class LogEntry:
    store: str
    entity: str
    direction: str
    operation: str
    status: str  # Success | Failed | Skipped | Conflict | Partial | Rejected
    records: int = 1
    failed_records: int = 0
    message: str | None = None
    reference_doctype: str | None = None
    reference_name: str | None = None
    job: str | None = None
    request_excerpt: str | None = None
    response_excerpt: str | None = None
    duration_ms: float | None = None


class SyncLogger(Protocol):
    def log(self, entry: LogEntry) -> None: ...
    def alert(self, store: str, job_name: str, message: str) -> None: ...
