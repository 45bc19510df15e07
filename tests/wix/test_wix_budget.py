"""Call budgets: a 10,000-row stock push against the 200/min bound, and the 10-change poll."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.wix.connector import BULK, PAGE, WixConnector
from wix_commerce_sync.connectors.wix.simulator import VirtualClock, WixSimulator
from wix_commerce_sync.sync.models import StockLevel


def test_10000_stock_rows_within_105_percent_of_minimum_and_under_200_per_minute() -> None:
    """Virtual clock shared by client and simulator: the client's bucket sleeps by advancing it, and the
    simulator enforces 200 requests per sliding 60 s window on the same clock (429 beyond)."""
    clock = VirtualClock()
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=200, clock=clock)
    sim.start()
    try:
        skus = sim.seed_catalog(5000, variants_per_product=2, quantity=0)
        connector = WixConnector(sim.store_config(rate_clock=clock, rate_sleep=clock.sleep, backoff_max=0.05))
        levels = [StockLevel(sku=s, quantity=Decimal(n % 50 + 1)) for n, s in enumerate(skus)]
        results = connector.set_stock(levels)
        assert len(results) == 10_000 and all(r.ok for r in results)
        assert [sim.stock_of(s) for s in skus[:: 997]] == [n % 50 + 1 for n in range(0, 10_000, 997)]
        # minimum: 100 bulk updates (100 items each) + 100 lookups (ids and revisions, 100 per query page)
        minimum = math.ceil(10_000 / BULK) + math.ceil(10_000 / PAGE)
        calls = sim.call_count()
        assert calls <= 1.05 * minimum, (calls, minimum)
        assert connector.http.stats.throttled == 0
        assert sim.max_requests_in_window(60) <= 200
        assert clock() >= (calls - 10) / (190 / 60) - 1  # the pacing really happened (in virtual time)
    finally:
        sim.stop()


@pytest.mark.parametrize("version", ["V3_CATALOG", "V1_CATALOG"])
def test_ten_change_poll_on_50000_products(version: str) -> None:
    sim = WixSimulator(version, rate_limit_per_minute=None)
    sim.start()
    try:
        sim.seed_catalog(50_000)
        connector = WixConnector(sim.store_config(catalog_version=version, rate_limit_per_minute=100_000,
                                                  rate_burst=1000))
        since = datetime.now(timezone.utc) - timedelta(milliseconds=1)
        changed = list(sim.products)[::5000]
        for pid in changed:
            sim.touch_product(pid, name="Now on sale")
        sim.reset_counts()
        found = list(connector.iter_products(since))
        assert sorted(p.external_id for p in found) == sorted(changed)
        assert all(p.variants and p.variants[0].sku for p in found)
        assert sim.call_count() <= 2  # the whole poll, not per change
    finally:
        sim.stop()


def test_ten_change_order_poll() -> None:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None)
    sim.start()
    try:
        skus = sim.seed_catalog(10)
        orders = [sim.create_order([{"sku": skus[i % 10], "quantity": 1}], f"p{i}@example.com") for i in range(300)]
        connector = WixConnector(sim.store_config(catalog_version="V3_CATALOG"))
        since = max(o.updated_at for o in connector.iter_orders())  # the cursor a previous poll left behind
        for order in orders[::30]:
            sim.update_order(order["id"], paymentStatus="PARTIALLY_REFUNDED")
        sim.reset_counts()
        found = list(connector.iter_orders(since))
        assert len(found) == 10 and sim.call_count() <= 2  # the whole poll, not per change
    finally:
        sim.stop()


def test_ten_change_customer_poll() -> None:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None)
    sim.start()
    try:
        for i in range(300):
            sim.add_customer(f"old{i}@example.com")
        connector = WixConnector(sim.store_config(catalog_version="V3_CATALOG"))
        since = max(c.updated_at for c in connector.iter_customers())  # the cursor a previous poll left behind
        for i in range(10):
            sim.add_customer(f"new{i}@example.com")
        sim.reset_counts()
        found = [c for c in connector.iter_customers(since) if c.updated_at > since]
        assert sorted(c.email for c in found) == sorted(f"new{i}@example.com" for i in range(10))
        assert sim.call_count() <= 2  # the whole poll, not per change
    finally:
        sim.stop()
