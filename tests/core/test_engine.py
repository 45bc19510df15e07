"""Engine behaviour on the in-memory ERP port and the fake connector."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.sync.errors import TransientError, WebhookVerificationError
from wix_commerce_sync.sync.models import Entity, OrderStatus, Refund, StockLevel
from wix_commerce_sync.sync.ports import OutboundChange
from wix_commerce_sync.sync.settings import ConflictWinner
from wix_commerce_sync.testing.factories import T0, make_order, make_product


def deliver(world, topic, record, event_id):
    body, headers = world.connector.webhook(topic, record, event_id)
    return world.engine.accept_webhook(body, headers)


def test_duplicate_delivery_is_applied_once(world):
    world.erp.upsert_product("Fake Store", make_product())
    first = deliver(world, "orders/create", make_order(), "evt-1")
    second = deliver(world, "orders/create", make_order(), "evt-1")
    assert (first.status, second.status) == ("queued", "duplicate")
    stats = world.engine.run_inbound_jobs()
    assert stats.succeeded == 1
    assert len(world.erp.orders) == 1
    assert world.erp.calls.count("create_order") == 1


def test_same_order_twice_with_different_event_ids_makes_one_order(world):
    world.erp.upsert_product("Fake Store", make_product())
    deliver(world, "orders/create", make_order(), "evt-1")
    world.engine.run_inbound_jobs()
    deliver(world, "orders/updated", make_order(updated=T0.replace(minute=5)), "evt-2")
    world.engine.run_inbound_jobs()
    assert len(world.erp.orders) == 1
    assert world.erp.calls.count("update_order") == 1


def test_forged_webhook_is_refused_before_anything_is_queued(world):
    body, headers = world.connector.webhook("orders/create", make_order(), "evt-1", secret="wrong")
    with pytest.raises(WebhookVerificationError):
        world.engine.accept_webhook(body, headers)
    assert world.jobs.all() == []


def test_stale_event_is_dropped(world):
    newer = make_product(price="12.00", updated=T0.replace(hour=13))
    older = make_product(price="11.00", updated=T0)
    deliver(world, "products/update", newer, "evt-new")
    world.engine.run_inbound_jobs()
    deliver(world, "products/update", older, "evt-old")
    stats = world.engine.run_inbound_jobs()
    assert stats.skipped == 1 and stats.succeeded == 0
    assert world.erp.items["SKU-1"]["price"] == Decimal("12.00")
    assert any(e.operation == "stale" for e in world.logger.with_status("Skipped"))


def test_out_of_order_arrival_while_queued_keeps_the_newest(world):
    deliver(world, "products/update", make_product(price="12.00", updated=T0.replace(hour=13)), "evt-new")
    deliver(world, "products/update", make_product(price="11.00", updated=T0), "evt-old")
    statuses = sorted(j.status for j in world.jobs.all())
    assert statuses == [q.QUEUED, q.SUPERSEDED]
    world.engine.run_inbound_jobs()
    assert world.erp.items["SKU-1"]["price"] == Decimal("12.00")


def test_a_change_we_pushed_does_not_come_back(world):
    product = make_product(price="15.00")
    world.engine.queue_outbound(OutboundChange("items", "p1", product))
    world.engine.flush_outbound(Entity.ITEMS)
    assert world.connector.pushes[0][0] == "upsert_products"
    # the store echoes the same product back through its webhook
    deliver(world, "products/update", make_product(price="15.00", updated=T0.replace(hour=14)), "evt-echo")
    stats = world.engine.run_inbound_jobs()
    assert stats.skipped == 1
    assert "upsert_product" not in world.erp.calls
    assert any(e.operation == "echo" for e in world.logger.entries)


def test_a_retried_job_next_to_a_newer_change_of_its_record_is_written_once(world):
    """Issue 16 chaos finding: two jobs of one record in one batch went out as two creates (two store products).
    A newer change supersedes an older Queued or Failed one, but not one a worker still holds: a worker killed
    mid-push leaves its job Processing, and once the claim lease passes it is claimed next to the newer change."""
    world.engine.queue_outbound(OutboundChange("items", "p1", make_product(price="15.00")))
    [held] = world.jobs.claim("killed-worker", world.clock(), store=world.engine.store, direction=q.OUTBOUND)
    world.clock.advance(seconds=1)
    world.engine.queue_outbound(OutboundChange("items", "p1", make_product(price="16.00")))
    world.clock.advance(seconds=q.CLAIM_LEASE.total_seconds() + 1)
    stats = world.engine.flush_outbound(Entity.ITEMS)
    [(method, rows)] = world.connector.pushes
    assert method == "upsert_products" and [r.variants[0].price for r in rows] == [Decimal("16.00")]
    assert (stats.succeeded, stats.failed) == (2, 0)
    assert sorted(j.status for j in world.jobs.all()) == [q.DONE, q.DONE] and held.name in {j.name for j in world.jobs.all()}


def test_a_stock_job_held_by_a_killed_worker_does_not_put_an_older_level_back(world):
    """Chaos finding (seed 16): the Wix store showed one unit more than ERPNext. A flush claimed the push of 27 and
    its worker was killed; ERPNext moved to 26 and that went out; once the claim lease passed, the held job went out
    with its 27 and was remembered as pushed. A stock push carries ERPNext's level at the time it is sent."""
    world.erp.stock[("SKU-1", None)] = Decimal(27)
    assert world.engine.plan_stock_push() == 1
    [held] = world.jobs.claim("killed-worker", world.clock(), store=world.engine.store, direction=q.OUTBOUND)
    world.clock.advance(seconds=1)
    world.erp.stock[("SKU-1", None)] = Decimal(26)  # a reservation: another store's order
    assert world.engine.plan_stock_push() == 1
    assert _stock_pushed(world) == [Decimal(26)]
    world.clock.advance(seconds=q.CLAIM_LEASE.total_seconds() + 1)
    assert _stock_pushed(world) == [Decimal(26), Decimal(26)]  # the held job, reclaimed: ERPNext's level now
    assert world.jobs.get(held.name).status == q.DONE
    assert world.engine.plan_stock_push() == 0  # what the store has is what was remembered as pushed


