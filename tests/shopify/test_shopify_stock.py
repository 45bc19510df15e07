"""Stock writes: batching, id resolution, compare-and-swap, per-row errors, idempotency keys."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.base import stock_key
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import StockLevel


def _levels_by_id(sim: ShopifySimulator, count: int, new: int = 7, previous: int | None = 10) -> list[StockLevel]:
    levels = []
    for variant in list(sim.variants.values())[:count]:
        levels.append(StockLevel(sku=variant["sku"], quantity=Decimal(new), location_id=str(sim.default_location_id),
                                 inventory_item_id=str(variant["inventory_item_id"]),
                                 previous_quantity=Decimal(previous) if previous is not None else None))
    return levels


def test_sku_only_levels_are_resolved_in_one_lookup(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(30)
    levels = [StockLevel(sku=f"SKU-{i:06d}", quantity=Decimal(i)) for i in range(30)]
    results = conn.set_stock(levels)
    assert all(r.ok for r in results)
    assert [r.key for r in results] == [stock_key(lv) for lv in levels]
    assert sim.stock_of("SKU-000029") == 29
    assert results[3].data["inventory_item_id"] == str(sim.variants[sim.sku_index["SKU-000003"]]["inventory_item_id"])
    assert sim.operations.count("productVariants") == 1  # batched look-up, not one per SKU
    assert sim.operations.count("inventorySetQuantities") == 1


def test_600_rows_go_in_three_calls_of_at_most_250(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(600)
    results = conn.set_stock(_levels_by_id(sim, 600, new=4))
    assert all(r.ok for r in results) and len(results) == 600
    assert sim.operations.count("inventorySetQuantities") == 3
    assert all(q == 4 for q in sim.levels.values())


def test_change_from_quantity_is_sent_on_every_row_null_included(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    levels = _levels_by_id(sim, 2, new=1)
    levels[1].previous_quantity = None
    assert all(r.ok for r in conn.set_stock(levels))
    # a wrong (stale) change-from on the null row would have failed; null means "no check"
    assert [sim.stock_of("SKU-000000"), sim.stock_of("SKU-000001")] == [1, 1]


def test_stale_rows_are_reread_and_retried(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(5)
    levels = _levels_by_id(sim, 5, new=20, previous=10)
    sim.set_inventory("SKU-000002", 3)  # someone changed the store since we last read it
    results = conn.set_stock(levels)
    assert all(r.ok for r in results)
    assert all(sim.stock_of(f"SKU-{i:06d}") == 20 for i in range(5))
    assert sim.operations.count("inventorySetQuantities") == 2  # refused whole, then resent with the fresh base
    assert sim.operations.count("nodes") == 1  # the re-read


def test_unknown_rows_fail_alone(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(3)
    levels = _levels_by_id(sim, 3, new=2)
    levels.insert(1, StockLevel(sku=None, quantity=Decimal(1), inventory_item_id="999999", previous_quantity=None))
    levels.append(StockLevel(sku="NOPE", quantity=Decimal(1)))
    levels.append(StockLevel(sku="SKU-000000", quantity=Decimal("1.5")))
    results = conn.set_stock(levels)
    assert [r.ok for r in results] == [True, False, True, True, False, False]
    assert "INVALID_INVENTORY_ITEM" in results[1].error
    assert "not found" in results[4].error
    assert sim.stock_of("SKU-000002") == 2


def test_same_idempotency_key_is_reused_when_throttled(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    sim.throttle_next(1)
    assert all(r.ok for r in conn.set_stock(_levels_by_id(sim, 2, new=5)))
    keys = [k for name, k in sim.idempotency_keys if name == "inventorySetQuantities"]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]


def test_transient_failure_marks_rows_retryable(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    levels = _levels_by_id(sim, 2)
    sim.faults.fail_next(20, 500)
    results = conn.set_stock(levels)
    assert all(not r.ok and r.retryable for r in results)


def test_read_stock_reads_per_location(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(3)
    sim.set_inventory("SKU-000001", 42)
    current = conn.read_stock([StockLevel(sku="SKU-000001", quantity=Decimal(0)), StockLevel(sku="SKU-000002", quantity=Decimal(0))])
    assert [(lv.sku, lv.quantity) for lv in current] == [("SKU-000001", Decimal(42)), ("SKU-000002", Decimal(10))]
    assert current[0].previous_quantity == Decimal(42)
    other = sim.add_location("Shop floor")
    assert conn.read_stock([StockLevel(sku="SKU-000001", quantity=Decimal(0), location_id=str(other))]) == []


def test_stock_push_is_paced_by_the_bucket_within_20_percent(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    """The client waits what the bucket needs and no more: its own waits (decided from Shopify's throttleStatus)
    stay within 20% of the least time the bucket allows. Its waits, not the wall time: on a loaded machine the calls
    themselves take longer (and the bucket refills meanwhile); the wall-clock ratio is ``bench.bench_shopify``'s."""
    sim.seed_catalog(1000)
    levels = _levels_by_id(sim, 1000, new=3)
    sim.set_plan("standard", restore_rate=500.0, bucket=300.0)  # 4 calls x 260 points: bound (1040-300)/500 s
    sim.cost_log.clear()
    import time

    started = time.perf_counter()
    results = conn.set_stock(levels)
    wall = time.perf_counter() - started
    bound = sim.rate_limit_bound()
    assert all(r.ok for r in results)
    assert conn.http.stats.calls == 4 and conn.http.stats.throttled <= 1  # the first call learns the bucket
    assert bound == (4 * 260 - 300) / 500
    assert bound <= wall  # the simulator's bucket admitted every call: none went out before it allowed
    assert conn.client.bucket.waited <= 1.2 * bound


def test_stale_change_from_with_erpnext_as_stock_master_overwrites_and_says_so(conn: ShopifyConnector, sim: ShopifySimulator,
                                                                               caplog: pytest.LogCaptureFixture) -> None:
    # defect 9: the overwrite of a concurrent Shopify change is the store's explicit policy, logged and reported
    sim.seed_catalog(2)
    levels = _levels_by_id(sim, 2, new=20, previous=10)
    sim.set_inventory("SKU-000001", 7)  # a Shopify sale landed after ERPNext read 10
    with caplog.at_level("WARNING"):
        results = conn.set_stock(levels)
    assert all(r.ok for r in results) and sim.stock_of("SKU-000001") == 20
    assert results[1].data["overwrote_store_change"] == [{"expected": 10, "found": 7, "written": 20}]
    assert "overwrote_store_change" not in results[0].data
    assert "ERPNext is the stock master" in caplog.text


def test_stale_change_from_with_skip_policy_keeps_the_store_change_as_a_conflict(sim: ShopifySimulator) -> None:
    conn = ShopifyConnector(sim.store_config(stale_stock_policy="skip"))
    try:
        sim.seed_catalog(2)
        levels = _levels_by_id(sim, 2, new=20, previous=10)
        sim.set_inventory("SKU-000001", 7)
        results = conn.set_stock(levels)
        assert [r.ok for r in results] == [True, False]
        assert results[1].data == {"conflict": True, "expected": 10, "found": 7, "wanted": 20} and not results[1].retryable
        assert [sim.stock_of("SKU-000000"), sim.stock_of("SKU-000001")] == [20, 7]
    finally:
        conn.close()
