"""Records deleted (or trashed) on the store: unlinked and logged, never deleted or cancelled in the ERP,
never crashing, never retried to Dead (issue 11)."""

from __future__ import annotations

import pytest

from wix_commerce_sync.connectors.base import WebhookEvent
from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.sync.models import DeletedRecord, Entity, OrderStatus
from wix_commerce_sync.testing.factories import T0, make_order, make_product

STORE = "Fake Store"


def deleted(world, entity: Entity, external_id: str, *, record=None, key: str = "d1") -> None:
    """Queue a deleted event the way every connector parses one: only the id."""
    record = DeletedRecord(entity=entity, external_id=external_id) if record is None else record
    event = WebhookEvent(topic=f"{entity.value}.deleted", entity=entity, action="deleted", external_id=external_id,
                         dedupe_key=f"deleted:{key}", ordering_key="2024-01-02T00:00:00.000000Z", record=record)
    assert world.engine.enqueue_inbound(event) is not None


def run(world):
    stats = world.engine.run_inbound_jobs()
    assert stats.failed == 0, stats.errors
    assert not [j for j in world.jobs.all() if j.status in (q.FAILED, q.DEAD)]
    return stats


def test_deleted_product_is_unlinked_and_its_item_kept_enabled_by_default(world):
    world.engine.apply_inbound(Entity.ITEMS, make_product())
    deleted(world, Entity.ITEMS, "p1")
    stats = run(world)
    assert stats.succeeded == 1
    assert world.erp.items["SKU-1"].get("disabled") is None  # never deleted, and not disabled without the setting
    assert ("Fake Store", "v-SKU-1") not in world.erp.item_links and (STORE, "p1") not in world.erp.product_items
    [entry] = [e for e in world.logger.entries if e.operation == "product deleted on store"]
    assert entry.status == "Success" and "unlinked" in entry.message and entry.reference_name == "SKU-1"


def test_deleted_product_disables_its_item_where_the_store_says_so(world):
    world.settings.disable_items_deleted_on_store = True
    world.engine.apply_inbound(Entity.ITEMS, make_product())
    deleted(world, Entity.ITEMS, "p1")
    run(world)
    assert world.erp.items["SKU-1"]["disabled"] is True and "SKU-1" in world.erp.items


def test_deleted_variant_unlinks_only_that_item(world):
    world.engine.apply_inbound(Entity.ITEMS, make_product())
    deleted(world, Entity.ITEMS, "v-SKU-1")
    assert run(world).succeeded == 1
    assert ("Fake Store", "v-SKU-1") not in world.erp.item_links


def test_an_older_update_arriving_after_the_deletion_is_stale(world):
    world.engine.apply_inbound(Entity.ITEMS, make_product())
    deleted(world, Entity.ITEMS, "p1")
    run(world)
    outcome = world.engine.apply_inbound(Entity.ITEMS, make_product(price="99.00"),
                                         ordering_key="2024-01-01T13:00:00.000000Z")
    assert outcome == "Skipped" and (STORE, "p1") not in world.erp.product_items


def test_deleted_customer_mapping_is_removed_and_the_customer_kept(world):
    customer = make_order().customer
    world.engine.apply_inbound(Entity.CUSTOMERS, customer)
    deleted(world, Entity.CUSTOMERS, "c1")
    assert run(world).succeeded == 1
    assert (STORE, "c1") not in world.erp.customer_links and "Ann" in world.erp.customers


def test_deleted_open_order_is_flagged_not_cancelled(world):
    world.erp.upsert_product(STORE, make_product())
    world.engine.apply_inbound(Entity.ORDERS, make_order())
    deleted(world, Entity.ORDERS, "o1")
    stats = run(world)
    order = world.erp.orders[(STORE, "o1")]
    assert order.status != "Cancelled" and "cancel_order" not in world.erp.calls
    assert order.comments and "deleted on store" in order.comments[0]
    [entry] = [e for e in world.logger.entries if e.operation == "order deleted on store"]
    assert entry.status == "Conflict" and order.name in entry.message and "not cancelled" in entry.message
    assert stats.skipped == 1  # handled (the job is done), but not a plain success: a person must look


def test_deleted_order_already_completed_is_only_logged(world):
    world.erp.upsert_product(STORE, make_product())
    world.engine.apply_inbound(Entity.ORDERS, make_order())
    world.engine.apply_inbound(Entity.ORDERS, make_order(updated=T0.replace(hour=14), status=OrderStatus.DELIVERED))
    deleted(world, Entity.ORDERS, "o1")
    run(world)
    order = world.erp.orders[(STORE, "o1")]
    assert order.status == "Completed" and not order.comments
    [entry] = [e for e in world.logger.entries if e.operation == "order deleted on store"]
    assert entry.status == "Skipped" and "already Completed" in entry.message


@pytest.mark.parametrize("entity", [Entity.ITEMS, Entity.CUSTOMERS, Entity.ORDERS])
def test_deletion_of_something_never_synced_is_skipped(world, entity):
    deleted(world, entity, "unknown-9")
    stats = run(world)
    assert stats.skipped == 1 and world.logger.with_status("Skipped")


def test_a_deleted_job_without_a_record_uses_the_job_id(world):
    """Jobs queued before DeletedRecord existed carried no record: they still apply, by the job's id."""
    world.engine.apply_inbound(Entity.ITEMS, make_product())
    event = WebhookEvent(topic="product.deleted", entity=Entity.ITEMS, action="deleted", external_id="p1",
                         dedupe_key="legacy", record=None)
    world.engine.enqueue_inbound(event)
    assert run(world).succeeded == 1 and (STORE, "p1") not in world.erp.product_items


def test_stock_has_no_deletion(world):
    deleted(world, Entity.STOCK, "SKU-1")
    assert run(world).skipped == 1