def test_a_product_job_held_by_a_killed_worker_does_not_put_an_older_version_back(world):
    """The items side of the finding above: a flush claimed the push of price 15.00 and its worker was killed; the
    merchant changed the price to 16.00 and that went out; once the claim lease passed, the held job would have put
    15.00 back on the store and been remembered as pushed. A product job older than its record's last push sends
    ERPNext's version now."""
    world.erp.upsert_product(world.engine.store, make_product(price="15.00"))  # linked: store product p1 <-> Item SKU-1
    world.engine.queue_outbound(OutboundChange("items", "SKU-1", make_product(price="15.00")))
    [held] = world.jobs.claim("killed-worker", world.clock(), store=world.engine.store, direction=q.OUTBOUND)
    world.clock.advance(seconds=1)
    world.erp.items["SKU-1"]["price"] = Decimal("16.00")
    world.engine.queue_outbound(OutboundChange("items", "SKU-1", make_product(price="16.00")))
    world.engine.flush_outbound(Entity.ITEMS)
    world.clock.advance(seconds=q.CLAIM_LEASE.total_seconds() + 1)
    world.engine.flush_outbound(Entity.ITEMS)
    pushed = [p.variants[0].price for method, rows in world.connector.pushes if method == "upsert_products" for p in rows]
    assert pushed == [Decimal("16.00"), Decimal("16.00")]  # the held job, reclaimed: ERPNext's version now
    assert world.jobs.get(held.name).status == q.DONE


