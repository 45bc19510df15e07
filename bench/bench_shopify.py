"""Shopify benchmarks against the simulator (Standard plan: 100 points/s restore, 2,000-point bucket).

(a) stock push: 10,000 changed rows at one location; API calls, wall time, and the least
    time the simulator's bucket allows (``bound_seconds``; ``ratio = wall / bound``).
    Cost model (simulator.py): a mutation costs 10 + 1 per input row, so one full
    inventorySetQuantities call (250 rows) costs 260 points.
(b) incremental poll on a 50,000-product store after 10 product and 10 order changes:
    API calls per entity.
(c) bulk import of 10,000 products / 30,000 variants: calls, wall time, peak memory.

Run: ``python -m bench.bench_shopify`` (full, about 2 minutes: the stock push is rate-bound
by design) or ``python -m bench.bench_shopify --quick``.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from bench.harness import latency_figures, measure, report
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import StockLevel


def bench_stock_push(rows: int) -> dict[str, object]:
    sim = ShopifySimulator(plan="standard")
    sim.start()
    try:
        sim.seed_catalog(rows, quantity=10)
        connector = ShopifyConnector(sim.store_config(max_attempts=5, backoff_max=30.0))
        location = str(sim.default_location_id)
        levels = [
            StockLevel(sku=v["sku"], quantity=Decimal(20 + i % 7), location_id=location,
                       inventory_item_id=str(v["inventory_item_id"]), previous_quantity=Decimal(10))
            for i, v in enumerate(sim.variants.values())
        ]
        sim.cost_log.clear()
        sim.set_plan("standard")  # start from a full bucket
        with measure(trace_memory=False) as m:
            results = connector.set_stock(levels)
        ok = sum(r.ok for r in results)
        bound = sim.rate_limit_bound()
        assert ok == rows and all(sim.levels[(int(lv.inventory_item_id), int(location))] == lv.quantity for lv in levels[:50])
        return {
            "rows": rows,
            "rows_ok": ok,
            "api_calls": connector.http.stats.calls,
            "throttled": connector.http.stats.throttled,
            "wall_seconds": round(m.wall_seconds, 3),
            "requested_points": int(sum(req for req, _ in sim.cost_log)),
            "restore_rate": sim.restore_rate,
            "bucket": sim.bucket_size,
            "bound_seconds": round(bound, 3),
            "ratio": round(m.wall_seconds / bound, 3) if bound else 0.0,
            **latency_figures(connector.http.stats.latencies),
        }
    finally:
        sim.close()


def bench_incremental_poll(products: int, changes: int = 10) -> dict[str, object]:
    sim = ShopifySimulator(plan="standard")
    sim.start()
    try:
        started = time.perf_counter()
        sim.seed_catalog(products)
        seed_seconds = time.perf_counter() - started
        connector = ShopifyConnector(sim.store_config())
        since = datetime.now(timezone.utc) - timedelta(seconds=1)
        product_ids = list(sim.products)
        for pid in product_ids[:: max(1, len(product_ids) // changes)][:changes]:
            sim.touch_product(pid, title="changed")
        for i in range(changes):
            sim.create_order([{"sku": f"SKU-{i:06d}", "quantity": 1}], tax_rate="0.2", shipping="4.95")
        sim.reset_counts()
        with measure(trace_memory=False) as m:
            got_products = list(connector.iter_products(since))
            product_calls = sim.call_count("graphql.json")
            got_orders = list(connector.iter_orders(since))
            order_calls = sim.call_count("graphql.json") - product_calls
        assert len(got_products) == changes and len(got_orders) == changes
        return {
            "store_products": products,
            "seed_seconds": round(seed_seconds, 3),
            "changed_products": len(got_products),
            "changed_orders": len(got_orders),
            "product_calls": product_calls,
            "order_calls": order_calls,
            "max_calls_per_entity": max(product_calls, order_calls),
            "wall_seconds": round(m.wall_seconds, 3),
        }
    finally:
        sim.close()


def bench_bulk_import(products: int, variants: int) -> dict[str, object]:
    sim = ShopifySimulator(plan="standard")
    sim.start()
    try:
        sim.seed_catalog(products, variants_per_product=variants)
        connector = ShopifyConnector(sim.store_config(bulk_poll_interval=0.2))
        count = variant_count = 0
        tracemalloc.start()
        started = time.perf_counter()
        for product in connector.import_products():
            count += 1
            variant_count += len(product.variants)
        wall = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1_000_000
        tracemalloc.stop()
        assert count == products and variant_count == products * variants
        return {
            "products": count,
            "variants": variant_count,
            "api_calls": connector.http.stats.calls,
            "wall_seconds": round(wall, 3),
            "peak_memory_mb": round(peak, 2),
            "jsonl_mb": round(next(iter(sim.bulk_ops.values()))["size"] / 1_000_000, 2),
        }
    finally:
        sim.close()


def run(quick: bool = False) -> list[str]:
    lines = []
    stock = bench_stock_push(2500 if quick else 10_000)
    lines.append(report("shopify stock push (Standard plan)", stock))
    poll = bench_incremental_poll(5_000 if quick else 50_000)
    lines.append(report("shopify incremental poll, 10 changes", poll))
    bulk = bench_bulk_import(*((2_000, 3) if quick else (10_000, 3)))
    lines.append(report("shopify bulk product import", bulk))
    if not quick:  # the acceptance figures
        assert stock["api_calls"] <= 42, stock
        assert stock["ratio"] <= 1.2, stock
        assert poll["max_calls_per_entity"] <= 2, poll
    return lines


def main() -> None:
    run(quick="--quick" in sys.argv)


if __name__ == "__main__":
    main()
