"""Product edits on both sides end with both sides equal (issue 16, chaos finding): the loser of a conflict, and a
store that shows an older version than ERPNext's after our push overwrote a store edit, get ERPNext's version again;
a store event older than a push the store has echoed is stale."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from wix_commerce_sync.sync.models import Entity
from wix_commerce_sync.sync.ports import OutboundChange
from wix_commerce_sync.sync.settings import ConflictWinner
from wix_commerce_sync.testing.factories import T0, make_product

STORE = "Fake Store"


def deliver(world, record, event_id):
    body, headers = world.connector.webhook("products/update", record, event_id)
    world.engine.accept_webhook(body, headers)
    return world.engine.run_inbound_jobs()


def pushed_prices(world) -> list[Decimal]:
    return [p.variants[0].price for op, rows in world.connector.pushes if op == "upsert_products" for p in rows]


def erp_price(world) -> Decimal:
    return world.erp.items["SKU-1"]["price"]


def push_erp_version(world, price: str) -> None:
    """An ERPNext edit of the linked Item and its push (the store answers with its product id, p1)."""
    world.erp.items["SKU-1"]["price"] = Decimal(price)
    world.erp.touch(STORE, "items", "p1", world.clock())
    world.engine.queue_outbound(OutboundChange("items", "SKU-1", make_product(price=price, updated=world.clock())))
    world.engine.flush_outbound(Entity.ITEMS)


def test_a_store_edit_that_loses_the_conflict_gets_erpnexts_version_pushed_back(world):
    world.settings.conflict_winner = ConflictWinner.ERP
    deliver(world, make_product(price="10.00", updated=T0), "evt-1")
    world.clock.advance(minutes=10)
    world.erp.items["SKU-1"]["price"] = Decimal("15.00")  # edited in ERPNext; its push is not out yet
    world.erp.touch(STORE, "items", "p1", world.clock())
    world.clock.advance(minutes=10)
    deliver(world, make_product(price="20.00", updated=world.clock()), "evt-2")
    assert erp_price(world) == Decimal("15.00")  # ERPNext wins ...
    world.engine.flush_outbound(Entity.ITEMS)
    assert pushed_prices(world) == [Decimal("15.00")]  # ... and the store, the loser, shows its version again


def test_an_echo_of_our_push_after_a_store_edit_was_applied_sends_erpnexts_version_again(world):
    world.connector.clock = None  # the push's answer gives no store time: only the echo tells what the store shows
    deliver(world, make_product(price="10.00", updated=T0), "evt-1")
    world.clock.advance(minutes=10)
    store_edit_at = world.clock()  # the merchant edits on the store ...
    world.clock.advance(minutes=1)
    push_erp_version(world, "15.00")  # ... then our push of an older ERPNext edit overwrites it on the store
    world.clock.advance(minutes=1)
    deliver(world, make_product(price="20.00", updated=store_edit_at), "evt-store-edit")  # its webhook comes late
    assert erp_price(world) == Decimal("20.00")
    deliver(world, make_product(price="15.00", updated=world.clock()), "evt-echo")  # the store shows our push
    world.engine.flush_outbound(Entity.ITEMS)
    assert pushed_prices(world) == [Decimal("15.00"), Decimal("20.00")]  # both sides end on ERPNext's 20.00
    # that push's own echo changes nothing more
    deliver(world, make_product(price="20.00", updated=world.clock().replace(second=30)), "evt-echo-2")
    world.engine.flush_outbound(Entity.ITEMS)
    assert pushed_prices(world) == [Decimal("15.00"), Decimal("20.00")] and erp_price(world) == Decimal("20.00")


@pytest.mark.parametrize("echo_first", [True, False], ids=["after the echo", "before the echo"])
def test_a_store_event_older_than_our_push_is_stale(world, echo_first):
    """A store edit older than our push was overwritten on the store by that push, so it never reaches ERPNext:
    known from the push's echo, and before that echo comes from the store's updated time the push's answer gives."""
    deliver(world, make_product(price="10.00", updated=T0), "evt-1")
    world.clock.advance(minutes=10)
    store_edit_at = world.clock()
    world.clock.advance(minutes=1)
    push_erp_version(world, "15.00")
    world.clock.advance(minutes=1)
    if echo_first:
        deliver(world, make_product(price="15.00", updated=world.clock()), "evt-echo")  # the store shows our push
    stats = deliver(world, make_product(price="20.00", updated=store_edit_at), "evt-store-edit")  # overwritten since
    assert stats.skipped == 1 and erp_price(world) == Decimal("15.00")
    assert any(e.operation == "stale" for e in world.logger.entries)
    world.engine.flush_outbound(Entity.ITEMS)
    assert pushed_prices(world) == [Decimal("15.00")]


