"""Canonical models: the one shape every platform maps into and out of.

Rules that hold everywhere:
- money is ``Decimal`` (never float), with the currency on the owning record;
- times are timezone-aware UTC ``datetime`` objects (``utc()`` normalises);
- external ids are strings (Shopify ids exceed 2**53 and GIDs are strings anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")


class Platform(str, Enum):
    SHOPIFY = "Shopify"
    WOOCOMMERCE = "WooCommerce"
    WIX = "Wix"


class Entity(str, Enum):
    ITEMS = "items"
    STOCK = "stock"
    ORDERS = "orders"
    CUSTOMERS = "customers"


class Direction(str, Enum):
    """Per-entity sync direction, as stored on the Commerce Store record."""

    BIDIRECTIONAL = "Bidirectional"
    ERP_TO_STORE = "ERPNext to Store"
    STORE_TO_ERP = "Store to ERPNext"
    DISABLED = "Disabled"

    @property
    def inbound(self) -> bool:
        return self in (Direction.BIDIRECTIONAL, Direction.STORE_TO_ERP)

    @property
    def outbound(self) -> bool:
        return self in (Direction.BIDIRECTIONAL, Direction.ERP_TO_STORE)


class OrderStatus(str, Enum):
    """ERP-side order states (the promised mapping table's right-hand side)."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    PROCESSING = "PROCESSING"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    RETURNED = "RETURNED"


class FinancialStatus(str, Enum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class FulfilmentStatus(str, Enum):
    UNFULFILLED = "unfulfilled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"


# ---------------------------------------------------------------- helpers


def money(value: Any) -> Decimal:
    """Parse a platform amount ("10.00", 10, 10.5, None) into Decimal without float noise."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)  # repr keeps the shortest exact decimal text
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def cents(value: Decimal) -> Decimal:
    """Round half up to two decimals, the way stores and ERPNext present totals."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def utc(value: datetime | str | int | float | None) -> datetime | None:
    """Normalise a timestamp to an aware UTC datetime.

    Naive datetimes and offset-less strings are taken as UTC: callers pass the
    platform's GMT fields (WooCommerce ``*_gmt``) for exactly that reason.
    Numbers are epoch seconds.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        from dateutil.parser import isoparse

        value = isoparse(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def ext_id(value: Any) -> str | None:
    """External ids as strings; ints are converted exactly (never through float)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise ValueError(f"external id {value!r} arrived as float and may have lost digits")
    return str(value)


# ---------------------------------------------------------------- catalogue


@dataclass
class Variant:
    external_id: str | None
    sku: str | None
    price: Decimal = ZERO
    compare_at_price: Decimal | None = None
    options: dict[str, str] = field(default_factory=dict)  # option name -> value
    barcode: str | None = None
    weight: Decimal | None = None
    weight_unit: str | None = None  # "kg", "g", "lb", "oz"
    inventory_item_id: str | None = None  # Shopify InventoryItem / Wix inventory item
    title: str | None = None
    inventory_quantity: Decimal | None = None  # the store's figure when read
    manage_stock: bool = True
    updated_at: datetime | None = None


@dataclass
class Product:
    external_id: str | None
    title: str
    currency: str | None = None
    description: str | None = None
    handle: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    status: str = "active"  # active | draft | archived
    option_names: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    updated_at: datetime | None = None
    revision: str | None = None  # Wix V3 optimistic concurrency
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def has_variants(self) -> bool:
        """True for a template with real options (not Shopify's single 'Default Title')."""
        return bool(self.option_names) and len(self.variants) >= 1 and any(v.options for v in self.variants)


@dataclass
class Location:
    external_id: str
    name: str
    active: bool = True
    is_default: bool = False


@dataclass
class StockLevel:
    """An absolute available quantity of one variant at one location."""

    sku: str | None
    quantity: Decimal
    location_id: str | None = None  # None: the store's single/default location
    variant_id: str | None = None
    product_id: str | None = None
    inventory_item_id: str | None = None
    previous_quantity: Decimal | None = None  # last known store value (compare-and-swap)
    updated_at: datetime | None = None
    revision: str | None = None


# ---------------------------------------------------------------- people


@dataclass
class Address:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None  # full name where known
    country_code: str | None = None  # ISO 3166-1 alpha-2
    phone: str | None = None
    email: str | None = None
    kind: str = "Billing"  # Billing | Shipping

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()

    def is_empty(self) -> bool:
        return not any((self.line1, self.city, self.postcode, self.country, self.country_code))


@dataclass
class Customer:
    external_id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    company: str | None = None
    addresses: list[Address] = field(default_factory=list)
    updated_at: datetime | None = None
    revision: str | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p).strip()
        return name or self.company or self.email or (self.external_id or "Unknown customer")


# ---------------------------------------------------------------- orders


@dataclass
class TaxLine:
    title: str
    amount: Decimal
    rate: Decimal | None = None  # fraction, e.g. 0.2 for 20 %
    code: str | None = None


@dataclass
class OrderLine:
    external_id: str | None
    sku: str | None
    title: str
    quantity: Decimal
    unit_price: Decimal  # before discounts; gross when the order's prices include tax
    discount: Decimal = ZERO  # total discount allocated to this line
    taxes: list[TaxLine] = field(default_factory=list)
    product_id: str | None = None
    variant_id: str | None = None

    @property
    def tax_total(self) -> Decimal:
        return sum((t.amount for t in self.taxes), ZERO)


@dataclass
class ChargeLine:
    """Shipping or fee line."""

    title: str
    amount: Decimal  # before discount; gross when prices include tax
    discount: Decimal = ZERO
    taxes: list[TaxLine] = field(default_factory=list)
    code: str | None = None

    @property
    def tax_total(self) -> Decimal:
        return sum((t.amount for t in self.taxes), ZERO)


@dataclass
class Discount:
    code: str | None
    amount: Decimal  # order-level discount not already allocated to lines


@dataclass
class Payment:
    gateway: str | None
    amount: Decimal
    transaction_id: str | None = None
    paid_at: datetime | None = None


@dataclass
class Refund:
    external_id: str | None
    order_id: str
    amount: Decimal
    currency: str | None = None
    reason: str | None = None
    lines: list[tuple[str, Decimal]] = field(default_factory=list)  # (sku or line id, qty)
    created_at: datetime | None = None
    restock: bool = False
    # The store's split of ``amount`` when it gives one: shipping refunded before tax, and every tax refunded
    # (goods + shipping). None: not given (tax is then shared out in proportion to the order's, see
    # erpnext/documents.py refund_split). What is left of ``amount`` is a goodwill amount.
    shipping: Decimal = ZERO
    tax: Decimal | None = None
    money_returned: bool = True  # the store paid the money back (False: recorded only, e.g. store credit)
    cumulative: bool = False  # the store shows only its refunded total so far (Wix): credit what is not yet credited
    erp_document: str | None = None  # the ERPNext Credit Note / return it was made from (the app's marker on the store)
    # a cumulative refund's own store refunds, oldest first: (refund id, amount); the credit note of what is new
    # is named by the newest of them (Wix order activities name each refund; the order shows only the total)
    store_refunds: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class DeletedRecord:
    """A store record deleted (or trashed) on the store: the webhook carries only its id."""

    entity: Entity
    external_id: str
    deleted_at: datetime | None = None


@dataclass
class Fulfilment:
    order_id: str
    lines: list[tuple[str, Decimal]] = field(default_factory=list)  # (line external id or sku, qty); empty = all
    tracking_number: str | None = None
    tracking_company: str | None = None
    tracking_url: str | None = None
    location_id: str | None = None
    external_id: str | None = None
    notify_customer: bool = False
    created_at: datetime | None = None


@dataclass
class Order:
    external_id: str
    number: str | None
    currency: str
    created_at: datetime | None
    updated_at: datetime | None
    lines: list[OrderLine] = field(default_factory=list)
    shipping_lines: list[ChargeLine] = field(default_factory=list)
    fee_lines: list[ChargeLine] = field(default_factory=list)
    order_taxes: list[TaxLine] = field(default_factory=list)  # taxes not carried on lines/charges
    discounts: list[Discount] = field(default_factory=list)  # order-level, not allocated to lines
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    fulfilments: list[Fulfilment] = field(default_factory=list)
    taxes_included: bool = False
    total: Decimal = ZERO  # what the customer pays, per the store
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    email: str | None = None
    store_status: str | None = None  # the platform's own status word
    status: OrderStatus | None = None  # mapped through the store's status table
    financial_status: FinancialStatus | None = None
    fulfilment_status: FulfilmentStatus | None = None
    cancelled_at: datetime | None = None
    note: str | None = None
    exchange_rate: Decimal | None = None  # presentment -> shop currency, when they differ
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def is_guest(self) -> bool:
        return self.customer is None or not self.customer.external_id

    def all_tax_lines(self) -> list[TaxLine]:
        """Every tax line of the order, merged by title (one ERPNext row per store tax)."""
        merged: dict[str, TaxLine] = {}
        sources = [t for line in self.lines for t in line.taxes]
        sources += [t for c in self.shipping_lines + self.fee_lines for t in c.taxes]
        sources += self.order_taxes
        for tax in sources:
            key = tax.title or tax.code or "Tax"
            if key in merged:
                merged[key].amount += tax.amount
            else:
                merged[key] = TaxLine(title=key, amount=tax.amount, rate=tax.rate, code=tax.code)
        return list(merged.values())

    def computed_total(self) -> Decimal:
        """Total implied by the parts; equals ``total`` for a consistent order."""
        goods = sum((line.unit_price * line.quantity - line.discount for line in self.lines), ZERO)
        charges = sum((c.amount - c.discount for c in self.shipping_lines + self.fee_lines), ZERO)
        order_discount = sum((d.amount for d in self.discounts), ZERO)
        taxes = ZERO if self.taxes_included else sum((t.amount for t in self.all_tax_lines()), ZERO)
        return cents(goods + charges - order_discount + taxes)


@dataclass
class OrderStatusUpdate:
    order_id: str
    status: OrderStatus
    note: str | None = None


@dataclass
class WriteResult:
    """Per-row outcome of a batched write."""

    key: str  # the caller's key for the row (sku, order id, ...)
    ok: bool
    external_id: str | None = None
    error: str | None = None
    retryable: bool = False
    data: dict[str, Any] | None = None
    # the store's updated time of the record from this write (of its first call, when it takes several): any store
    # event of the record older than it describes a version this write replaced
    store_updated_at: datetime | None = None
