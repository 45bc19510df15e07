"""What the Commerce Store record hands to the connector and the engine."""

from __future__ import annotations

import frappe

from wix_commerce_sync import shell
from wix_commerce_sync.tests import fixtures as fx


class TestStoreConfig(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()

    def test_refund_switch_reaches_the_connector(self):
        quiet, _ = fx.make_store(self.basics, f"Commerce Refund Off {frappe.generate_hash(length=6)}")
        loud, _ = fx.make_store(self.basics, f"Commerce Refund On {frappe.generate_hash(length=6)}",
                                refund_money_on_store=1)  # fmt: skip
        self.assertIs(shell.store_config(frappe.get_doc("Commerce Store", quiet)).options["api_refund"], False)
        self.assertIs(shell.store_config(frappe.get_doc("Commerce Store", loud)).options["api_refund"], True)

    def test_stock_conflict_policy_reaches_the_connector(self):
        master, _ = fx.make_store(self.basics, f"Commerce Stock Master {frappe.generate_hash(length=6)}")
        skip, _ = fx.make_store(self.basics, f"Commerce Stock Skip {frappe.generate_hash(length=6)}",
                                stock_conflict_policy="Skip and report a conflict")  # fmt: skip
        self.assertNotIn("stale_stock_policy", shell.store_config(frappe.get_doc("Commerce Store", master)).options)
        self.assertEqual(shell.store_config(frappe.get_doc("Commerce Store", skip)).options["stale_stock_policy"], "skip")

    def test_secrets_come_from_password_fields_and_never_show_in_repr(self):
        name, _ = fx.make_store(self.basics, f"Commerce Secret Shop {frappe.generate_hash(length=6)}")
        config = shell.store_config(frappe.get_doc("Commerce Store", name))
        self.assertEqual(config.credentials["access_token"], fx.ACCESS_TOKEN)
        self.assertEqual(config.webhook_secret, fx.WEBHOOK_SECRET)
        self.assertNotIn(fx.ACCESS_TOKEN, repr(config))
        stored = frappe.db.get_value("Commerce Store", name, "access_token")
        self.assertNotEqual(stored, fx.ACCESS_TOKEN)  # the column holds a mask, the secret lives encrypted elsewhere