def test_a_product_job_retried_after_a_store_edit_was_applied_sends_erpnexts_version_now(world):
    """Full chaos run finding: an ERPNext edit's push failed and was retried after a later store edit of the same
    product had been applied to ERPNext. The retry put the older ERPNext version on the store, over the newer one
    both sides had agreed on."""
    world.erp.upsert_product(world.engine.store, make_product(price="15.00"))  # linked: store product p1 <-> SKU-1
    world.erp.items["SKU-1"]["price"] = Decimal("16.00")  # the merchant's edit; its push fails for now
    world.engine.queue_outbound(OutboundChange("items", "SKU-1", make_product(price="16.00")))
    world.connector.fail_next.append(TransientError("store down"))
    world.engine.flush_outbound(Entity.ITEMS)
    world.clock.advance(minutes=1)
    body, headers = world.connector.webhook("products/update", make_product(price="20.00", updated=world.clock()), "evt-2")
    world.engine.accept_webhook(body, headers)
    world.engine.run_inbound_jobs()  # the store's later edit, applied to ERPNext
    assert world.erp.items["SKU-1"]["price"] == Decimal("20.00")
    world.clock.advance(seconds=3600)
    world.engine.flush_outbound(Entity.ITEMS)  # the retry
    pushed = [p.variants[0].price for method, rows in world.connector.pushes if method == "upsert_products" for p in rows]
    assert pushed == [Decimal("20.00")]  # ERPNext's version now, not the older 16.00


def test_a_failed_stock_push_retried_later_sends_the_level_of_its_retry(world):
    world.erp.stock[("SKU-1", None)] = Decimal(9)
    world.engine.plan_stock_push()
    world.connector.fail_next.append(TransientError("store down"))
    world.engine.flush_outbound(Entity.STOCK)
    world.erp.stock[("SKU-1", None)] = Decimal(7)
    world.clock.advance(seconds=3600)
    assert _stock_pushed(world) == [Decimal(7)]


def test_a_change_we_applied_is_not_pushed_back(world):
    deliver(world, "products/update", make_product(price="13.00"), "evt-1")
    world.engine.run_inbound_jobs()
    # ERPNext's save of that item raises a doc event; the same content must not be queued
    assert world.engine.queue_outbound(OutboundChange("items", "p1", make_product(price="13.00"))) is None
    assert world.engine.queue_outbound(OutboundChange("items", "p1", make_product(price="14.00"))) is not None


def test_supersede_keeps_only_the_newest_queued_change(world):
    for qty in (5, 4, 3):
        world.engine.queue_outbound(OutboundChange("stock", "SKU-1@default", StockLevel("SKU-1", Decimal(qty))))
        world.clock.advance(seconds=1)
    jobs = world.jobs.all()
    assert [j.status for j in jobs] == [q.SUPERSEDED, q.SUPERSEDED, q.QUEUED]
    world.engine.flush_outbound(Entity.STOCK)
    method, rows = world.connector.pushes[-1]
    assert method == "set_stock" and [r.quantity for r in rows] == [Decimal(3)]


def test_unchanged_stock_is_not_queued_twice(world):
    world.erp.stock[("SKU-1", None)] = Decimal(7)
    assert world.engine.plan_stock_push() == 1
    world.engine.flush_outbound(Entity.STOCK)
    assert world.engine.plan_stock_push() == 0
    world.erp.stock[("SKU-1", None)] = Decimal(6)
    assert world.engine.plan_stock_push() == 1


def test_a_periodic_re_plan_does_not_queue_what_already_waits(world):
    world.erp.stock[("SKU-1", None)] = Decimal(7)
    assert world.engine.plan_stock_push() == 1
    world.clock.advance(seconds=300)  # the interval push finds the same quantity before the flush sent it
    assert world.engine.plan_stock_push() == 0
    assert [j.status for j in world.jobs.all()] == [q.QUEUED]
    world.erp.stock[("SKU-1", None)] = Decimal(6)  # a different quantity still replaces the waiting one
    assert world.engine.plan_stock_push() == 1
    assert [j.status for j in world.jobs.all()] == [q.SUPERSEDED, q.QUEUED]


def _stock_pushed(world) -> list[Decimal]:
    world.engine.flush_outbound(Entity.STOCK)
    return [row.quantity for method, rows in world.connector.pushes if method == "set_stock" for row in rows]


