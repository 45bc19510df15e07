"""The GraphQL client against the simulator over real sockets: auth, faults, throttling, limits."""

from __future__ import annotations

import time

import pytest

from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.client import CostBucket
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.graphql import MAX_QUERY_COST, estimate_cost, parse
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.errors import AuthError, ConfigurationError, TransientError, ValidationError

QUERY_VARIABLES = {
    "PRODUCTS": {"first": q.PRODUCT_PAGE, "variantsFirst": q.VARIANT_PAGE},
    "PRODUCT": {"variantsFirst": q.VARIANT_FOLLOWUP_PAGE},
    "PRODUCT_VARIANTS_PAGE": {"first": q.VARIANT_FOLLOWUP_PAGE},
    "VARIANTS_BY_SKU": {"first": q.PAGE},
    "ORDERS": {"first": q.ORDER_PAGE, "linesFirst": q.LINE_PAGE},
    "ORDER": {"linesFirst": q.LINE_FOLLOWUP_PAGE},
    "ORDER_LINES_PAGE": {"first": q.LINE_FOLLOWUP_PAGE},
    "ORDERS_BY_TAG": {"first": q.PAGE},
    "FULFILLMENT_ORDERS": {"first": q.FULFILLMENT_ORDER_PAGE},
    "ORDER_FOR_REFUND": {"first": q.PAGE},
    "CUSTOMERS": {"first": q.CUSTOMER_PAGE},
    "LOCATIONS": {"first": q.PAGE},
    "WEBHOOKS": {"first": q.PAGE},
    "ORDER_FULFILLMENTS": {"first": q.FULFILLMENTS_LOOKBACK},
    "ORDER_REFUNDS": {},
    "INVENTORY_LEVELS": {"ids": [f"gid://shopify/InventoryItem/{i}" for i in range(q.PAGE)]},
}


@pytest.mark.parametrize("name", sorted(QUERY_VARIABLES))
def test_every_query_fits_the_single_query_cost_limit(name: str) -> None:
    cost = estimate_cost(getattr(q, name), QUERY_VARIABLES[name])
    assert 0 < cost <= MAX_QUERY_COST


def test_cost_rules() -> None:
    assert estimate_cost("{ shop { name } }") == 1
    assert estimate_cost("{ products(first: 10) { nodes { title variants(first: 5) { nodes { price } } } } }") == 2 + 10 * (1 + 2 + 5)
    assert estimate_cost("mutation { a: orderCancel(orderId: 1) { job { id } } b: orderCancel(orderId: 2) { job { id } } }") == 20
    op = parse('query($k: String!) { x(a: $k, b: [1, 2], c: {d: "e\\"f"}) @idempotent(key: $k) { y } }', {"k": "K"})
    assert op.fields[0].args == {"a": "K", "b": [1, 2], "c": {"d": 'e"f'}}
    assert op.fields[0].directives == {"idempotent": {"key": "K"}}


