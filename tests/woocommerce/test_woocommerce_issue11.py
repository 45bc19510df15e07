"""Issue 11: the client held to WooCommerce's own source (the contract fixture), one test per defect,
and no blind retry of a create (the store commits, the answer is lost, the job retries: one object)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.woocommerce import mapping as wc
from wix_commerce_sync.sync.engine import SyncEngine
from wix_commerce_sync.sync.errors import AmbiguousWriteError
from wix_commerce_sync.sync.memory import InMemoryErp, MemoryLogger, MemoryState
from wix_commerce_sync.sync.models import (
    Customer,
    Direction,
    Entity,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Refund,
    StockLevel,
    Variant,
)
from wix_commerce_sync.sync.queue import SqliteJobStore
from wix_commerce_sync.sync.settings import StoreSettings
from wix_commerce_sync.testing.contracts.woocommerce import check_request, contract, param_default

SECRET = "whsec_issue11"


def _hooks(sim, connector, receiver, topics):
    connector.config.webhook_secret = SECRET
    connector.register_webhooks(receiver.url, list(topics))
    sim.deliver_webhooks()  # pings
    receiver.deliveries.clear()


# ---------------------------------------------------------------- the contract fixture


def test_contract_fixture_carries_the_source_facts():
    facts = contract()
    assert facts["batch"]["limit"] == 100 and facts["batch"]["over_limit"]["status"] == 413
    assert param_default("GET /customers", "role") == "customer"
    assert facts["webhook"]["payloads"]["deleted"] == {"id": "<resource id>"}
    assert "strtotime( 'now' )" in facts["webhook"]["delivery_id"]
    assert "refunded_payment" in facts["response_fields"]["refund_created"]["absent"]


def test_a_param_or_field_the_contract_does_not_know_is_caught(sim, connector):
    assert check_request("GET /products", {"per_page": ["100"], "sku": ["A"]}, None) == []
    assert check_request("GET /customers", {"modified_after": ["x"]}, None) == ["GET /customers?modified_after"]
    assert check_request("POST /orders/batch", {}, {"create": [{"line_items": [{"prize": 1}]}]}) == [
        "POST /orders/batch create: order.line_items[].prize"]
    connector._json("GET", "/products", params={"bogus": "1"})
    assert sim.contract_violations == ["GET /products?bogus"]
    sim.contract_violations.clear()  # the fixture's teardown fails any test that leaves one


# ---------------------------------------------------------------- 1. same-second delivery ids


def test_two_products_updated_in_the_same_second_both_reach_the_erp(sim, connector, receiver, tmp_path):
    _hooks(sim, connector, receiver, ["product.updated"])
    sim.delivery_second = lambda: 1_700_000_000  # both deliveries leave within one wall-clock second
    first, second = sim.seed_catalog(2)
    connector._batch("/products/batch", update=[{"id": first, "name": "First renamed"},
                                                {"id": second, "name": "Second renamed"}])
    assert sim.deliver_webhooks() == 2
    ids = {h["X-WC-Webhook-Delivery-ID"] for h, _ in receiver.deliveries}
    assert len(ids) == 1  # WooCommerce's own delivery id: shared within the second
    erp = InMemoryErp()
    settings = StoreSettings(name="Woo", platform=connector.platform,
                             directions={e: Direction.BIDIRECTIONAL for e in Entity})
    engine = SyncEngine(settings, connector, erp, SqliteJobStore(str(tmp_path / "q.sqlite")), MemoryState(),
                        MemoryLogger())
    outcomes = [engine.accept_webhook(body, headers).status for headers, body in receiver.deliveries]
    assert outcomes == ["queued", "queued"]
    stats = engine.run_inbound_jobs()
    assert stats.succeeded == 2
    assert {erp.items[c]["item_name"] for c in erp.items} == {"First renamed", "Second renamed"}


def test_the_same_delivery_twice_is_still_one_job(sim, connector, receiver, tmp_path):
    _hooks(sim, connector, receiver, ["product.updated"])
    [pid] = sim.seed_catalog(1)
    connector._batch("/products/batch", update=[{"id": pid, "name": "Renamed"}])
    sim.deliver_webhooks(duplicate=True)
    keys = [connector.parse_webhook(b, h).dedupe_key for h, b in receiver.deliveries]
    assert len(keys) == 2 and keys[0] == keys[1]


# ---------------------------------------------------------------- 3. deleted payload {"id": N}


def test_deleted_payload_is_id_only_and_parses_to_a_deleted_record(sim, connector, receiver):
    _hooks(sim, connector, receiver, ["product.deleted", "customer.deleted", "order.deleted"])
    [pid] = sim.seed_catalog(1)
    connector._batch("/products/batch", delete=[pid])
    sim.deliver_webhooks()
    [(headers, body)] = receiver.deliveries
    assert body == f'{{"id":{pid}}}'.encode()
    event = connector.parse_webhook(body, headers)
    assert event.action == "deleted" and event.record.external_id == str(pid) and event.record.entity == Entity.ITEMS


# ---------------------------------------------------------------- 4. attributes replaced whole


def _variable_with_global_and_custom_attributes(sim) -> int:
    sim.add_global_attribute(3, "Color")
    with sim.lock:
        stamp = sim.tick()
        pid = sim._new_product({"name": "Shirt", "type": "variable", "attributes": [
            {"id": 3, "name": "Color", "variation": True, "visible": False, "options": ["Red", "Blue"]},
            {"name": "Material", "variation": False, "visible": True, "options": ["Cotton"]}]}, stamp)
        for colour in ("Red", "Blue"):
            sim._new_variation(pid, {"sku": f"SHIRT-{colour}", "regular_price": "10.00",
                                     "attributes": [{"id": 3, "name": "Color", "option": colour}]}, stamp)
    return pid


def test_updating_a_variable_product_keeps_the_store_attributes(sim, connector):
    pid = _variable_with_global_and_custom_attributes(sim)
    product = connector.get_product(str(pid))
    product.variants[0].price = Decimal("12.00")
    [result] = connector.upsert_products([product])
    assert result.ok, result.error
    attributes = {a["name"]: a for a in sim.products[pid]["attributes"]}
    assert set(attributes) == {"Color", "Material"}  # the non-variation attribute survives
    assert attributes["Color"]["id"] == 3 and attributes["Color"]["visible"] is False  # still global, not forced visible
    assert attributes["Material"]["options"] == ["Cotton"]
    assert sim.product_by_sku("SHIRT-Red")["regular_price"] == "12.00"


def test_a_new_variant_of_a_global_attribute_gets_its_value(sim, connector):
    pid = _variable_with_global_and_custom_attributes(sim)
    product = connector.get_product(str(pid))
    assert {v.options["Color"] for v in product.variants} == {"Red", "Blue"}
    product.variants.append(Variant(None, "SHIRT-Green", price=Decimal("10.00"), options={"Color": "Green"}))
    [result] = connector.upsert_products([product])
    assert result.ok, result.error
    assert sim.product_by_sku("SHIRT-Green")["attributes"] == [{"id": 3, "name": "Color", "option": "Green"}]
    assert "Green" in {a["name"]: a for a in sim.products[pid]["attributes"]}["Color"]["options"]


def test_merged_attributes_add_a_new_variation_attribute_as_custom():
    product = Product(external_id="1", title="T", option_names=["Size"],
                      variants=[Variant("2", "T-S", options={"Size": "S"}), Variant("3", "T-M", options={"Size": "M"})])
    merged = wc.merged_attributes(product, [{"id": 7, "name": "Brand", "variation": False, "options": ["X"]}])
    assert merged[0] == {"id": 7, "variation": False, "options": ["X"]}
    assert merged[1]["name"] == "Size" and merged[1]["options"] == ["M", "S"] and "id" not in merged[1]


# ---------------------------------------------------------------- 5. variations are ids in payloads


def test_variable_product_webhook_reads_its_variations(sim, connector, receiver):
    _hooks(sim, connector, receiver, ["product.updated"])
    pid = sim.add_product("Tee", variants=[{"sku": "TEE-S", "option": "S"}, {"sku": "TEE-M", "option": "M"}])
    connector._batch("/products/batch", update=[{"id": pid, "name": "Tee 2"}])
    sim.deliver_webhooks()
    [(headers, body)] = [(h, b) for h, b in receiver.deliveries if f'"id":{pid},' in b.decode()]
    event = connector.parse_webhook(body, headers)
    assert {v.sku for v in event.record.variants} == {"TEE-S", "TEE-M"}


# ---------------------------------------------------------------- 6. scheduled / expired sale


@pytest.mark.parametrize("window", [{"date_on_sale_from_gmt": "2099-01-01T00:00:00"},
                                    {"date_on_sale_to_gmt": "2000-01-01T00:00:00"}])
def test_a_sale_not_running_is_not_the_current_price(sim, connector, window):
    pid = sim.add_product("Promo", sku="PROMO", price="20.00", sale_price="15.00", **window)
    variant = connector.get_product(str(pid)).variants[0]
    assert (variant.price, variant.compare_at_price) == (Decimal("20.00"), None)


def test_a_running_sale_sells(sim, connector):
    pid = sim.add_product("Promo", sku="PROMO", price="20.00", sale_price="15.00")
    variant = connector.get_product(str(pid)).variants[0]
    assert (variant.price, variant.compare_at_price) == (Decimal("15.00"), Decimal("20.00"))


# ---------------------------------------------------------------- 7. a line's sku wins over its ids


def _erp_order(key: str, lines: list[OrderLine]) -> Order:
    return Order(external_id=key, number=key, currency="USD", created_at=None, updated_at=None, lines=lines,
                 customer=Customer(external_id=None, email="erp@x.test"), email="erp@x.test",
                 status=OrderStatus.CONFIRMED)


def test_order_line_with_ids_keeps_its_product_when_the_erp_sku_differs(sim, connector):
    pid = sim.add_product("Mug", sku="STORE-MUG", price="8.00")
    line = OrderLine(None, "ERP-MUG", "Mug", Decimal(1), Decimal("8.00"), product_id=str(pid), variant_id=str(pid))
    [result] = connector.create_orders([_erp_order("SO-1", [line])])
    assert result.ok, result.error
    [made] = sim.orders[int(result.external_id)]["line_items"]
    assert made["product_id"] == pid and made["name"] == "Mug"


def test_order_line_whose_sku_the_store_lacks_fails_instead_of_a_productless_line(sim, connector):
    sim.seed_catalog(1)
    [result] = connector.create_orders([_erp_order("SO-2", [OrderLine(None, "NOPE", "Nope", Decimal(1), Decimal(1))])])
    assert not result.ok and not result.retryable and "'NOPE'" in result.error
    assert sim.orders == {}


# ---------------------------------------------------------------- 8. product type kept


def test_updating_an_external_product_does_not_convert_it(sim, connector):
    pid = sim.add_product("Affiliate", sku="EXT-1", price="30.00", type="external")
    [result] = connector.upsert_products([Product(external_id=str(pid), title="Affiliate",
                                                  variants=[Variant(str(pid), "EXT-1", price=Decimal("31.00"))])])
    assert result.ok and sim.products[pid]["type"] == "external" and sim.products[pid]["regular_price"] == "31.00"


# ---------------------------------------------------------------- 9. stock ignored when store-wide management is off


def test_stock_write_the_store_ignored_is_a_failure(sim, connector):
    sim.seed_catalog(1, stock=10)
    sim.manage_stock_enabled = False
    [result] = connector.set_stock([StockLevel(sku="SKU-000000", quantity=Decimal(3))])
    assert not result.ok and not result.retryable and "stock management" in result.error
    assert sim.stock_of("SKU-000000") == 10


# ---------------------------------------------------------------- 10. customers of every role


def test_customers_of_every_role_are_listed(sim, connector):
    sim.add_customer("shopper@x.test")
    sim.add_customer("subscriber@x.test", role="subscriber")
    assert {c.email for c in connector.iter_customers()} == {"shopper@x.test", "subscriber@x.test"}


# ---------------------------------------------------------------- 11. refunded_payment is not in the create answer


def test_refund_result_does_not_claim_a_refunded_payment_it_cannot_know(sim, connector):
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    [result] = connector.record_refunds([Refund(external_id="CN-1", order_id=str(order["id"]), amount=Decimal("5"))])
    assert result.ok and "refunded_payment" not in result.data and result.data["api_refund"] is False


def test_refund_refusal_is_final_not_retried(sim, connector):
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.reset_counts()
    [result] = connector.record_refunds([Refund(external_id="CN-9", order_id=str(order["id"]), amount=Decimal("999"))])
    assert not result.ok and not result.retryable and "Invalid refund amount" in result.error
    assert sum(1 for m, p in sim.requests if m == "POST" and p.endswith("/refunds")) == 1


# ---------------------------------------------------------------- no blind retry: lost answers


LOST = [None, 500]  # the connection resets after the commit, or an HTTP 500 comes back after it


def _twice(call):
    """The engine's view: the first attempt fails retryable (ambiguous), the job retry succeeds."""
    first = call()
    second = call()
    return first, second


