"""The sync log: Debug Logging decides whether skipped records and request excerpts are kept."""

from __future__ import annotations

import frappe

from wix_commerce_sync.persistence.state import FrappeSyncLogger
from wix_commerce_sync.sync.ports import LogEntry
from wix_commerce_sync.tests import fixtures as fx


class TestDebugLogging(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        frappe.set_user("Administrator")
        cls.store, _ = fx.make_store(fx.ensure_basics(), f"Commerce Log Shop {frappe.generate_hash(length=6)}")

    def entry(self, status: str, operation: str) -> LogEntry:
        return LogEntry(store=self.store, entity="orders", direction="Inbound", operation=operation, status=status,
                        request_excerpt='{"id": 1}')  # fmt: skip

    def rows(self, operation: str) -> list:
        return frappe.get_all("Commerce Sync Log", filters={"store": self.store, "operation": operation},
                              fields=["status", "request_excerpt"])  # fmt: skip

    def test_without_debug_skipped_records_and_excerpts_are_left_out(self):
        logger = FrappeSyncLogger(debug=False)
        logger.log(self.entry("Skipped", "echo-quiet"))
        logger.log(self.entry("Success", "create-quiet"))
        self.assertEqual(self.rows("echo-quiet"), [])
        self.assertEqual([(r.status, r.request_excerpt) for r in self.rows("create-quiet")], [("Success", None)])

    def test_with_debug_everything_is_kept(self):
        with fx.change_settings("Commerce Sync Settings", debug_logging=1):
            logger = FrappeSyncLogger()
        logger.log(self.entry("Skipped", "echo-loud"))
        self.assertEqual([(r.status, r.request_excerpt) for r in self.rows("echo-loud")], [("Skipped", '{"id": 1}')])
