"""Stock in seconds (issue 14): a queued change asks for the store's flush job at once; the flush takes changes made
while it runs; a failed flush keeps its rows for the tick's retry; the safety stock is held back from the store.

The background jobs are held (a bench's workers must not run them behind the test); the test runs the flush job
in-process as a worker would, and the held ``frappe.enqueue`` calls show what was asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import frappe

from wix_commerce_sync.erpnext.adapter import ErpNextAdapter
from wix_commerce_sync.persistence.times import to_db
from wix_commerce_sync.shell import get_engine
from wix_commerce_sync.sync.errors import TransientError
from wix_commerce_sync.sync.models import OrderStatus, OrderStatusUpdate, StockLevel
from wix_commerce_sync.sync.ports import OutboundChange
from wix_commerce_sync.tasks import events, jobs
from wix_commerce_sync.tasks.scheduler import run_store_work
from wix_commerce_sync.tests import fixtures as fx

LOCATION = "loc-1"
FLUSH = "wix_commerce_sync.tasks.jobs.flush_store"


class StockFlushCase(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.enqueue = fx.hold_background_jobs(cls)
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()

    def setUp(self):
        self.enqueue.reset_mock()
        self.tag = frappe.generate_hash(length=6)
        # a store of its own per test: a flush claims every due row of its store
        self.store, self.fake = fx.make_store(self.basics, f"Commerce Flush Shop {self.tag}")
        jobs.FLUSH_LINGER_SECONDS, self._linger = 0.01, jobs.FLUSH_LINGER_SECONDS
        self.addCleanup(setattr, jobs, "FLUSH_LINGER_SECONDS", self._linger)

    def mapped_item(self, n: int = 0, *, safety_stock: float = 0) -> tuple[str, str]:
        code = fx.make_item(f"FLUSH-{self.tag}-{n}", "12.00")
        frappe.get_doc({"doctype": "Commerce Item Mapping", "store": self.store, "item_code": code, "sku": code,
                        "external_variant_id": f"v-{code}", "external_product_id": f"p-{code}",
                        "safety_stock": safety_stock}).insert(ignore_permissions=True)  # fmt: skip
        frappe.db.commit()
        return code, f"v-{code}@{LOCATION}"

    def erp_stock_changes_to(self, code: str, qty: int) -> None:
        """An ERPNext stock change of one item, then what its doc event's job does (queue_stock_change)."""
        ErpNextAdapter().set_stock(self.store, StockLevel(sku=code, quantity=Decimal(qty), location_id=LOCATION))
        frappe.db.commit()
        jobs.queue_stock_change([code])
        frappe.db.commit()

    def flush_requests(self) -> list:
        return [c for c in self.enqueue.call_args_list if c.args and c.args[0] == FLUSH]

    def store_quantity(self, key: str) -> Decimal | None:
        level = self.fake.stock.get(key)
        return level.quantity if level else None

    def outbound_jobs(self) -> list:
        return frappe.get_all("Commerce Sync Job", filters={"store": self.store, "direction": "Outbound"},
                              fields=["name", "status", "attempts", "entity"])  # fmt: skip