def test_a_store_cancel_pushes_the_order_skus_again_though_erpnext_did_not_move(world):
    """The store restocks a cancelled order by itself: what it last got from us is no longer what it shows."""
    world.erp.upsert_product("Fake Store", make_product())
    deliver(world, "orders/create", make_order(), "evt-1")
    world.engine.run_inbound_jobs()
    world.erp.stock[("SKU-1", None)] = Decimal(8)
    world.erp.stock[("SKU-2", None)] = Decimal(4)
    world.engine.plan_stock_push()
    before = len(_stock_pushed(world))
    world.clock.advance(seconds=1)
    deliver(world, "orders/updated", make_order(updated=T0.replace(minute=5), status=OrderStatus.CANCELLED), "evt-2")
    world.engine.run_inbound_jobs()
    assert world.erp.orders[("Fake Store", "o1")].status == "Cancelled"
    assert _stock_pushed(world)[before:] == [Decimal(8)]  # SKU-1 (the order's) again, SKU-2 (not in it) not


def test_an_order_cancelled_before_erpnext_saw_it_pushes_its_skus_again(world):
    world.erp.stock[("SKU-1", None)] = Decimal(8)
    world.engine.plan_stock_push()
    assert _stock_pushed(world) == [Decimal(8)]
    world.clock.advance(seconds=1)
    deliver(world, "orders/updated", make_order(status=OrderStatus.CANCELLED), "evt-1")
    world.engine.run_inbound_jobs()
    assert world.erp.orders == {}
    assert _stock_pushed(world) == [Decimal(8), Decimal(8)]


def test_a_refund_the_store_restocked_pushes_the_order_skus_again(world):
    world.erp.upsert_product("Fake Store", make_product())
    deliver(world, "orders/create", make_order(), "evt-1")
    world.engine.run_inbound_jobs()
    world.erp.stock[("SKU-1", None)] = Decimal(8)
    world.engine.plan_stock_push()
    before = len(_stock_pushed(world))
    money_only = Refund("r1", "o1", Decimal("5.00"), restock=False)
    world.clock.advance(seconds=1)
    order = make_order(updated=T0.replace(minute=5))
    order.refunds = [money_only]
    deliver(world, "orders/updated", order, "evt-2")
    world.engine.run_inbound_jobs()
    assert _stock_pushed(world)[before:] == []  # money only: the store's shelf did not move
    world.clock.advance(seconds=1)
    order = make_order(updated=T0.replace(minute=6))
    order.refunds = [money_only, Refund("r2", "o1", Decimal("5.00"), restock=True)]
    deliver(world, "orders/updated", order, "evt-3")
    world.engine.run_inbound_jobs()
    assert _stock_pushed(world)[before:] == [Decimal(8)]  # restocked on the store: ERPNext's level goes out again


def test_a_store_status_move_pushes_the_order_skus_again_a_note_edit_does_not(world):
    """WooCommerce takes an order's units off when it moves to processing and gives them back on pending."""
    world.erp.upsert_product("Fake Store", make_product())
    deliver(world, "orders/create", make_order(status=OrderStatus.PENDING), "evt-1")
    world.engine.run_inbound_jobs()
    world.erp.stock[("SKU-1", None)] = Decimal(8)
    world.engine.plan_stock_push()
    before = len(_stock_pushed(world))
    world.clock.advance(seconds=1)
    noted = make_order(updated=T0.replace(minute=5), status=OrderStatus.PENDING)
    noted.note = "gift wrap"
    deliver(world, "orders/updated", noted, "evt-2")
    world.engine.run_inbound_jobs()
    assert _stock_pushed(world)[before:] == []
    world.clock.advance(seconds=1)
    deliver(world, "orders/updated", make_order(updated=T0.replace(minute=6)), "evt-3")  # pending -> processing
    world.engine.run_inbound_jobs()
    assert _stock_pushed(world)[before:] == [Decimal(8)]


def test_failing_job_retries_with_growing_delays_then_dead(world):
    world.erp.upsert_product("Fake Store", make_product())
    deliver(world, "orders/create", make_order(), "evt-1")
    world.erp.fail_next = [TransientError("ERP busy")] * 10
    delays = []
    for _ in range(world.settings.max_retries):
        stats = world.engine.run_inbound_jobs()
        assert stats.failed == 1
        job = world.jobs.all()[0]
        if job.status == q.DEAD:
            break
        delays.append((job.next_attempt_at - world.clock()).total_seconds())
        assert world.engine.run_inbound_jobs().processed == 0  # not due yet
        world.clock.now = job.next_attempt_at
    job = world.jobs.all()[0]
    assert job.status == q.DEAD and job.attempts == world.settings.max_retries
    assert delays == sorted(delays) and delays[0] < delays[-1]
    assert delays == [60, 120, 240, 480]
    failures = world.logger.with_status("Failed")
    assert len(failures) == world.settings.max_retries
    assert failures[-1].message.startswith("Dead after 5 attempts")
    assert len(world.logger.alerts) == 1  # alerted once, at the third failure


