"""Reads (incremental polls, paging, bulk import) and order/product/customer writes against the simulator."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.shopify import mapping as m
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.errors import NotFoundError
from wix_commerce_sync.sync.models import (
    Address,
    Customer,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusUpdate,
    Product,
    Refund,
    Variant,
)


def _since() -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=2)


def test_incremental_poll_uses_at_most_two_calls_per_entity(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(3000)
    sim.add_product("Extra", [{"sku": "EXTRA"}])
    since = _since()
    for pid in list(sim.products)[:9]:
        sim.touch_product(pid, title="changed")
    for i in range(10):
        sim.create_order([{"sku": f"SKU-{i:06d}", "quantity": 1}], tax_rate="0.1", shipping="5")
    sim.reset_counts()
    products = list(conn.iter_products(since))
    product_calls = sim.call_count("graphql.json")
    orders = list(conn.iter_orders(since))
    order_calls = sim.call_count("graphql.json") - product_calls
    assert len(products) == 10 and len(orders) == 10
    assert product_calls <= 2 and order_calls <= 2
    updated = [p.updated_at for p in products]
    assert updated == sorted(updated)  # ascending by updated time
    assert all(o.computed_total() == o.total for o in orders)


def test_paging_walks_every_page_in_order(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(40)
    for i in range(7):
        sim.add_customer(f"c{i}@example.com")
    products = list(conn.iter_products())
    assert len(products) == 40 and len({p.external_id for p in products}) == 40
    assert sim.operations.count("products") == 3  # 15 per page
    assert [c.email for c in conn.iter_customers()] == [f"c{i}@example.com" for i in range(7)]


def test_products_with_many_variants_are_completed(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2, variants_per_product=45)
    products = list(conn.iter_products())
    assert [len(p.variants) for p in products] == [45, 45]
    assert products[0].option_names == ["Size"] and products[0].variants[44].options == {"Size": "Size 45"}


def test_orders_with_many_lines_are_completed(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(25)
    order = sim.create_order([{"sku": f"SKU-{i:06d}", "quantity": 1} for i in range(25)], tax_rate="0.2", discount="7.77")
    fetched = conn.get_order(str(order["id"]))
    assert len(fetched.lines) == 25 and fetched.computed_total() == fetched.total


def test_graphql_read_agrees_with_webhook_body(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(3)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2}, {"sku": "SKU-000001", "quantity": 1}],
                              tax_rate="0.2", shipping="4.5", discount="5", taxes_included=True)
    via_graphql = conn.get_order(str(placed["id"]))
    via_webhook = m.order_from_rest(sim.emitted[-1][1] if sim.emitted[-1][0] == "orders/create"
                                    else next(b for t, b in reversed(sim.emitted) if t == "orders/create"))
    for field in ("external_id", "total", "currency", "taxes_included", "store_status", "email", "number"):
        assert getattr(via_graphql, field) == getattr(via_webhook, field), field
    assert [(li.external_id, li.unit_price, li.discount, li.tax_total) for li in via_graphql.lines] == \
           [(li.external_id, li.unit_price, li.discount, li.tax_total) for li in via_webhook.lines]
    assert via_graphql.computed_total() == via_webhook.computed_total() == via_graphql.total
    assert via_graphql.customer.external_id == via_webhook.customer.external_id


def test_get_missing_records_raise_not_found(conn: ShopifyConnector) -> None:
    with pytest.raises(NotFoundError):
        conn.get_order("123")
    with pytest.raises(NotFoundError):
        conn.get_product("123")
    with pytest.raises(NotFoundError):
        conn.get_customer("123")


def test_bulk_import_streams_products_with_variants(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(60, variants_per_product=3)
    products = list(conn.import_products())
    assert len(products) == 60 and all(len(p.variants) == 3 for p in products)
    assert products[5].variants[2].sku == "SKU-000005-3"
    assert products[5].variants[2].inventory_item_id is not None
    assert "bulkOperationRunQuery" in sim.operations and "bulkOperation" in sim.operations


def test_locations_all_pages(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    for i in range(3):
        sim.add_location(f"Extra {i}", active=i != 1)
    locations = conn.list_locations()
    assert len(locations) == 4 and sum(loc.is_default for loc in locations) == 1
    assert [loc.active for loc in locations] == [True, True, False, True]


# ---------------------------------------------------------------- product writes


def test_upsert_products_create_then_update_with_full_variant_list(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    tee = Product(external_id=None, title="Tee", option_names=["Size"], variants=[
        Variant(external_id=None, sku="TEE-S", price=Decimal("10"), options={"Size": "S"}),
        Variant(external_id=None, sku="TEE-M", price=Decimal("11"), options={"Size": "M"})])
    cap = Product(external_id=None, title="Cap", variants=[Variant(external_id=None, sku="CAP", price=Decimal("5"))])
    broken = Product(external_id=None, title="Bad", option_names=["Size"], variants=[
        Variant(external_id=None, sku="B1", options={"Size": "S"}), Variant(external_id=None, sku="B2", options={"Size": "S"})])
    results = conn.upsert_products([tee, cap, broken])
    assert [r.ok for r in results] == [True, True, False]
    # creates look first for products already holding their SKUs (a lost earlier attempt): one SKU look-up,
    # then one aliased request for the three productSet fields
    assert sim.operations == ["productVariants", "productSet", "productSet", "productSet"]
    assert sim.call_count("graphql.json") == 2
    assert "Duplicate" in results[2].error
    created = {v["sku"]: v for v in results[0].data["variants"]}
    assert set(created) == {"TEE-S", "TEE-M"} and all(v["inventory_item_id"] for v in created.values())
    # update: the full list keeps both variants and changes a price
    tee.external_id = results[0].external_id
    for v in tee.variants:
        v.external_id = created[v.sku]["variant_id"]
    tee.variants[1].price = Decimal("12")
    assert conn.upsert_products([tee])[0].ok
    product = sim.products[int(tee.external_id)]
    assert [(v["sku"], v["price"]) for v in product["variants"]] == [("TEE-S", "10"), ("TEE-M", "12")]
    # the simulator enforces productSet's replace semantics: an omitted variant is deleted
    tee.variants = tee.variants[:1]
    tee.option_names = ["Size"]
    assert conn.upsert_products([tee])[0].ok
    assert [v["sku"] for v in sim.products[int(tee.external_id)]["variants"]] == ["TEE-S"]
    assert sim.stock_of("TEE-M") is None


def test_update_prices_keeps_other_variants(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1, variants_per_product=3)
    product = next(iter(conn.iter_products()))
    product.variants = [product.variants[0]]
    product.variants[0].price = Decimal("99.00")
    assert conn.update_prices([product])[0].ok
    variants = sim.products[int(product.external_id)]["variants"]
    assert len(variants) == 3 and variants[0]["price"] == "99.00"


# ---------------------------------------------------------------- order writes


def test_fulfilment_with_tracking_partial_then_rest(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 3}, {"sku": "SKU-000001", "quantity": 1}])
    oid = str(order["id"])
    first = conn.create_fulfilments([Fulfilment(order_id=oid, lines=[("SKU-000000", Decimal(2))], tracking_number="1Z999",
                                                tracking_company="UPS", tracking_url="https://ups.example/1Z999")])[0]
    assert first.ok, first.error
    assert sim.order_status(oid) == "partially_fulfilled"
    shipped = sim.fulfilments_of(oid)[0]
    assert shipped["tracking_number"] == "1Z999" and shipped["line_items"][0]["quantity"] == 2
    too_many = conn.create_fulfilments([Fulfilment(order_id=oid, lines=[("SKU-000000", Decimal(5))])])[0]
    assert not too_many.ok and "left to fulfil" in too_many.error
    rest = conn.create_fulfilments([Fulfilment(order_id=oid)])[0]
    assert rest.ok and sim.order_status(oid) == "fulfilled"
    again = conn.create_fulfilments([Fulfilment(order_id=oid)])[0]
    assert again.ok and again.data == {"already_fulfilled": True}
    assert conn.get_order(oid).store_status == "fulfilled"


def test_cancel_orders_and_status_updates(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    first = str(sim.create_order([{"sku": "SKU-000000", "quantity": 2}])["id"])
    second = str(sim.create_order([{"sku": "SKU-000001", "quantity": 1}])["id"])
    assert sim.stock_of("SKU-000000") == 8
    results = conn.cancel_orders([first, "4040404"], reason="customer")
    assert [r.ok for r in results] == [True, False]
    assert sim.order_status(first) == "cancelled" and sim.stock_of("SKU-000000") == 10  # restocked
    assert conn.cancel_orders([first])[0].data == {"already_cancelled": True}
    updates = [OrderStatusUpdate(second, OrderStatus.SHIPPED), OrderStatusUpdate(second, OrderStatus.PROCESSING),
               OrderStatusUpdate(second, OrderStatus.RETURNED)]
    results = conn.update_order_status(updates)
    assert [r.ok for r in results] == [False, True, False]  # SHIPPED has no outbound Shopify word by default
    assert conn.update_order_status([OrderStatusUpdate(second, OrderStatus.DELIVERED)])[0].ok
    assert sim.order_status(second) == "fulfilled"
    assert conn.update_order_status([OrderStatusUpdate(second, OrderStatus.CANCELLED)])[0].ok
    assert sim.order_status(second) == "cancelled"


def test_refund_recorded_once_with_idempotency(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    conn.config.options["api_refund"] = True  # the store refunds money on the store (refund_money_on_store)
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}])
    refund = Refund(external_id="CN-0001", order_id=str(order["id"]), amount=Decimal("10.00"),
                    lines=[("SKU-000000", Decimal(1))], restock=True, reason="damaged")
    first = conn.record_refunds([refund])[0]
    second = conn.record_refunds([refund])[0]
    assert first.ok and second.ok and first.external_id == second.external_id
    assert len(sim.orders[order["id"]]["refunds"]) == 1
    assert sim.orders[order["id"]]["financial_status"] == "partially_refunded"
    assert sim.stock_of("SKU-000000") == 9  # one returned to stock
    bad = conn.record_refunds([Refund(external_id="CN-2", order_id=str(order["id"]), amount=Decimal(0), lines=[("NOPE", Decimal(1))])])[0]
    assert not bad.ok


def test_create_orders_from_erp_once(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    assert conn.capabilities.order_creation
    sim.seed_catalog(1)
    variant_id = str(next(iter(sim.variants)))
    erp_order = Order(external_id="SO-0001", number="SO-0001", currency="USD", created_at=None, updated_at=None,
                      email="erp@example.com", lines=[OrderLine(external_id=None, sku="SKU-000000", title="Thing",
                                                                quantity=Decimal(2), unit_price=Decimal("19.99"),
                                                                variant_id=variant_id)],
                      shipping_address=Address(line1="1 Road", city="Paris", postcode="75001", country_code="FR"))
    first = conn.create_orders([erp_order])[0]
    assert first.ok and first.external_id
    created = sim.orders[int(first.external_id)]
    assert created["total_price"] == "39.98" and created["line_items"][0]["sku"] == "SKU-000000"
    again = conn.create_orders([erp_order])[0]
    assert again.ok and again.external_id == first.external_id and again.data == {"existing": True}
    assert len(sim.orders) == 1


# ---------------------------------------------------------------- customers


def test_upsert_customers_create_update_and_errors(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    existing = sim.add_customer("old@example.com", "Old", "Name")
    customers = [
        Customer(external_id=None, email="new@example.com", first_name="New",
                 addresses=[Address(line1="2 Street", city="Rome", postcode="00100", country_code="IT")]),
        Customer(external_id=str(existing["id"]), email="old@example.com", first_name="Renamed"),
        Customer(external_id=None, email="not-an-email"),
        Customer(external_id="555", email="ghost@example.com"),
    ]
    results = conn.upsert_customers(customers)
    assert [r.ok for r in results] == [True, True, False, False]
    assert sim.call_count("graphql.json") == 1
    assert sim.customers[existing["id"]]["first_name"] == "Renamed"
    created = sim.customers[int(results[0].external_id)]
    assert created["addresses"][0]["city"] == "Rome"
    # upsert by email: the same person sent again without an id is updated, not duplicated
    again = conn.upsert_customers([Customer(external_id=None, email="new@example.com", last_name="Later")])[0]
    assert again.ok and again.external_id == results[0].external_id
    fetched = conn.get_customer(results[0].external_id)
    assert fetched.last_name == "Later" and fetched.addresses[0].postcode == "00100"
    # the answer's store time is the customer's updated time as read back (the engine's stale point for its events)
    assert again.store_updated_at is not None and fetched.updated_at == again.store_updated_at


def test_customer_poll_is_incremental(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    for i in range(5):
        sim.add_customer(f"old{i}@example.com")
    time.sleep(1.1)
    since = datetime.now(timezone.utc)
    time.sleep(1.1)
    sim.add_customer("fresh@example.com")
    sim.reset_counts()
    assert [c.email for c in conn.iter_customers(since)] == ["fresh@example.com"]
    assert sim.call_count("graphql.json") == 1


def test_cancelling_a_cancelled_order_is_success_by_the_orders_own_state(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    # defect 6: 2026-04 has no ORDER_ALREADY_CANCELLED code; the store answers INVALID
    sim.seed_catalog(1)
    order = str(sim.create_order([{"sku": "SKU-000000", "quantity": 1}])["id"])
    sim.cancel_order(order)
    again = conn.cancel_orders([order])[0]
    assert again.ok and again.data == {"already_cancelled": True}


def test_cancel_waits_for_shopifys_cancel_job(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    sim.async_cancel = True
    order = str(sim.create_order([{"sku": "SKU-000000", "quantity": 1}])["id"])
    result = conn.cancel_orders([order])[0]
    assert result.ok and sim.order_status(order) == "cancelled"


def test_customers_poll_asks_for_whole_days_and_keeps_the_exact_window(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    # defect 10: the customers updated_at filter matches "a whole day"; the exact cut is made here
    sim.add_customer("before@example.com")
    time.sleep(1.0 - datetime.now(timezone.utc).microsecond / 1e6)  # the next whole second
    since = datetime.now(timezone.utc)
    sim.add_customer("after@example.com")
    assert [c.email for c in conn.iter_customers(since)] == ["after@example.com"]
    sent = [variables["query"] for query, variables in sim.requests_seen if query.startswith("query Customers")]
    assert sent == [f"updated_at:>='{since.date().isoformat()}'"]


def test_a_product_write_answers_with_the_time_its_webhook_carries(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    """productSet's answer selects ``updatedAt``: the engine takes it as the time from which an older event of the
    product (a late echo of an earlier push) is stale. It must be the time the write's own webhook carries."""
    tee = Product(external_id=None, title="Tee", variants=[Variant(external_id=None, sku="TEE-T", price=Decimal("10"))])
    made = conn.upsert_products([tee])[0]
    sim.subscriptions[len(sim.subscriptions) + 1] = {"topic": "PRODUCTS_UPDATE", "uri": "http://127.0.0.1:9/unused"}
    tee.external_id, tee.variants[0].external_id = made.external_id, made.data["variants"][0]["variant_id"]
    tee.variants[0].price = Decimal("12")
    updated = conn.upsert_products([tee])[0]
    [echo] = [conn.parse_webhook(body, headers) for body, headers in sim.pending_webhooks()]
    assert updated.store_updated_at is not None and made.store_updated_at is not None
    assert updated.store_updated_at == echo.record.updated_at >= made.store_updated_at
