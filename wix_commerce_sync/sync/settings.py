"""Per-store sync settings as the engine sees them (built from the Commerce Store record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from wix_commerce_sync.sync.models import Direction, Entity, Platform
from wix_commerce_sync.sync.status_map import StatusMap


class ConflictWinner:
    ERP = "ERPNext"
    STORE = "Store"
    NEWEST = "Newest"


@dataclass
class StoreSettings:
    name: str
    platform: Platform
    directions: dict[Entity, Direction] = field(
        default_factory=lambda: {
            Entity.ITEMS: Direction.BIDIRECTIONAL,
            Entity.STOCK: Direction.ERP_TO_STORE,
            Entity.ORDERS: Direction.BIDIRECTIONAL,
            Entity.CUSTOMERS: Direction.STORE_TO_ERP,
        }
    )
    conflict_winner: str = ConflictWinner.ERP
    max_retries: int = 5
    batch_size: int = 100  # flush the outbox once this many rows wait (rows per call: the connector's batch size)
    flush_max_age: timedelta = timedelta(seconds=60)  # flush a part batch once its oldest row is this old
    poll_overlap: timedelta = timedelta(minutes=10)  # re-read this much before the cursor (clock skew, late commits)
    status_map: StatusMap | None = None
    alert_after_failures: int = 3
    disable_items_deleted_on_store: bool = False  # a product deleted on the store disables its ERPNext Items

    def direction(self, entity: Entity | str) -> Direction:
        return self.directions.get(Entity(entity), Direction.DISABLED)

    def statuses(self) -> StatusMap:
        return self.status_map or StatusMap.default(self.platform)
