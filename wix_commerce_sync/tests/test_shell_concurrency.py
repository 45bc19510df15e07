"""Two at once: the same webhook, or the same store order, never becomes two jobs or two Sales Orders.

Each thread opens its own site connection (``frappe.init`` + ``frappe.connect``), exactly as two web
workers or two RQ workers would; this runs on a real ERPNext site and on the stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import frappe

from wix_commerce_sync.shell import get_engine
from wix_commerce_sync.sync.engine import ordering_key_for
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import Entity, Product, Variant
from wix_commerce_sync.tasks.jobs import process_inbound
from wix_commerce_sync.tests import fixtures as fx
from wix_commerce_sync.tests.test_shell_sync import CommerceShellCase, realistic_order


class AtOnce:
    def at_once(self, *tasks: Callable[[], object]) -> list[object]:
        """Run each task in its own thread and connection, released together; returns results or exceptions."""
        site, sites_path = frappe.local.site, frappe.local.sites_path
        barrier = threading.Barrier(len(tasks))
        results: list[object] = [None] * len(tasks)

        def run(index: int, task: Callable[[], object]) -> None:
            frappe.init(site=site, sites_path=sites_path, force=True)
            frappe.connect()
            frappe.set_user("Administrator")
            try:
                barrier.wait(timeout=30)
                results[index] = task()
                frappe.db.commit()
            except Exception as exc:  # the loser of a race: reported to the test
                frappe.db.rollback()
                results[index] = exc
            finally:
                frappe.destroy()

        threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tasks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return results


class TestConcurrentDelivery(AtOnce, CommerceShellCase):
    store_name = "Commerce Concurrency Shop"

    def sales_orders_for(self, external_id: str) -> list[str]:
        return frappe.get_all("Sales Order", filters={"commerce_order_id": external_id, "docstatus": ["<", 2]}, pluck="name")

    def test_same_webhook_delivered_twice_at_once_makes_one_job_and_one_sales_order(self):
        sku = fx.make_item(f"MUG-{frappe.generate_hash(length=5)}", "9.99")
        order = realistic_order(f"7{frappe.generate_hash(length=6)}", sku)
        body, headers = self.fake.webhook("orders/create", order, f"evt-{order.external_id}")

        def deliver():
            response = fx.post_webhook("shopify", body, headers, self.store)
            return response.status_code, fx.response_json(response)["status"]

        answers = self.at_once(deliver, deliver)
        self.assertEqual(sorted(answers), [(200, "duplicate"), (200, "queued")])
        self.assertEqual(len(self.jobs(external_id=order.external_id)), 1)
        process_inbound(self.store)
        self.assertEqual(len(self.sales_orders_for(order.external_id)), 1)

    def test_same_order_applied_by_two_workers_at_once_makes_one_sales_order(self):
        sku = fx.make_item(f"MUG-{frappe.generate_hash(length=5)}", "9.99")
        order = realistic_order(f"6{frappe.generate_hash(length=6)}", sku)

        def apply():
            return get_engine(self.store).apply_inbound(Entity.ORDERS, order)

        outcomes = self.at_once(apply, apply)
        self.assertIn("Success", outcomes)  # one worker made it; the other lost cleanly or saw it made
        losers = [o for o in outcomes if isinstance(o, Exception)]
        for loser in losers:  # the database refused the second order key; nothing half-written remains
            self.assertIn(type(loser).__name__, {"ValidationError", "UniqueValidationError", "DuplicateEntryError"})
        self.assertEqual(len(self.sales_orders_for(order.external_id)), 1)
        self.assertEqual(frappe.db.count("Commerce Order Mapping", {"store": self.store, "external_order_id": order.external_id}), 1)


class TestOneFlushPerStore(AtOnce, CommerceShellCase):
    """RQ's deduplicate checks, then enqueues: two flush jobs of one store can run at once, and a desk action
    pushes too. The store's flush lock lets one push at a time (a new product is never created twice)."""

    store_name = "Commerce Flush Lock Shop"

    def test_a_flush_finding_another_push_running_leaves_its_rows_to_it(self):
        from unittest import mock

        from wix_commerce_sync.persistence.locks import store_lock
        from wix_commerce_sync.tasks import jobs

        with mock.patch.object(jobs, "FLUSH_LOCK_WAIT_SECONDS", 0.2):
            with store_lock(jobs.FLUSH_LOCK, self.store) as held:  # this connection pushes for the store
                self.assertTrue(held)
                (beside,) = self.at_once(lambda: jobs.flush_store(self.store))
            (after,) = self.at_once(lambda: jobs.flush_store(self.store))
        self.assertTrue(beside.get("busy"), beside)
        self.assertNotIn("busy", after)

    def test_the_lock_is_freed_when_its_connection_ends(self):
        """A worker killed mid-push leaves no stale lock: the server frees a session's named locks."""
        from wix_commerce_sync.persistence import locks

        def take_and_never_release():  # the thread ends: frappe.destroy closes its connection
            return frappe.db.sql("select get_lock(%s, 0)", (locks._lock_name("flush", self.store),))[0][0]

        (took,) = self.at_once(take_and_never_release)
        (again,) = self.at_once(lambda: store_lock_taken(self.store))
        self.assertEqual((int(took), again), (1, True))