@pytest.mark.parametrize("status", LOST)
def test_lost_order_create_leaves_one_order(sim, connector, status):
    sim.seed_catalog(1)
    order = _erp_order("SO-LOST", [OrderLine(None, "SKU-000000", "Thing", Decimal(1), Decimal("10.00"))])
    order.created_at = sim.now - timedelta(minutes=1)
    _lose_on_post(sim, "/orders/batch", status)
    [first], [second] = _twice(lambda: connector.create_orders([order]))
    assert not first.ok and first.retryable and "not re-sent blindly" in first.error
    assert second.ok and len(sim.orders) == 1 and second.external_id == str(next(iter(sim.orders)))


@pytest.mark.parametrize("status", LOST)
def test_lost_refund_create_leaves_one_refund(sim, connector, status):
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 2}], customer_email="a@x.test")
    refund = Refund(external_id="CN-LOST", order_id=str(order["id"]), amount=Decimal("5.00"), reason="damaged")
    _lose_on_post(sim, "/refunds", status)
    [first], [second] = _twice(lambda: connector.record_refunds([refund]))
    assert not first.ok and first.retryable
    assert second.ok and len(sim.refunds_of(order["id"])) == 1 and second.external_id == str(sim.refunds_of(order["id"])[0]["id"])


@pytest.mark.parametrize("status", LOST)
def test_lost_product_create_leaves_one_product(sim, connector, status):
    product = Product(external_id=None, title="New", variants=[Variant(None, "NEW-1", price=Decimal("9"))])
    _lose_on_post(sim, "/products/batch", status)
    [first], [second] = _twice(lambda: connector.upsert_products([product]))
    assert not first.ok and first.retryable
    assert second.ok and len(sim.products) == 1 and second.external_id == str(next(iter(sim.products)))


