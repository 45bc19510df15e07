"""The simulator's chaos hooks (issue 16), in the shapes Wix's contract declares: a partial bulk write answers
``results[].itemMetadata {id, originalIndex, success, error}`` and ``bulkActionMetadata`` and applies only the items
that succeed; a dashboard refund goes the trigger-refund way (refund quantities, restock, order updated event);
product and contact edits fire their events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.models import StockLevel

D = Decimal


def _subscribe(sim: WixSimulator) -> None:
    sim.subscriptions.append({"id": "s", "eventType": "*", "uri": "http://127.0.0.1:9/none"})


def test_a_partial_bulk_inventory_update_applies_every_other_item(sim_v3: WixSimulator, connect) -> None:
    skus = sim_v3.seed_catalog(4, quantity=5)
    connector = connect(sim_v3)
    sim_v3.fail_batch_items_next(1)
    results = connector.set_stock([StockLevel(sku=s, quantity=D(20 + i)) for i, s in enumerate(skus)])
    assert [r.ok for r in results] == [False, True, False, True]
    assert "INTERNAL_ERROR" in results[0].error
    assert [sim_v3.stock_of(s) for s in skus] == [5, 21, 5, 23]
    assert sim_v3.batch_items_failed == 2
    assert all(r.ok for r in connector.set_stock([StockLevel(sku=skus[0], quantity=D(20))]))  # one request only


def test_the_bulk_answer_has_the_contract_shape(sim_v3: WixSimulator, connect) -> None:
    skus = sim_v3.seed_catalog(2, quantity=5)
    items = [i for i in sim_v3.inventory.values()]
    sim_v3.fail_batch_items_next(1)
    answer = connect(sim_v3)._call("POST", "/stores/v3/bulk/inventory-items/update", {"inventoryItems": [
        {"inventoryItem": {"id": i["id"], "revision": i["revision"], "quantity": 9}} for i in items]}, idempotent=True)
    failed, done = answer["results"]
    assert failed["itemMetadata"] == {"id": items[0]["id"], "originalIndex": 0, "success": False,
                                      "error": {"code": "INTERNAL_ERROR", "description": failed["itemMetadata"]["error"]["description"]}}  # fmt: skip
    assert done["itemMetadata"]["success"] is True
    assert answer["bulkActionMetadata"] == {"totalSuccesses": 1, "totalFailures": 1, "undetailedFailures": 0}
    assert [sim_v3.stock_of(s) for s in skus] == [5, 9]


def test_a_partial_bulk_product_update_fails_in_part(sim_v3: WixSimulator, connect) -> None:
    sim_v3.seed_catalog(2)
    connector = connect(sim_v3)
    products = [connector.get_product(pid) for pid in sim_v3.products]
    for product in products:
        product.title = "Renamed"
    sim_v3.fail_batch_items_next(1)
    results = connector.upsert_products(products)
    assert [r.ok for r in results] == [False, True]
    assert [p["name"] for p in sim_v3.products.values()] == ["Product 0", "Renamed"]


def test_a_dashboard_refund_restocks_and_reads_back(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1, quantity=5)
    placed = sim.create_order([{"sku": skus[0], "quantity": 2, "price": "10.00"}], "r@example.com")
    _subscribe(sim)
    refund = sim.refund_order(placed["id"], lines=[{"sku": skus[0], "quantity": 1}], restock=True)
    assert (refund["amount"], refund["externalRefund"]) == (D("10.00"), False)
    assert sim.stock_of(skus[0]) == 5 - 2 + 1
    (read,) = connect(sim).get_order(placed["id"]).refunds
    assert (read.amount, read.lines) == (D("10.00"), [(skus[0], D(1))])
    assert "wix.ecom.v1.order_updated" in [topic for topic, _ in sim.webhook_queue]
    rest = sim.refund_order(placed["id"])  # without lines: every unit and the payment left
    assert rest["amount"] == D("10.00") and sim.order_status(placed["id"]) and sim.orders[placed["id"]]["paymentStatus"] == "FULLY_REFUNDED"
    with pytest.raises(Exception):  # noqa: B017 - Wix refuses: nothing left to refund
        sim.refund_order(placed["id"], amount="1.00")


def test_product_and_contact_edits_fire_their_events(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1, variants_per_product=2)
    sim.add_customer("c@x.test", "Ann", "Old")
    _subscribe(sim)
    sim.edit_product(skus[1], name="Renamed", price="12.34")
    sim.edit_customer("C@x.test", last_name="New")
    assert {k: sim.product_by_sku(skus[1])[k] for k in ("name", "price")} == {"name": "Renamed", "price": "12.34"}
    assert sim.customer_by_email("c@x.test")["first_name"] == "Ann"
    topics = [topic for topic, _ in sim.webhook_queue]
    product_event = ("wix.stores.catalog.v3.product_updated" if sim.catalog_version == "V3_CATALOG"
                     else "com.wix.ecommerce.catalog.api.v1.ProductChanged")  # fmt: skip
    assert topics == [product_event, "wix.contacts.v4.contact_updated"]
    connector = connect(sim)
    customer = connector.get_customer(sim.customer_by_email("c@x.test")["id"])
    assert (customer.first_name, customer.last_name) == ("Ann", "New")
    product = connector.get_product(sim.product_by_sku(skus[1])["product_id"])
    assert product.title == "Renamed" and {v.sku: v.price for v in product.variants}[skus[1]] == D("12.34")
