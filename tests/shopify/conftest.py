"""Shared fixtures for the Shopify tests: a started simulator and a connector bound to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def sim() -> Iterator[ShopifySimulator]:
    # Plus plan (1,000 points/s): tests that are not about rate limits should not wait on the bucket;
    # the rate-limit tests set their own plan.
    simulator = ShopifySimulator(plan="plus")
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.close()


@pytest.fixture
def conn(sim: ShopifySimulator) -> Iterator[ShopifyConnector]:
    connector = ShopifyConnector(sim.store_config(bulk_poll_interval=0.01))
    try:
        yield connector
    finally:
        connector.close()
