"""Endpoint -> job -> engine -> adapter, on a real ERPNext 15 site (bench run-tests) or the stand-in (pytest).

The FakeConnector plays the store: HMAC-signed webhooks in, in-memory records out.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest import mock

import frappe

from wix_commerce_sync.erpnext.documents import expected_grand_total
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    Address,
    ChargeLine,
    Customer,
    Discount,
    FinancialStatus,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    StockLevel,
    TaxLine,
    Variant,
)
from wix_commerce_sync.tasks.jobs import process_inbound
from wix_commerce_sync.testing.factories import T0
from wix_commerce_sync.tests import fixtures as fx

D = Decimal


def realistic_order(oid: str, sku: str, *, email: str | None = None) -> Order:
    """A store order of Ann Lee, whose customer id and email are unique to the order (``oid`` carries a run tag)."""
    email = email or f"ann.lee.{oid}@example.com"
    billing = Address(first_name="Ann", last_name="Lee", line1="1 Main St", city="Springfield", state="IL",
                      postcode="62701", country="United States", country_code="US", phone="+12175550100", kind="Billing")  # fmt: skip
    shipping = Address(first_name="Ann", last_name="Lee", line1="9 Dock Rd", city="Chicago", state="IL",
                       postcode="60601", country_code="US", kind="Shipping")  # fmt: skip
    now = datetime.now(timezone.utc).replace(microsecond=0)  # inside the site's current fiscal year
    order = Order(
        external_id=oid, number=f"#{oid}", currency="USD", created_at=now, updated_at=now,
        lines=[OrderLine("l1", sku, "Mug", D(3), D("9.99"), discount=D("1.00"),
                         taxes=[TaxLine("IL State Tax", D("1.79")), TaxLine("Chicago Tax", D("0.36"))])],
        shipping_lines=[ChargeLine("Standard", D("5.00"), taxes=[TaxLine("IL State Tax", D("0.31"))])],
        discounts=[Discount("WELCOME", D("2.00"))],
        customer=Customer(f"cust-{oid}", email, "Ann", "Lee", phone="+12175550100"),
        billing_address=billing, shipping_address=shipping, email=email, store_status="open",
        status=OrderStatus.PROCESSING, financial_status=FinancialStatus.PENDING,
    )  # fmt: skip
    order.total = order.computed_total()
    return order


class CommerceShellCase(fx.ShellTestCase):
    store_name = "Commerce Test Shop"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)  # no RQ worker of the bench may run this class's jobs behind its back
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()
        cls.store, cls.fake = fx.make_store(cls.basics, f"{cls.store_name} {frappe.generate_hash(length=6)}")

    def deliver(self, topic: str, record, event_id: str, *, secret: str | None = None):
        body, headers = self.fake.webhook(topic, record, event_id, secret=secret)
        return fx.post_webhook("shopify", body, headers, self.store)

    def jobs(self, **filters) -> list:
        return frappe.get_all("Commerce Sync Job", filters={"store": self.store, **filters},
                              fields=["name", "status", "last_error", "attempts", "entity"])  # fmt: skip

    def apply_and_run_change_jobs(self, topic: str, record, event_id: str, method: str, key: str) -> list[dict]:
        """Deliver a store edit and apply it; then run the ``tasks.jobs.<method>`` jobs its saves queued, as a worker
        would. Returns those jobs' arguments (``key`` and ``from_store``)."""
        from wix_commerce_sync.tasks import jobs

        self.deliver(topic, record, event_id)
        with mock.patch("frappe.enqueue") as enqueue:
            self.assertEqual(process_inbound(self.store)["synced"], 1)
        changes = [{k: c.kwargs.get(k) for k in (key, "from_store")} for c in enqueue.call_args_list
                   if c.args[0].endswith(method)]  # fmt: skip
        for change in changes:
            getattr(jobs, method)(**change)
        return changes

    @staticmethod
    def queued_pushes(store: str, entity: str, external_id: str) -> list[str]:
        """The payloads of the outbound jobs queued for one record of a store."""
        return frappe.get_all("Commerce Sync Job", filters={"store": store, "direction": "Outbound", "entity": entity,
                                                            "external_id": external_id}, pluck="payload")  # fmt: skip


