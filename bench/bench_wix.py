"""Wix benchmarks against the simulator (real HTTP on 127.0.0.1).

1. 10,000 changed stock rows pushed to a V3 site (bulk inventory update, 1,000 items per call; ids and
   revisions looked up 100 per query page). Wix allows 200 requests per minute per site, so the push
   needs about a minute of real time at best. To keep the benchmark short, client and simulator share a
   *virtual clock*: the client's token bucket "sleeps" by advancing it, and the simulator enforces its
   200-per-sliding-60-s limit (answering 429 beyond) on the same clock. ``stock_paced_seconds`` is the
   time the push would take against real Wix at that rate; ``stock_max_requests_60s`` is measured from
   the simulator's request timestamps on that clock. HTTP work itself is real (wall time reported).
2. A 10-change poll on a 50,000-product site (V3 and V1): calls per changed entity.
3. Import of 10,000 products (V3, paced on the virtual clock like 1.).

Run: ``python -m bench.bench_wix`` (``--quick`` for a small run).
"""

from __future__ import annotations

import math
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from bench.harness import measure, report
from wix_commerce_sync.connectors.wix.connector import BULK_INVENTORY, PAGE, WixConnector
from wix_commerce_sync.connectors.wix.simulator import VirtualClock, WixSimulator
from wix_commerce_sync.sync.models import StockLevel


def bench_stock_push(rows: int) -> dict[str, object]:
    clock = VirtualClock()
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=200, clock=clock)
    sim.start()
    try:
        skus = sim.seed_catalog(rows // 2, variants_per_product=2, quantity=0)
        connector = WixConnector(sim.store_config(rate_clock=clock, rate_sleep=clock.sleep))
        levels = [StockLevel(sku=s, quantity=Decimal(n % 50 + 1)) for n, s in enumerate(skus)]
        with measure(trace_memory=False) as m:
            results = connector.set_stock(levels)
        calls = sim.call_count()
        # at least one update per 1,000 items and one look-up per 100 SKUs (ids and revisions)
        minimum = math.ceil(len(levels) / BULK_INVENTORY) + math.ceil(len(levels) / PAGE)
        return {
            "stock_rows": len(levels),
            "stock_ok": sum(r.ok for r in results),
            "stock_calls": calls,
            "stock_min_calls": minimum,
            "stock_ratio": round(calls / minimum, 3),
            "stock_update_calls": sim.call_count("/bulk/inventory-items/update"),
            "stock_lookup_calls": sim.call_count("/inventory-items/query"),
            "stock_other_calls": calls - sim.call_count("/inventory-items/"),
            "stock_max_requests_60s": sim.max_requests_in_window(60),
            "stock_throttled_429": connector.http.stats.throttled,
            "stock_paced_seconds": round(clock(), 1),
            "stock_wall_seconds": round(m.wall_seconds, 2),
        }
    finally:
        sim.stop()


def bench_poll(version: str, products: int, changes: int) -> dict[str, object]:
    sim = WixSimulator(version, rate_limit_per_minute=None)
    sim.start()
    prefix = "poll_v3" if version == "V3_CATALOG" else "poll_v1"
    try:
        started = time.perf_counter()
        sim.seed_catalog(products)
        seed_seconds = time.perf_counter() - started
        connector = WixConnector(sim.store_config(catalog_version=version, rate_limit_per_minute=100_000,
                                                  rate_burst=1000))
        since = datetime.now(timezone.utc) - timedelta(milliseconds=1)
        for pid in list(sim.products)[:: max(1, products // changes)][:changes]:
            sim.touch_product(pid, name="Changed")
        sim.reset_counts()
        with measure(trace_memory=False) as m:
            found = list(connector.iter_products(since))
        calls = sim.call_count()
        return {f"{prefix}_site_products": products, f"{prefix}_seed_seconds": round(seed_seconds, 2),
                f"{prefix}_changed": len(found), f"{prefix}_calls": calls,
                f"{prefix}_calls_per_entity": round(calls / max(1, len(found)), 2),
                f"{prefix}_wall_ms": round(m.wall_seconds * 1000, 1)}
    finally:
        sim.stop()


def bench_import(products: int) -> dict[str, object]:
    clock = VirtualClock()
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=200, clock=clock)
    sim.start()
    try:
        sim.seed_catalog(products, variants_per_product=2)
        connector = WixConnector(sim.store_config(catalog_version="V3_CATALOG", rate_clock=clock,
                                                  rate_sleep=clock.sleep))
        with measure(trace_memory=False) as m:  # tracemalloc would also trace the in-process simulator
            count = sum(1 for _ in connector.import_products())
        return {"import_products": count, "import_calls": sim.call_count(),
                "import_min_calls": 2 * math.ceil(products / PAGE),
                "import_max_requests_60s": sim.max_requests_in_window(60),
                "import_paced_seconds": round(clock(), 1), "import_wall_seconds": round(m.wall_seconds, 2),
                "import_products_per_wall_second": round(count / max(m.wall_seconds, 1e-9))}
    finally:
        sim.stop()


def run(quick: bool = False) -> dict[str, object]:
    rows, site, imported = (1000, 5000, 1000) if quick else (10_000, 50_000, 10_000)
    figures: dict[str, object] = {}
    figures.update(bench_stock_push(rows))
    figures.update(bench_poll("V3_CATALOG", site, 10))
    figures.update(bench_poll("V1_CATALOG", site, 10))
    figures.update(bench_import(imported))
    return figures


def main() -> None:
    report("wix", run(quick="--quick" in sys.argv))


if __name__ == "__main__":
    main()
