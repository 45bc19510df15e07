"""The semantic defects found against Shopify's published schema and docs (issue 9), one test each.
Each test failed before its fix."""

from __future__ import annotations

import json
from decimal import Decimal

from wix_commerce_sync.connectors.shopify import mapping as m
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import Discount, Fulfilment, Order, OrderLine, Refund


def _erp_order(variant_id: str, **kw) -> Order:  # type: ignore[no-untyped-def]
    return Order(external_id=kw.pop("external_id", "SO-D1"), number="SO-D1", currency="USD", created_at=None,
                 updated_at=None, email="erp@example.com",
                 lines=[OrderLine(external_id=None, sku="SKU-000000", title="Thing", quantity=Decimal(2),
                                  unit_price=Decimal("20.00"), variant_id=variant_id, discount=Decimal("3.00"))], **kw)


def test_d1_discounted_erp_order_is_created(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    order = _erp_order(str(next(iter(sim.variants))), discounts=[Discount(code="ERP", amount=Decimal("2.00"))])
    result = conn.create_orders([order])[0]
    assert result.ok, result.error  # before: orderFixedDiscountCode refused by the 2026-04 schema
    created = sim.orders[int(result.external_id)]
    assert created["total_discounts"] == "5.00" and created["total_price"] == "35.00"


def test_d4_refund_of_a_multi_currency_order_is_sent_in_the_presentment_currency(conn: ShopifyConnector,
                                                                                 sim: ShopifySimulator) -> None:
    conn.config.options["api_refund"] = True  # the store refunds money on the store (refund_money_on_store)
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}],
                             presentment_currency="EUR", presentment_rate="0.9")
    refund = Refund(external_id="CN-EUR", order_id=str(order["id"]), amount=Decimal("10.00"), currency="USD",
                    lines=[("SKU-000000", Decimal(1))])
    result = conn.record_refunds([refund])[0]
    assert result.ok, result.error  # before: no RefundInput.currency -> refused
    stored = sim.orders[order["id"]]["refunds"][0]
    assert stored["transactions"][0] == {**stored["transactions"][0], "amount": "9.00", "currency": "EUR"}
    assert stored["total_refunded_set"]["shop_money"]["amount"] == "10.00"


def test_d4_one_refund_has_one_shop_amount_on_the_poll_and_the_webhook(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    conn.config.options["api_refund"] = True  # the store refunds money on the store (refund_money_on_store)
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}],
                             presentment_currency="EUR", presentment_rate="0.9")
    refund = Refund(external_id="CN-2", order_id=str(order["id"]), amount=Decimal("10.00"), currency="USD",
                    lines=[("SKU-000000", Decimal(1))])
    assert conn.record_refunds([refund])[0].ok
    polled = conn.get_order(str(order["id"])).refunds[0]
    webhook = m.order_from_rest(json.loads(json.dumps(sim.rest_order(sim.orders[order["id"]]), default=str))).refunds[0]
    assert polled.amount == webhook.amount == Decimal("10.00")  # before: the webhook said 9.00 (EUR) as USD
    assert polled.currency == webhook.currency == "USD"


def test_d5_restock_of_unfulfilled_units_is_cancel_and_of_shipped_units_return(conn: ShopifyConnector,
                                                                              sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 3, "price": "10.00"}])
    oid = str(order["id"])
    assert conn.create_fulfilments([Fulfilment(order_id=oid, lines=[("SKU-000000", Decimal(1))])])[0].ok
    refund = Refund(external_id="CN-R", order_id=oid, amount=Decimal("30.00"), lines=[("SKU-000000", Decimal(3))], restock=True)
    assert conn.record_refunds([refund])[0].ok
    rows = sim.orders[order["id"]]["refunds"][0]["refund_line_items"]
    assert sorted((r["restock_type"], r["quantity"]) for r in rows) == [("cancel", 2), ("return", 1)]
    assert sim.stock_of("SKU-000000") == 10  # all three back in stock


def test_d7_units_removed_by_an_order_edit_leave_the_erp_order_but_refunded_ones_stay(conn: ShopifyConnector,
                                                                                    sim: ShopifySimulator) -> None:
    sim.seed_catalog(2)
    edited = sim.create_order([{"sku": "SKU-000000", "quantity": 3, "price": "10.00"}])
    sim.remove_units(edited["id"], "SKU-000000", 1)
    refunded = sim.create_order([{"sku": "SKU-000001", "quantity": 3, "price": "10.00"}])
    assert conn.record_refunds([Refund(external_id="CN-7", order_id=str(refunded["id"]), amount=Decimal("10.00"),
                                       lines=[("SKU-000001", Decimal(1))])])[0].ok
    polled = {o.external_id: o for o in conn.iter_orders()}
    assert polled[str(edited["id"])].lines[0].quantity == 2  # before: 3, one of which never ships
    assert polled[str(refunded["id"])].lines[0].quantity == 3  # the refund is a credit note, not a smaller order
    assert polled[str(edited["id"])].total == Decimal("20.00")
    webhook = m.order_from_rest(json.loads(json.dumps(sim.rest_order(sim.orders[edited["id"]]), default=str)))
    assert webhook.lines[0].quantity == 2
    again = m.order_from_rest(json.loads(json.dumps(sim.rest_order(sim.orders[refunded["id"]]), default=str)))
    assert again.lines[0].quantity == 3


def test_d8_untracked_variants_come_in_untracked_and_stay_untracked(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    gift = sim.add_product("Gift card", [{"sku": "GIFT"}])
    variant = sim.variants[sim.sku_index["GIFT"]]
    variant["inventory_management"] = None  # "Track quantity" off in Shopify
    product = conn.get_product(str(gift["id"]))
    assert product.variants[0].manage_stock is False  # before: always True
    assert [p.variants[0].manage_stock for p in conn.iter_products()] == [False]
    assert [p.variants[0].manage_stock for p in conn.import_products()] == [False]
    assert conn.upsert_products([product])[0].ok
    assert sim.variants[sim.sku_index["GIFT"]]["inventory_management"] is None  # before: switched on


def test_d10_an_order_with_more_fulfillment_orders_than_a_page_is_fulfilled_whole(conn: ShopifyConnector,
                                                                                 sim: ShopifySimulator) -> None:
    sim.seed_catalog(7)
    order = sim.create_order([{"sku": f"SKU-{i:06d}", "quantity": 1} for i in range(7)])
    sim.split_fulfillment_orders(order["id"])
    result = conn.create_fulfilments([Fulfilment(order_id=str(order["id"]))])[0]
    assert result.ok
    assert sim.order_status(order["id"]) == "fulfilled"  # before: 5 of 7 fulfillment orders, reported OK
    assert all(fo["status"] == "CLOSED" for fo in sim.fulfillment_orders.values())


def test_d10_a_product_over_250_variants_comes_back_whole(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    from wix_commerce_sync.sync.models import Product, Variant

    sizes = [f"S{i:03d}" for i in range(300)]
    product = Product(external_id=None, title="Many", option_names=["Size"],
                      variants=[Variant(external_id=None, sku=f"MANY-{s}", price=Decimal("1"), options={"Size": s}) for s in sizes])
    result = conn.upsert_products([product])[0]
    assert result.ok, result.error
    assert len(result.data["variants"]) == 300 and all(v["inventory_item_id"] for v in result.data["variants"])
