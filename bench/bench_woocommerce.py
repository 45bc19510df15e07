"""WooCommerce benchmarks against the simulator (real sockets on 127.0.0.1).

1. Push 10,000 changed stock rows (simple products): API calls and time.
   - rows carrying the ids the engine stored from earlier writes/imports (the normal case);
   - rows carrying only skus, on a connector whose sku index is warm (after an import);
   - rows carrying only skus on a cold connector (sku lookups of 100 per call added).
2. A 10-change poll (products, orders, customers) on a 50,000-product store: calls per entity.
3. Import of 10,000 variable products (3 variations each): calls, time, peak memory.
4. ERP-made orders pushed to the store (100 per batch create): calls, time; then the same push after the
   store committed and the answer was lost (the job retry looks first): orders on the store, calls.

Run: ``python -m bench.bench_woocommerce`` (``--quick`` for a 10x smaller run).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta, timezone
from decimal import Decimal

from bench.harness import measure, report
from wix_commerce_sync.connectors.woocommerce.connector import WooCommerceConnector
from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator
from wix_commerce_sync.sync.models import Customer, Order, OrderLine, OrderStatus, StockLevel

FAST = {"max_attempts": 3, "backoff_initial": 0.05, "backoff_max": 1.0}


def bench_stock_push(rows: int) -> dict[str, object]:
    sim = WooCommerceSimulator()
    sim.start()
    try:
        ids = sim.seed_catalog(rows)
        with_ids = [StockLevel(sku=f"SKU-{i:06d}", quantity=Decimal(i % 50), variant_id=str(pid), product_id=str(pid))
                    for i, pid in enumerate(ids)]
        connector = WooCommerceConnector(sim.store_config(**FAST))
        sim.reset_counts()
        with measure(trace_memory=False) as m_ids:
            results = connector.set_stock(with_ids)
        calls_ids = sim.call_count()
        assert all(r.ok for r in results), "stock push with ids failed"

        for _ in connector.import_products():  # warms the per-instance sku index
            pass
        sku_only = [StockLevel(sku=f"SKU-{i:06d}", quantity=Decimal(i % 40)) for i in range(rows)]
        sim.reset_counts()
        with measure(trace_memory=False) as m_warm:
            results = connector.set_stock(sku_only)
        calls_warm = sim.call_count()
        assert all(r.ok for r in results)

        cold = WooCommerceConnector(sim.store_config(**FAST))
        sim.reset_counts()
        with measure(trace_memory=False) as m_cold:
            results = cold.set_stock([StockLevel(sku=lv.sku, quantity=lv.quantity + 1) for lv in sku_only])
        calls_cold = sim.call_count()
        assert all(r.ok for r in results) and sim.stock_of(f"SKU-{rows - 1:06d}") == (rows - 1) % 40 + 1
        return {
            "stock_rows": rows,
            "stock_push_calls": calls_ids,
            "stock_push_s": round(m_ids.wall_seconds, 3),
            "stock_push_sku_warm_calls": calls_warm,
            "stock_push_sku_warm_s": round(m_warm.wall_seconds, 3),
            "stock_push_sku_cold_calls": calls_cold,
            "stock_push_sku_cold_s": round(m_cold.wall_seconds, 3),
        }
    finally:
        sim.stop()


def bench_poll(store_products: int, changes: int = 10) -> dict[str, object]:
    sim = WooCommerceSimulator(tax_rate=20)
    started = time.perf_counter()
    sim.seed_catalog(store_products)
    seed_s = time.perf_counter() - started
    sim.start()
    try:
        for i in range(200):
            sim.create_order([{"sku": f"SKU-{i:06d}", "quantity": 1}], customer_email=f"c{i}@x.test")
        for i in range(50):
            sim.add_customer(f"p{i}@x.test")
        since = sim.now.replace(tzinfo=timezone.utc) + timedelta(seconds=1)
        sim.tick(5)
        order_ids = sorted(sim.orders)
        for i in range(changes):
            sim.set_inventory(f"SKU-{i * 997 % store_products:06d}", 1)
            sim.update_order(order_ids[i * 7], status="completed")
        connector = WooCommerceConnector(sim.store_config(**FAST))
        figures: dict[str, object] = {"poll_store_products": store_products, "poll_seed_s": round(seed_s, 3)}
        for entity, read in (("products", connector.iter_products), ("orders", connector.iter_orders),
                             ("customers", connector.iter_customers)):
            sim.reset_counts()
            with measure(trace_memory=False) as m:
                found = list(read(since))
            figures[f"poll_{entity}_found"] = len(found)
            figures[f"poll_{entity}_calls"] = sim.call_count()
            figures[f"poll_{entity}_s"] = round(m.wall_seconds, 3)
        return figures
    finally:
        sim.stop()


def bench_import(products: int, variations: int = 3) -> dict[str, object]:
    sim = WooCommerceSimulator()
    sim.seed_catalog(products, variants_per_product=variations)
    sim.start()
    try:
        connector = WooCommerceConnector(sim.store_config(**FAST))
        with measure(trace_memory=False) as timed:
            count = sum(len(p.variants) for p in connector.import_products())
        calls = sim.call_count()
        sim.reset_counts()
        traced_connector = WooCommerceConnector(sim.store_config(**FAST))
        with measure(trace_memory=True) as traced:  # simulator allocations in this process are included
            for _ in traced_connector.import_products():
                pass
        return {
            "import_products": products,
            "import_variants": count,
            "import_calls": calls,
            "import_s": round(timed.wall_seconds, 3),
            "import_products_per_s": round(products / timed.wall_seconds, 1),
            "import_peak_mb": round(traced.peak_memory_mb, 1),
        }
    finally:
        sim.stop()


def _erp_orders(count: int, created_at) -> list[Order]:
    return [Order(external_id=f"SO-{i:05d}", number=f"SO-{i:05d}", currency="USD", created_at=created_at,
                  updated_at=created_at, status=OrderStatus.CONFIRMED, email=f"erp{i}@x.test",
                  customer=Customer(external_id=None, email=f"erp{i}@x.test"),
                  lines=[OrderLine(None, f"SKU-{i % 50:06d}", "Thing", Decimal(1), Decimal("10.00"))])
            for i in range(count)]


def bench_order_create(orders: int) -> dict[str, object]:
    sim = WooCommerceSimulator()
    sim.seed_catalog(50)
    sim.start()
    try:
        created_at = sim.now.replace(tzinfo=timezone.utc)
        connector = WooCommerceConnector(sim.store_config(**FAST))
        sim.reset_counts()
        with measure(trace_memory=False) as m_create:
            results = connector.create_orders(_erp_orders(orders, created_at))
        assert all(r.ok for r in results) and len(sim.orders) == orders
        calls_create = sim.call_count()
        # the next push: the store commits the batch, the answer is lost; the job retry looks first
        second = _erp_orders(orders, created_at)
        for order in second:
            order.external_id = f"R{order.external_id}"
        sim.lose_answer_to("POST", "/orders/batch")
        lost = connector.create_orders(second)
        assert not any(r.ok for r in lost)
        sim.reset_counts()
        with measure(trace_memory=False) as m_retry:
            retried = connector.create_orders(second)
        assert all(r.ok for r in retried)
        return {
            "order_create_orders": orders,
            "order_create_calls": calls_create,
            "order_create_s": round(m_create.wall_seconds, 3),
            "order_lost_answer_retry_calls": sim.call_count(),
            "order_lost_answer_retry_s": round(m_retry.wall_seconds, 3),
            "order_lost_answer_store_orders": len(sim.orders) - orders,  # must equal the orders pushed
        }
    finally:
        sim.stop()


def run(quick: bool = False) -> dict[str, object]:
    scale = 10 if quick else 1
    figures: dict[str, object] = {}
    figures.update(bench_stock_push(10_000 // scale))
    figures.update(bench_poll(50_000 // scale))
    figures.update(bench_import(10_000 // scale))
    figures.update(bench_order_create(100 // scale))
    return figures


def main() -> None:
    report("woocommerce", run(quick="--quick" in sys.argv))


if __name__ == "__main__":
    main()