class TestEventDrivenFlush(StockFlushCase):
    def test_a_stock_change_asks_for_the_store_flush_job_once_committed(self):
        code, key = self.mapped_item()
        ErpNextAdapter().set_stock(self.store, StockLevel(sku=code, quantity=Decimal(9), location_id=LOCATION))
        frappe.db.commit()
        self.enqueue.reset_mock()
        jobs.queue_stock_change([code])
        self.assertEqual(self.flush_requests(), [], "asked before the queued rows were committed")
        frappe.db.commit()
        requests = self.flush_requests()
        self.assertEqual(len(requests), 1)
        self.assertEqual(requests[0].kwargs["job_id"], jobs.flush_job_id(self.store))
        self.assertTrue(requests[0].kwargs["deduplicate"])
        self.assertEqual(requests[0].kwargs["store"], self.store)
        jobs.flush_store(self.store)  # what the worker runs
        self.assertEqual(self.store_quantity(key), Decimal(9))

    def test_a_change_made_while_the_flush_runs_reaches_the_store(self):
        code, key = self.mapped_item()
        self.erp_stock_changes_to(code, 10)
        # an order status waits too: the stock entity is already flushed when the next change lands
        get_engine(self.store).queue_outbound(OutboundChange("orders", f"SO-{self.tag}", OrderStatusUpdate(
            f"ord-{self.tag}", OrderStatus.SHIPPED), action="status"))  # fmt: skip
        frappe.db.commit()
        push_status = self.fake.update_order_status

        def status_push_during_which_erpnext_sells_three(updates):
            self.erp_stock_changes_to(code, 7)  # committed while this flush is running
            return push_status(updates)

        self.fake.update_order_status = status_push_during_which_erpnext_sells_three
        self.enqueue.reset_mock()
        jobs.flush_store(self.store)  # RQ drops the flush asked for meanwhile (same job_id, started): no 2nd job runs
        self.assertEqual(self.store_quantity(key), Decimal(7))
        self.assertEqual([s.status for s in self.outbound_jobs() if s.entity == "stock" and s.status != "Done"], [])
        stock_pushes = [rows for method, rows in self.fake.pushes if method == "set_stock"]
        self.assertEqual([[r.quantity for r in rows] for rows in stock_pushes], [[Decimal(10)], [Decimal(7)]])

    def test_a_burst_goes_out_in_batches_not_row_by_row(self):
        codes = [self.mapped_item(n)[0] for n in range(12)]
        for n, code in enumerate(codes):
            ErpNextAdapter().set_stock(self.store, StockLevel(sku=code, quantity=Decimal(20 + n), location_id=LOCATION))
        frappe.db.commit()
        jobs.queue_stock_change(codes)
        frappe.db.commit()
        jobs.flush_store(self.store)
        stock_pushes = [rows for method, rows in self.fake.pushes if method == "set_stock"]
        self.assertEqual([len(rows) for rows in stock_pushes], [12])


class TestFailedFlush(StockFlushCase):
    def test_a_failing_flush_keeps_its_rows_and_the_tick_retries_them(self):
        code, key = self.mapped_item()
        self.erp_stock_changes_to(code, 11)
        self.fake.fail_next = [TransientError("store answered 503")]
        jobs.flush_store(self.store)
        self.assertIsNone(self.store_quantity(key))
        rows = self.outbound_jobs()
        self.assertEqual([(r.status, r.attempts) for r in rows], [("Failed", 1)])
        # the retry time comes: the per-minute tick asks for the flush, which pushes the same row
        past = to_db(datetime.now(timezone.utc) - timedelta(seconds=1))
        frappe.db.set_value("Commerce Sync Job", rows[0].name, "next_attempt_at", past, update_modified=False)
        frappe.db.commit()
        self.enqueue.reset_mock()
        run_store_work(self.store, [])
        self.assertEqual(len(self.flush_requests()), 1, "the tick did not ask for a flush of the due retry")
        jobs.flush_store(self.store)
        self.assertEqual(self.store_quantity(key), Decimal(11))
        self.assertEqual([r.status for r in self.outbound_jobs()], ["Done"])

    def test_the_tick_asks_for_no_flush_when_nothing_is_due(self):
        self.enqueue.reset_mock()
        run_store_work(self.store, [])
        self.assertEqual(self.flush_requests(), [])


