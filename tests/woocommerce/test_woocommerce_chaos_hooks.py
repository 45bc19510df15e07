"""The simulator's chaos hooks (issue 16), as WooCommerce's source does them: a partial batch answers the REST base
``batch_items`` per-item error for the failed slots and applies only the others; a wp-admin refund
(wc_create_refund, restock, order.updated); product and customer edits with their webhooks."""

from __future__ import annotations

from decimal import Decimal

from wix_commerce_sync.sync.models import StockLevel

D = Decimal


def test_a_partial_batch_applies_every_other_item_and_answers_the_published_error_for_the_rest(sim, connector):
    sim.seed_catalog(4, stock=5)
    sim.fail_batch_items_next(1)
    results = connector.set_stock([StockLevel(sku=f"SKU-{i:06d}", quantity=D(20 + i)) for i in range(4)])
    assert [r.ok for r in results] == [False, True, False, True]
    assert "woocommerce_rest_product_not_created" in results[0].error
    assert [sim.stock_of(f"SKU-{i:06d}") for i in range(4)] == [5, 21, 5, 23]  # failed items are not applied
    assert sim.batch_items_failed == 2
    again = connector.set_stock([StockLevel(sku=f"SKU-{i:06d}", quantity=D(20 + i)) for i in (0, 2)])
    assert all(r.ok for r in again) and sim.stock_of("SKU-000000") == 20  # one batch only: the retry goes through


def test_the_failed_slot_is_the_batch_items_shape(sim, connector):
    ids = sim.seed_catalog(2)
    sim.fail_batch_items_next(1)
    answer = connector._json("POST", "/products/batch", json_body={"update": [{"id": i, "name": "x"} for i in ids]})
    failed, done = answer["update"]
    assert failed == {"id": ids[0], "error": {"code": "woocommerce_rest_product_not_created", "message": failed["error"]["message"],
                                              "data": {"status": 400}}}  # fmt: skip
    assert done["id"] == ids[1] and done["name"] == "x" and sim.products[ids[0]]["name"] == "Product 0"


def test_a_variations_batch_fails_in_part_too(sim, connector):
    sim.seed_catalog(1, variants_per_product=2, stock=5)
    sim.fail_batch_items_next(1)
    results = connector.set_stock([StockLevel(sku=f"SKU-000000-{j:02d}", quantity=D(9)) for j in range(2)])
    assert [r.ok for r in results] == [False, True]
    assert "woocommerce_rest_product_variation_not_created" in results[0].error
    assert [sim.stock_of(f"SKU-000000-{j:02d}") for j in range(2)] == [5, 9]


def test_a_wp_admin_refund_with_restock_reads_back_and_fires_order_updated(sim, connector, receiver):
    sim.seed_catalog(1, stock=5)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}], customer_email="r@x.test")
    sim._create_webhook({"topic": "order.updated", "delivery_url": receiver.url, "secret": "s3cr3t"})
    refund = sim.refund_order(str(placed["id"]), lines=[{"sku": "SKU-000000", "quantity": 1}], restock=True)
    assert refund["amount"] == "12.00"  # the unit's net 10.00 and its 20% tax
    assert sim.stock_of("SKU-000000") == 5 - 2 + 1
    (read,) = connector.get_order(str(placed["id"])).refunds
    assert (read.amount, read.lines, read.tax, read.money_returned) == (D("12.00"), [("SKU-000000", D(1))], D("2.00"), False)
    sim.deliver_webhooks()
    assert [h.get("X-WC-Webhook-Topic") for h, _ in receiver.deliveries if h.get("X-WC-Webhook-Topic")] == ["order.updated"]


def test_a_full_refund_by_default_refunds_what_is_left_and_closes_the_order(sim):
    sim.seed_catalog(1, stock=5)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}], customer_email="f@x.test")
    sim.refund_order(placed["id"], lines=[{"sku": "SKU-000000", "quantity": 1}], restock=False)
    rest = sim.refund_order(placed["id"])
    assert rest["amount"] == "12.00" and [row["quantity"] for row in rest["line_items"]] == [-1]
    assert sim.order_status(placed["id"]) == "refunded" and sim.stock_of("SKU-000000") == 4


def test_product_and_customer_edits_change_the_store_and_fire_their_webhooks(sim, connector, receiver):
    sim.seed_catalog(1, variants_per_product=2)
    sim.add_customer("c@x.test", "Ann", "Old")
    for topic in ("product.updated", "customer.updated"):
        sim._create_webhook({"topic": topic, "delivery_url": receiver.url, "secret": "s3cr3t"})
    sim.deliver_webhooks()  # the pings
    receiver.deliveries.clear()
    sim.edit_product("SKU-000000-01", name="Renamed", price="12.34")
    sim.edit_customer("c@x.test", last_name="New")
    assert {k: sim.product_by_sku("SKU-000000-01")[k] for k in ("name", "price")} == {"name": "Renamed", "price": "12.34"}
    assert sim.product_by_sku("SKU-000000-00")["name"] == "Renamed"  # sync_variation_names: the parent's new name
    assert (sim.customer_by_email("C@x.test")["first_name"], sim.customer_by_email("c@x.test")["last_name"]) == ("Ann", "New")
    sim.deliver_webhooks()
    assert sorted(h["X-WC-Webhook-Topic"] for h, _ in receiver.deliveries) == ["customer.updated", "product.updated",
                                                                             "product.updated"]  # fmt: skip
    customer = connector.get_customer(str(sim.customer_by_email("c@x.test")["id"]))
    assert (customer.first_name, customer.last_name) == ("Ann", "New")


def test_a_parent_renamed_through_the_api_renames_its_variations(sim, connector):
    (parent,) = sim.seed_catalog(1, variants_per_product=2)
    connector._json("POST", "/products/batch", json_body={"update": [{"id": parent, "name": "Fresh name"}]})
    assert {sim.product_by_sku(f"SKU-000000-{j:02d}")["name"] for j in range(2)} == {"Fresh name"}


def test_a_variation_updated_with_its_attributes_keeps_them_as_one_list_and_the_connector_reads_its_options(sim, connector):
    """A variation updated (variations/batch) with ``attributes`` replaces them (set_attributes): one flat list of
    {id, name, option}, as the REST schema of a variation has it; a nested list lost every variant's options, so a
    store rename of the product no longer reached its ERPNext template (issue 16, product edits)."""
    sim.seed_catalog(1, variants_per_product=2)
    (parent,) = [p for p in sim.products.values() if p["type"] == "variable"]
    variation_id = parent["variations"][0]
    connector._json("POST", f"/products/{parent['id']}/variations/batch", json_body={"update": [
        {"id": variation_id, "regular_price": "12.00", "attributes": [{"id": 0, "name": "Size", "option": "S0"}]}]})
    assert sim.product_store[variation_id]["attributes"] == [{"id": 0, "name": "Size", "option": "S0"}]
    (product,) = [p for p in connector.iter_products(None) if p.external_id == str(parent["id"])]
    assert product.has_variants and {v.sku: v.options for v in product.variants}["SKU-000000-00"] == {"Size": "S0"}