def test_failed_job_succeeds_after_manual_retry(world):
    deliver(world, "orders/create", make_order(sku="UNKNOWN"), "evt-1")
    world.engine.run_inbound_jobs()
    job = world.jobs.all()[0]
    assert job.status == q.FAILED and "unknown SKU 'UNKNOWN'" in job.last_error
    world.erp.upsert_product("Fake Store", make_product(sku="UNKNOWN"))
    assert world.engine.retry([job.name]) == 1
    assert world.engine.run_inbound_jobs().succeeded == 1
    assert len(world.erp.orders) == 1


@pytest.mark.parametrize(
    ("winner", "store_applied"),
    [(ConflictWinner.ERP, False), (ConflictWinner.STORE, True), (ConflictWinner.NEWEST, True)],
)
def test_both_sides_changed_conflict_follows_policy(world, winner, store_applied):
    world.settings.conflict_winner = winner
    deliver(world, "products/update", make_product(price="10.00", updated=T0), "evt-1")
    world.engine.run_inbound_jobs()
    world.clock.advance(minutes=10)
    world.erp.touch("Fake Store", "items", "p1", world.clock())  # edited in ERPNext after the sync
    world.clock.advance(minutes=10)
    deliver(world, "products/update", make_product(price="20.00", updated=world.clock()), "evt-2")
    world.engine.run_inbound_jobs()
    expected = Decimal("20.00") if store_applied else Decimal("10.00")
    assert world.erp.items["SKU-1"]["price"] == expected
    conflicts = world.logger.with_status("Conflict")
    assert len(conflicts) == 1 and ("store wins" if store_applied else "ERPNext wins") in conflicts[0].message


def test_batch_per_row_errors_fail_only_that_row(world):
    world.connector.reject_keys = {"SKU-2@default"}
    for sku in ("SKU-1", "SKU-2", "SKU-3"):
        world.engine.queue_outbound(OutboundChange("stock", f"{sku}@default", StockLevel(sku, Decimal(1))))
    stats = world.engine.flush_outbound(Entity.STOCK)
    assert (stats.succeeded, stats.failed) == (2, 1)
    assert len(world.connector.pushes) == 1  # one batch call
    logged = [(e.status, e.message) for e in world.logger.entries if e.operation == "upsert stock"]
    assert sorted(s for s, _ in logged) == ["Failed", "Partial"]  # the batch, and the row that failed
    assert any(s == "Failed" and "SKU-2" in m for s, m in logged)


def test_flush_waits_for_a_full_batch_or_age(world):
    world.settings.batch_size = 3
    world.engine.queue_outbound(OutboundChange("stock", "A@default", StockLevel("A", Decimal(1))))
    assert world.engine.flush_outbound(Entity.STOCK, force=False).processed == 0
    world.clock.advance(seconds=61)
    assert world.engine.flush_outbound(Entity.STOCK, force=False).processed == 1


def test_poll_uses_cursor_with_overlap_and_counts(world):
    world.erp.upsert_product("Fake Store", make_product())
    world.connector.orders = {f"o{i}": make_order(f"o{i}", updated=T0.replace(minute=i)) for i in range(3)}
    first = world.engine.poll(Entity.ORDERS)
    assert (first.processed, first.succeeded) == (3, 3)
    assert world.state.get_cursor("Fake Store", "orders") == T0.replace(minute=2)
    second = world.engine.poll(Entity.ORDERS)  # overlap re-reads, nothing changes
    assert second.succeeded == 0 and len(world.erp.orders) == 3