class TestOrderInbound(CommerceShellCase):
    def test_order_webhook_makes_a_sales_order_equal_to_the_store(self):
        sku = fx.make_item(f"MUG-{frappe.generate_hash(length=5)}", "9.99")
        order = realistic_order(f"9{frappe.generate_hash(length=6)}", sku)
        response = self.deliver("orders/create", order, f"evt-{order.external_id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(fx.response_json(response)["status"], "queued")
        self.assertEqual([j.status for j in self.jobs(external_id=order.external_id)], ["Queued"])

        result = process_inbound(self.store)
        self.assertEqual((result["synced"], result["failed"]), (1, 0), result)
        so_name = frappe.db.get_value("Commerce Order Mapping", {"order_key": record_key(self.store, order.external_id)},
                                      "sales_order")  # fmt: skip
        so = frappe.get_doc("Sales Order", so_name)
        self.assertEqual(so.po_no, order.number)
        self.assertEqual(so.company, self.basics["company"])
        self.assertEqual((so.ignore_pricing_rule, so.disable_rounded_total, so.apply_discount_on), (1, 1, "Net Total"))
        self.assertEqual([(r.item_code, r.qty, r.rate) for r in so.items], [(sku, 3, 9.99)])
        self.assertEqual(so.items[0].warehouse, self.basics["warehouse"])
        self.assertEqual(so.discount_amount, 3.0)  # 1.00 on the line + 2.00 on the order
        taxes = {t.description: (t.charge_type, t.tax_amount, t.account_head) for t in so.taxes}
        self.assertEqual(taxes["IL State Tax"], ("Actual", 2.1, self.basics["tax_account"]))
        self.assertEqual(taxes["Chicago Tax"], ("Actual", 0.36, self.basics["tax_account"]))
        self.assertEqual(taxes["Shipping: Standard"][1:], (5.0, self.basics["shipping_account"]))
        self.assertEqual(expected_grand_total(so.as_dict()), order.total)
        if so.grand_total:  # computed by ERPNext itself on a real site
            self.assertAlmostEqual(so.grand_total, float(order.total), places=2)
        self.assertEqual(so.docstatus, 1)
        self.assertEqual(so.commerce_order_id, order.external_id)

        # customer, addresses and contact, field by field
        customer = frappe.get_doc("Customer", so.customer)
        self.assertEqual(customer.customer_name, "Ann Lee")
        addresses = frappe.get_all("Dynamic Link", filters={"parenttype": "Address", "link_doctype": "Customer",
                                                           "link_name": customer.name}, pluck="parent")  # fmt: skip
        rows = {frappe.db.get_value("Address", a, "address_type"): frappe.get_doc("Address", a) for a in addresses}
        self.assertEqual((rows["Billing"].address_line1, rows["Billing"].city, rows["Billing"].pincode),
                         ("1 Main St", "Springfield", "62701"))  # fmt: skip
        self.assertEqual(rows["Billing"].country, "United States")
        self.assertEqual((rows["Shipping"].address_line1, rows["Shipping"].city), ("9 Dock Rd", "Chicago"))
        self.assertEqual(so.customer_address, rows["Billing"].name)
        self.assertEqual(so.shipping_address_name, rows["Shipping"].name)
        contact = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "link_doctype": "Customer",
                                                       "link_name": customer.name}, "parent")  # fmt: skip
        contact = frappe.get_doc("Contact", contact)
        self.assertEqual([e.email_id for e in contact.email_ids], [order.email])
        self.assertEqual([p.phone for p in contact.phone_nos], ["+12175550100"])
        self.assertTrue(frappe.db.exists("Commerce Customer Mapping",
                                         {"customer_key": record_key(self.store, order.customer.external_id)}))  # fmt: skip

    def test_same_webhook_twice_and_the_same_order_twice_make_one_sales_order(self):
        sku = fx.make_item(f"MUG-{frappe.generate_hash(length=5)}", "9.99")
        order = realistic_order(f"8{frappe.generate_hash(length=6)}", sku)
        first = self.deliver("orders/create", order, f"evt-{order.external_id}")
        again = self.deliver("orders/create", order, f"evt-{order.external_id}")
        self.assertEqual(fx.response_json(first)["status"], "queued")
        self.assertEqual(fx.response_json(again)["status"], "duplicate")
        self.assertEqual(len(self.jobs(external_id=order.external_id)), 1)
        # a second delivery of the same order under another event id (a retry by the platform)
        order2 = realistic_order(order.external_id, sku)
        order2.updated_at = order2.updated_at.replace(minute=5)
        order2.store_status = "paid-later"
        self.deliver("orders/updated", order2, f"evt-{order.external_id}-b")
        process_inbound(self.store)
        mappings = frappe.get_all("Commerce Order Mapping", filters={"store": self.store, "external_order_id": order.external_id},
                                  pluck="sales_order")  # fmt: skip
        self.assertEqual(len(mappings), 1)
        self.assertEqual(frappe.db.count("Sales Order", {"commerce_order_id": order.external_id, "docstatus": ["<", 2]}), 1)
        # at the same time: the database itself refuses a second mapping of that order
        with self.assertRaises((frappe.UniqueValidationError, frappe.DuplicateEntryError)):
            frappe.get_doc({"doctype": "Commerce Order Mapping", "store": self.store, "external_order_id": order.external_id,
                            "sales_order": mappings[0]}).insert(ignore_permissions=True)  # fmt: skip

    def test_forged_signature_is_401_with_no_document_and_no_job(self):
        sku = fx.make_item(f"MUG-{frappe.generate_hash(length=5)}", "9.99")
        order = realistic_order(f"7{frappe.generate_hash(length=6)}", sku)
        response = self.deliver("orders/create", order, f"evt-{order.external_id}", secret="not-the-secret")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.jobs(external_id=order.external_id), [])
        self.assertFalse(frappe.db.exists("Sales Order", {"po_no": order.number}))
        rejected = frappe.get_all("Commerce Sync Log", filters={"store": self.store, "status": "Rejected"}, pluck="message")
        self.assertTrue(any("signature" in (m or "") for m in rejected))
        missing_store = fx.post_webhook("shopify", b"{}", {"Content-Type": "application/json"}, None)
        self.assertEqual(missing_store.status_code, 404)

    def test_unknown_sku_fails_readably_then_succeeds_after_the_item_exists(self):
        sku = f"NEW-{frappe.generate_hash(length=6)}"
        order = realistic_order(f"6{frappe.generate_hash(length=6)}", sku)
        self.deliver("orders/create", order, f"evt-{order.external_id}")
        self.assertEqual(process_inbound(self.store)["failed"], 1)
        paid = dataclasses.replace(order, updated_at=order.updated_at + timedelta(seconds=5))
        self.deliver("orders/paid", paid, f"evt-{order.external_id}-paid")  # the order's next event fails the same way
        self.assertEqual(process_inbound(self.store)["failed"], 1)  # the first one's retry is not due yet
        jobs = self.jobs(external_id=order.external_id)
        self.assertEqual([j.status for j in jobs], ["Failed", "Failed"])
        self.assertTrue(all(f"unknown SKU '{sku}'" in j.last_error for j in jobs))
        self.assertFalse(frappe.db.exists("Commerce Order Mapping", {"order_key": record_key(self.store, order.external_id)}))
        self.assertFalse(frappe.db.exists("Sales Order", {"po_no": order.number}))
        frappe.db.set_value("Commerce Sync Job", jobs[0].name, "status", "Dead")  # one has used up its attempts

        fx.make_item(sku, "9.99")
        from wix_commerce_sync.api.actions import retry_failed

        # the merchant presses Retry on one job: the order's other failed event goes with it
        self.assertEqual(retry_failed(self.store, [jobs[1].name])["requeued"], 2)
        result = process_inbound(self.store)
        self.assertEqual(sorted(j.status for j in self.jobs(external_id=order.external_id)), ["Done", "Done"], result)
        self.assertTrue(frappe.db.exists("Commerce Order Mapping", {"order_key": record_key(self.store, order.external_id)}))
        self.assertEqual(len(frappe.get_all("Sales Order", filters={"po_no": order.number, "docstatus": ["<", 2]})), 1)


