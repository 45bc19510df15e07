"""Issue 17 on Shopify: a store refund reaches the ERP with its lines, restock, tax and shipping, so its
Credit Note equals it to the cent; money moves on the store only when the store's setting says so."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.shopify import mapping as m
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.sync.models import Refund

D = Decimal


@pytest.fixture
def conn(sim: ShopifySimulator):  # type: ignore[no-untyped-def]
    connector = ShopifyConnector(sim.store_config(backoff_initial=0.0, backoff_max=0.0, api_refund=True))
    yield connector
    connector.close()


def test_a_partial_refund_with_restock_reads_back_with_lines_tax_and_restock(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"},
                               {"sku": "SKU-000001", "quantity": 1, "price": "7.00"}], tax_rate="0.1", shipping="5.00")  # fmt: skip
    sent = Refund(external_id="CN-P1", order_id=str(placed["id"]), amount=D("11.00"), lines=[("SKU-000000", D(1))], restock=True)
    assert conn.record_refunds([sent])[0].ok
    order = conn.get_order(str(placed["id"]))
    (refund,) = order.refunds
    assert (refund.amount, refund.lines, refund.restock, refund.tax, refund.shipping, refund.money_returned) == \
        (D("11.00"), [("SKU-000000", D(1))], True, D("1.00"), D(0), True)
    assert refund.erp_document == "CN-P1"  # the note names the ERPNext credit note: its echo is known
    assert [ln.quantity for ln in order.lines] == [D(2), D(1)]  # refunded units stay on the ERP order
    split = d.refund_split(order, refund, {"SKU-000000": "ITEM-A", "SKU-000001": "ITEM-B"})
    assert (split.goods, split.tax, split.adjustment) == ([("ITEM-A", D(1), D("10.00"))], D("1.00"), D(0))


def test_refund_shipping_lines_and_tax_are_read_from_the_rest_shape() -> None:
    refund = m.refund_from_rest({
        "id": 9, "order_id": 5, "transactions": [{"kind": "refund", "status": "success", "amount": "8.25"}],
        "refund_line_items": [], "refund_shipping_lines": [
            {"subtotal_amount_set": {"shop_money": {"amount": "7.50"}}, "tax_amount_set": {"shop_money": {"amount": "0.75"}}}],
    }, "USD")  # fmt: skip
    assert (refund.amount, refund.shipping, refund.tax, refund.lines) == (D("8.25"), D("7.50"), D("0.75"), [])


def test_a_line_without_its_tax_leaves_the_tax_to_be_shared_out() -> None:
    refund = m.refund_from_rest({"id": 9, "order_id": 5, "refund_line_items": [
        {"line_item_id": 1, "quantity": 1, "line_item": {"sku": "A"}, "subtotal_set": {"shop_money": {"amount": "4.00"}}}]}, "USD")
    assert refund.tax is None and refund.lines == [("A", D(1))]


def test_without_the_store_setting_no_money_moves(sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}])
    quiet = ShopifyConnector(sim.store_config(backoff_initial=0.0, backoff_max=0.0))  # refund_money_on_store off
    try:
        result = quiet.record_refunds([Refund(external_id="CN-Q1", order_id=str(placed["id"]), amount=D("10.00"),
                                              lines=[("SKU-000000", D(1))])])[0]  # fmt: skip
    finally:
        quiet.close()
    assert result.ok
    (made,) = sim.orders[placed["id"]]["refunds"]
    assert made["transactions"] == [] and [r["quantity"] for r in made["refund_line_items"]] == [1]


def test_an_order_edit_on_shopify_becomes_update_items_rows_for_the_sales_order(conn: ShopifyConnector,
                                                                              sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 3, "price": "10.00"},
                               {"sku": "SKU-000001", "quantity": 1, "price": "4.00"}])  # fmt: skip
    codes = {"SKU-000000": "ITEM-A", "SKU-000001": "ITEM-B"}
    defaults = d.ErpDefaults.sandbox()
    before = d.sales_order_document(conn.get_order(str(placed["id"])), defaults, codes, "Ann")
    rows = [{**row, "name": f"row-{i}"} for i, row in enumerate(before["items"])]  # the Sales Order's rows
    assert d.order_edit_items(rows, before["items"]) is None  # an unedited order is no edit
    sim.remove_units(placed["id"], "SKU-000000", 2)
    sim.remove_units(placed["id"], "SKU-000001", 1)
    edited = conn.get_order(str(placed["id"]))
    after = d.sales_order_document(edited, defaults, codes, "Ann")
    trans = d.order_edit_items(rows, after["items"])
    assert [(t.get("docname"), t["item_code"], t["qty"]) for t in trans] == [("row-0", "ITEM-A", 1.0)]  # B's row goes
    assert d.expected_grand_total(after) == edited.total == D("10.00")
