"""Client tests: the real WooCommerceConnector against the simulator over real sockets."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.base import StoreConfig
from wix_commerce_sync.connectors.registry import make_connector
from wix_commerce_sync.connectors.woocommerce.connector import HostBlockedError, WooCommerceConnector
from wix_commerce_sync.sync.errors import (
    AuthError,
    ConfigurationError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from wix_commerce_sync.sync.models import (
    Customer,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusUpdate,
    Platform,
    Product,
    Refund,
    StockLevel,
    Variant,
)


def gmt_now(sim) -> datetime:
    return sim.now.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- configuration


def test_registry_builds_the_connector(sim):
    connector = make_connector(sim.store_config())
    assert isinstance(connector, WooCommerceConnector)
    assert connector.capabilities.locations is False and connector.capabilities.order_creation is True
    connector.close()


@pytest.mark.parametrize("url", ["http://shop.example.com", "http://10.0.0.5", "ftp://shop.example.com"])
def test_plain_http_refused_except_loopback(url):
    config = StoreConfig(name="s", platform=Platform.WOOCOMMERCE, base_url=url,
                         credentials={"consumer_key": "ck_x", "consumer_secret": "cs_x"}, allow_insecure_http=True)
    with pytest.raises(ConfigurationError):
        WooCommerceConnector(config)


def test_missing_credentials_refused():
    config = StoreConfig(name="s", platform=Platform.WOOCOMMERCE, base_url="https://shop.example.com", credentials={})
    with pytest.raises(ConfigurationError, match="consumer_key"):
        WooCommerceConnector(config)


def test_https_url_gets_the_api_path():
    config = StoreConfig(name="s", platform=Platform.WOOCOMMERCE, base_url="shop.example.com/",
                         credentials={"consumer_key": "ck_x", "consumer_secret": "cs_x"})
    assert WooCommerceConnector(config).http.base_url == "https://shop.example.com/wp-json/wc/v3"


def test_check_connection(connector, sim):
    info = connector.check_connection()
    assert info.ok and info.currency == "USD" and info.detail["auth_mode"] == "basic"
    assert sim.call_count("/settings/general/woocommerce_currency") == 1


# ---------------------------------------------------------------- auth modes


def test_wrong_secret_is_an_auth_error_without_switching(sim, make_connector):
    connector = WooCommerceConnector(StoreConfig(
        name="s", platform=Platform.WOOCOMMERCE, base_url=sim.base_url, allow_insecure_http=True,
        credentials={"consumer_key": sim.consumer_key, "consumer_secret": "cs_wrong_secret"}, options={"max_attempts": 1}))
    with pytest.raises(AuthError, match="Consumer secret is invalid"):
        list(connector.iter_orders())
    assert connector.auth_mode == "basic" and sim.call_count("/orders") == 1
    assert "cs_wrong_secret" not in connector.check_connection().detail["error"]


@pytest.mark.parametrize("style", ["key_missing", "cannot_view"])
def test_dropped_authorization_header_switches_to_query_auth_once(sim, connector, style):
    sim.seed_catalog(3)
    sim.waf_strip_auth = True
    sim.missing_auth_style = style
    products = list(connector.iter_products())
    assert len(products) == 3 and connector.auth_mode == "query"
    assert sim.call_count("/products") == 2  # the refused call, then the retry with query auth
    list(connector.iter_products())
    assert sim.call_count("/products") == 3  # the store stays in query mode


def test_auth_mode_query_option(sim, make_connector):
    sim.waf_strip_auth = True
    connector = make_connector(auth_mode="query")
    assert connector.check_connection().ok and sim.call_count() == 1


def test_query_auth_that_still_fails_raises(sim, connector):
    sim.waf_strip_auth = True
    sim.consumer_secret = "cs_rotated_elsewhere"
    with pytest.raises(AuthError):
        list(connector.iter_orders())
    assert connector.auth_mode == "query" and sim.call_count("/orders") == 2


@pytest.mark.parametrize(("status", "words"), [(403, "firewall"), (501, "firewall")])
def test_waf_html_page_is_reported_as_host_block_not_auth(sim, connector, status, words):
    sim.waf_block = status
    with pytest.raises(HostBlockedError, match=words) as info:
        connector.set_stock([StockLevel(sku=None, quantity=Decimal(1), variant_id="5", product_id="5")])
    assert not isinstance(info.value, AuthError) and info.value.status == status
    assert sim.call_count() == 1  # not retried: waiting will not help
    info = connector.check_connection()
    assert not info.ok and info.detail["kind"] == "HostBlockedError"


# ---------------------------------------------------------------- faults


def test_latency_is_tolerated(sim, connector):
    sim.seed_catalog(2)
    sim.faults.latency = 0.2
    started = time.perf_counter()
    assert len(list(connector.iter_products())) == 2
    assert time.perf_counter() - started >= 0.2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried(sim, connector, status):
    sim.seed_catalog(2)
    sim.faults.fail_next(2, status)
    assert len(list(connector.iter_products())) == 2
    assert sim.call_count("/products") == 3 and connector.http.stats.retries == 2


def test_5xx_beyond_attempts_raises_transient(sim, connector):
    sim.faults.fail_next(5, 500)
    with pytest.raises(TransientError):
        list(connector.iter_orders())
    assert sim.call_count("/orders") == 3


def test_429_with_retry_after_is_honoured(sim, make_connector):
    connector = make_connector(backoff_max=1.0)
    sim.seed_catalog(1)
    sim.throttle_next(1, retry_after=0.3)
    started = time.perf_counter()
    assert len(list(connector.iter_products())) == 1
    assert time.perf_counter() - started >= 0.3
    assert connector.http.stats.throttled == 1


def test_persistent_429_raises_rate_limited(sim, connector):
    sim.throttle_next(5, retry_after=0.01)
    with pytest.raises(RateLimitedError) as info:
        list(connector.iter_orders())
    assert info.value.retry_after == pytest.approx(0.01)


def test_503_with_retry_after(sim, connector):
    sim.faults.fail_next(1, 503, {"Retry-After": "0"})
    assert connector.check_connection().ok and sim.call_count() == 2


def test_timeout_is_retried(sim, make_connector):
    connector = make_connector(timeout=(1.0, 0.3))
    sim.seed_catalog(1)
    sim.faults.timeout_next(1, 0.8)
    assert len(list(connector.iter_products())) == 1
    assert connector.http.stats.retries == 1


def test_connection_reset_is_retried(sim, connector):
    sim.seed_catalog(1)
    sim.faults.reset_next(2)
    assert len(list(connector.iter_products())) == 1
    assert connector.http.stats.retries == 2


def test_resets_beyond_attempts_raise_transient(sim, connector):
    sim.faults.reset_next(5)
    with pytest.raises(TransientError):
        list(connector.iter_customers())


# ---------------------------------------------------------------- reads and paging


def test_full_product_read_pages_by_100(sim, connector):
    sim.seed_catalog(250)
    products = list(connector.iter_products())
    assert len(products) == 250 and len({p.external_id for p in products}) == 250
    assert sim.call_count("/products") == 3


def test_variable_products_fetch_their_variations(sim, connector):
    sim.seed_catalog(2, variants_per_product=3, sku_prefix="V")
    products = list(connector.iter_products())
    assert [len(p.variants) for p in products] == [3, 3]
    assert products[0].variants[1].options == {"Size": "S1"} and products[0].has_variants
    assert sim.call_count("/variations") == 2


def test_ten_change_poll_uses_one_call_per_entity(sim, connector):
    sim.seed_catalog(1200)
    for i in range(20):
        sim.create_order([{"sku": f"SKU-{i:06d}", "quantity": 1}], customer_email=f"c{i}@x.test")
    sim.add_customer("someone@x.test")
    since = gmt_now(sim) + timedelta(seconds=1)
    sim.tick(5)
    for i in range(10):
        sim.set_inventory(f"SKU-{i * 7:06d}", 3)
        sim.update_order(100 + 1200 + i, status="completed")
    sim.reset_counts()
    products = list(connector.iter_products(since))
    orders = list(connector.iter_orders(since))
    customers = list(connector.iter_customers(since))
    assert len(products) == 10 and len(orders) == 10 and customers == []
    assert sim.call_count("/products") == 1 and sim.call_count("/orders") == 1 and sim.call_count("/customers") == 1
    times = [p.updated_at for p in products]
    assert times == sorted(times) and [o.updated_at for o in orders] == sorted(o.updated_at for o in orders)
    assert all(o.store_status == "completed" and o.status == OrderStatus.DELIVERED for o in orders)


def test_iter_orders_filters_status_and_limit(sim, connector):
    sim.seed_catalog(3)
    for i in range(5):
        sim.create_order([{"sku": "SKU-000001", "quantity": 1}], customer_email="a@x.test",
                         status="on-hold" if i % 2 else "processing")
    held = list(connector.iter_orders(statuses=["on-hold"]))
    assert len(held) == 2 and {o.status for o in held} == {OrderStatus.PENDING}
    newest = list(connector.iter_orders(limit=2))
    assert len(newest) == 2 and [o.external_id for o in newest] == sorted(o.external_id for o in newest)


def test_customers_poll_filters_client_side(sim, connector):
    sim.add_customer("old@x.test")
    since = gmt_now(sim) + timedelta(seconds=1)
    sim.tick(3)
    new_id = sim.add_customer("new@x.test", "New", "Person", billing={"city": "Lisbon", "country": "PT"})
    [customer] = list(connector.iter_customers(since))
    assert customer.external_id == str(new_id) and customer.addresses[0].city == "Lisbon"
    assert connector.get_customer(str(new_id)).email == "new@x.test"


def test_get_single_records(sim, connector):
    [pid] = sim.seed_catalog(1, variants_per_product=2)
    order = sim.create_order([{"sku": "SKU-000000-01", "quantity": 2}], customer_email="a@x.test")
    assert len(connector.get_product(str(pid)).variants) == 2
    fetched = connector.get_order(str(order["id"]))
    assert fetched.lines[0].sku == "SKU-000000-01" and fetched.lines[0].product_id == str(pid)
    assert fetched.computed_total() == fetched.total


# ---------------------------------------------------------------- stock


def test_stock_push_groups_simple_and_variation_rows(sim, connector):
    sim.seed_catalog(150)
    sim.seed_catalog(2, variants_per_product=3, sku_prefix="V")
    levels = [StockLevel(sku=f"SKU-{i:06d}", quantity=Decimal(i % 9)) for i in range(150)]
    levels += [StockLevel(sku=f"V-{p:06d}-{v:02d}", quantity=Decimal(40 + v)) for p in range(2) for v in range(3)]
    results = connector.set_stock(levels)
    assert [r.key for r in results] == [f"{lv.sku}@default" for lv in levels] and all(r.ok for r in results)
    assert sim.stock_of("SKU-000008") == 8 and sim.stock_of("V-000001-02") == 42
    assert sim.call_count("/products/batch") == 2  # 150 simple rows: 100 + 50
    assert sim.call_count("/variations/batch") == 2  # one per parent
    assert sim.call_count("/products") - sim.call_count("batch") == 2  # sku lookups: 156 skus, 100 per call
    variation = results[-1].data
    assert variation["variant_id"] != variation["product_id"]


def test_stock_push_scaled_call_budget(sim, connector):
    """1,000 rows (the benchmark runs 10,000): batches of 100 plus minimal sku resolution."""
    sim.seed_catalog(1000)
    list(connector.iter_products())  # warms the per-instance sku index, as an import does
    sim.reset_counts()
    results = connector.set_stock([StockLevel(sku=f"SKU-{i:06d}", quantity=Decimal(5)) for i in range(1000)])
    assert all(r.ok for r in results) and sim.call_count() <= 10 + 1
    cold = WooCommerceConnector(sim.store_config(max_attempts=2))
    sim.reset_counts()
    cold.set_stock([StockLevel(sku=f"SKU-{i:06d}", quantity=Decimal(6)) for i in range(1000)])
    assert sim.call_count() <= 20  # 10 lookups of 100 skus + 10 batches
    assert sim.stock_of("SKU-000999") == 6


def test_stock_rows_with_ids_need_no_lookup(sim, connector):
    [pid] = sim.seed_catalog(1, variants_per_product=2)
    variation_id = sim.product_store[pid]["variations"][1]
    [simple] = sim.seed_catalog(1, sku_prefix="S")
    results = connector.set_stock([
        StockLevel(sku=None, quantity=Decimal(11), variant_id=str(variation_id), product_id=str(pid)),
        StockLevel(sku=None, quantity=Decimal(12), variant_id=str(simple), product_id=str(simple)),
    ])
    assert all(r.ok for r in results) and sim.call_count() == 2
    assert sim.stock_of("SKU-000000-01") == 11 and sim.stock_of("S-000000") == 12


def test_stock_per_row_errors_from_batch_slots(sim, connector):
    [simple] = sim.seed_catalog(1)
    results = connector.set_stock([
        StockLevel(sku=None, quantity=Decimal(1), variant_id=str(simple), product_id=str(simple)),
        StockLevel(sku=None, quantity=Decimal(1), variant_id="99999", product_id="99999"),
        StockLevel(sku="UNKNOWN", quantity=Decimal(1)),
    ])
    assert [r.ok for r in results] == [True, False, False]
    assert "woocommerce_rest_product_invalid_id" in results[1].error and not results[1].retryable
    assert "UNKNOWN" in results[2].error


def test_batch_over_100_is_refused_by_the_store(sim, connector):
    with pytest.raises(ValidationError, match="413"):
        connector._call("POST", "/products/batch", json_body={"update": [{"id": i} for i in range(101)]})
    with pytest.raises(ValueError):
        connector._batch("/products/batch", update=[{"id": i} for i in range(101)])


def test_read_stock(sim, connector):
    sim.seed_catalog(3)
    sim.set_inventory("SKU-000001", 17)
    [level] = connector.read_stock([StockLevel(sku="SKU-000001", quantity=Decimal(0))])
    assert level.quantity == Decimal(17) and level.variant_id == level.product_id
    pid = sim.sku_index["SKU-000002"]
    [by_id] = connector.read_stock([StockLevel(sku=None, quantity=Decimal(0), variant_id=str(pid), product_id=str(pid))])
    assert by_id.quantity == Decimal(10)


def test_list_locations_is_one_number(connector):
    [location] = connector.list_locations()
    assert location.is_default


# ---------------------------------------------------------------- product writes


def test_upsert_products_creates_parents_then_variations(sim, connector):
    products = [
        Product(external_id=None, title="Mug", variants=[Variant(None, "MUG", price=Decimal("8"))]),
        Product(external_id=None, title="Tee", option_names=["Size"], variants=[
            Variant(None, "TEE-S", price=Decimal("15"), options={"Size": "S"}),
            Variant(None, "TEE-M", price=Decimal("15"), options={"Size": "M"})]),
    ]
    results = connector.upsert_products(products)
    assert all(r.ok for r in results) and [r.key for r in results] == ["MUG", "TEE-S"]
    mug, tee = (sim.product_store[int(r.external_id)] for r in results)
    assert mug["type"] == "simple" and tee["type"] == "variable" and len(tee["variations"]) == 2
    assert results[0].data["variants"] == [{"sku": "MUG", "variant_id": results[0].external_id, "inventory_item_id": None}]
    assert {v["sku"] for v in results[1].data["variants"]} == {"TEE-S", "TEE-M"}
    assert sim.requests.index(("POST", "/wp-json/wc/v3/products/batch")) < sim.requests.index(
        ("POST", f"/wp-json/wc/v3/products/{tee['id']}/variations/batch"))
    # then an update of the same product, and the sku index is warm for stock
    products[0].external_id = results[0].external_id
    products[0].variants[0].price = Decimal("9.99")
    [updated] = connector.upsert_products(products[:1])
    assert updated.ok and sim.product_store[int(updated.external_id)]["regular_price"] == "9.99"
    sim.reset_counts()
    assert connector.set_stock([StockLevel(sku="TEE-M", quantity=Decimal(4))])[0].ok
    assert sim.call_count() == 1 and sim.stock_of("TEE-M") == 4


def test_upsert_products_reports_slot_errors(sim, connector):
    sim.add_product("Taken", sku="DUP")
    results = connector.upsert_products([
        Product(external_id="4242", title="Steals a sku", variants=[Variant("4242", "DUP")]),
        Product(external_id="424242", title="Ghost", variants=[Variant(None, "GHOST")]),
        Product(external_id=None, title="Fine", variants=[Variant(None, "FINE")]),
    ])
    assert [r.ok for r in results] == [False, False, True]
    assert "invalid_id" in results[1].error


def test_create_of_a_sku_the_store_has_updates_that_product(sim, connector):
    """Look first: a create whose sku exists (e.g. made by an attempt whose answer was lost) makes no copy."""
    taken = sim.add_product("Taken", sku="DUP", price="5.00")
    [result] = connector.upsert_products([Product(external_id=None, title="Again", variants=[Variant(None, "DUP", price=Decimal("7"))])])
    assert result.ok and result.external_id == str(taken)
    assert len(sim.products) == 1 and sim.products[taken]["name"] == "Again"


# ---------------------------------------------------------------- orders


def _order(sim, **kw):
    if not sim.sku_index:
        sim.seed_catalog(3)
    return sim.create_order([{"sku": "SKU-000001", "quantity": 2}], customer_email="buyer@x.test", **kw)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_update_order_status_every_erp_state(sim, connector, status):
    order = _order(sim)
    [result] = connector.update_order_status([OrderStatusUpdate(str(order["id"]), status, note="from ERP")])
    assert result.ok
    assert sim.order_status(order["id"]) == connector.status_map.to_store(status)
    assert sim.fulfilments_of(order["id"])[0]["note"] == "from ERP"


def test_update_order_status_unknown_order_is_a_row_error(sim, connector):
    order = _order(sim)
    results = connector.update_order_status([OrderStatusUpdate("999999", OrderStatus.DELIVERED),
                                             OrderStatusUpdate(str(order["id"]), OrderStatus.DELIVERED)])
    assert [r.ok for r in results] == [False, True] and "invalid_id" in results[0].error


def test_fulfilment_is_a_customer_note_with_tracking(sim, connector):
    order = _order(sim)
    [result] = connector.create_fulfilments([Fulfilment(order_id=str(order["id"]), tracking_number="1Z999",
                                                        tracking_company="UPS", tracking_url="https://ups.example/1Z999")])
    [note] = sim.fulfilments_of(order["id"])
    assert result.ok and result.external_id == str(note["id"])
    assert note["customer_note"] is True and "1Z999" in note["note"] and "UPS" in note["note"]
    assert sim.order_status(order["id"]) == "processing"


def test_cancel_orders_with_reason(sim, connector):
    order = _order(sim)
    [result] = connector.cancel_orders([str(order["id"])], reason="out of stock")
    assert result.ok and sim.order_status(order["id"]) == "cancelled"
    assert "out of stock" in sim.fulfilments_of(order["id"])[0]["note"]


def test_refund_recorded_without_moving_money(sim, connector):
    order = _order(sim)
    line_id = order["line_items"][0]["id"]
    [result] = connector.record_refunds([Refund(external_id=None, order_id=str(order["id"]), amount=Decimal("5"),
                                                reason="scratched", lines=[("SKU-000001", Decimal(1))])])
    [refund] = sim.refunds_of(order["id"])
    assert result.ok and refund["api_refund"] is False and refund["refunded_payment"] is False
    # wc_create_refund's copy of the item: negative quantity, the refunded item's id in _refunded_item_id
    assert [(li["quantity"], li["total"], [m["value"] for m in li["meta_data"] if m["key"] == "_refunded_item_id"])
            for li in refund["line_items"]] == [(-1, "0.00", [str(line_id)])]  # fmt: skip
    assert connector.get_order(str(order["id"])).refunds[0].amount == Decimal("5.00")


def test_refund_moves_money_only_when_the_store_opts_in(sim, make_connector):
    order = _order(sim)
    connector = make_connector(api_refund=True)
    assert connector.record_refunds([Refund(None, str(order["id"]), Decimal("1"))])[0].ok
    assert sim.refunds_of(order["id"])[0]["api_refund"] is True


def test_refund_error_is_a_row_error(sim, connector):
    order = _order(sim)
    [result] = connector.record_refunds([Refund(None, str(order["id"]), Decimal("100000"))])
    assert not result.ok and "refund" in result.error


def test_create_orders_from_the_erp(sim, connector):
    sim.seed_catalog(2)
    erp = Order(external_id="SO-0007", number=None, currency="USD", created_at=None, updated_at=None,
                lines=[OrderLine(None, "SKU-000001", "Thing", Decimal(3), Decimal("10.00"))],
                customer=Customer(external_id=None, email="erp@x.test"), email="erp@x.test",
                status=OrderStatus.CONFIRMED)
    bad = Order(external_id="SO-0008", number=None, currency="USD", created_at=None, updated_at=None,
                lines=[OrderLine(None, "NOPE", "Nope", Decimal(1), Decimal("1"))])
    ok, failed = connector.create_orders([erp, bad])
    assert ok.ok and ok.key == "SO-0007" and not failed.ok and failed.key == "SO-0008"
    created = sim.orders[int(ok.external_id)]
    assert created["status"] == "processing" and created["billing"]["email"] == "erp@x.test"
    assert created["meta_data"] == [{"key": "_erp_order_id", "value": "SO-0007"}]
    assert created["line_items"][0]["total"] == "30.00" and created["total"] == "36.00"  # 20 % tax added by the store


# ---------------------------------------------------------------- customers


def test_upsert_customers_create_update_and_existing_email(sim, connector):
    existing = sim.add_customer("known@x.test", "Known", "Person")
    results = connector.upsert_customers([
        Customer(external_id=None, email="fresh@x.test", first_name="Fresh"),
        Customer(external_id=str(existing), email="known@x.test", first_name="Renamed"),
        Customer(external_id=None, email="known@x.test", last_name="Again"),
        Customer(external_id=None, email="not-an-email"),
    ])
    assert [r.ok for r in results] == [True, True, True, False]
    assert [r.key for r in results][:3] == ["fresh@x.test", "known@x.test", "known@x.test"]
    assert sim.customers[existing]["first_name"] == "Renamed" and sim.customers[existing]["last_name"] == "Again"
    assert results[2].external_id == str(existing)
    # the answer's store time is the customer's modified time as read back (the engine's stale point for its events)
    assert results[2].store_updated_at is not None
    assert connector.get_customer(str(existing)).updated_at == results[2].store_updated_at
