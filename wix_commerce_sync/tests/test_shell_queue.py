"""FrappeJobStore / FrappeStateStore / FrappeSyncLogger and the scheduler, on a site (real or stand-in)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import frappe

from wix_commerce_sync.persistence.job_store import FrappeJobStore
from wix_commerce_sync.persistence.state import FrappeStateStore, FrappeSyncLogger
from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.sync.ports import RecordState
from wix_commerce_sync.tasks import scheduler
from wix_commerce_sync.tests import fixtures as fx


class TestFrappeJobStore(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)  # no RQ worker of the bench may run this class's jobs behind its back
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()
        cls.store, cls.fake = fx.make_store(cls.basics, f"Commerce Queue Shop {frappe.generate_hash(length=6)}")

    def new_job(self, key: str, record: str = "r1", ordering: str | None = None) -> q.NewJob:
        return q.NewJob(store=self.store, entity="orders", direction=q.INBOUND, action="upsert",
                        dedupe_key=f"{self.store}::{key}", record_key=f"{self.store}::{record}", payload="{}",
                        external_id=record, ordering_key=ordering)  # fmt: skip

    def test_dedupe_supersede_claim_fail_requeue(self):
        jobs = FrappeJobStore(commit_claims=False)
        now = datetime.now(timezone.utc)
        first = jobs.enqueue(self.new_job("a", ordering="2026-01-01"), now)
        self.assertIsNotNone(first)
        self.assertIsNone(jobs.enqueue(self.new_job("a", ordering="2026-01-01"), now))  # same delivery again
        newer = jobs.enqueue(self.new_job("b", ordering="2026-01-02"), now)
        self.assertEqual(jobs.get(first.name).status, q.SUPERSEDED)
        late = jobs.enqueue(self.new_job("c", ordering="2025-12-31"), now)
        self.assertEqual(late.status, q.SUPERSEDED)  # arrived after a newer change

        claimed = jobs.claim("w1", now + timedelta(seconds=1), 10, store=self.store)
        self.assertEqual([j.name for j in claimed], [newer.name])
        self.assertEqual(jobs.claim("w2", now + timedelta(seconds=1), 10, store=self.store), [])  # never twice
        jobs.fail(claimed[0], "boom", now, now + timedelta(minutes=5))
        self.assertEqual(jobs.claim("w2", now + timedelta(minutes=1), 10, store=self.store), [])  # not due yet
        self.assertEqual([j.name for j in jobs.claim("w2", now + timedelta(minutes=6), 10, store=self.store)], [newer.name])
        jobs.fail(claimed[0], "boom again", now, None)
        self.assertEqual(jobs.get(newer.name).status, q.DEAD)
        self.assertEqual(jobs.requeue([newer.name], now), 1)
        again = jobs.get(newer.name)
        self.assertEqual((again.status, again.attempts), (q.QUEUED, 0))
        self.assertGreaterEqual(jobs.counts(self.store).get(q.QUEUED, 0), 1)
        self.assertEqual(jobs.queued_count(self.store, "orders", q.INBOUND), 1)

    def test_a_newer_outbound_change_supersedes_an_older_failed_one(self):
        """Outbound jobs carry whole state (absolute stock): a failed older one must not be retried after a newer
        one, or the store gets the old figure back. A failed inbound job stays (the ordering gate decides)."""
        jobs = FrappeJobStore(commit_claims=False)
        now = datetime.now(timezone.utc)
        for direction in (q.OUTBOUND, q.INBOUND):
            def job(key: str, ordering: str, d: str = direction) -> q.NewJob:
                return q.NewJob(store=self.store, entity="stock", direction=d, action="upsert",
                                dedupe_key=f"{self.store}::{d}::{key}", record_key=f"{self.store}::{d}::SKU-1",
                                payload='"x"', external_id="SKU-1", ordering_key=ordering)  # fmt: skip

            old = jobs.enqueue(job("a", "2026-01-01 10:00:00"), now)
            self.addCleanup(frappe.db.delete, "Commerce Sync Job", {"record_key": old.record_key})  # others' queue
            jobs.fail(old, "partial batch failure", now, now + timedelta(minutes=5))
            newer = jobs.enqueue(job("b", "2026-01-01 10:01:00"), now)
            self.assertEqual(newer.status, q.QUEUED)
            expected = q.SUPERSEDED if direction == q.OUTBOUND else q.FAILED
            self.assertEqual(jobs.get(old.name).status, expected, direction)

    def test_state_and_cursor_round_trip(self):
        state = FrappeStateStore()
        when = datetime(2026, 3, 1, 12, 30, 15, tzinfo=timezone.utc)
        state.put(self.store, "items", "p1", RecordState("k1", "pull", "push", when, ("push-2", "push-1")))
        got = state.get(self.store, "items", "p1")
        self.assertEqual((got.applied_ordering_key, got.pulled_hash, got.pushed_hash, got.synced_at), ("k1", "pull", "push", when))
        self.assertEqual(got.earlier_pushed, ("push-2", "push-1"))  # newest first
        state.set_cursor(self.store, "orders", when)
        self.assertEqual(state.get_cursor(self.store, "orders"), when)
        self.assertEqual(state.get(self.store, "items", "missing"), RecordState())

    def test_alert_reaches_every_commerce_sync_manager_once(self):
        user = "commerce-manager@example.com"
        if not frappe.db.exists("User", user):
            frappe.get_doc({"doctype": "User", "email": user, "first_name": "Manager", "send_welcome_email": 0,
                            "roles": [{"role": "Commerce Sync Manager"}]}).insert(ignore_permissions=True)  # fmt: skip
        job = f"JOB-{fx.run_tag()}"  # the site keeps earlier runs' alerts
        FrappeSyncLogger([fx.ACCESS_TOKEN]).alert(self.store, job, f"failed 3 times ({fx.ACCESS_TOKEN})")
        alerts = frappe.get_all("Notification Log", filters={"for_user": user, "document_name": job},
                                fields=["subject", "email_content"])  # fmt: skip
        self.assertEqual(len(alerts), 1)
        self.assertNotIn(fx.ACCESS_TOKEN, alerts[0].email_content)

    def test_scheduler_due_work_and_tick_never_raises(self):
        store = frappe._dict(stock_interval_minutes=5, order_interval_minutes=15, product_interval_minutes=120,
                             customer_interval_minutes=0, last_stock_run=None,
                             last_order_run=frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-5),
                             last_product_run=frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-200),
                             last_customer_run=None)  # fmt: skip
        self.assertEqual(scheduler.due_entities(store), ["stock", "items"])
        from unittest import mock

        with mock.patch("frappe.enqueue") as enqueue:
            scheduler.commerce_sync_tick()
        stores = [c.kwargs["store"] for c in enqueue.call_args_list]
        self.assertIn(self.store, stores)
        # fail inside the tick only: patching frappe.get_all itself would also break the Error Log insert on a real
        # bench (Document.run_method -> run_notifications / run_webhooks read their lists through frappe.get_all)
        with mock.patch.object(scheduler, "due_entities", side_effect=RuntimeError("db down")):
            scheduler.commerce_sync_tick()  # logged, not raised
        self.assertTrue(frappe.db.exists("Error Log", {"method": "Commerce sync tick failed"}))
