"""Two workers drain the Commerce Sync Job queue at once, each on its own connection: no job runs twice."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import frappe

from wix_commerce_sync.persistence.job_store import FrappeJobStore
from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.tests import fixtures as fx

JOBS = 60


class TestTwoWorkers(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)  # no RQ worker of the bench may run this class's jobs behind its back
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()
        cls.store, _ = fx.make_store(cls.basics, f"Commerce Workers Shop {frappe.generate_hash(length=6)}")

    def test_two_workers_never_claim_the_same_job(self):
        store = FrappeJobStore()
        now = datetime.now(timezone.utc)
        for i in range(JOBS):
            store.enqueue(q.NewJob(store=self.store, entity="orders", direction=q.INBOUND, action="upsert",
                                   dedupe_key=f"{self.store}::w{i}", record_key=f"{self.store}::rec{i}",
                                   payload="null", external_id=f"rec{i}"), now)  # fmt: skip
        frappe.db.commit()
        site, sites_path = frappe.local.site, frappe.local.sites_path
        claimed: dict[str, list[str]] = {"one": [], "two": []}
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def worker(name: str) -> None:
            frappe.init(site=site, sites_path=sites_path, force=True)
            frappe.connect()
            frappe.set_user("Administrator")
            try:
                own = FrappeJobStore()
                barrier.wait(timeout=30)
                while batch := own.claim(name, now + timedelta(seconds=1), limit=4, store=self.store):
                    claimed[name] += [job.name for job in batch]
                    for job in batch:
                        own.complete(job, now)
                    frappe.db.commit()
                    time.sleep(0.005)  # the work itself; lets the other worker in
            except BaseException as exc:
                errors.append(exc)
            finally:
                frappe.destroy()

        threads = [threading.Thread(target=worker, args=(n,)) for n in claimed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        one, two = set(claimed["one"]), set(claimed["two"])
        self.assertEqual(one & two, set())
        self.assertEqual(len(one) + len(two), JOBS)
        self.assertTrue(one and two, "both workers should have taken part")
        self.assertEqual(frappe.db.count("Commerce Sync Job", {"store": self.store, "status": "Done"}), JOBS)


class TestClaimLease(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)  # no RQ worker of the bench may run this class's jobs behind its back
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()
        cls.store, _ = fx.make_store(cls.basics, f"Commerce Lease Shop {frappe.generate_hash(length=6)}")

    def test_a_job_whose_worker_died_is_claimable_after_the_lease(self):
        store = FrappeJobStore(commit_claims=False)
        now = datetime.now(timezone.utc)
        store.enqueue(q.NewJob(store=self.store, entity="orders", direction=q.INBOUND, action="upsert",
                               dedupe_key=f"{self.store}::lease", record_key=f"{self.store}::lease",
                               payload="null"), now)  # fmt: skip
        (job,) = store.claim("killed-worker", now, store=self.store)
        self.assertEqual(store.claim("other", now + q.CLAIM_LEASE - timedelta(minutes=1), store=self.store), [])
        (again,) = store.claim("other", now + q.CLAIM_LEASE + timedelta(seconds=1), store=self.store)
        self.assertEqual((again.name, again.status), (job.name, q.PROCESSING))

    def test_the_site_config_can_shorten_the_lease(self):
        """A bench whose queue timeouts are short sets ``commerce_sync_claim_lease_seconds`` in site_config."""
        store = FrappeJobStore(commit_claims=False)
        now = datetime.now(timezone.utc)
        key = f"{self.store}::short-lease::{frappe.generate_hash(length=6)}"
        store.enqueue(q.NewJob(store=self.store, entity="orders", direction=q.INBOUND, action="upsert",
                               dedupe_key=key, record_key=key, payload="null"), now)  # fmt: skip
        (job,) = store.claim("killed-worker", now, store=self.store)
        frappe.conf["commerce_sync_claim_lease_seconds"] = 90
        try:
            self.assertEqual(store.claim("other", now + timedelta(seconds=89), store=self.store), [])
            (again,) = store.claim("other", now + timedelta(seconds=91), store=self.store)
        finally:
            frappe.conf.pop("commerce_sync_claim_lease_seconds", None)
        self.assertEqual(again.name, job.name)
