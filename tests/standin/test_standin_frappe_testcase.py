"""FrappeTestCase runs unchanged under pytest: setUpClass commits, class cleanup rolls back."""

import uuid

import frappe
import frappe.tests
from frappe.tests.utils import FrappeTestCase, change_settings

# v16 names; on v15 (no IntegrationTestCase) the same check runs on FrappeTestCase
IntegrationTestCase = getattr(frappe.tests, "IntegrationTestCase", FrappeTestCase)

TAG = f"FTC-{uuid.uuid4().hex[:8]}"


class TestStandinFrappeTestCase(FrappeTestCase):
    def test_insert_visible_in_class(self):
        frappe.get_doc({"doctype": "UOM", "uom_name": TAG}).insert()
        self.assertTrue(frappe.db.exists("UOM", TAG))

    def test_set_user(self):
        with self.set_user("Guest"):
            self.assertEqual(frappe.session.user, "Guest")
        self.assertEqual(frappe.session.user, "Administrator")

    @change_settings("Stock Settings", {"allow_negative_stock": 1})
    def test_change_settings(self):
        self.assertEqual(frappe.db.get_single_value("Stock Settings", "allow_negative_stock"), 1)

    def test_secondary_connection_does_not_see_uncommitted(self):
        name = f"{TAG}-2"
        frappe.get_doc({"doctype": "UOM", "uom_name": name}).insert()
        with self.secondary_connection():
            self.assertIsNone(frappe.db.exists("UOM", name))
        self.assertTrue(frappe.db.exists("UOM", name))


class TestZzAfterClassRollback(IntegrationTestCase):
    def test_previous_class_rolled_back(self):
        self.assertIsNone(frappe.db.exists("UOM", TAG))
        self.assertEqual(frappe.db.get_single_value("Stock Settings", "allow_negative_stock"), 0)
