"""Shared fixtures for the Wix tests: simulators (V3 and V1 sites) and fast-failing connectors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wix_commerce_sync.connectors.wix.connector import WixConnector
from wix_commerce_sync.connectors.wix.simulator import WixSimulator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wix"

# tiny backoff keeps the fault tests fast; a read timeout a loaded machine cannot hit (tests that need a timeout set
# their own); a high client rate keeps the bucket out of the way
FAST = {"max_attempts": 4, "backoff_initial": 0.01, "backoff_max": 0.05, "timeout": 3.0,
        "rate_limit_per_minute": 1_000_000, "rate_burst": 10_000}


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fixture_json() -> Callable[[str], Any]:
    return load_fixture


def _start(version: str, **kwargs: Any) -> Iterator[WixSimulator]:
    sim = WixSimulator(version, **kwargs)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(params=["V3_CATALOG", "V1_CATALOG"], ids=["v3", "v1"])
def sim(request: pytest.FixtureRequest) -> Iterator[WixSimulator]:
    """A started simulator, once per catalog version; the per-site limit is off unless a test turns it on."""
    yield from _start(request.param, rate_limit_per_minute=None)


@pytest.fixture
def sim_v3() -> Iterator[WixSimulator]:
    yield from _start("V3_CATALOG", rate_limit_per_minute=None)


@pytest.fixture
def connect() -> Iterator[Callable[..., WixConnector]]:
    made: list[WixConnector] = []

    def factory(simulator: WixSimulator, **options: Any) -> WixConnector:
        connector = WixConnector(simulator.store_config(**{**FAST, **options}))
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        connector.close()
