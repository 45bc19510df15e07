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


# ---------------------------------------------------------------- transport recorder
# Every (document, variables) the Shopify client sends during these tests is recorded at the
# transport layer and, when the session ends, checked against Shopify's published schema:
# one unknown field or one variable value the schema refuses fails the run.
SENT: list[tuple[str, dict, str]] = []
PAUSED: list[bool] = []  # non-empty while a test sends invalid requests on purpose


def record_sends(monkeypatch: pytest.MonkeyPatch, sink: list[tuple[str, dict, str]]) -> None:
    from wix_commerce_sync.connectors.shopify.client import ShopifyGraphQL

    original = ShopifyGraphQL._post

    def recording_post(self: ShopifyGraphQL, query: str, variables: dict, **kwargs):  # type: ignore[no-untyped-def]
        if not (sink is SENT and PAUSED):
            sink.append((query, json.loads(json.dumps(variables)), self.api_version))
        return original(self, query, variables, **kwargs)

    monkeypatch.setattr(ShopifyGraphQL, "_post", recording_post)


def invalid_sends(sent: list[tuple[str, dict, str]]) -> list[str]:
    from wix_commerce_sync.testing.contracts import shopify as contract

    problems = []
    for query, variables, version in sent:
        errors = contract.request_errors(query, variables, contract.schema_version_for(version))
        if errors:
            problems.append(f"{query.split('(')[0].split('{')[0].strip() or query[:40]}: {errors}")
    return sorted(set(problems))


@pytest.fixture(autouse=True, scope="session")
def _validate_everything_sent() -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    record_sends(patch, SENT)
    yield
    patch.undo()
    problems = invalid_sends(SENT)
    assert not problems, "the Shopify client sent requests the 2026-04 schema refuses:\n" + "\n".join(problems)
    from wix_commerce_sync.testing.contracts import shopify as contract

    deprecated = sorted({d for query, variables, _ in SENT for d in contract.deprecated_variable_fields(query, variables)})
    assert not deprecated, "the Shopify client sent deprecated input fields:\n" + "\n".join(deprecated)


@pytest.fixture
def sends_invalid_on_purpose() -> Iterator[None]:
    """For tests that check the refusal of an invalid request: keep it out of the recorder."""
    PAUSED.append(True)
    try:
        yield
    finally:
        PAUSED.pop()


@pytest.fixture
def engine_world(tmp_path, sim: ShopifySimulator, conn: ShopifyConnector):  # type: ignore[no-untyped-def]
    """The engine over the real Shopify connector and simulator, with the ERP in memory."""
    from wix_commerce_sync.sync.engine import SyncEngine
    from wix_commerce_sync.sync.memory import InMemoryErp, MemoryLogger, MemoryState
    from wix_commerce_sync.sync.models import Direction, Entity, Platform
    from wix_commerce_sync.sync.queue import RetryPolicy, SqliteJobStore
    from wix_commerce_sync.sync.settings import StoreSettings

    class World:
        pass

    w = World()
    w.erp = InMemoryErp()
    w.jobs = SqliteJobStore(str(tmp_path / "jobs.sqlite"))
    w.settings = StoreSettings(name=conn.config.name, platform=Platform.SHOPIFY, max_retries=3,
                               directions={e: Direction.BIDIRECTIONAL for e in Entity})
    w.engine = SyncEngine(w.settings, conn, w.erp, w.jobs, MemoryState(), MemoryLogger(),
                          retry_policy=RetryPolicy(base_seconds=0, factor=1, jitter=0.0))
    return w
