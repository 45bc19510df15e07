"""Fixtures for engine tests: in-memory ERP, fake connector, SQLite queue, fixed clock."""

from __future__ import annotations

import pytest

from wix_commerce_sync.sync.engine import SyncEngine
from wix_commerce_sync.sync.memory import InMemoryErp, MemoryLogger, MemoryState
from wix_commerce_sync.sync.models import Direction, Entity, Platform
from wix_commerce_sync.sync.queue import RetryPolicy, SqliteJobStore
from wix_commerce_sync.sync.settings import StoreSettings
from wix_commerce_sync.testing.factories import Clock
from wix_commerce_sync.testing.fake_connector import FakeConnector


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path, clock):
    """An engine for one store with every port in memory."""

    class World:
        pass

    w = World()
    w.clock = clock
    w.erp = InMemoryErp(clock)
    w.connector = FakeConnector(clock=clock)
    w.jobs = SqliteJobStore(str(tmp_path / "jobs.sqlite"))
    w.state = MemoryState()
    w.logger = MemoryLogger()
    w.settings = StoreSettings(
        name="Fake Store", platform=Platform.SHOPIFY, max_retries=5,
        directions={e: Direction.BIDIRECTIONAL for e in Entity},
    )  # fmt: skip
    w.engine = SyncEngine(w.settings, w.connector, w.erp, w.jobs, w.state, w.logger, clock=clock,
                          retry_policy=RetryPolicy(base_seconds=60, factor=2, jitter=0.0))  # fmt: skip
    return w