class TestCatalogueCustomersStock(CommerceShellCase):
    store_name = "Commerce Catalogue Shop"

    def test_product_webhook_makes_template_variants_attributes_and_prices(self):
        tag = frappe.generate_hash(length=5).upper()
        product = Product(external_id=f"p-{tag}", title=f"Tee {tag}", handle=f"tee-{tag}", option_names=["Size", "Colour"],
                          updated_at=T0, variants=[
                              Variant(f"v1-{tag}", f"TEE-{tag}-S-RED", D("12.00"), options={"Size": "S", "Colour": "Red"},
                                      barcode=f"40{tag}01"),
                              Variant(f"v2-{tag}", f"TEE-{tag}-M-RED", D("12.50"), options={"Size": "M", "Colour": "Red"}),
                          ])  # fmt: skip
        self.assertEqual(self.deliver("products/create", product, f"evt-{tag}").status_code, 200)
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        template = frappe.get_doc("Item", f"TEE-{tag}")
        self.assertEqual((template.has_variants, [a.attribute for a in template.attributes]), (1, ["Size", "Colour"]))
        variant = frappe.get_doc("Item", f"TEE-{tag}-S-RED")
        self.assertEqual(variant.variant_of, template.name)
        self.assertEqual({(a.attribute, a.attribute_value) for a in variant.attributes}, {("Size", "S"), ("Colour", "Red")})
        self.assertEqual([b.barcode for b in variant.barcodes], [f"40{tag}01"])
        self.assertIn("M", [v.attribute_value for v in frappe.get_doc("Item Attribute", "Size").item_attribute_values])
        price = frappe.db.get_value("Item Price", {"item_code": f"TEE-{tag}-M-RED", "price_list": fx.PRICE_LIST}, "price_list_rate")
        self.assertEqual(price, 12.5)
        mapping = frappe.db.get_value("Commerce Item Mapping", {"variant_key": record_key(self.store, f"v2-{tag}")},
                                      ["item_code", "sku", "external_product_id"], as_dict=True)  # fmt: skip
        self.assertEqual((mapping.item_code, mapping.external_product_id), (f"TEE-{tag}-M-RED", f"p-{tag}"))

    def test_a_product_edited_on_one_store_goes_to_the_other_stores_that_carry_it(self):
        """ERPNext is the hub: a store's edit applied to an Item reaches the other stores that sell it (else their
        older copy's next event reads as an edit there and puts ERPNext back), never its own store, and does not
        create the product on a store that does not sell it."""
        tag = frappe.generate_hash(length=5).upper()
        sku = f"LAMP-{tag}"
        product = Product(external_id=f"p-{tag}", title=f"Lamp {tag}", updated_at=T0,
                          variants=[Variant(f"v-{tag}", sku, D("20.00"))])  # fmt: skip
        self.deliver("products/create", product, f"evt-{tag}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        carrier, _ = fx.make_store(self.basics, f"Commerce Carrier {tag}")
        stranger, _ = fx.make_store(self.basics, f"Commerce Stranger {tag}")
        frappe.get_doc({"doctype": "Commerce Item Mapping", "store": carrier, "item_code": sku, "sku": sku,
                        "external_product_id": f"c-{tag}", "external_variant_id": f"cv-{tag}"}).insert(ignore_permissions=True)  # fmt: skip
        frappe.db.commit()

        renamed = dataclasses.replace(product, title=f"Lamp {tag} renamed", updated_at=T0 + timedelta(minutes=1))
        changes = self.apply_and_run_change_jobs("products/update", renamed, f"evt-{tag}-renamed", "queue_item_change",
                                                 "item_code")  # fmt: skip
        self.assertEqual({(c["item_code"], c["from_store"]) for c in changes}, {(sku, self.store)})

        pushes = [self.queued_pushes(store, "items", sku) for store in (carrier, self.store, stranger)]
        self.assertEqual(len(pushes[0]), 1)
        self.assertIn(f"Lamp {tag} renamed", pushes[0][0])
        self.assertEqual(pushes[1:], [[], []])

    def test_option_values_take_the_spelling_erpnext_already_stores(self):
        tag = frappe.generate_hash(length=5).upper()
        attribute = f"Shade {tag}"
        frappe.get_doc({"doctype": "Item Attribute", "attribute_name": attribute,
                        "item_attribute_values": [{"attribute_value": "Red", "abbr": "RED"}]}).insert(ignore_permissions=True)  # fmt: skip
        frappe.db.commit()
        product = Product(external_id=f"p-{tag}", title=f"Cap {tag}", option_names=[attribute], updated_at=T0,
                          variants=[Variant(f"v1-{tag}", f"CAP-{tag}-R", D("9.00"), options={attribute: "red"}),
                                    Variant(f"v2-{tag}", f"CAP-{tag}-B", D("9.00"), options={attribute: "Blue"})])  # fmt: skip
        self.deliver("products/create", product, f"evt-{tag}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        values = [v.attribute_value for v in frappe.get_doc("Item Attribute", attribute).item_attribute_values]
        self.assertEqual(sorted(values), ["Blue", "Red"])  # no second "red"
        variant = frappe.get_doc("Item", f"CAP-{tag}-R")
        self.assertEqual([(a.attribute, a.attribute_value) for a in variant.attributes], [(attribute, "Red")])

    def test_existing_item_is_linked_by_sku_not_duplicated(self):
        sku = fx.make_item(f"OLD-{frappe.generate_hash(length=5)}", "7.00")
        before = frappe.db.count("Item")
        product = Product(external_id=f"p-{sku}", title="Old mug", updated_at=T0,
                          variants=[Variant(f"v-{sku}", sku, D("7.50"))])  # fmt: skip
        self.deliver("products/update", product, f"evt-{sku}")
        process_inbound(self.store)
        self.assertEqual(frappe.db.count("Item"), before)
        self.assertEqual(frappe.db.get_value("Commerce Item Mapping", {"variant_key": record_key(self.store, f"v-{sku}")},
                                             "item_code"), sku)  # fmt: skip
        self.assertEqual(frappe.db.get_value("Item Price", {"item_code": sku, "price_list": fx.PRICE_LIST}, "price_list_rate"), 7.5)

    def test_a_customer_renamed_on_one_store_goes_to_the_other_stores_that_carry_it(self):
        tag = frappe.generate_hash(length=6)
        customer = Customer(f"c-{tag}", f"{tag}@example.com", "Bo", "Diaz", updated_at=T0)
        self.deliver("customers/create", customer, f"evt-{tag}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        name = frappe.db.get_value("Commerce Customer Mapping", {"customer_key": record_key(self.store, f"c-{tag}")}, "customer")
        carrier, _ = fx.make_store(self.basics, f"Commerce Customer Carrier {tag}")
        stranger, _ = fx.make_store(self.basics, f"Commerce Customer Stranger {tag}")
        frappe.get_doc({"doctype": "Commerce Customer Mapping", "store": carrier, "customer": name,
                        "external_customer_id": f"cc-{tag}", "email": f"{tag}@example.com"}).insert(ignore_permissions=True)  # fmt: skip
        frappe.db.commit()

        renamed = dataclasses.replace(customer, first_name="Bea", updated_at=T0 + timedelta(minutes=1))
        changes = self.apply_and_run_change_jobs("customers/update", renamed, f"evt-{tag}-renamed", "queue_customer_change",
                                                 "customer")  # fmt: skip
        self.assertEqual({(c["customer"], c["from_store"]) for c in changes}, {(name, self.store)})

        pushes = [self.queued_pushes(store, "customers", name) for store in (carrier, self.store, stranger)]
        self.assertEqual(len(pushes[0]), 1)
        self.assertIn("Bea", pushes[0][0])
        self.assertEqual(pushes[1:], [[], []])

    def test_customer_webhook_makes_customer_address_and_contact(self):
        tag = frappe.generate_hash(length=6)
        customer = Customer(f"c-{tag}", f"{tag}@example.com", "Bo", "Diaz", phone="+15550199", updated_at=T0,
                            addresses=[Address(line1="5 Elm St", city="Austin", postcode="73301", country_code="US")])  # fmt: skip
        self.deliver("customers/create", customer, f"evt-{tag}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        name = frappe.db.get_value("Commerce Customer Mapping", {"customer_key": record_key(self.store, f"c-{tag}")}, "customer")
        self.assertEqual(frappe.db.get_value("Customer", name, "customer_name"), "Bo Diaz")
        address = frappe.db.get_value("Dynamic Link", {"parenttype": "Address", "link_name": name}, "parent")
        self.assertEqual(frappe.db.get_value("Address", address, ["address_line1", "city", "country"]),
                         ("5 Elm St", "Austin", "United States"))  # fmt: skip
        contact = frappe.db.get_value("Dynamic Link", {"parenttype": "Contact", "link_name": name}, "parent")
        self.assertEqual([e.email_id for e in frappe.get_doc("Contact", contact).email_ids], [f"{tag}@example.com"])

    def test_an_order_by_a_customers_email_never_renames_that_customer_a_store_rename_does(self):
        """One Customer per email per store: a guest order billed to "Guest Buyer" (or a buyer named otherwise at
        checkout) is booked to the registered customer's Customer, whose name stays the customer record's; the
        store's rename of that customer renames it, and a later order does not undo it."""
        tag = frappe.generate_hash(length=6)
        email, sku = f"reg.{tag}@example.com", fx.make_item(f"CUS-{tag}", "9.99")
        self.deliver("customers/create", Customer(f"c-{tag}", email, "Bo", "Diaz", updated_at=T0), f"evt-c-{tag}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        name = frappe.db.get_value("Commerce Customer Mapping", {"customer_key": record_key(self.store, f"c-{tag}")}, "customer")

        def guest_order(n: int) -> str:
            order = realistic_order(f"G{n}{tag}", sku, email=email)
            order.customer = None
            order.billing_address.first_name, order.billing_address.last_name = "Guest", "Buyer"
            self.deliver("orders/create", order, f"evt-g{n}-{tag}")
            self.assertEqual(process_inbound(self.store)["failed"], 0)
            mapped = frappe.db.get_value("Commerce Order Mapping", {"order_key": record_key(self.store, order.external_id)},
                                         "sales_order")  # fmt: skip
            return frappe.db.get_value("Sales Order", mapped, "customer")

        self.assertEqual(guest_order(1), name)
        self.assertEqual(frappe.db.get_value("Customer", name, "customer_name"), "Bo Diaz")
        renamed = Customer(f"c-{tag}", email, "Bo", "Renamed", updated_at=T0.replace(year=T0.year + 1))
        self.deliver("customers/update", renamed, f"evt-r-{tag}")
        process_inbound(self.store)
        self.assertEqual(frappe.db.get_value("Customer", name, "customer_name"), "Bo Renamed")
        self.assertEqual(guest_order(2), name)
        self.assertEqual(frappe.db.get_value("Customer", name, "customer_name"), "Bo Renamed")

    def test_store_stock_becomes_a_stock_reconciliation_with_a_real_valuation(self):
        sku = fx.make_item(f"STK-{frappe.generate_hash(length=5)}", "10.00", valuation="4.25")
        level = StockLevel(sku=sku, quantity=D(17), location_id="loc-1", updated_at=T0)
        self.deliver("stock/update", [level], f"evt-{sku}")
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        reco = frappe.get_all("Stock Reconciliation Item", filters={"item_code": sku}, fields=["parent", "qty", "valuation_rate", "warehouse"])
        self.assertEqual(len(reco), 1)
        self.assertEqual((reco[0].qty, reco[0].warehouse), (17, self.basics["warehouse"]))
        self.assertGreater(reco[0].valuation_rate, 0)
        self.assertEqual(frappe.db.get_value("Stock Reconciliation", reco[0].parent, "docstatus"), 1)

    def test_saving_an_item_only_queues_work(self):
        sku = fx.make_item(f"EVT-{frappe.generate_hash(length=5)}", "3.00")
        calls_before = self.fake.calls
        with mock.patch("frappe.enqueue") as enqueue:
            item = frappe.get_doc("Item", sku)
            item.item_name = f"{sku} renamed"
            item.save(ignore_permissions=True)
        self.assertEqual(self.fake.calls, calls_before, "a store was called inside the save")
        methods = [c.args[0] for c in enqueue.call_args_list]
        self.assertIn("wix_commerce_sync.tasks.jobs.queue_item_change", methods)
        self.assertTrue(all(c.kwargs.get("enqueue_after_commit") for c in enqueue.call_args_list))

    def test_submitting_a_stock_transaction_only_queues_work(self):
        from wix_commerce_sync.tasks import events

        sku = fx.make_item(f"EVT-{frappe.generate_hash(length=5)}", "3.00")
        doc = frappe._dict(doctype="Stock Entry", name="MAT-STE-TEST", items=[frappe._dict(item_code=sku)])
        calls_before = self.fake.calls
        with mock.patch("frappe.enqueue") as enqueue:
            events.on_stock_transaction(doc, "on_submit")
        self.assertEqual(self.fake.calls, calls_before)
        self.assertEqual(enqueue.call_args.args[0], "wix_commerce_sync.tasks.jobs.queue_stock_change")
        self.assertEqual(enqueue.call_args.kwargs["item_codes"], [sku])


class TestPermissionsAndSecrets(CommerceShellCase):
    store_name = "Commerce Guarded Shop"

    def _app_methods(self):
        """Every whitelisted function of the app, from the code: import all its modules, read frappe.whitelisted."""
        import importlib
        import pkgutil

        import wix_commerce_sync

        skip = ("wix_commerce_sync.testing", "wix_commerce_sync.tests", "wix_commerce_sync.commands")
        for info in pkgutil.walk_packages(wix_commerce_sync.__path__, prefix="wix_commerce_sync."):
            if not info.name.startswith(skip):
                importlib.import_module(info.name)
        return [fn for fn in frappe.whitelisted
                if (getattr(fn, "__module__", "") or "").startswith("wix_commerce_sync.")
                and not fn.__module__.startswith(skip)]  # fmt: skip

    def _call_args(self, fn) -> dict:
        target = inspect.unwrap(fn)
        args = {}
        for name, param in inspect.signature(target).parameters.items():
            if param.default is inspect.Parameter.empty:
                args[name] = self.store if name == "store" else "x"
        return args

    def test_every_whitelisted_method_refuses_guest_and_users_without_the_role(self):
        methods = self._app_methods()
        self.assertGreaterEqual(len(methods), 27)
        plain = "commerce-plain@example.com"
        if not frappe.db.exists("User", plain):
            frappe.get_doc({"doctype": "User", "email": plain, "first_name": "Plain", "send_welcome_email": 0}).insert(
                ignore_permissions=True
            )
        guest_methods = {f for f in methods if f in frappe.guest_methods}
        self.assertEqual({f.__name__ for f in guest_methods}, {"shopify", "woocommerce", "wix"})
        for fn in methods:
            if fn in guest_methods:
                continue
            for user in ("Guest", plain):
                with self.subTest(method=fn.__name__, user=user):
                    frappe.set_user(user)
                    try:
                        with self.assertRaises(frappe.PermissionError):
                            frappe.is_whitelisted(fn)
                            fn(**self._call_args(fn))
                    finally:
                        frappe.set_user("Administrator")

    def test_secrets_never_reach_logs_jobs_or_answers(self):
        from wix_commerce_sync.api import actions

        sku = fx.make_item(f"SEC-{frappe.generate_hash(length=5)}", "9.99")
        order = realistic_order(f"5{frappe.generate_hash(length=6)}", sku)
        answers = [fx.response_json(self.deliver("orders/create", order, f"evt-{order.external_id}"))]
        answers.append(fx.response_json(self.deliver("orders/create", order, "evt-forged", secret="wrong")))
        answers.append(process_inbound(self.store))
        self.fake.fail_next.append(RuntimeError(f"boom with token {fx.ACCESS_TOKEN}"))
        try:
            answers.append(actions.push_stock(self.store, sku))  # the store call fails, echoing the token
        except frappe.DoesNotExistError as exc:  # (issue 15) a SKU of no store product is refused: say so, no secret
            answers.append(str(exc))
        answers.append(actions.test_connection(self.store))
        answers.append(actions.sync_status(self.store))
        answers.append(actions.register_webhooks(self.store))
        answers.append(actions.dashboard_summary(self.store))
        text = frappe.as_json(answers)
        for row in frappe.get_all("Commerce Sync Log", filters={"store": self.store}, fields=["*"]):
            text += frappe.as_json(row)
        for row in frappe.get_all("Commerce Sync Job", filters={"store": self.store}, fields=["*"]):
            text += frappe.as_json(row)
        for secret in (fx.WEBHOOK_SECRET, fx.ACCESS_TOKEN):
            self.assertNotIn(secret, text)
