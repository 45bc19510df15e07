"""Order status tables: store status word <-> ERP-side order state, per platform.

The defaults prefill each Commerce Store's status table; administrators edit the
table per store, and ``StatusMap`` reads the edited rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wix_commerce_sync.sync.models import OrderStatus as S
from wix_commerce_sync.sync.models import Platform

# (store status, ERP status, direction) ; direction: "both", "inbound" (store->ERP only), "outbound"
DEFAULT_STATUS_ROWS: dict[Platform, list[tuple[str, S, str]]] = {
    # The WooCommerce table promised to users (what-users-were-promised.md).
    Platform.WOOCOMMERCE: [
        ("pending", S.PENDING, "both"),
        ("processing", S.PROCESSING, "both"),
        ("on-hold", S.PENDING, "inbound"),
        ("completed", S.DELIVERED, "both"),
        ("cancelled", S.CANCELLED, "both"),
        ("refunded", S.RETURNED, "both"),
        ("failed", S.CANCELLED, "inbound"),
        ("processing", S.CONFIRMED, "outbound"),
        ("processing", S.PICKED, "outbound"),
        ("processing", S.PACKED, "outbound"),
        ("processing", S.SHIPPED, "outbound"),
        ("processing", S.OUT_FOR_DELIVERY, "outbound"),
    ],
    # Shopify: the order's display fulfilment/financial state, as the connector names it.
    Platform.SHOPIFY: [
        ("open", S.PROCESSING, "both"),
        ("pending", S.PENDING, "inbound"),
        ("partially_fulfilled", S.SHIPPED, "inbound"),
        ("fulfilled", S.DELIVERED, "both"),
        ("cancelled", S.CANCELLED, "both"),
        ("refunded", S.RETURNED, "both"),
    ],
    # Wix eCom: status + fulfilment status folded into one word by the connector.
    Platform.WIX: [
        ("APPROVED", S.PROCESSING, "both"),
        ("PARTIALLY_FULFILLED", S.SHIPPED, "inbound"),
        ("FULFILLED", S.DELIVERED, "both"),
        ("CANCELED", S.CANCELLED, "both"),
        ("FULLY_REFUNDED", S.RETURNED, "both"),
    ],
}


@dataclass
class StatusRow:
    store_status: str
    erp_status: S
    direction: str = "both"


class StatusMap:
    """Lookup both ways; the first matching row wins."""

    def __init__(self, rows: Iterable[StatusRow]) -> None:
        self.rows = list(rows)

    @classmethod
    def default(cls, platform: Platform) -> StatusMap:
        return cls(StatusRow(s, e, d) for s, e, d in DEFAULT_STATUS_ROWS[platform])

    def to_erp(self, store_status: str | None) -> S | None:
        if not store_status:
            return None
        wanted = store_status.strip().lower()
        for row in self.rows:
            if row.direction in ("both", "inbound") and row.store_status.lower() == wanted:
                return row.erp_status
        return None

    def to_store(self, erp_status: S) -> str | None:
        for row in self.rows:
            if row.direction in ("both", "outbound") and row.erp_status == erp_status:
                return row.store_status
        return None