def test_check_connection_and_calls_counted(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    info = conn.check_connection()
    assert info.ok and info.currency == "USD"
    assert conn.http.stats.calls == 1 and sim.call_count("graphql.json") == 1


def test_wrong_token_is_auth_error(sim: ShopifySimulator) -> None:
    config = sim.store_config()
    config.credentials = {"access_token": "shpat_wrong"}
    with pytest.raises(AuthError):
        ShopifyConnector(config).check_connection()


def test_missing_credentials_is_configuration_error(sim: ShopifySimulator) -> None:
    config = sim.store_config()
    config.credentials = {}
    with pytest.raises(ConfigurationError):
        ShopifyConnector(config)


def test_client_credentials_grant_cached_and_renewed(sim: ShopifySimulator) -> None:
    connector = ShopifyConnector(sim.store_config(client_credentials=True))
    connector.check_connection()
    connector.check_connection()
    assert sim.token_grants == 1  # cached
    sim.expire_tokens()  # the shop revoked/expired it: 401 -> one fresh grant, same call succeeds
    assert connector.check_connection().ok
    assert sim.token_grants == 2
    connector.client._token_expires_at = time.time() + 60  # inside the refresh margin: renewed before use
    connector.check_connection()
    assert sim.token_grants == 3


def test_wrong_client_secret_is_auth_error(sim: ShopifySimulator) -> None:
    config = sim.store_config(client_credentials=True)
    config.credentials["client_secret"] = "nope"
    with pytest.raises(AuthError):
        ShopifyConnector(config).check_connection()


def test_latency_is_tolerated(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.faults.latency = 0.2
    started = time.perf_counter()
    assert conn.check_connection().ok
    assert time.perf_counter() - started >= 0.2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(conn: ShopifyConnector, sim: ShopifySimulator, status: int) -> None:
    sim.faults.fail_next(2, status)
    assert conn.check_connection().ok
    assert conn.http.stats.calls == 3 and conn.http.stats.retries == 2


def test_persistent_5xx_becomes_transient_error(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.faults.fail_next(10, 500)
    with pytest.raises(TransientError):
        conn.check_connection()
    assert conn.http.stats.calls == 5  # max_attempts


@pytest.mark.parametrize("http_status", [200, 429])
def test_throttled_answers_are_retried(conn: ShopifyConnector, sim: ShopifySimulator, http_status: int) -> None:
    sim.throttle_next(2, http_status=http_status)
    assert conn.check_connection().ok
    assert conn.http.stats.throttled == 2 and conn.http.stats.calls == 3


def test_timeout_is_retried(sim: ShopifySimulator) -> None:
    connector = ShopifyConnector(sim.store_config(timeout=(1.0, 0.3)))
    sim.faults.timeout_next(1, seconds=0.6)
    assert connector.check_connection().ok
    assert connector.http.stats.retries == 1


def test_connection_reset_is_retried(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.faults.reset_next(2)
    assert conn.check_connection().ok
    assert conn.http.stats.retries == 2


def test_client_waits_for_the_bucket_instead_of_being_throttled(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.set_plan("standard", restore_rate=1000.0, bucket=2000.0)
    sim.seed_catalog(20)
    conn.check_connection()  # learns the bucket state
    sim.drain_bucket(0.0)
    conn.client.bucket.update({"maximumAvailable": 2000, "currentlyAvailable": 0, "restoreRate": 1000})
    started = time.perf_counter()
    products = list(conn.iter_products())  # requested cost 962: needs ~0.96 s of refill
    elapsed = time.perf_counter() - started
    assert len(products) == 20
    assert conn.http.stats.throttled == 0
    assert elapsed >= 0.9
    assert conn.client.bucket.waited >= 0.9


def test_throttle_without_local_knowledge_recovers_from_server_signal(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.set_plan("standard", restore_rate=1000.0, bucket=2000.0)
    sim.seed_catalog(3)
    sim.drain_bucket(0.0)  # client has never seen the bucket: first call is THROTTLED, then it waits exactly
    assert len(list(conn.iter_products())) == 3
    assert conn.http.stats.throttled == 1


def test_cost_bucket_wait_formula() -> None:
    now = [0.0]
    slept: list[float] = []
    bucket = CostBucket(clock=lambda: now[0], sleep=slept.append)
    assert bucket.wait_for(500) == 0.0  # unknown state: send and learn
    bucket.update({"maximumAvailable": 2000, "currentlyAvailable": 100, "restoreRate": 100})
    delay = bucket.wait_for(300)
    assert delay == pytest.approx(2.0, abs=0.05)  # (300 - 100) / 100
    now[0] += delay
    assert bucket.wait_for(100) == pytest.approx(1.0, abs=0.05)  # reservation counted


def test_query_over_max_cost_is_refused(conn: ShopifyConnector) -> None:
    with pytest.raises(ValidationError, match="max cost"):
        conn.client.execute("query { products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }")


def test_page_size_over_250_is_refused(conn: ShopifyConnector) -> None:
    with pytest.raises(ValidationError, match="page size"):
        conn.client.execute("query { locations(first: 251) { nodes { id } } }")


def test_input_array_over_250_is_refused(conn: ShopifyConnector) -> None:
    rows = [{"inventoryItemId": f"gid://shopify/InventoryItem/{i}", "locationId": "gid://shopify/Location/1",
             "quantity": 1, "changeFromQuantity": None} for i in range(251)]
    with pytest.raises(ValidationError, match="maximum allowed of 250"):
        conn.client.execute(q.INVENTORY_SET, {"key": "k", "input": {"name": "available", "reason": "correction", "quantities": rows}})


def test_idempotent_directive_required_from_2026_04(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.add_product("Cup", [{"sku": "CUP"}], quantity=3)
    item = sim.variants[sim.sku_index["CUP"]]["inventory_item_id"]
    without_key = q.INVENTORY_SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    variables = {"input": {"name": "available", "reason": "correction", "quantities": [
        {"inventoryItemId": f"gid://shopify/InventoryItem/{item}", "locationId": f"gid://shopify/Location/{sim.default_location_id}",
         "quantity": 5, "changeFromQuantity": 3}]}}
    with pytest.raises(ValidationError, match="idempotent"):
        conn.client.execute(without_key, variables)
    assert sim.stock_of("CUP") == 3
    # the same key twice: the second answer is the first one replayed, the stock moves once
    first = conn.client.execute(q.INVENTORY_SET, {**variables, "key": "same-key"})
    sim.set_inventory("CUP", 9)
    second = conn.client.execute(q.INVENTORY_SET, {**variables, "key": "same-key"})
    assert first == second and sim.stock_of("CUP") == 9


def test_change_from_quantity_is_mandatory_in_2026_04(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.add_product("Cup", [{"sku": "CUP"}], quantity=3)
    item = sim.variants[sim.sku_index["CUP"]]["inventory_item_id"]
    row = {"inventoryItemId": f"gid://shopify/InventoryItem/{item}", "locationId": f"gid://shopify/Location/{sim.default_location_id}", "quantity": 5}
    with pytest.raises(ValidationError, match="changeFromQuantity"):
        conn.client.execute(q.INVENTORY_SET, {"key": "k1", "input": {"name": "available", "reason": "correction", "quantities": [row]}})


def test_registry_builds_the_shopify_connector(sim: ShopifySimulator) -> None:
    from wix_commerce_sync.connectors.registry import make_connector

    connector = make_connector(sim.store_config())
    assert isinstance(connector, ShopifyConnector) and connector.client.api_version == "2026-04"
    assert connector.client.endpoint.endswith("/admin/api/2026-04/graphql.json")


def test_plain_http_to_a_real_host_is_refused(sim: ShopifySimulator) -> None:
    config = sim.store_config()
    config.base_url = "http://shop.example.com"
    with pytest.raises(ConfigurationError):
        ShopifyConnector(config)