class TestSafetyStock(StockFlushCase):
    def test_the_store_and_item_safety_stock_are_held_back_never_below_zero(self):
        frappe.db.set_value("Commerce Store", self.store, "safety_stock", 3)
        frappe.db.commit()
        buffered, buffered_key = self.mapped_item(0, safety_stock=1)
        plain, plain_key = self.mapped_item(1)
        self.erp_stock_changes_to(buffered, 10)
        self.erp_stock_changes_to(plain, 10)
        jobs.flush_store(self.store)
        self.assertEqual(self.store_quantity(buffered_key), Decimal(6))  # 10 - 3 (store) - 1 (item)
        self.assertEqual(self.store_quantity(plain_key), Decimal(7))
        self.erp_stock_changes_to(buffered, 2)
        jobs.flush_store(self.store)
        self.assertEqual(self.store_quantity(buffered_key), Decimal(0))

    def test_no_safety_stock_by_default(self):
        self.assertEqual(Decimal(str(frappe.db.get_value("Commerce Store", self.store, "safety_stock") or 0)), Decimal(0))
        code, key = self.mapped_item()
        self.erp_stock_changes_to(code, 5)
        jobs.flush_store(self.store)
        self.assertEqual(self.store_quantity(key), Decimal(5))


class TestChangeJobs(StockFlushCase):
    def test_a_second_save_gets_its_own_job_while_the_first_one_may_be_running(self):
        """RQ drops a deduplicated enqueue whose job_id is queued or running: one id per record would lose the
        second save when the first save's job has already read the item."""
        code, _ = self.mapped_item()
        item = frappe.get_doc("Item", code)
        self.enqueue.reset_mock()
        for name in ("Mug, blue", "Mug, bright blue"):
            item.item_name = name
            item.modified = frappe.utils.add_to_date(item.modified, seconds=1)  # two saves, two versions
            events.on_item_change(item, "on_update")
        ids = [c.kwargs["job_id"] for c in self.enqueue.call_args_list if c.args[0].endswith("queue_item_change")]
        self.assertEqual(len(ids), 2)
        self.assertEqual(len(set(ids)), 2, "the second save would be dropped while the first one's job runs")


class TestLastPushedStock(StockFlushCase):
    def test_each_push_updates_the_mapping_row_of_its_location(self):
        code, key = self.mapped_item()
        for qty in (4, 9):
            self.erp_stock_changes_to(code, qty)
            jobs.flush_store(self.store)
        mapping = frappe.get_doc("Commerce Item Mapping", {"store": self.store, "item_code": code})
        self.assertEqual([(r.location_id, r.last_pushed_qty) for r in mapping.location_stock], [(LOCATION, 9)])
        self.assertEqual(self.store_quantity(key), Decimal(9))


class TestStockDocEvents(StockFlushCase):
    def test_a_sales_order_made_by_the_sync_queues_stock_for_every_store(self):
        """Chaos finding (seed 16): a WooCommerce order's Sales Order reserved units, and only WooCommerce heard of it
        (the doc event skipped the sync's own documents); the Wix store sold them until the hourly reconciliation."""
        code, _ = self.mapped_item()
        doc = frappe._dict(doctype="Sales Order", name=f"SO-{self.tag}", items=[frappe._dict(item_code=code)])
        self.enqueue.reset_mock()
        previous = frappe.flags.in_commerce_sync
        frappe.flags.in_commerce_sync = True
        try:
            events.on_stock_transaction(doc, "on_submit")
        finally:
            frappe.flags.in_commerce_sync = previous
        queued = [c.kwargs["item_codes"] for c in self.enqueue.call_args_list if c.args[0].endswith("queue_stock_change")]
        self.assertEqual(queued, [[code]])

    def test_a_purchase_invoice_that_updates_stock_queues_a_stock_change(self):
        from frappe import get_hooks

        code, _ = self.mapped_item()
        handlers = get_hooks("doc_events").get("Purchase Invoice", {}).get("on_submit") or []
        self.assertIn("wix_commerce_sync.tasks.events.on_stock_transaction", handlers)
        for update_stock, expected in ((0, []), (1, [[code]])):
            self.enqueue.reset_mock()
            doc = frappe._dict(doctype="Purchase Invoice", name=f"PINV-{self.tag}-{update_stock}", update_stock=update_stock,
                               items=[frappe._dict(item_code=code)])  # fmt: skip
            events.on_stock_transaction(doc, "on_submit")
            queued = [c.kwargs["item_codes"] for c in self.enqueue.call_args_list if c.args[0].endswith("queue_stock_change")]
            self.assertEqual(queued, expected)
