"""Fixtures for the WooCommerce tests: a started simulator, fast connectors, a webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from wix_commerce_sync.connectors.woocommerce.connector import WooCommerceConnector
from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator
from wix_commerce_sync.testing.simulator import start_loopback_server, stop_loopback_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "woocommerce"
FAST = {"max_attempts": 3, "backoff_initial": 0.01, "backoff_max": 0.05, "timeout": (2.0, 2.0)}


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fixture_json():
    return load_fixture


@pytest.fixture
def sim() -> Iterator[WooCommerceSimulator]:
    simulator = WooCommerceSimulator(tax_rate=20, tax_label="VAT")
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()
    # the client may send only what WooCommerce's source knows (testing/contracts/woocommerce/rest_v3.json)
    assert simulator.contract_violations == [], simulator.contract_violations


@pytest.fixture
def make_connector(sim: WooCommerceSimulator):
    made: list[WooCommerceConnector] = []

    def make(**options: Any) -> WooCommerceConnector:
        connector = WooCommerceConnector(sim.store_config(**{**FAST, **options}))
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector) -> WooCommerceConnector:
    return make_connector()


class Receiver:
    """A tiny HTTP endpoint that records webhook deliveries and answers ``status``."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.server = start_loopback_server(self._serve)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.deliveries.append(({k: v for k, v in handler.headers.items()}, body))
        handler.send_response(self.status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/webhooks/woocommerce/store-1"

    def close(self) -> None:
        stop_loopback_server(self.server)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    try:
        yield instance
    finally:
        instance.close()
