"""The Wix client against the simulator over real sockets, for a V3-catalog site and a V1-catalog site."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.registry import make_connector
from wix_commerce_sync.connectors.wix.connector import REFUND_NOT_SUPPORTED, WixConnector
from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.errors import ConfigurationError, NotFoundError
from wix_commerce_sync.sync.models import (
    Customer,
    Fulfilment,
    OrderStatus,
    OrderStatusUpdate,
    Product,
    Refund,
    StockLevel,
    Variant,
)


def is_v3(sim: WixSimulator) -> bool:
    return sim.catalog_version == "V3_CATALOG"


# ------------------------------------------------------------ connection and version


def test_registry_builds_the_wix_connector(sim: WixSimulator) -> None:
    assert isinstance(make_connector(sim.store_config()), WixConnector)


def test_connection_detects_and_caches_catalog_version(sim: WixSimulator, connect) -> None:
    connector = connect(sim)
    info = connector.check_connection()
    assert info.ok and info.detail["catalog_version"] == sim.catalog_version and info.currency == "USD"
    list(connector.iter_products())
    list(connector.iter_products())
    assert sim.call_count("/provision/version") == 1


def test_catalog_version_option_skips_detection(sim: WixSimulator, connect) -> None:
    connector = connect(sim, catalog_version=sim.catalog_version)
    list(connector.iter_products())
    assert sim.call_count("/provision/version") == 0


def test_bad_credentials(sim: WixSimulator, connect) -> None:
    config = sim.store_config(max_attempts=1)
    config.credentials = {"api_key": "wrong"}
    info = WixConnector(config).check_connection()
    assert not info.ok and info.detail["kind"] == "AuthError"
    config.credentials = {}
    with pytest.raises(ConfigurationError):
        WixConnector(config)
    config.credentials, config.site_id = {"api_key": "k"}, None  # API keys need the site id
    with pytest.raises(ConfigurationError):
        WixConnector(config)


def test_plain_http_is_refused_outside_the_sandbox(sim: WixSimulator) -> None:
    config = sim.store_config()
    config.allow_insecure_http = False
    with pytest.raises(ConfigurationError):
        WixConnector(config)


# ------------------------------------------------------------ products


def test_paging_returns_every_product_with_variants(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(250, variants_per_product=2)
    connector = connect(sim, catalog_version=sim.catalog_version)
    products = list(connector.iter_products())
    assert len(products) == 250
    assert sorted(v.sku for p in products for v in p.variants) == sorted(skus)
    assert all(len(p.variants) == 2 and p.option_names == ["Size"] for p in products)
    stamps = [p.updated_at for p in products]
    assert stamps == sorted(stamps)
    # V3: 3 product pages + one variants query per page; V1: 3 pages (variants included). A read the loaded
    # machine answered after the test's 0.5 s timeout is retried: count what the client asked for, not its retries.
    assert sim.call_count() - connector.http.stats.retries == (6 if is_v3(sim) else 3)


def test_incremental_products(sim: WixSimulator, connect) -> None:
    sim.seed_catalog(120)
    connector = connect(sim)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    changed = list(sim.products)[5:8]
    for pid in changed:
        sim.touch_product(pid, name="Changed")
    found = list(connector.iter_products(since))
    assert [p.external_id for p in found] == changed and {p.title for p in found} == {"Changed"}


def test_upsert_create_then_update(sim: WixSimulator, connect) -> None:
    connector = connect(sim)
    product = Product(external_id=None, title="Mug", option_names=["Color"], description="Big mug",
                      variants=[Variant(None, "MUG-R", Decimal("8.50"), options={"Color": "Red"}),
                                Variant(None, "MUG-B", Decimal("9.00"), options={"Color": "Blue"})])
    [created] = connector.upsert_products([product])
    assert created.ok and created.key == "MUG-R"
    assert [v["sku"] for v in created.data["variants"]] == ["MUG-R", "MUG-B"]
    stored = connector.get_product(created.external_id)
    assert [(v.sku, v.price) for v in stored.variants] == [("MUG-R", Decimal("8.50")), ("MUG-B", Decimal("9.00"))]
    stored.title = "Mug XL"
    stored.variants[1].price = Decimal("9.75")
    [updated] = connector.upsert_products([stored])
    assert updated.ok
    again = connector.get_product(created.external_id)
    assert again.title == "Mug XL" and again.variants[1].price == Decimal("9.75")
    assert [v.external_id for v in again.variants] == [v.external_id for v in stored.variants]  # ids kept


def test_a_product_write_answers_with_the_stores_updated_time_of_that_version(sim: WixSimulator, connect) -> None:
    """The engine takes the answer's time as the time from which an older event of the product (a late echo of an
    earlier push) is stale: it must be the time the store gives that version when read back."""
    connector = connect(sim)
    [created] = connector.upsert_products([Product(None, "Cap", variants=[Variant(None, "CAP", Decimal("5"))])])
    product = connector.get_product(created.external_id)
    product.title = "Cap v2"
    [updated] = connector.upsert_products([product])
    assert created.store_updated_at is not None and updated.store_updated_at > created.store_updated_at
    assert connector.get_product(created.external_id).updated_at == updated.store_updated_at


def test_v3_stale_revision_is_reread_and_retried(sim_v3: WixSimulator, connect) -> None:
    connector = connect(sim_v3)
    [created] = connector.upsert_products([Product(None, "Cap", variants=[Variant(None, "CAP", Decimal("5"))])])
    product = connector.get_product(created.external_id)
    sim_v3.touch_product(product.external_id, name="Changed in dashboard")  # revision moves on
    product.title = "Cap v2"
    [result] = connector.upsert_products([product])
    assert result.ok, result.error
    assert sim_v3.products[product.external_id]["name"] == "Cap v2"
    sim_v3.conflict_next = 2  # conflicts on the write and on its retry: reported, retryable
    [failed] = connector.upsert_products([connector.get_product(product.external_id)])
    assert not failed.ok and failed.retryable and "REVISION_MISMATCH" in failed.error


def test_v3_bulk_batches_and_per_item_errors(sim_v3: WixSimulator, connect) -> None:
    sim_v3.seed_catalog(150)
    connector = connect(sim_v3)
    products = list(connector.iter_products())
    sim_v3.bulk_item_errors[products[3].external_id] = "PRODUCT_LOCKED"
    for p in products:
        p.title += " (sale)"
    sim_v3.reset_counts()
    results = connector.upsert_products(products)
    assert sim_v3.call_count("/bulk/products/update") == 2  # 150 products -> 100 + 50
    assert [r.ok for r in results].count(False) == 1 and not results[3].ok and "PRODUCT_LOCKED" in results[3].error
    assert results[4].ok and results[4].key == products[4].variants[0].sku


# ------------------------------------------------------------ stock


def test_set_stock_by_sku_with_per_row_errors(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(130, 2)
    connector = connect(sim)
    levels = [StockLevel(sku=s, quantity=Decimal(i % 7)) for i, s in enumerate(skus[:250])]
    levels.append(StockLevel(sku="NOPE", quantity=Decimal(1)))
    levels.append(StockLevel(sku=skus[0], quantity=Decimal("1.5")))
    results = connector.set_stock(levels)
    assert len(results) == len(levels)
    assert all(r.ok for r in results[:250])
    assert not results[250].ok and "NOPE" in results[250].error
    assert not results[251].ok and "whole number" in results[251].error
    assert [sim.stock_of(s) for s in skus[:250]] == [i % 7 for i in range(250)]
    assert results[0].key == f"{skus[0]}@default"
    read = connector.read_stock([StockLevel(sku=skus[3], quantity=Decimal(0))])
    assert [r.quantity for r in read] == [3]


def test_v3_stock_batches_use_cached_revisions(sim_v3: WixSimulator, connect) -> None:
    skus = sim_v3.seed_catalog(250)
    connector = connect(sim_v3, catalog_version="V3_CATALOG")
    connector.set_stock([StockLevel(sku=s, quantity=Decimal(1)) for s in skus])
    assert sim_v3.call_count("/bulk/inventory-items/update") == 1  # up to 1,000 items a call (INV3)
    assert sim_v3.call_count("/inventory-items/query") == 3
    sim_v3.reset_counts()
    sim_v3.set_inventory(skus[10], 99)  # a sale in the shop moves that item's revision
    results = connector.set_stock([StockLevel(sku=s, quantity=Decimal(2)) for s in skus])
    assert all(r.ok for r in results)
    assert sim_v3.stock_of(skus[10]) == 2
    # 1 bulk update + 1 re-read and 1 retry for the stale item, no other lookups
    assert sim_v3.call_count("/bulk/inventory-items/update") == 2
    assert sim_v3.call_count("/inventory-items/query") == 1


def test_v3_stock_per_location(sim_v3: WixSimulator, connect) -> None:
    [sku] = sim_v3.seed_catalog(1)
    warehouse = sim_v3.add_location("Back room")
    sim_v3.set_inventory(sku, 3, location=warehouse)
    connector = connect(sim_v3)
    results = connector.set_stock([StockLevel(sku=sku, quantity=Decimal(7), location_id=warehouse),
                                   StockLevel(sku=sku, quantity=Decimal(4))])
    assert all(r.ok for r in results)
    assert sim_v3.stock_of(sku, warehouse) == 7 and sim_v3.stock_of(sku) == 4
    assert {loc.name for loc in connector.list_locations()} == {"Main", "Back room"}


def test_v3_bulk_stock_item_error(sim_v3: WixSimulator, connect) -> None:
    skus = sim_v3.seed_catalog(5)
    connector = connect(sim_v3)
    [item_id] = [i["id"] for i in sim_v3.inventory.values() if i["product"]["variantSku"] == skus[2]]
    sim_v3.bulk_item_errors[item_id] = "INVENTORY_ITEM_LOCKED"
    results = connector.set_stock([StockLevel(sku=s, quantity=Decimal(3)) for s in skus])
    assert [r.ok for r in results] == [True, True, False, True, True]
    assert "INVENTORY_ITEM_LOCKED" in results[2].error


# ------------------------------------------------------------ orders


def test_orders_search_ascending_skips_initialized(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(3)
    made = [sim.create_order([{"sku": skus[i % 3], "quantity": 1}], f"b{i}@example.com") for i in range(5)]
    sim.create_order([{"sku": skus[0], "quantity": 1}], "draft@example.com", status="INITIALIZED")
    sim.update_order(made[0]["id"], buyerNote="changed")  # now the most recently updated
    connector = connect(sim)
    orders = list(connector.iter_orders())
    assert [o.external_id for o in orders] == [o["id"] for o in made[1:]] + [made[0]["id"]]
    assert all(o.total == o.computed_total() for o in orders)
    assert len(list(connector.iter_orders(limit=2))) == 2
    since = orders[2].updated_at
    assert [o.external_id for o in connector.iter_orders(since)] == [o.external_id for o in orders[3:]]
    sim.cancel_order(made[1]["id"])
    assert [o.external_id for o in connector.iter_orders(statuses=["CANCELED"])] == [made[1]["id"]]
    assert connector.get_order(made[2]["id"]).email == "b2@example.com"
    with pytest.raises(NotFoundError):
        connector.get_order("missing")


def test_fulfilments_single_and_bulk_with_tracking(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(2)
    a = sim.create_order([{"sku": skus[0], "quantity": 2}, {"sku": skus[1], "quantity": 1}], "a@example.com")
    b = sim.create_order([{"sku": skus[1], "quantity": 1}], "b@example.com")
    c = sim.create_order([{"sku": skus[0], "quantity": 1}], "c@example.com")
    sim.cancel_order(c["id"])
    connector = connect(sim)
    [partial] = connector.create_fulfilments([Fulfilment(order_id=a["id"], lines=[(skus[0], Decimal(1))],
                                                         tracking_number="1Z1", tracking_company="UPS")])
    assert partial.ok and sim.order_status(a["id"]) == "PARTIALLY_FULFILLED"
    assert sim.fulfilments_of(a["id"])[0]["trackingInfo"] == {"trackingNumber": "1Z1", "shippingProvider": "UPS"}
    sim.reset_counts()
    results = connector.create_fulfilments([Fulfilment(order_id=a["id"]), Fulfilment(order_id=b["id"]),
                                            Fulfilment(order_id=c["id"]), Fulfilment(order_id="nope")])
    assert [r.ok for r in results] == [True, True, False, False]
    assert "APPROVED" in results[2].error and "not found" in results[3].error
    assert sim.call_count("/bulk/create-fulfillments") == 1
    assert sim.order_status(a["id"]) == "FULFILLED" and sim.order_status(b["id"]) == "FULFILLED"
    assert sim.fulfilments_of(a["id"])[1]["lineItems"] == [{"id": a["lineItems"][0]["id"], "quantity": 1},
                                                           {"id": a["lineItems"][1]["id"], "quantity": 1}]


def test_status_updates_cancel_and_refunds(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1)
    orders = [sim.create_order([{"sku": skus[0], "quantity": 1}], f"s{i}@example.com") for i in range(4)]
    connector = connect(sim)
    results = connector.update_order_status([
        OrderStatusUpdate(orders[0]["id"], OrderStatus.CANCELLED),
        OrderStatusUpdate(orders[1]["id"], OrderStatus.DELIVERED),
        OrderStatusUpdate(orders[2]["id"], OrderStatus.PROCESSING),
        OrderStatusUpdate(orders[3]["id"], OrderStatus.RETURNED),
        OrderStatusUpdate(orders[3]["id"], OrderStatus.SHIPPED),
    ])
    assert [r.ok for r in results] == [True, True, True, False, False]
    assert sim.order_status(orders[0]["id"]) == "CANCELED" and sim.order_status(orders[1]["id"]) == "FULFILLED"
    assert "Credit Note" in results[3].error and "no Wix status" in results[4].error
    [repeat] = connector.update_order_status([OrderStatusUpdate(orders[1]["id"], OrderStatus.DELIVERED)])
    assert repeat.ok and repeat.data == {"already_fulfilled": True}  # idempotent
    again = connector.cancel_orders([orders[0]["id"], "missing"])
    assert again[0].ok and again[0].data == {"already_cancelled": True} and not again[1].ok
    [refund] = connector.record_refunds([Refund("r1", orders[2]["id"], Decimal("5"))])  # trigger-refund (issue 17)
    assert refund.ok and refund.key == "r1" and refund.data == {"api_refund": False}
    assert results[3].error == REFUND_NOT_SUPPORTED


# ------------------------------------------------------------ customers


def test_customers_create_update_and_incremental(sim: WixSimulator, connect) -> None:
    existing = sim.add_customer("old@example.com", "Old", "Name")
    connector = connect(sim)
    results = connector.upsert_customers([
        Customer(None, "new@example.com", "New", "Person", phone="+100"),
        Customer(None, "old@example.com", "Old", "Renamed"),  # matched by email, not duplicated
    ])
    assert [r.ok for r in results] == [True, True]
    assert results[1].external_id == existing["id"] and len(sim.contacts) == 2
    assert sim.contacts[existing["id"]]["info"]["name"]["last"] == "Renamed"
    customer = connector.get_customer(existing["id"])
    sim.contacts[existing["id"]]["revision"] += 5  # changed elsewhere: our revision is stale
    customer.first_name = "Fresh"
    [result] = connector.upsert_customers([customer])
    assert result.ok and sim.contacts[existing["id"]]["info"]["name"]["first"] == "Fresh"
    # the answer's store time is the contact's updated time as read back (the engine's stale point for its events)
    assert result.store_updated_at is not None
    assert connector.get_customer(existing["id"]).updated_at == result.store_updated_at
    since = datetime.now(timezone.utc) - timedelta(seconds=30)
    emails = [c.email for c in connector.iter_customers(since)]
    assert sorted(emails) == ["new@example.com", "old@example.com"]


def test_v1_inventory_error_only_fails_that_products_rows() -> None:
    sim = WixSimulator("V1_CATALOG", rate_limit_per_minute=None)
    sim.start()
    try:
        skus = sim.seed_catalog(3, variants_per_product=2)
        locked_product, _ = sim.variant_of(skus[2])
        sim.bulk_item_errors[locked_product] = "INVENTORY_LOCKED"
        connector = WixConnector(sim.store_config(max_attempts=1, rate_limit_per_minute=100000, rate_burst=1000))
        results = connector.set_stock([StockLevel(sku=s, quantity=Decimal(4)) for s in skus])
        assert [r.ok for r in results] == [True, True, False, False, True, True]
        assert "INVENTORY_LOCKED" in results[2].error
        assert sim.call_count("/stores/v2/inventoryItems/product/") == 3  # one PATCH per product
    finally:
        sim.stop()


def test_checkout_deducts_stock_like_wix(sim: WixSimulator) -> None:
    [sku] = sim.seed_catalog(1, quantity=5)
    sim.create_order([{"sku": sku, "quantity": 2}], "buyer@example.com")
    assert sim.stock_of(sku) == 3
    sim.create_order([{"sku": sku, "quantity": 9}], "buyer@example.com")
    assert sim.stock_of(sku) == 0


def test_subscription_endpoint_defaults_only_for_the_loopback_sandbox(sim: WixSimulator) -> None:
    config = sim.store_config()
    del config.options["webhook_admin_path"]
    assert WixConnector(config)._admin_path == "/_sim/webhooks"  # plain http: only ever the sandbox
    config.base_url, config.allow_insecure_http = "https://www.wixapis.com", False
    assert WixConnector(config)._admin_path is None  # real Wix: subscriptions live in the app dashboard
