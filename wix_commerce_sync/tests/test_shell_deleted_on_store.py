"""Records deleted on the store, through the engine and the Frappe job store into ERPNext (issue 11):
mappings unlinked, Items disabled only where the store says so (never deleted), open Sales Orders flagged
with a comment and a Conflict log row (never cancelled), customer mappings removed. Data unique per run."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import frappe

from wix_commerce_sync import shell
from wix_commerce_sync.connectors.base import WebhookEvent
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import Customer, DeletedRecord, Entity, Product, Variant
from wix_commerce_sync.tasks.jobs import process_inbound
from wix_commerce_sync.tests.test_shell_order_lifecycle import LifecycleCase

ITEM_MAP = "Commerce Item Mapping"
CUSTOMER_MAP = "Commerce Customer Mapping"
LOG = "Commerce Sync Log"


class DeletedCase(LifecycleCase):
    def deleted(self, entity: Entity, external_id: str) -> dict:
        """Queue a deleted event as every connector parses one (only the id) and run the inbound jobs."""
        event = WebhookEvent(topic=f"{entity.value}.deleted", entity=entity, action="deleted", external_id=external_id,
                             dedupe_key=f"deleted:{external_id}:{frappe.generate_hash(length=6)}",
                             ordering_key=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                             record=DeletedRecord(entity=entity, external_id=external_id))  # fmt: skip
        self.assertIsNotNone(shell.get_engine(self.store).enqueue_inbound(event))
        frappe.db.commit()
        result = process_inbound(self.store)
        self.assertEqual(result["failed"], 0, result)
        return result

    def product(self, tag: str) -> Product:
        product = Product(external_id=f"p-{tag}", title=f"Gone {tag}", updated_at=datetime.now(timezone.utc),
                          variants=[Variant(f"v-{tag}", f"GONE-{tag}", Decimal("4.00"))])  # fmt: skip
        self.deliver("products/create", product, f"evt-p-{tag}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        return product

    def log_rows(self, operation: str) -> list:
        return frappe.get_all(LOG, filters={"store": self.store, "operation": operation},
                              fields=["status", "message", "reference_name"], order_by="creation desc")  # fmt: skip


class TestDeletedKeepsItems(DeletedCase):
    store_name = "Commerce Deleted Keep Shop"

    def test_deleted_product_is_unlinked_and_its_item_stays_enabled(self):
        tag = frappe.generate_hash(length=6).upper()
        self.product(tag)
        result = self.deleted(Entity.ITEMS, f"p-{tag}")
        self.assertEqual(result["synced"], 1)
        self.assertFalse(frappe.db.exists(ITEM_MAP, {"variant_key": record_key(self.store, f"v-{tag}")}))
        self.assertEqual(frappe.db.get_value("Item", f"GONE-{tag}", "disabled"), 0)
        [row] = [r for r in self.log_rows("product deleted on store") if f"p-{tag}" in (r.message or "")]
        self.assertEqual((row.status, row.reference_name), ("Success", f"GONE-{tag}"))

    def test_deleted_customer_mapping_is_removed_and_the_customer_kept(self):
        tag = frappe.generate_hash(length=6)
        customer = Customer(f"c-{tag}", f"{tag}@example.com", "Del", "Eted", updated_at=datetime.now(timezone.utc))
        self.deliver("customers/create", customer, f"evt-c-{tag}")
        process_inbound(self.store)
        name = frappe.db.get_value(CUSTOMER_MAP, {"customer_key": record_key(self.store, f"c-{tag}")}, "customer")
        self.assertTrue(name)
        self.assertEqual(self.deleted(Entity.CUSTOMERS, f"c-{tag}")["synced"], 1)
        self.assertFalse(frappe.db.exists(CUSTOMER_MAP, {"customer_key": record_key(self.store, f"c-{tag}")}))
        self.assertTrue(frappe.db.exists("Customer", name))

    def test_deleted_open_order_is_flagged_not_cancelled(self):
        order, so = self.paid_synced_order("DEL")
        result = self.deleted(Entity.ORDERS, order.external_id)
        self.assertEqual((result["synced"], result["skipped"]), (0, 1))
        so.reload()
        self.assertEqual(so.docstatus, 1)  # still submitted: not cancelled
        comments = frappe.get_all("Comment", filters={"reference_doctype": "Sales Order", "reference_name": so.name},
                                  pluck="content")  # fmt: skip
        self.assertTrue(any(f"{order.external_id} was deleted on store" in (c or "") for c in comments), comments)
        [row] = [r for r in self.log_rows("order deleted on store") if so.name in (r.message or "")]
        self.assertEqual(row.status, "Conflict")
        # the same deletion again adds no second comment
        self.deleted(Entity.ORDERS, order.external_id)
        again = frappe.get_all("Comment", filters={"reference_doctype": "Sales Order", "reference_name": so.name},
                               pluck="content")  # fmt: skip
        self.assertEqual(len([c for c in again if "was deleted on store" in (c or "")]), 1)

    def test_deleting_what_was_never_synced_is_skipped(self):
        self.assertEqual(self.deleted(Entity.ORDERS, f"never-{frappe.generate_hash(length=6)}")["skipped"], 1)


class TestDeletedDisablesItems(DeletedCase):
    store_name = "Commerce Deleted Disable Shop"
    store_settings = {"disable_items_deleted_on_store": 1}

    def test_deleted_product_disables_its_item_where_the_store_says_so(self):
        tag = frappe.generate_hash(length=6).upper()
        self.product(tag)
        self.deleted(Entity.ITEMS, f"p-{tag}")
        self.assertEqual(frappe.db.get_value("Item", f"GONE-{tag}", "disabled"), 1)
        self.assertTrue(frappe.db.exists("Item", f"GONE-{tag}"))