def test_a_poll_keeps_each_record_as_it_is_applied(world, monkeypatch):
    """A poll of every order (the desk's "Sync Orders", a backfill) kept all it applied in one transaction to its
    end: every Sales Order and mapping it touched stayed locked, and the webhook jobs of those orders failed on them
    until they went Dead (chaos run). The job store keeps progress after each record, the failed one included."""
    world.erp.upsert_product("Fake Store", make_product())
    world.connector.orders = {f"o{i}": make_order(f"o{i}", updated=T0.replace(minute=i)) for i in range(3)}
    world.connector.orders["o3"] = make_order("o3", sku="NOPE", updated=T0.replace(minute=3))
    kept: list[int] = []
    monkeypatch.setattr(world.jobs, "keep_progress", lambda: kept.append(len(world.erp.orders)))
    stats = world.engine.poll(Entity.ORDERS)
    assert (stats.succeeded, stats.failed) == (3, 1)
    assert kept == [1, 2, 3, 3]  # after each order, not once at the end


def test_poll_failure_is_queued_for_retry_not_lost(world):
    world.connector.orders = {"o1": make_order("o1", sku="NOPE")}
    stats = world.engine.poll(Entity.ORDERS)
    assert stats.failed == 1 and "NOPE" in stats.errors[0]
    job = world.jobs.all()[0]
    assert job.status == q.FAILED and job.attempts == 1


def test_disabled_direction_skips(world):
    from wix_commerce_sync.sync.models import Direction

    world.settings.directions[Entity.ORDERS] = Direction.ERP_TO_STORE
    outcome = deliver(world, "orders/create", make_order(), "evt-1")
    assert outcome.status == "ignored" and world.jobs.all() == []


def test_poll_failure_never_touches_other_due_jobs(world):
    world.erp.upsert_product("Fake Store", make_product())
    deliver(world, "orders/create", make_order("waiting"), "evt-waiting")  # due, not yet run
    world.connector.orders = {"o1": make_order("o1", sku="NOPE")}
    world.engine.poll(Entity.ORDERS)
    statuses = {j.external_id: j.status for j in world.jobs.all()}
    assert statuses == {"waiting": q.QUEUED, "o1": q.FAILED}
    assert world.engine.run_inbound_jobs().succeeded == 1  # the waiting order still runs


def test_rows_per_call_follow_the_platform_not_the_flush_threshold(world):
    world.settings.batch_size = 100  # the store's "Outbound Batch Size": when to flush
    for i in range(600):
        world.engine.queue_outbound(OutboundChange("stock", f"S{i}@default", StockLevel(f"S{i}", Decimal(i))))
    world.engine.flush_outbound(Entity.STOCK)
    sizes = [len(rows) for method, rows in world.connector.pushes if method == "set_stock"]
    assert sizes == [250, 250, 100]  # the fake connector declares 250 stock rows per call, like Shopify


def test_full_poll_imports_products_through_the_bulk_path(world):
    calls = []
    world.connector.import_products = lambda: calls.append("bulk") or iter([make_product()])
    stats = world.engine.poll(Entity.ITEMS, full=True)
    assert calls == ["bulk"] and stats.succeeded == 1
    assert world.state.get_cursor("Fake Store", "items") == T0


def test_a_status_filtered_poll_leaves_the_cursor_for_the_orders_it_filtered_out(world):
    """A desk "Sync Orders" for one status reads the other statuses' orders but applies none of them: moving the
    cursor past them would hide an order whose webhook was dropped from every later reconciliation poll."""
    from datetime import timedelta

    world.erp.upsert_product("Fake Store", make_product())
    refunded = make_order("refunded-earlier", updated=T0)
    refunded.store_status = "refunded"
    world.connector.orders = {"refunded-earlier": refunded, "open-later": make_order("open-later", updated=T0 + timedelta(hours=2))}
    filtered = world.engine.poll(Entity.ORDERS, since=T0 - timedelta(days=1), statuses=["open"])
    assert filtered.succeeded == 1
    world.engine.poll(Entity.ORDERS)  # the reconciliation: since its cursor
    assert len(world.erp.orders) == 2  # the refunded order, filtered out by the desk, is read by the reconciliation
