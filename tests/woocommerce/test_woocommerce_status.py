"""Every row of the promised WooCommerce status table, both ways (store -> ERP on parse, ERP -> store on write)."""

from __future__ import annotations

import pytest

from wix_commerce_sync.connectors.woocommerce import mapping as wc
from wix_commerce_sync.sync.models import OrderStatus, OrderStatusUpdate, Platform
from wix_commerce_sync.sync.status_map import DEFAULT_STATUS_ROWS, StatusMap, StatusRow

ROWS = DEFAULT_STATUS_ROWS[Platform.WOOCOMMERCE]
INBOUND = [(store, erp) for store, erp, direction in ROWS if direction in ("both", "inbound")]
OUTBOUND = [(store, erp) for store, erp, direction in ROWS if direction in ("both", "outbound")]

# The table as promised to users (what-users-were-promised.md), restated independently of status_map.py.
PROMISED_IN = {"pending": "PENDING", "processing": "PROCESSING", "on-hold": "PENDING", "completed": "DELIVERED",
               "cancelled": "CANCELLED", "refunded": "RETURNED", "failed": "CANCELLED"}
PROMISED_OUT = {"PENDING": "pending", "CONFIRMED": "processing", "PROCESSING": "processing", "PICKED": "processing",
                "PACKED": "processing", "SHIPPED": "processing", "OUT_FOR_DELIVERY": "processing",
                "DELIVERED": "completed", "CANCELLED": "cancelled", "RETURNED": "refunded"}


def test_default_table_matches_the_promise():
    assert {s: e.value for s, e in INBOUND} == PROMISED_IN
    assert {e.value: s for s, e in OUTBOUND} == PROMISED_OUT
    assert {e.value for e in OrderStatus} == set(PROMISED_OUT)  # every ERP state can go to the store


@pytest.mark.parametrize(("store", "erp"), INBOUND, ids=[s for s, _ in INBOUND])
def test_store_to_erp_row(store, erp, fixture_json):
    order = wc.order_from_wc(fixture_json("order-update-response.json") | {"status": store})
    assert order.store_status == store and order.status == erp


@pytest.mark.parametrize(("store", "erp"), OUTBOUND, ids=[e.value for _, e in OUTBOUND])
def test_erp_to_store_row(store, erp, sim, connector):
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test", status="on-hold")
    [result] = connector.update_order_status([OrderStatusUpdate(str(order["id"]), erp)])
    assert result.ok and sim.order_status(order["id"]) == store
    assert connector.get_order(str(order["id"])).store_status == store


def test_unknown_store_status_maps_to_none(fixture_json):
    order = wc.order_from_wc(fixture_json("order-update-response.json") | {"status": "checkout-draft"})
    assert order.store_status == "checkout-draft" and order.status is None


def test_an_edited_table_from_options_is_used(sim, make_connector, fixture_json):
    table = StatusMap([StatusRow("on-hold", OrderStatus.PACKED, "both"), StatusRow("completed", OrderStatus.SHIPPED, "both")])
    connector = make_connector(status_map=table)
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    assert connector.update_order_status([OrderStatusUpdate(str(order["id"]), OrderStatus.PACKED)])[0].ok
    assert sim.order_status(order["id"]) == "on-hold"
    assert connector.get_order(str(order["id"])).status == OrderStatus.PACKED
    [refused] = connector.update_order_status([OrderStatusUpdate(str(order["id"]), OrderStatus.RETURNED)])
    assert not refused.ok and "RETURNED" in refused.error and sim.order_status(order["id"]) == "on-hold"
