"""Engine throughput on in-memory ports: webhooks accepted, jobs applied, outbound flush.

Measures the app's own overhead (queue on SQLite, dedupe, serialization, engine
logic) without any platform latency: the floor under every connector's figures.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.harness import latency_figures, measure, report
from wix_commerce_sync.sync.engine import SyncEngine
from wix_commerce_sync.sync.memory import InMemoryErp, MemoryLogger, MemoryState
from wix_commerce_sync.sync.models import Direction, Entity, Platform, StockLevel
from wix_commerce_sync.sync.ports import OutboundChange
from wix_commerce_sync.sync.queue import SqliteJobStore
from wix_commerce_sync.sync.settings import StoreSettings
from wix_commerce_sync.testing.factories import make_order, make_product
from wix_commerce_sync.testing.fake_connector import FakeConnector


def run(orders: int = 2000, stock_rows: int = 10_000) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = StoreSettings("Bench", Platform.SHOPIFY, directions={e: Direction.BIDIRECTIONAL for e in Entity},
                                 batch_size=250)  # fmt: skip
        erp, connector = InMemoryErp(), FakeConnector()
        engine = SyncEngine(settings, connector, erp, SqliteJobStore(str(Path(tmp) / "q.db")), MemoryState(),
                            MemoryLogger())  # fmt: skip
        erp.upsert_product("Bench", make_product())
        deliveries = [connector.webhook("orders/create", make_order(f"o{i}"), f"e{i}") for i in range(orders)]
        accept_latency = []
        with measure() as inbound:
            for body, headers in deliveries:
                started = time.perf_counter()
                engine.accept_webhook(body, headers)
                accept_latency.append(time.perf_counter() - started)
            duplicates = sum(engine.accept_webhook(b, h).status == "duplicate" for b, h in deliveries[:200])
            applied = engine.run_inbound_jobs(limit=orders).succeeded
        for i in range(stock_rows):
            engine.queue_outbound(OutboundChange("stock", f"S{i}@default", StockLevel(f"S{i}", Decimal(i % 50))))
        with measure() as outbound:
            pushed = engine.flush_outbound(Entity.STOCK).succeeded
        return {
            "orders": orders,
            "orders_applied": applied,
            "duplicates_refused": duplicates,
            "sales_orders": len(erp.orders),
            "inbound_seconds": inbound.wall_seconds,
            "orders_per_second": applied / inbound.wall_seconds,
            **latency_figures(accept_latency, "webhook_accept"),
            "stock_rows_pushed": pushed,
            "stock_batch_calls": sum(1 for m, _ in connector.pushes if m == "set_stock"),
            "stock_flush_seconds": outbound.wall_seconds,
            "peak_memory_mb": max(inbound.peak_memory_mb, outbound.peak_memory_mb),
        }


def main() -> None:
    report("engine (in-memory ports, SQLite queue)", run())


if __name__ == "__main__":
    main()
