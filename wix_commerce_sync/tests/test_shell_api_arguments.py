"""Whitelisted methods get request values as strings: Frappe does not convert deferred (PEP 563) annotations."""

from __future__ import annotations

import frappe

from wix_commerce_sync.api import actions
from wix_commerce_sync.tests import fixtures as fx


class TestStringArguments(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()
        cls.store, cls.fake = fx.make_store(cls.basics, f"Commerce Args Shop {frappe.generate_hash(length=6)}")
        fx.hold_background_jobs(cls)

    def test_numbers_arrive_as_strings_or_empty(self):
        self.assertIn("totals", actions.dashboard_summary(hours="12"))
        self.assertIn("totals", actions.dashboard_summary(store=self.store, hours=""))
        self.assertIsInstance(actions.find_duplicate_customers(limit="")["groups"], list)
        result = actions.sync_orders(self.store, limit="2", since="2026-01-01 00:00:00")
        self.assertEqual(result["failed"], 0)