def test_a_late_echo_of_an_earlier_push_does_not_revert_a_newer_erpnext_edit(world):
    """Chaos finding (Shopify): push 11, then push 12; the echo of push 11 arrives after push 12 went out. It is no
    store edit: applied, it put ERPNext back to 11 while the store showed 12."""
    deliver(world, make_product(price="10.00", updated=T0), "evt-0")
    world.clock.advance(minutes=1)
    push_erp_version(world, "11.00")
    first_push_at = world.clock()
    world.clock.advance(minutes=1)
    push_erp_version(world, "12.00")
    second_push_at = world.clock()
    world.clock.advance(minutes=1)
    deliver(world, make_product(price="11.00", updated=first_push_at), "evt-echo-1")
    deliver(world, make_product(price="12.00", updated=second_push_at), "evt-echo-2")
    world.engine.flush_outbound(Entity.ITEMS)
    assert erp_price(world) == Decimal("12.00")
    assert pushed_prices(world) == [Decimal("11.00"), Decimal("12.00")]


def test_a_late_echo_of_an_earlier_push_in_the_same_second_is_stale_but_a_store_edit_is_not(world):
    """Store times have whole seconds: two pushes in one second carry the same time, so the older one's echo is
    known by its content (a hash pushed before the last); a store edit of that same second is still applied."""
    deliver(world, make_product(price="10.00", updated=T0), "evt-0")
    world.clock.advance(minutes=1)
    push_erp_version(world, "11.00")
    push_erp_version(world, "12.00")  # same store time as push 11
    same_second = world.clock()
    stats = deliver(world, make_product(price="11.00", updated=same_second), "evt-echo-1")
    assert stats.skipped == 1 and erp_price(world) == Decimal("12.00")
    deliver(world, make_product(price="13.00", updated=same_second), "evt-store-edit")  # the merchant, same second
    assert erp_price(world) == Decimal("13.00")


def test_a_product_new_to_the_store_gets_erpnexts_stock_right_after_it_is_made(world):
    """An ERPNext item pushed to a store that never had it (no store id yet) is made there with no stock: its
    levels go out with it, not at the item's next stock change (which may never come)."""
    world.erp.stock[("SKU-9", None)] = Decimal(7)
    product = make_product(pid=None, sku="SKU-9", price="9.00")
    world.engine.queue_outbound(OutboundChange("items", "SKU-9", product))
    world.engine.flush_outbound(Entity.ITEMS)
    world.engine.flush_outbound(Entity.STOCK)
    stock = [(r.sku, r.quantity) for op, rows in world.connector.pushes if op == "set_stock" for r in rows]
    assert stock == [("SKU-9", Decimal(7))]


def test_a_product_without_variants_yet_is_skipped_not_failed_and_its_variants_come_later(world):
    """A WooCommerce variable product is created before its variations (the app's own create does parent, then
    variations): the first event lists none. Retrying that event can never succeed (chaos finding: the job went
    Dead), and there is nothing to map yet; it is skipped, and the event that brings the variants is applied."""
    empty = dataclasses.replace(make_product(updated=T0), variants=[])
    stats = deliver(world, empty, "evt-empty")
    assert (stats.failed, stats.skipped) == (0, 1)
    assert any(e.operation == "empty" and "no variants yet" in (e.message or "") for e in world.logger.entries)
    assert "SKU-1" not in world.erp.items
    world.clock.advance(minutes=1)
    stats = deliver(world, make_product(price="12.00", updated=world.clock()), "evt-with-variants")
    assert stats.succeeded == 1 and erp_price(world) == Decimal("12.00")


def test_a_store_version_no_newer_than_our_last_sync_does_not_undo_a_later_erpnext_edit(world):
    """ERPNext changed after our last push to a store (an edit, or another store's edit applied): a store event of
    that store no newer than the push is not a store edit to apply over it; ERPNext's version goes out instead.
    (Found by the chaos run: a WooCommerce copy of a product, one push behind, put ERPNext back to that push.)"""
    deliver(world, make_product(price="10.00", updated=T0), "evt-1")
    world.clock.advance(minutes=10)
    push_erp_version(world, "15.00")
    pushed_at = world.clock()  # the store stamps our write with this time, and we remember it
    world.clock.advance(minutes=5)
    world.erp.items["SKU-1"]["price"] = Decimal("30.00")  # ERPNext moves on; its push is not out yet
    world.erp.touch(STORE, "items", "p1", world.clock())
    world.clock.advance(minutes=1)
    # a version the store showed at the moment of our push, not ours (a WooCommerce parent written before its
    # variations), arrives now
    deliver(world, make_product(price="12.00", updated=pushed_at), "evt-mid-push")
    assert erp_price(world) == Decimal("30.00")
    world.engine.flush_outbound(Entity.ITEMS)
    assert pushed_prices(world) == [Decimal("15.00"), Decimal("30.00")]
