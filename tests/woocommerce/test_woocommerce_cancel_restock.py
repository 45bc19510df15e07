"""An order cancelled on the store: WooCommerce puts its units back on the shelf by itself
(wc-stock-functions.php: ``wc_maybe_increase_stock_levels`` on ``woocommerce_order_status_cancelled`` and
``_pending``, only when ``_order_stock_reduced`` is set), and the app must then show ERPNext's level again even when
ERPNext's level did not move (issue 16 chaos finding: store 23, ERPNext 25)."""

from __future__ import annotations

from decimal import Decimal

from wix_commerce_sync.sync.engine import SyncEngine
from wix_commerce_sync.sync.memory import InMemoryErp, MemoryLogger, MemoryState
from wix_commerce_sync.sync.models import Direction, Entity
from wix_commerce_sync.sync.queue import SqliteJobStore
from wix_commerce_sync.sync.settings import StoreSettings
from wix_commerce_sync.testing.factories import make_product

SKU = "SKU-000000"


def test_the_simulator_restocks_a_cancelled_order_once_as_woocommerce_does(sim):
    sim.seed_catalog(1, stock=10)
    paid = sim.create_order(line_items=[{"sku": SKU, "quantity": 2}], customer_email="a@example.com")
    assert sim.stock_of(SKU) == 8  # processing: wc_maybe_reduce_stock_levels
    sim.cancel_order(paid["id"])
    assert sim.stock_of(SKU) == 10  # cancelled: the units are back
    sim.update_order(paid["id"], status="pending")
    assert sim.stock_of(SKU) == 10  # _order_stock_reduced is no longer set: nothing given back twice
    unpaid = sim.create_order(line_items=[{"sku": SKU, "quantity": 3}], status="pending")
    assert sim.stock_of(SKU) == 10  # pending reduces nothing
    sim.cancel_order(unpaid["id"])
    assert sim.stock_of(SKU) == 10  # ... so its cancel gives nothing back
    sim.update_order(unpaid["id"], status="processing")
    assert sim.stock_of(SKU) == 7
    sim.update_order(unpaid["id"], customer_note="edited")
    assert sim.stock_of(SKU) == 7  # the status hooks run on a status change only


def _synced(sim, connector, receiver, tmp_path, stock: int):
    """The simulator's one product and an engine on an in-memory ERPNext holding ``stock`` of it, pushed."""
    connector.config.webhook_secret = "restock-secret"
    connector.register_webhooks(receiver.url, ["order.created", "order.updated"])
    sim.deliver_webhooks()  # pings
    receiver.deliveries.clear()
    sim.seed_catalog(1, stock=10)
    erp = InMemoryErp()
    erp.upsert_product("Woo", make_product(sku=SKU))
    erp.stock[(SKU, None)] = Decimal(stock)
    settings = StoreSettings(
        name="Woo", platform=connector.platform, directions={e: Direction.BIDIRECTIONAL for e in Entity}
    )
    engine = SyncEngine(
        settings, connector, erp, SqliteJobStore(str(tmp_path / "q.sqlite")), MemoryState(), MemoryLogger()
    )

    def push_stock() -> None:
        engine.plan_stock_push()
        engine.flush_outbound(Entity.STOCK)

    def hear_store() -> None:
        sim.deliver_webhooks()
        for headers, body in receiver.deliveries:
            engine.accept_webhook(body, headers)
        receiver.deliveries.clear()
        engine.run_inbound_jobs()

    push_stock()
    assert sim.stock_of(SKU) == stock
    return erp, push_stock, hear_store


def test_a_store_restock_on_cancel_is_overwritten_by_erpnext_level(sim, connector, receiver, tmp_path):
    erp, push_stock, hear_store = _synced(sim, connector, receiver, tmp_path, stock=10)
    order = sim.create_order(line_items=[{"sku": SKU, "quantity": 2}], customer_email="b@example.com")
    assert sim.stock_of(SKU) == 8  # the store took 2 off; its order.created never reaches the app (dropped)
    erp.stock[(SKU, None)] = Decimal(15)  # a Material Receipt in ERPNext: the absolute level goes out
    push_stock()
    assert sim.stock_of(SKU) == 15
    sim.cancel_order(order["id"])
    assert sim.stock_of(SKU) == 17  # the store gave back the 2 units our push had already overwritten
    hear_store()  # cancelled before ERPNext saw it: no Sales Order, ERPNext's level stays 15
    assert erp.orders == {}
    push_stock()
    assert sim.stock_of(SKU) == 15  # ERPNext's level again, though it equals what the store last got from us


def test_an_order_past_the_last_unit_leaves_the_store_at_0_not_below(sim, connector, receiver, tmp_path):
    erp, push_stock, hear_store = _synced(sim, connector, receiver, tmp_path, stock=0)
    sim.create_order(line_items=[{"sku": SKU, "quantity": 1}], customer_email="c@example.com")
    assert sim.stock_of(SKU) == -1  # WooCommerce takes the unit off by itself, below 0
    hear_store()
    assert len(erp.orders) == 1  # reserved past 0 in ERPNext: its available still shows 0, as last pushed
    push_stock()
    assert sim.stock_of(SKU) == 0


def test_a_pending_order_paid_later_does_not_take_its_units_off_twice(sim, connector, receiver, tmp_path):
    erp, push_stock, hear_store = _synced(sim, connector, receiver, tmp_path, stock=10)
    order = sim.create_order(line_items=[{"sku": SKU, "quantity": 2}], customer_email="d@example.com", status="pending")
    assert sim.stock_of(SKU) == 10  # pending: WooCommerce has not taken the units off yet
    hear_store()
    push_stock()  # ERPNext counts the order (its level 8 goes out)
    assert sim.stock_of(SKU) == 8
    sim.update_order(order["id"], status="processing")
    assert sim.stock_of(SKU) == 6  # paid: WooCommerce takes the 2 units off by itself, once more
    hear_store()
    push_stock()
    assert sim.stock_of(SKU) == 8
