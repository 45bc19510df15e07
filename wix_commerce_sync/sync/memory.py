"""In-memory implementations of the engine's ports, for engine tests and benchmarks.

``InMemoryErp`` behaves like the ERPNext adapter at the level the engine sees:
idempotent upserts, one order per store order id, stock per (sku, location).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.models import (
    ZERO,
    Customer,
    Fulfilment,
    Order,
    OrderStatus,
    Product,
    Refund,
    StockLevel,
    Variant,
    WriteResult,
)
from wix_commerce_sync.sync.ports import ApplyResult, LogEntry, OutboundChange, RecordState


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class MemoryOrder:
    name: str
    order: Order
    status: str = "To Deliver and Bill"
    fulfilments: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


class InMemoryErp:
    def __init__(self, clock=_now) -> None:
        self.clock = clock
        self.items: dict[str, dict] = {}  # item_code -> fields
        self.item_links: dict[tuple[str, str], str] = {}  # (store, variant id or sku) -> item_code
        self.product_items: dict[tuple[str, str], list[str]] = {}  # (store, product id) -> item codes
        self.stock: dict[tuple[str, str | None], Decimal] = {}  # (sku, location) -> available
        self.customers: dict[str, Customer] = {}
        self.customer_links: dict[tuple[str, str], str] = {}
        self.orders: dict[tuple[str, str], MemoryOrder] = {}
        self.modified: dict[tuple[str, str, str], datetime] = {}  # (store, entity, key) -> ERP change time
        self.calls: list[str] = []
        self.fail_next: list[Exception] = []

    def _maybe_fail(self, op: str) -> None:
        self.calls.append(op)
        if self.fail_next:
            raise self.fail_next.pop(0)

    # items --------------------------------------------------------------
    def upsert_product(self, store: str, product: Product) -> list[ApplyResult]:
        self._maybe_fail("upsert_product")
        if not product.variants:  # as the ERPNext adapter (documents.item_documents): no Item to make
            raise MappingError(f"product {product.title!r} has no variants to sync")
        results = []
        codes = []
        for variant in product.variants:
            link = (store, variant.external_id or variant.sku or "")
            code = self.item_links.get(link) or (variant.sku if variant.sku in self.items else None)
            created = code is None
            code = code or variant.sku or f"{store}-{variant.external_id}"
            self.items[code] = {"item_name": product.title, "price": variant.price, "options": dict(variant.options)}
            self.item_links[link] = code
            codes.append(code)
            results.append(ApplyResult("Item", code, created=created))
        self.product_items[(store, product.external_id or "")] = codes
        return results

    def delete_product(self, store: str, external_id: str, *, disable_items: bool = False) -> ApplyResult | None:
        """Unlink the product's (or variant's) items; disable them only when the store setting says so."""
        self._maybe_fail("delete_product")
        codes = self.product_items.pop((store, external_id), [])
        variant_code = self.item_links.get((store, external_id))
        if variant_code and variant_code not in codes:
            codes.append(variant_code)
        for link in [k for k, code in self.item_links.items() if k[0] == store and code in codes]:
            del self.item_links[link]
        if not codes:
            return None
        for code in codes:
            if disable_items:
                self.items[code]["disabled"] = True
        what = "disabled" if disable_items else "kept enabled"
        return ApplyResult("Item", codes[0], message=f"{len(codes)} item(s) unlinked and {what}")

    def product_for_store(self, store: str, external_id: str) -> OutboundChange | None:
        codes = self.product_items.get((store, external_id)) or []
        if not codes or any(code not in self.items for code in codes):
            return None
        first = self.items[codes[0]]
        variants = [Variant(external_id=None, sku=code, price=self.items[code]["price"], options=dict(self.items[code].get("options") or {}))
                    for code in codes]  # fmt: skip
        product = Product(external_id=external_id, title=first["item_name"], variants=variants,
                          option_names=sorted({name for v in variants for name in v.options}))  # fmt: skip
        return OutboundChange("items", codes[0], product)

    def touch(self, store: str, entity: str, key: str, when: datetime | None = None) -> None:
        """Simulate a user editing the ERP record linked to ``key``."""
        self.modified[(store, entity, key)] = when or self.clock()

    # stock --------------------------------------------------------------
    def stock_levels(self, store: str, skus: Sequence[str] | None = None,
                     changed_since: datetime | None = None) -> list[StockLevel]:  # fmt: skip
        return [  # available never below 0, as the ERPNext adapter gives it
            StockLevel(sku=sku, quantity=max(qty, ZERO), location_id=loc)
            for (sku, loc), qty in sorted(self.stock.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
            if skus is None or sku in skus
        ]

    def set_stock(self, store: str, level: StockLevel) -> ApplyResult:
        self._maybe_fail("set_stock")
        if level.sku not in self.items:
            raise MappingError(f"unknown SKU {level.sku!r}: no item or mapping")
        self.stock[(level.sku, level.location_id)] = level.quantity
        return ApplyResult("Stock Reconciliation", f"RECO-{level.sku}")

    # customers ------------------------------------------------------------
    def upsert_customer(self, store: str, customer: Customer) -> ApplyResult:
        self._maybe_fail("upsert_customer")
        link = (store, customer.external_id or (customer.email or "").lower())
        name = self.customer_links.get(link) or customer.display_name
        created = name not in self.customers
        self.customers[name] = customer
        self.customer_links[link] = name
        return ApplyResult("Customer", name, created=created)

    def delete_customer(self, store: str, external_id: str) -> ApplyResult | None:
        self._maybe_fail("delete_customer")
        name = self.customer_links.pop((store, external_id), None)
        if name is None:
            return None
        return ApplyResult("Customer", name, message="mapping removed; the customer is kept")

    # orders -------------------------------------------------------------
    def order_deleted(self, store: str, external_order_id: str) -> ApplyResult | None:
        self._maybe_fail("order_deleted")
        current = self.orders.get((store, external_order_id))
        if current is None:
            return None
        is_open = current.status not in ("Completed", "Closed", "Cancelled")
        if is_open:
            current.comments.append(f"Order {external_order_id} was deleted on store {store}; not cancelled here")
        return ApplyResult("Sales Order", current.name, changed=is_open,
                           message="comment added" if is_open else f"already {current.status}")

    def find_order(self, store: str, external_order_id: str) -> str | None:
        found = self.orders.get((store, external_order_id))
        return found.name if found else None

    def create_order(self, store: str, order: Order) -> ApplyResult:
        self._maybe_fail("create_order")
        for line in order.lines:
            if line.sku not in self.items:
                raise MappingError(f"order {order.number}: unknown SKU {line.sku!r}")
        key = (store, order.external_id)
        if key in self.orders:  # the unique order key: a second one is impossible
            return ApplyResult("Sales Order", self.orders[key].name, changed=False)
        name = f"SO-{len(self.orders) + 1:05d}"
        self.orders[key] = MemoryOrder(name, order)
        for line in order.lines:
            stock_key = (line.sku, None)
            self.stock[stock_key] = self.stock.get(stock_key, ZERO) - line.quantity
        return ApplyResult("Sales Order", name, created=True)

    def update_order(self, store: str, order: Order) -> ApplyResult:
        self._maybe_fail("update_order")
        current = self.orders[(store, order.external_id)]
        changed = current.order.status != order.status
        current.order = order
        if order.status is OrderStatus.DELIVERED:
            current.status = "Completed"
        return ApplyResult("Sales Order", current.name, changed=changed)

    def cancel_order(self, store: str, order: Order) -> ApplyResult:
        current = self.orders[(store, order.external_id)]
        changed = current.status != "Cancelled"
        current.status = "Cancelled"
        return ApplyResult("Sales Order", current.name, changed=changed)

    def record_fulfilment(self, store: str, order: Order, fulfilment: Fulfilment) -> ApplyResult:
        current = self.orders[(store, order.external_id)]
        ident = fulfilment.external_id or fulfilment.tracking_number or "fulfilment"
        if ident not in current.fulfilments:
            current.fulfilments.append(ident)
        return ApplyResult("Delivery Note", f"DN-{ident}")

    def record_refund(self, store: str, order: Order, refund: Refund) -> ApplyResult:
        current = self.orders[(store, order.external_id)]
        ident = refund.external_id or str(refund.amount)
        new = ident not in current.refunds
        if new:
            current.refunds.append(ident)
        return ApplyResult("Sales Invoice", f"CN-{ident}", created=new, changed=new)

    # both ways ------------------------------------------------------------
    def record_modified_at(self, store: str, entity: str, external_id: str) -> datetime | None:
        return self.modified.get((store, entity, external_id))

    def link_pushed(self, store: str, entity: str, key: str, record: object, result: WriteResult) -> None:
        if entity == "items" and isinstance(record, Product) and result.external_id:
            self.product_items[(store, result.external_id)] = [v.sku for v in record.variants if v.sku]


class MemoryState:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], RecordState] = {}
        self.cursors: dict[tuple[str, str], datetime] = {}

    def get(self, store: str, entity: str, key: str, *, for_update: bool = False) -> RecordState:
        found = self.records.get((store, entity, key))  # one process: nothing to wait for
        return RecordState(**vars(found)) if found else RecordState()

    def put(self, store: str, entity: str, key: str, state: RecordState) -> None:
        self.records[(store, entity, key)] = RecordState(**vars(state))

    def get_cursor(self, store: str, entity: str) -> datetime | None:
        return self.cursors.get((store, entity))

    def set_cursor(self, store: str, entity: str, value: datetime) -> None:
        self.cursors[(store, entity)] = value


class MemoryLogger:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.alerts: list[tuple[str, str, str]] = []

    def log(self, entry: LogEntry) -> None:
        self.entries.append(entry)

    def alert(self, store: str, job_name: str, message: str) -> None:
        self.alerts.append((store, job_name, message))

    def with_status(self, status: str) -> list[LogEntry]:
        return [e for e in self.entries if e.status == status]