class TestConcurrentAppliesOfOneRecord(AtOnce, CommerceShellCase):
    store_name = "Commerce Record Turns Shop"

    def test_an_older_event_applied_beside_a_newer_one_waits_for_it_and_is_then_stale(self):
        """Two workers apply two events of one product at once, the newer first. The older one must wait for the
        newer one's commit and then see it (stale, skipped), not decide on what it read before that commit and
        fail on the Item, or write the record's sync state back to what it read."""
        tag = frappe.generate_hash(length=6).upper()
        now = datetime.now(timezone.utc).replace(microsecond=0)

        def product(title: str, minutes_ago: int) -> Product:
            return Product(external_id=f"p-{tag}", title=title, updated_at=now - timedelta(minutes=minutes_ago),
                           variants=[Variant(f"v-{tag}", f"LAMP-{tag}", Decimal("20.00"))])  # fmt: skip

        first, older, newer = product(f"Lamp {tag}", 3), product(f"Lamp {tag} older", 2), product(f"Lamp {tag} newer", 1)
        self.assertEqual(get_engine(self.store).apply_inbound(Entity.ITEMS, first, ordering_key=ordering_key_for(first.updated_at)), "Success")
        frappe.db.commit()
        newer_applied, newer_committed, older_at_write, release = (threading.Event() for _ in range(4))

        def apply_newer():
            engine = get_engine(self.store)
            upsert = engine.erp.upsert_product

            def then_hold(store, record):  # the Item written, not yet committed
                results = upsert(store, record)
                newer_applied.set()
                release.wait(timeout=30)
                return results

            engine.erp.upsert_product = then_hold
            outcome = engine.apply_inbound(Entity.ITEMS, newer, ordering_key=ordering_key_for(newer.updated_at))
            frappe.db.commit()
            newer_committed.set()
            return outcome

        def apply_older():
            newer_applied.wait(timeout=30)
            engine = get_engine(self.store)
            upsert = engine.erp.upsert_product

            def after_the_newer(store, record):  # past the gate: it writes once the newer one is in
                older_at_write.set()
                newer_committed.wait(timeout=30)
                return upsert(store, record)

            engine.erp.upsert_product = after_the_newer
            return engine.apply_inbound(Entity.ITEMS, older, ordering_key=ordering_key_for(older.updated_at))

        def let_the_newer_commit():
            newer_applied.wait(timeout=30)
            older_at_write.wait(timeout=3)  # without turns the older one is past the gate by now
            release.set()

        outcome_newer, outcome_older, _ = self.at_once(apply_newer, apply_older, let_the_newer_commit)

        self.assertEqual((outcome_newer, outcome_older), ("Success", "Skipped"))
        self.assertFalse(older_at_write.is_set())
        frappe.db.rollback()  # a fresh read
        self.assertEqual(frappe.db.get_value("Item", f"LAMP-{tag}", "item_name"), f"Lamp {tag} newer")
        state = frappe.get_value("Commerce Sync State", {"state_key": record_key(self.store, "items", f"p-{tag}")},
                                 "applied_ordering_key")  # fmt: skip
        self.assertEqual(state, ordering_key_for(newer.updated_at))

    def test_the_first_events_of_two_new_records_at_once_do_not_lock_each_other_out(self):
        """Two workers each bring in a product new to ERPNext at once. The turns per record lock only a state row that
        exists: a locking read of a missing one takes a gap lock in InnoDB, and the two inserts into one gap then
        deadlock (on the stand-in's SQLite, the first locking read holds the whole database)."""
        tag = frappe.generate_hash(length=6).upper()
        both_judged = threading.Barrier(2)

        def apply_new(n: int):
            product = Product(external_id=f"p-{tag}-{n}", title=f"Vase {tag} {n}", updated_at=datetime.now(timezone.utc),
                              variants=[Variant(f"v-{tag}-{n}", f"VASE-{tag}-{n}", Decimal("9.00"))])  # fmt: skip
            engine = get_engine(self.store)
            upsert = engine.erp.upsert_product

            def once_both_are_judged(store, record):
                both_judged.wait(timeout=10)
                return upsert(store, record)

            engine.erp.upsert_product = once_both_are_judged
            return engine.apply_inbound(Entity.ITEMS, product, ordering_key=ordering_key_for(product.updated_at))

        self.assertEqual(self.at_once(lambda: apply_new(1), lambda: apply_new(2)), ["Success", "Success"])
        frappe.db.rollback()
        self.assertEqual(frappe.db.count("Item", {"name": ["like", f"VASE-{tag}-%"]}), 2)

def store_lock_taken(store: str) -> bool:
    from wix_commerce_sync.persistence.locks import store_lock

    with store_lock("flush", store) as held:
        return held