@pytest.mark.parametrize("status", LOST)
def test_lost_customer_create_leaves_one_customer(sim, connector, status):
    customer = Customer(external_id=None, email="new@x.test", first_name="New")
    _lose_on_post(sim, "/customers/batch", status)
    [first], [second] = _twice(lambda: connector.upsert_customers([customer]))
    assert not first.ok and first.retryable
    assert second.ok and len(sim.customers) == 1 and second.external_id == str(next(iter(sim.customers)))


@pytest.mark.parametrize("status", LOST)
def test_lost_fulfilment_note_leaves_one_note(sim, connector, status):
    sim.seed_catalog(1)
    order = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    fulfilment = Fulfilment(order_id=str(order["id"]), tracking_number="TRK1", tracking_company="Post")
    _lose_on_post(sim, "/notes", status)
    [first], [second] = _twice(lambda: connector.create_fulfilments([fulfilment]))
    assert not first.ok and first.retryable
    assert second.ok and len(sim.fulfilments_of(order["id"])) == 1


@pytest.mark.parametrize("status", LOST)
def test_update_only_batch_is_retried_in_place(sim, connector, status):
    sim.seed_catalog(1, stock=10)
    _lose_on_post(sim, "/products/batch", status)
    [result] = connector.set_stock([StockLevel(sku="SKU-000000", quantity=Decimal(4))])
    assert result.ok and sim.stock_of("SKU-000000") == 4


