"""Canonical record factories and a controllable clock, shared by core and shell tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from wix_commerce_sync.sync.models import (
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    TaxLine,
    Variant,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def make_product(pid: str = "p1", sku: str = "SKU-1", price: str = "10.00", title: str = "Shirt", updated=T0) -> Product:
    return Product(external_id=pid, title=title, updated_at=updated,
                   variants=[Variant(external_id=f"v-{sku}", sku=sku, price=Decimal(price))])


def make_order(oid: str = "o1", sku: str = "SKU-1", qty: int = 2, updated=T0, status=OrderStatus.PROCESSING) -> Order:
    return Order(
        external_id=oid, number=f"#{oid}", currency="USD", created_at=updated, updated_at=updated,
        lines=[OrderLine(external_id="l1", sku=sku, title="Shirt", quantity=Decimal(qty), unit_price=Decimal("10.00"),
                         taxes=[TaxLine("VAT", Decimal("4.00"))])],
        total=Decimal("24.00"), status=status, store_status="open",
        customer=Customer(external_id="c1", email="ann@example.com", first_name="Ann"),
    )
