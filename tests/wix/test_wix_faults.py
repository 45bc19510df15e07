"""Every fault mode of the Wix simulator, against a V3 site and a V1 site, over real sockets."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from wix_commerce_sync.connectors.wix.connector import WixConnector
from wix_commerce_sync.connectors.wix.simulator import VirtualClock, WixSimulator
from wix_commerce_sync.sync.errors import AuthError, RateLimitedError, TransientError, ValidationError
from wix_commerce_sync.sync.models import StockLevel


def _work(connector: WixConnector, skus: list[str]) -> None:
    """A read and a write, so faults hit both paths."""
    assert len(list(connector.iter_products())) == 3
    assert all(r.ok for r in connector.set_stock([StockLevel(sku=s, quantity=Decimal(5)) for s in skus]))


@pytest.fixture
def seeded(sim: WixSimulator) -> tuple[WixSimulator, list[str]]:
    return sim, sim.seed_catalog(3)


def test_latency(seeded, connect) -> None:
    sim, skus = seeded
    connector = connect(sim, timeout=2.0)
    sim.faults.latency = 0.05
    started = time.perf_counter()
    _work(connector, skus)
    assert time.perf_counter() - started >= 0.05 * sim.call_count()
    assert [sim.stock_of(s) for s in skus] == [5, 5, 5]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(seeded, connect, status: int) -> None:
    sim, skus = seeded
    connector = connect(sim)
    sim.faults.fail_next(2, status)
    _work(connector, skus)
    assert connector.http.stats.retries == 2


def test_persistent_server_error_surfaces_as_transient(seeded, connect) -> None:
    sim, _ = seeded
    connector = connect(sim, catalog_version=sim.catalog_version)
    sim.faults.fail_next(10, 500)
    with pytest.raises(TransientError):
        list(connector.iter_products())


def test_throttle_429_honours_retry_after(seeded, connect) -> None:
    sim, skus = seeded
    connector = connect(sim)
    sim.faults.fail_next(2, 429, {"Retry-After": "0"})
    _work(connector, skus)
    assert connector.http.stats.throttled == 2


def test_timeout_is_retried(seeded, connect) -> None:
    sim, skus = seeded
    connector = connect(sim, timeout=0.3)
    sim.faults.timeout_next(1, 1.0)
    _work(connector, skus)
    assert connector.http.stats.retries >= 1


def test_connection_reset_is_retried(seeded, connect) -> None:
    sim, skus = seeded
    connector = connect(sim)
    sim.faults.reset_next(2)
    _work(connector, skus)
    assert connector.http.stats.retries == 2


def test_forbidden_is_an_auth_error_and_not_retried(seeded, connect) -> None:
    sim, _ = seeded
    connector = connect(sim, catalog_version=sim.catalog_version)
    sim.faults.fail_next(1, 403)
    with pytest.raises(AuthError):
        list(connector.iter_products())
    assert connector.http.stats.retries == 0


def test_wrong_site_id_is_refused(seeded, connect) -> None:
    sim, _ = seeded
    config = sim.store_config(max_attempts=1)
    config.site_id = "another-site"
    assert not WixConnector(config).check_connection().ok


# ------------------------------------------------------------ OAuth tokens


def test_oauth_token_is_fetched_once_and_refreshed_on_expiry_fault(seeded, connect) -> None:
    sim, skus = seeded
    connector = connect(sim, auth="oauth")
    _work(connector, skus)
    assert sim.call_count("/oauth2/token") == 1
    sim.expire_tokens()  # every issued token now answers 401
    _work(connector, skus)
    assert sim.call_count("/oauth2/token") == 2


def test_oauth_token_is_refreshed_before_it_expires(seeded, connect) -> None:
    sim, skus = seeded
    now = [1000.0]
    connector = connect(sim, auth="oauth", auth_clock=lambda: now[0])
    _work(connector, skus)
    now[0] += 14400 - 200  # inside the 5-minute margin: refresh before the server would refuse
    _work(connector, skus)
    assert sim.call_count("/oauth2/token") == 2
    assert connector.http.stats.retries == 0


def test_wrong_app_secret(seeded) -> None:
    sim, _ = seeded
    config = sim.store_config(auth="oauth", max_attempts=1)
    config.credentials = {**config.credentials, "app_secret": "nope"}
    info = WixConnector(config).check_connection()
    assert not info.ok and info.detail["kind"] == "AuthError"


# ------------------------------------------------------------ the 200/min per-site limit


def test_simulator_answers_429_beyond_200_per_minute(sim: WixSimulator) -> None:
    clock = VirtualClock()
    sim.clock, sim.rate_limit_per_minute = clock, 200
    headers = {"Authorization": sim.api_key, "wix-site-id": sim.site_id}
    url = sim.base_url + "/stores/v3/provision/version"
    with requests.Session() as session:
        statuses = [session.get(url, headers=headers, timeout=5).status_code for _ in range(201)]
        assert statuses[:200] == [200] * 200
        assert statuses[200] == 429
        clock.advance(30)
        throttled = session.get(url, headers=headers, timeout=5)
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) == 30
        clock.advance(31)
        assert session.get(url, headers=headers, timeout=5).status_code == 200


def test_client_bucket_keeps_every_window_under_the_limit(sim: WixSimulator, connect) -> None:
    clock = VirtualClock()
    sim.clock, sim.rate_limit_per_minute = clock, 200
    skus = sim.seed_catalog(1)
    connector = connect(sim, rate_limit_per_minute=200, rate_burst=10, rate_clock=clock, rate_sleep=clock.sleep)
    started = clock()
    for _ in range(450):
        connector.read_stock([StockLevel(sku=skus[0], quantity=Decimal(0))])
    assert connector.http.stats.throttled == 0  # never refused
    assert sim.max_requests_in_window(60) <= 200
    assert clock() - started >= (len(sim.request_times) - 10) / (190 / 60) - 1


def test_server_429_pauses_the_client_for_retry_after(sim: WixSimulator, connect) -> None:
    """A client limit set far above the server's: the server's 429 + Retry-After still paces us."""
    clock = VirtualClock()
    sim.clock, sim.rate_limit_per_minute = clock, 20
    connector = connect(sim, catalog_version=sim.catalog_version, rate_clock=clock, rate_sleep=clock.sleep)
    level = StockLevel(sku="X", quantity=Decimal(0), product_id="p", variant_id="v")
    started = clock()
    for _ in range(30):
        connector.read_stock([level])
    assert connector.http.stats.throttled >= 1
    assert clock() - started >= 60  # waited out Retry-After (virtual time)
    assert sim.max_requests_in_window(60) <= 20


def test_server_429_surfaces_as_rate_limited_with_retry_after(sim: WixSimulator, connect) -> None:
    clock = VirtualClock()
    sim.clock, sim.rate_limit_per_minute = clock, 5
    connector = connect(sim, catalog_version=sim.catalog_version, max_attempts=1, rate_clock=clock,
                        rate_sleep=clock.sleep)
    level = StockLevel(sku="X", quantity=Decimal(0), product_id="p", variant_id="v")
    with pytest.raises(RateLimitedError) as raised:
        for _ in range(6):
            connector.read_stock([level])
    assert raised.value.retry_after == 60


# ------------------------------------------------------------ platform-specific refusals


def test_catalog_version_mismatch_is_refused(seeded, connect) -> None:
    sim, _ = seeded
    wrong = "V1_CATALOG" if sim.catalog_version == "V3_CATALOG" else "V3_CATALOG"
    connector = connect(sim, catalog_version=wrong, max_attempts=1)
    with pytest.raises(ValidationError, match="428"):
        list(connector.iter_products())


def test_page_and_bulk_limits_are_enforced(sim_v3: WixSimulator) -> None:
    headers = {"Authorization": sim_v3.api_key, "wix-site-id": sim_v3.site_id}
    too_big_page = requests.post(sim_v3.base_url + "/stores/v3/products/query", timeout=5, headers=headers,
                                 json={"query": {"cursorPaging": {"limit": 101}}})
    too_big_bulk = requests.post(sim_v3.base_url + "/stores/v3/bulk/inventory-items/update", timeout=5,
                                 headers=headers, json={"inventoryItems": [{"inventoryItem": {}}] * 1001})
    created = requests.post(sim_v3.base_url + "/stores/v3/bulk/products-with-inventory/create", timeout=5,
                            headers=headers, json={"products": [{"name": "A", "physicalProperties": {},
                                                                 "variantsInfo": {"variants": [
                                                                     {"price": {"actualPrice": {"amount": "1"}},
                                                                      "physicalProperties": {}}]}}],
                                                   "returnEntity": True}).json()
    stale = created["productResults"]["results"][0]["item"]
    update = sim_v3.base_url + "/stores/v3/bulk/products/update"
    conflict = requests.post(update, timeout=5, headers=headers,
                             json={"products": [{"product": {"id": stale["id"], "name": "B", "revision": "0"}}]})
    missing_revision = requests.post(update, timeout=5, headers=headers,
                                     json={"products": [{"product": {"id": stale["id"], "name": "B"}}]})

    def code(answer: requests.Response) -> str:
        return answer.json()["results"][0]["itemMetadata"]["error"]["code"]

    assert (too_big_page.status_code, too_big_bulk.status_code) == (400, 400)
    assert (code(conflict), code(missing_revision)) == ("REVISION_MISMATCH", "INVALID_ARGUMENT")


def test_a_failing_bulk_call_becomes_retryable_row_errors(seeded, connect) -> None:
    sim, skus = seeded
    connector = connect(sim, catalog_version=sim.catalog_version, max_attempts=2)
    sim.faults.fail_next(2, 500)  # the first call (lookup) fails twice: out of attempts
    results = connector.set_stock([StockLevel(sku=s, quantity=Decimal(1)) for s in skus])
    assert [r.ok for r in results] == [False] * 3 and all(r.retryable for r in results)
    assert all(r.ok for r in connector.set_stock([StockLevel(sku=s, quantity=Decimal(1)) for s in skus]))