def test_create_post_is_sent_once_by_the_http_layer(sim, connector):
    sim.reset_counts()
    sim.faults.lose_answer_next(1)
    with pytest.raises(AmbiguousWriteError):
        connector._json("POST", "/customers/batch", json_body={"create": [{"email": "x@x.test"}]}, idempotent=False)
    assert sim.call_count("/customers/batch") == 1 and len(sim.customers) == 1


def _lose_on_post(sim, path_end: str, status: int | None) -> None:
    """The store commits the next POST to ``path_end``, then its answer is lost (reads before it go through)."""
    sim.lose_answer_to("POST", path_end, status)


@pytest.mark.parametrize("status", LOST)
def test_lost_variation_create_leaves_one_product_with_its_variations(sim, connector, status):
    product = Product(external_id=None, title="Tee", option_names=["Size"], variants=[
        Variant(None, "TEE-S", price=Decimal("9"), options={"Size": "S"}),
        Variant(None, "TEE-M", price=Decimal("9"), options={"Size": "M"})])
    _lose_on_post(sim, "/variations/batch", status)
    [first], [second] = _twice(lambda: connector.upsert_products([product]))
    assert not first.ok and first.retryable
    assert second.ok, second.error
    [parent] = sim.products.values()
    assert second.external_id == str(parent["id"]) and len(parent["variations"]) == 2
    assert {v["variant_id"] for v in second.data["variants"]} == {str(v) for v in parent["variations"]}
