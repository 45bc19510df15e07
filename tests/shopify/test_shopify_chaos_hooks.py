"""The simulator's chaos hooks (issue 16), within what Shopify's pinned Admin schema allows: inventorySetQuantities is
all-or-nothing (a partial failure applies no row and names the failed ones in ``userErrors``; the connector resends
the good rows), aliased productSet mutations run one by one; an admin refund goes the refundCreate way (restock,
refunds/create and orders/updated); product and customer edits fire their webhooks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import Product, StockLevel, Variant

D = Decimal


def test_a_partial_stock_batch_fails_the_named_rows_and_the_others_go_in_a_second_call(conn: ShopifyConnector,
                                                                                      sim: ShopifySimulator) -> None:
    sim.seed_catalog(4, quantity=5)
    sim.fail_batch_items_next(1)
    results = conn.set_stock([StockLevel(sku=f"SKU-{i:06d}", quantity=D(20 + i)) for i in range(4)])
    assert [r.ok for r in results] == [False, True, False, True]
    assert "NON_MUTABLE_INVENTORY_ITEM" in results[0].error
    assert [sim.stock_of(f"SKU-{i:06d}") for i in range(4)] == [5, 21, 5, 23]
    assert sim.operations.count("inventorySetQuantities") == 2  # all-or-nothing: the good rows are sent again
    assert sim.batch_items_failed == 2 and sim.schema_violations == []


def test_the_failed_call_applies_no_row_at_all(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2, quantity=5)
    sim.fail_batch_items_next(1)
    item = sim.variants[sim.sku_index["SKU-000001"]]["inventory_item_id"]
    answer = conn._run("""mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
      inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { field message code } } }""",
                       {"key": "k-1", "input": {"name": "available", "reason": "correction", "quantities": [
                           {"inventoryItemId": f"gid://shopify/InventoryItem/{i}", "locationId": f"gid://shopify/Location/{sim.default_location_id}",
                            "quantity": 9, "changeFromQuantity": None}
                           for i in (sim.variants[sim.sku_index["SKU-000000"]]["inventory_item_id"], item)]}},
                       idempotent=True)["inventorySetQuantities"]  # fmt: skip
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["input", "quantities", "0"], "NON_MUTABLE_INVENTORY_ITEM")]
    assert (sim.stock_of("SKU-000000"), sim.stock_of("SKU-000001")) == (5, 5)


def test_aliased_product_sets_fail_one_by_one(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    products = [Product(external_id=None, title=f"Cap {i}", variants=[Variant(external_id=None, sku=f"CAP-{i}", price=D("5"))])
                for i in range(3)]
    sim.fail_batch_items_next(1)
    results = conn.upsert_products(products)
    assert [r.ok for r in results] == [False, True, False]
    assert "GENERIC_ERROR" in results[0].error or "went wrong" in results[0].error
    assert sim.product_by_sku("CAP-0") is None and sim.product_by_sku("CAP-1")["name"] == "Cap 1"
    assert all(r.ok for r in conn.upsert_products([products[0], products[2]]))  # one request only: the retry works
    assert sim.schema_violations == []  # the failed aliases' answers are what the schema allows


def test_an_admin_refund_restocks_and_reads_back_with_its_lines(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1, quantity=5)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}], tax_rate="0.1")
    refund = sim.refund_order(str(placed["id"]), lines=[{"sku": "SKU-000000", "quantity": 1}], restock=True)
    assert refund["total_refunded_set"]["shop_money"]["amount"] == "11.00"
    assert sim.stock_of("SKU-000000") == 5 - 2 + 1
    (read,) = conn.get_order(str(placed["id"])).refunds
    assert (read.amount, read.lines, read.restock, read.tax) == (D("11.00"), [("SKU-000000", D(1))], True, D("1.00"))
    topics = [topic for topic, _ in sim.emitted]
    assert topics[-2:] == ["refunds/create", "orders/updated"]
    rest = sim.refund_order(placed["id"])  # without lines: every unit and the money left
    assert rest["total_refunded_set"]["shop_money"]["amount"] == "11.00"
    assert sim.orders[placed["id"]]["financial_status"] == "refunded"
    with pytest.raises(ValueError):
        sim.refund_order(placed["id"], amount="1.00")  # nothing left: Shopify refuses


def test_product_and_customer_edits_fire_their_webhooks(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1, variants_per_product=2)
    sim.add_customer("c@x.test", "Ann", "Old")
    sim.edit_product("SKU-000000-2", name="Renamed", price="12.34")
    sim.edit_customer("C@x.test", last_name="New")
    assert {k: sim.product_by_sku("SKU-000000-2")[k] for k in ("name", "price")} == {"name": "Renamed", "price": "12.34"}
    assert sim.product_by_sku("SKU-000000-1")["price"] == "19.99"
    (topic, body), (topic2, body2) = sim.emitted[-2:]
    assert (topic, body["title"], topic2, body2["last_name"]) == ("products/update", "Renamed", "customers/update", "New")
    customer = conn.get_customer(str(body2["id"]))
    assert (customer.first_name, customer.last_name) == ("Ann", "New")
    assert sim.customer_by_email("c@x.test")["first_name"] == "Ann"
