"""Order lifecycle through ERPNext's own functions, both ways, on a real ERPNext 15 site or the stand-in.

Store -> ERPNext: webhook -> job -> engine -> adapter -> make_sales_invoice / get_payment_entry /
make_delivery_note / make_sales_return / cancel / close. ERPNext -> store: doc_events -> queued job ->
outbox -> FakeConnector. The jobs doc_events enqueue are captured (``frappe.enqueue`` patched) and run here,
the way a worker would, so the same tests run where no RQ worker is listening.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest import mock

import frappe

from wix_commerce_sync.erpnext.adapter import ErpNextAdapter
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.sync.models import (
    ChargeLine,
    Customer,
    FinancialStatus,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Refund,
    StockLevel,
    TaxLine,
)
from wix_commerce_sync.tasks.jobs import flush_outbound, process_inbound
from wix_commerce_sync.tests import fixtures as fx

D = Decimal
ORDER_MAP = "Commerce Order Mapping"


def store_order(oid: str, sku: str, *, paid: bool = True) -> Order:
    """2 x 12.50 with 2.00 tax, 5.00 shipping: 32.00."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    order = Order(
        external_id=oid, number=f"#{oid}", currency="USD", created_at=now, updated_at=now,
        lines=[OrderLine(f"line-{oid}", sku, "Lamp", D(2), D("12.50"), taxes=[TaxLine("State Tax", D("2.00"))])],
        shipping_lines=[ChargeLine("Courier", D("5.00"))],
        customer=Customer(f"cust-{oid}", f"{oid}@example.com", "Cy", "Moss"), email=f"{oid}@example.com",
        store_status="paid" if paid else "open", status=OrderStatus.PROCESSING,
        financial_status=FinancialStatus.PAID if paid else FinancialStatus.PENDING,
        payments=[Payment("card", D("32.00"), transaction_id=f"txn-{oid}")] if paid else [],
    )  # fmt: skip
    order.total = order.computed_total()
    return order


def later(order: Order, minutes: int = 1, **changes) -> Order:
    """The same store order, updated (a new webhook of it is not 'unchanged')."""
    values = {**vars(order), "updated_at": order.updated_at + timedelta(minutes=minutes), **changes}
    return Order(**values)


class LifecycleCase(fx.ShellTestCase):
    store_name = "Commerce Lifecycle Shop"
    store_settings: dict = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)  # no RQ worker of the bench may run this class's jobs behind its back
        frappe.set_user("Administrator")
        cls.basics = fx.ensure_basics()
        cls.store, cls.fake = fx.make_store(cls.basics, f"{cls.store_name} {frappe.generate_hash(length=6)}",
                                            **cls.store_settings)  # fmt: skip

    def deliver(self, topic: str, record, event_id: str):
        body, headers = self.fake.webhook(topic, record, event_id)
        response = fx.post_webhook("shopify", body, headers, self.store)
        self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
        return response

    def sync(self, order: Order, topic: str = "orders/create") -> dict:
        self.deliver(topic, order, f"evt-{order.external_id}-{order.updated_at:%H%M%S}-{topic}")
        return process_inbound(self.store)

    def mapping(self, order: Order):
        name = frappe.db.get_value(ORDER_MAP, {"order_key": record_key(self.store, order.external_id)}, "name")
        return frappe.get_doc(ORDER_MAP, name) if name else None

    def new_sku(self, prefix: str, *, stock: int = 0) -> str:
        sku = fx.make_item(f"{prefix}-{frappe.generate_hash(length=6)}", "12.50")
        if stock:
            ErpNextAdapter().set_stock(self.store, StockLevel(sku=sku, quantity=D(stock), location_id="loc-1"))
            frappe.db.commit()
        return sku

    def paid_synced_order(self, prefix: str, *, stock: int = 0) -> tuple[Order, object]:
        order = store_order(f"{prefix}{frappe.generate_hash(length=6)}", self.new_sku(prefix, stock=stock))
        result = self.sync(order)
        self.assertEqual((result["synced"], result["failed"]), (1, 0), result)
        return order, frappe.get_doc("Sales Order", self.mapping(order).sales_order)

    def run_captured(self, enqueue: mock.MagicMock, method: str) -> int:
        """Run the captured jobs of one method, like a worker after the commit."""
        ran = 0
        for call in enqueue.call_args_list:
            if call.args and call.args[0] == f"wix_commerce_sync.tasks.jobs.{method}":
                kwargs = {k: v for k, v in call.kwargs.items()
                          if k not in ("queue", "enqueue_after_commit", "job_id", "deduplicate", "timeout", "now")}  # fmt: skip
                frappe.get_attr(call.args[0])(**kwargs)
                ran += 1
        return ran

    def pushed(self, method: str) -> list:
        return [row for m, rows in self.fake.pushes if m == method for row in rows]


class TestPaidOrderBilling(LifecycleCase):
    store_name = "Commerce Billing Shop"
    store_settings = {"create_sales_invoice": 1, "create_payment_entry": 1}

    def test_paid_order_makes_a_submitted_invoice_and_a_payment_equal_to_the_store(self):
        order, so = self.paid_synced_order("PAID")
        mapping = self.mapping(order)
        self.assertTrue(mapping.sales_invoice and mapping.payment_entry)

        si = frappe.get_doc("Sales Invoice", mapping.sales_invoice)
        self.assertEqual(si.docstatus, 1)
        self.assertEqual((si.customer, si.company, si.currency, si.conversion_rate, si.selling_price_list),
                         (so.customer, so.company, "USD", 1.0, so.selling_price_list))  # fmt: skip
        self.assertEqual((si.commerce_store, si.commerce_order_id, si.po_no), (self.store, order.external_id, order.number))
        self.assertEqual(si.debit_to, frappe.get_cached_value("Company", so.company, "default_receivable_account"))
        self.assertEqual([(r.item_code, r.qty, r.rate, r.sales_order, r.so_detail) for r in si.items],
                         [(so.items[0].item_code, 2, 12.5, so.name, so.items[0].name)])  # fmt: skip
        self.assertEqual([(t.charge_type, t.description, t.account_head, t.tax_amount) for t in si.taxes],
                         [(t.charge_type, t.description, t.account_head, t.tax_amount) for t in so.taxes])  # fmt: skip
        self.assertEqual({t.description: t.tax_amount for t in si.taxes}, {"State Tax": 2.0, "Shipping: Courier": 5.0})
        self.assertAlmostEqual(si.grand_total, float(order.total), places=2)
        self.assertAlmostEqual(si.grand_total, so.grand_total, places=2)

        pe = frappe.get_doc("Payment Entry", mapping.payment_entry)
        self.assertEqual(pe.docstatus, 1)
        self.assertEqual((pe.payment_type, pe.party_type, pe.party, pe.company), ("Receive", "Customer", so.customer, so.company))
        self.assertEqual(pe.paid_from, si.debit_to)
        self.assertAlmostEqual(pe.paid_amount, float(order.total), places=2)
        self.assertAlmostEqual(pe.received_amount, float(order.total), places=2)
        self.assertEqual(pe.reference_no, f"txn-{order.external_id}")
        self.assertEqual([(r.reference_doctype, r.reference_name, r.allocated_amount) for r in pe.references],
                         [("Sales Invoice", si.name, si.grand_total)])  # fmt: skip
        self.assertAlmostEqual(frappe.db.get_value("Sales Invoice", si.name, "outstanding_amount"), 0.0, places=2)
        self.assertEqual(frappe.db.get_value("Sales Order", so.name, "per_billed"), 100)

        # the same paid order again (a later update): still one invoice, one payment
        self.sync(later(order, note="gift wrap"), "orders/updated")
        self.assertEqual(frappe.db.count("Sales Invoice", {"commerce_order_id": order.external_id, "docstatus": 1}), 1)
        self.assertEqual(frappe.db.count("Payment Entry Reference", {"reference_name": si.name}), 1)

    def test_order_paid_later_is_invoiced_on_the_update(self):
        order = store_order(f"LATE{frappe.generate_hash(length=6)}", self.new_sku("LATE"), paid=False)
        self.sync(order)
        self.assertFalse(self.mapping(order).sales_invoice)
        paid = later(order, store_status="paid", financial_status=FinancialStatus.PAID,
                     payments=[Payment("card", order.total, transaction_id="txn-late")])  # fmt: skip
        result = self.sync(paid, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        mapping = self.mapping(order)
        self.assertEqual(frappe.db.get_value("Sales Invoice", mapping.sales_invoice, "docstatus"), 1)
        self.assertEqual(frappe.db.get_value("Payment Entry", mapping.payment_entry, "reference_no"), "txn-late")


    def test_order_invoiced_by_hand_is_linked_not_billed_twice(self):
        from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

        order = store_order(f"HAND{frappe.generate_hash(length=6)}", self.new_sku("HAND"), paid=False)
        self.sync(order)
        so_name = self.mapping(order).sales_order
        manual = make_sales_invoice(so_name, ignore_permissions=True)
        manual.insert(ignore_permissions=True)
        manual.submit()
        frappe.db.commit()
        paid = later(order, store_status="paid", financial_status=FinancialStatus.PAID,
                     payments=[Payment("card", order.total, transaction_id="txn-hand")])  # fmt: skip
        result = self.sync(paid, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        self.assertEqual(self.mapping(order).sales_invoice, manual.name)
        billed = frappe.get_all("Sales Invoice Item", filters={"sales_order": so_name, "docstatus": 1}, pluck="parent")
        self.assertEqual(set(billed), {manual.name})


class TestPaidOrderWithoutBilling(LifecycleCase):
    store_name = "Commerce Unbilled Shop"

    def test_toggles_off_make_no_invoice_and_no_payment(self):
        order, so = self.paid_synced_order("OFF")
        mapping = self.mapping(order)
        self.assertEqual((mapping.sales_invoice, mapping.payment_entry), (None, None))
        self.assertEqual(so.docstatus, 1)
        self.assertFalse(frappe.db.exists("Sales Invoice Item", {"sales_order": so.name}))
        self.assertFalse(frappe.db.exists("Payment Entry Reference", {"reference_name": so.name}))


class TestFulfilmentCancelRefund(LifecycleCase):
    store_name = "Commerce Lifecycle Shop"
    store_settings = {"create_sales_invoice": 1, "create_payment_entry": 1, "create_delivery_note_on_fulfilment": 1}

    def test_store_fulfilment_makes_one_delivery_note_with_the_tracking_number(self):
        order, so = self.paid_synced_order("SHIP", stock=10)
        shipped = later(order, fulfilment_status=FulfilmentStatus.FULFILLED, fulfilments=[
            Fulfilment(order.external_id, tracking_number="1Z999AA10123456784", tracking_company="UPS",
                       external_id=f"ful-{order.external_id}")])  # fmt: skip
        result = self.sync(shipped, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        names = frappe.get_all("Delivery Note", filters={"commerce_fulfilment_id": record_key(self.store, f"ful-{order.external_id}")},
                               pluck="name")  # fmt: skip
        self.assertEqual(len(names), 1)
        dn = frappe.get_doc("Delivery Note", names[0])
        self.assertEqual((dn.docstatus, dn.lr_no, dn.customer, dn.company, dn.commerce_store),
                         (1, "1Z999AA10123456784", so.customer, so.company, self.store))  # fmt: skip
        self.assertEqual([(r.item_code, r.qty, r.rate, r.against_sales_order, r.so_detail, r.warehouse) for r in dn.items],
                         [(so.items[0].item_code, 2, 12.5, so.name, so.items[0].name, so.items[0].warehouse)])  # fmt: skip
        self.assertEqual(dn.po_no, order.number)
        self.assertEqual(frappe.db.get_value("Sales Order", so.name, "per_delivered"), 100)
        self.assertEqual(frappe.db.get_value("Sales Order", so.name, "status"), "Completed")

        self.sync(later(shipped, 2, note="redelivered"), "orders/updated")  # the same fulfilment again
        self.assertEqual(frappe.db.count("Delivery Note", {"commerce_fulfilment_id": dn.commerce_fulfilment_id}), 1)

    def test_store_cancellation_cancels_an_unbilled_order(self):
        order = store_order(f"CAN{frappe.generate_hash(length=6)}", self.new_sku("CAN"), paid=False)
        self.sync(order)
        so_name = self.mapping(order).sales_order
        result = self.sync(later(order, status=OrderStatus.CANCELLED, store_status="cancelled",
                                 cancelled_at=order.updated_at), "orders/updated")  # fmt: skip
        self.assertEqual(result["failed"], 0, result)
        self.assertEqual(frappe.db.get_value("Sales Order", so_name, ["docstatus", "status"]), (2, "Cancelled"))
        self.assertEqual(self.mapping(order).store_status, "cancelled")

    def test_store_cancellation_closes_an_invoiced_order(self):
        order, so = self.paid_synced_order("CLS")
        result = self.sync(later(order, status=OrderStatus.CANCELLED, store_status="cancelled",
                                 cancelled_at=order.updated_at), "orders/updated")  # fmt: skip
        self.assertEqual(result["failed"], 0, result)
        self.assertEqual(frappe.db.get_value("Sales Order", so.name, ["docstatus", "status"]), (1, "Closed"))
        self.assertEqual(frappe.db.get_value("Sales Invoice", self.mapping(order).sales_invoice, "docstatus"), 1)

    def test_store_refund_of_an_invoiced_order_makes_one_credit_note(self):
        order, so = self.paid_synced_order("REF")
        invoice = self.mapping(order).sales_invoice
        refunded = later(order, financial_status=FinancialStatus.REFUNDED, store_status="refunded",
                         refunds=[Refund(f"rf-{order.external_id}", order.external_id, order.total, "USD", reason="damaged")])  # fmt: skip
        result = self.sync(refunded, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        credits = frappe.get_all("Sales Invoice", filters={"return_against": invoice, "is_return": 1},
                                 fields=["name", "docstatus", "grand_total", "commerce_refund_id", "customer"])  # fmt: skip
        self.assertEqual(len(credits), 1)
        credit = frappe.get_doc("Sales Invoice", credits[0].name)
        self.assertEqual((credit.docstatus, credit.customer, credit.commerce_store, credit.commerce_refund_id),
                         (1, so.customer, self.store, record_key(self.store, f"rf-{order.external_id}")))  # fmt: skip
        self.assertAlmostEqual(credit.grand_total, -float(order.total), places=2)
        original = frappe.get_doc("Sales Invoice", invoice)
        self.assertEqual([(r.item_code, r.qty, r.sales_invoice_item, r.so_detail) for r in credit.items],
                         [(original.items[0].item_code, -2, original.items[0].name, so.items[0].name)])  # fmt: skip
        self.assertEqual({t.description: t.tax_amount for t in credit.taxes}, {"State Tax": -2.0, "Shipping: Courier": -5.0})

        self.sync(later(refunded, 2, note="again"), "orders/updated")  # redelivered
        self.assertEqual(frappe.db.count("Sales Invoice", {"return_against": invoice, "docstatus": 1}), 1)

    def test_store_refund_of_a_not_invoiced_order_waits_for_its_invoice(self):
        order = store_order(f"NOI{frappe.generate_hash(length=6)}", self.new_sku("NOI"), paid=False)
        self.sync(order)
        refunded = later(order, refunds=[Refund(f"rf-{order.external_id}", order.external_id, D("10.00"), "USD")])
        result = self.sync(refunded, "orders/updated")
        self.assertEqual(result["failed"], 1, result)  # visible, kept for a retry: never a silent comment
        self.assertFalse(frappe.db.exists("Sales Invoice", {"commerce_refund_id": record_key(self.store, f"rf-{order.external_id}")}))
        error = frappe.get_all("Commerce Sync Job", filters={"store": self.store}, fields=["last_error"], order_by="creation desc", limit=1)
        self.assertIn("waits for the order's Sales Invoice", error[0].last_error or "")

    # ---------------------------------------------------------------- partial refunds, to the cent

    def refund(self, order: Order, refund: Refund, *, minutes: int = 2, **changes) -> object:
        changes = {"financial_status": FinancialStatus.PARTIALLY_REFUNDED, "refunds": [refund], **changes}
        refunded = later(order, minutes, **changes)
        result = self.sync(refunded, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        name = frappe.db.get_value("Sales Invoice", {"commerce_refund_id": record_key(self.store, refund.external_id)}, "name")
        self.assertTrue(name, "no credit note")
        return frappe.get_doc("Sales Invoice", name)

    def test_one_unit_of_a_line_with_its_tax_is_credited_to_the_cent(self):
        order, so = self.paid_synced_order("PRT")
        rid = f"rf1-{order.external_id}"
        credit = self.refund(order, Refund(rid, order.external_id, D("13.50"), "USD", lines=[(order.lines[0].sku, D(1))],
                                           tax=D("1.00")))  # fmt: skip
        self.assertEqual((credit.docstatus, credit.is_return, credit.return_against), (1, 1, self.mapping(order).sales_invoice))
        self.assertAlmostEqual(credit.grand_total, -13.50, places=2)
        self.assertEqual([(r.item_code, r.qty) for r in credit.items], [(so.items[0].item_code, -1)])
        self.assertEqual({t.description: t.tax_amount for t in credit.taxes}, {"State Tax": -1.0})
        # the money went back: a Payment Entry pays the credit note out
        pay = frappe.get_all("Payment Entry Reference", filters={"reference_name": credit.name, "docstatus": 1}, pluck="parent")
        self.assertEqual(len(pay), 1)
        self.assertEqual(frappe.db.get_value("Payment Entry", pay[0], ["payment_type", "paid_amount"]), ("Pay", 13.5))
        # the same refund again (a redelivered webhook): nothing more
        self.sync(later(order, 3, refunds=[Refund(rid, order.external_id, D("13.50"), "USD", lines=[(order.lines[0].sku, D(1))],
                                                  tax=D("1.00"))]), "orders/updated")  # fmt: skip
        self.assertEqual(frappe.db.count("Sales Invoice", {"commerce_refund_id": credit.commerce_refund_id}), 1)

    def test_shipping_only_refund_credits_the_shipping(self):
        order, _ = self.paid_synced_order("SHP")
        credit = self.refund(order, Refund(f"rs-{order.external_id}", order.external_id, D("5.00"), "USD", shipping=D("5.00"), tax=D(0)))
        self.assertAlmostEqual(credit.grand_total, -5.0, places=2)
        self.assertEqual([r.qty for r in credit.items], [0])  # value-only credit note
        self.assertEqual({t.description: t.tax_amount for t in credit.taxes}, {"Shipping: Courier": -5.0})

    def test_goodwill_amount_is_one_adjustment_row(self):
        order, _ = self.paid_synced_order("GWL")
        credit = self.refund(order, Refund(f"rg-{order.external_id}", order.external_id, D("3.33"), "USD", tax=D(0),
                                           reason="late delivery"))  # fmt: skip
        self.assertAlmostEqual(credit.grand_total, -3.33, places=2)
        self.assertEqual({t.description: t.tax_amount for t in credit.taxes}, {"Store refund adjustment": -3.33})

    def test_two_partial_refunds_then_nothing_more_to_return(self):
        order, so = self.paid_synced_order("TWO")
        sku = order.lines[0].sku
        first = Refund(f"ra-{order.external_id}", order.external_id, D("13.50"), "USD", lines=[(sku, D(1))])
        self.refund(order, first)
        second = Refund(f"rb-{order.external_id}", order.external_id, D("18.50"), "USD", lines=[(sku, D(1))], shipping=D("5.00"))
        credit = self.refund(order, second, minutes=3, refunds=[first, second])
        self.assertAlmostEqual(credit.grand_total, -18.50, places=2)
        invoice = self.mapping(order).sales_invoice
        total = sum(frappe.get_all("Sales Invoice", filters={"return_against": invoice, "docstatus": 1}, pluck="grand_total"))
        self.assertAlmostEqual(total, -float(order.total), places=2)

    def test_restocked_units_never_shipped_leave_the_sales_order(self):
        order, so = self.paid_synced_order("UNS", stock=10)
        code, warehouse = so.items[0].item_code, so.items[0].warehouse
        reserved = frappe.db.get_value("Bin", {"item_code": code, "warehouse": warehouse}, "reserved_qty")
        refund = Refund(f"ru-{order.external_id}", order.external_id, D("13.50"), "USD", lines=[(order.lines[0].sku, D(1))],
                        restock=True)  # fmt: skip
        self.refund(order, refund)
        self.assertEqual([r.qty for r in frappe.get_doc("Sales Order", so.name).items], [1])  # one left to ship
        self.assertEqual(frappe.db.get_value("Bin", {"item_code": code, "warehouse": warehouse}, "reserved_qty"), reserved - 1)
        self.assertFalse(frappe.db.exists("Delivery Note", {"commerce_refund_id": record_key(self.store, refund.external_id)}))

    def test_a_cumulative_refund_total_credits_only_what_is_new(self):
        order, _ = self.paid_synced_order("CUM")
        sku, rid = order.lines[0].sku, f"{order.external_id}:refunded"  # Wix: one growing figure per order
        first = Refund(rid, order.external_id, D("13.50"), "USD", lines=[(sku, D(1))], cumulative=True)
        self.assertEqual(self.sync(later(order, 2, refunds=[first]), "orders/updated")["failed"], 0)
        grown = Refund(rid, order.external_id, order.total, "USD", lines=[(sku, D(2))], cumulative=True)
        self.sync(later(order, 3, financial_status=FinancialStatus.REFUNDED, refunds=[grown]), "orders/updated")
        self.sync(later(order, 4, financial_status=FinancialStatus.REFUNDED, refunds=[grown]), "orders/updated")  # again
        invoice = self.mapping(order).sales_invoice
        credits = frappe.get_all("Sales Invoice", filters={"return_against": invoice, "docstatus": 1}, pluck="grand_total")
        self.assertEqual(sorted(credits), [-18.5, -13.5])
        self.assertAlmostEqual(sum(credits), -float(order.total), places=2)

    def test_each_credit_note_of_a_cumulative_refund_is_named_by_the_store_refund_it_books(self):
        """Wix: the order shows the total refunded and, in its activities, each refund's id: the credit note of what
        is new carries the newest refund's id, so the store's refund is found by its own id; a replay adds nothing."""
        order, _ = self.paid_synced_order("CID")
        sku, rid, tag = order.lines[0].sku, f"{order.external_id}:refunded", order.external_id
        first = Refund(rid, order.external_id, D("13.50"), "USD", lines=[(sku, D(1))], cumulative=True,
                       store_refunds=[(f"wr1-{tag}", D("13.50"))])  # fmt: skip
        self.assertEqual(self.sync(later(order, 2, refunds=[first]), "orders/updated")["failed"], 0)
        grown = Refund(rid, order.external_id, order.total, "USD", lines=[(sku, D(2))], cumulative=True,
                       store_refunds=[(f"wr1-{tag}", D("13.50")), (f"wr2-{tag}", order.total - D("13.50"))])  # fmt: skip
        self.sync(later(order, 3, financial_status=FinancialStatus.REFUNDED, refunds=[grown]), "orders/updated")
        self.sync(later(order, 4, financial_status=FinancialStatus.REFUNDED, refunds=[grown]), "orders/updated")  # again
        credits = frappe.get_all("Sales Invoice", filters={"return_against": self.mapping(order).sales_invoice,
                                                           "docstatus": 1}, fields=["commerce_refund_id", "grand_total"])  # fmt: skip
        self.assertEqual(sorted((c.commerce_refund_id, c.grand_total) for c in credits),
                         [(record_key(self.store, f"wr1-{tag}"), -13.5), (record_key(self.store, f"wr2-{tag}"), -18.5)])

    def test_restocked_shipped_units_come_back_with_a_return_delivery_note(self):
        order, so = self.paid_synced_order("RST", stock=10)
        warehouse = so.items[0].warehouse
        shipped = later(order, fulfilment_status=FulfilmentStatus.FULFILLED,
                        fulfilments=[Fulfilment(order.external_id, external_id=f"ful-{order.external_id}")])  # fmt: skip
        self.assertEqual(self.sync(shipped, "orders/updated")["failed"], 0)
        before = frappe.db.get_value("Bin", {"item_code": so.items[0].item_code, "warehouse": warehouse}, "actual_qty")
        refund = Refund(f"rr-{order.external_id}", order.external_id, D("13.50"), "USD", lines=[(order.lines[0].sku, D(1))],
                        restock=True)  # fmt: skip
        self.refund(shipped, refund, minutes=3, fulfilments=shipped.fulfilments)
        back = frappe.get_all("Delivery Note", filters={"commerce_refund_id": record_key(self.store, refund.external_id)},
                              fields=["name", "is_return", "docstatus"])  # fmt: skip
        self.assertEqual([(b.is_return, b.docstatus) for b in back], [(1, 1)])
        self.assertEqual(frappe.db.get_value("Delivery Note Item", {"parent": back[0].name}, ["qty", "warehouse"]), (-1, warehouse))
        after = frappe.db.get_value("Bin", {"item_code": so.items[0].item_code, "warehouse": warehouse}, "actual_qty")
        self.assertEqual(after - before, 1)


class TestOrderEdits(LifecycleCase):
    """An order edited on the store updates its Sales Order through update_child_qty_rate, or is a Conflict."""

    store_name = "Commerce Edits Shop"
    store_settings = {"create_delivery_note_on_fulfilment": 1}

    def edited(self, order: Order, vase: str) -> Order:
        lamp = order.lines[0]
        lines = [OrderLine(lamp.external_id, lamp.sku, "Lamp", D(1), D("12.50"), taxes=[TaxLine("State Tax", D("1.00"))]),
                 OrderLine(f"vase-{order.external_id}", vase, "Vase", D(3), D("7.00"), taxes=[TaxLine("State Tax", D("1.68"))])]  # fmt: skip
        changed = later(order, 2, lines=lines, note="edited")
        changed.total = changed.computed_total()
        return changed

    def test_lines_added_and_cut_update_the_sales_order_to_the_cent(self):
        order = store_order(f"EDT{frappe.generate_hash(length=6)}", self.new_sku("EDT", stock=10), paid=False)
        self.assertEqual(self.sync(order)["failed"], 0)
        so_name = self.mapping(order).sales_order
        edited = self.edited(order, self.new_sku("VAS", stock=10))
        result = self.sync(edited, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        so = frappe.get_doc("Sales Order", so_name)
        self.assertEqual((so.docstatus, so.name), (1, so_name))  # the same order, still submitted
        self.assertEqual([(r.item_code, r.qty, r.rate) for r in so.items],
                         [(order.lines[0].sku, 1, 12.5), (edited.lines[1].sku, 3, 7.0)])  # fmt: skip
        self.assertAlmostEqual(so.grand_total, float(edited.total), places=2)
        self.assertEqual({t.description: t.tax_amount for t in so.taxes}, {"State Tax": 2.68, "Shipping: Courier": 5.0})
        vase_bin = frappe.db.get_value("Bin", {"item_code": edited.lines[1].sku}, "reserved_qty")
        self.assertEqual(vase_bin, 3)  # the new line reserves its stock like any order line

    def test_a_change_made_in_erpnext_is_not_overwritten_by_a_store_update_of_the_same_order(self):
        import json

        from erpnext.controllers.accounts_controller import update_child_qty_rate

        order = store_order(f"EDE{frappe.generate_hash(length=6)}", self.new_sku("EDE", stock=10), paid=False)
        self.sync(order)
        so = frappe.get_doc("Sales Order", self.mapping(order).sales_order)
        row = so.items[0]
        update_child_qty_rate("Sales Order", json.dumps([{"docname": row.name, "item_code": row.item_code, "qty": 3,
                                                          "rate": row.rate}]), so.name)  # by hand, in ERPNext
        frappe.db.commit()
        self.assertEqual(self.sync(later(order, 2, note="gift wrap please"), "orders/updated")["failed"], 0)
        self.assertEqual([r.qty for r in frappe.get_doc("Sales Order", so.name).items], [3])

    def test_an_edit_after_delivery_is_a_conflict_showing_both_versions(self):
        order = store_order(f"EDC{frappe.generate_hash(length=6)}", self.new_sku("EDC", stock=10), paid=False)
        self.sync(order)
        so_name = self.mapping(order).sales_order
        shipped = later(order, fulfilments=[Fulfilment(order.external_id, external_id=f"ful-{order.external_id}")])
        self.assertEqual(self.sync(shipped, "orders/updated")["failed"], 0)
        edited = self.edited(shipped, self.new_sku("VAC", stock=10))
        result = self.sync(edited, "orders/updated")
        self.assertEqual(result["failed"], 0, result)
        so = frappe.get_doc("Sales Order", so_name)
        self.assertEqual([(r.item_code, r.qty) for r in so.items], [(order.lines[0].sku, 2)])  # untouched
        rows = frappe.get_all("Commerce Sync Log", filters={"store": self.store, "status": "Conflict", "reference_name": so_name},
                              fields=["message", "job"])  # fmt: skip
        self.assertEqual(len(rows), 1, rows)
        message = rows[0].message
        self.assertIn(f"ERPNext: 2 x {order.lines[0].sku} at 12.50", message)
        self.assertIn(f"Store: 1 x {order.lines[0].sku} at 12.50; 3 x {edited.lines[1].sku} at 7.00", message)
        self.assertTrue(rows[0].job)
        self.assertNotIn("{", message)  # readable text, no JSON


class TestErpToStore(LifecycleCase):
    store_name = "Commerce Outbound Shop"

    def test_submitting_a_delivery_note_sends_a_fulfilment_with_the_tracking_number(self):
        from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

        order, so = self.paid_synced_order("DNO", stock=5)
        calls_before = self.fake.calls
        with mock.patch("frappe.enqueue") as enqueue:
            dn = make_delivery_note(so.name)
            dn.lr_no = "TRACK-42"
            dn.insert(ignore_permissions=True)
            dn.submit()
            frappe.db.commit()
        self.assertEqual(self.fake.calls, calls_before)  # nothing reached the store inside the save
        self.assertEqual(self.pushed("create_fulfilments"), [])
        self.assertEqual(self.run_captured(enqueue, "queue_order_change"), 1)
        flush_outbound(self.store, force=True)
        sent = [f for f in self.pushed("create_fulfilments") if f.order_id == order.external_id]
        self.assertEqual(len(sent), 1)
        self.assertEqual((sent[0].tracking_number, sent[0].external_id), ("TRACK-42", dn.name))
        self.assertEqual(sent[0].lines, [(so.items[0].item_code, D(2))])

    def test_cancelling_a_synced_sales_order_cancels_it_on_the_store(self):
        order = store_order(f"XO{frappe.generate_hash(length=6)}", self.new_sku("XO"), paid=False)
        self.sync(order)
        so = frappe.get_doc("Sales Order", self.mapping(order).sales_order)
        with mock.patch("frappe.enqueue") as enqueue:
            so.cancel()
            frappe.db.commit()
        self.assertEqual(self.run_captured(enqueue, "queue_order_change"), 1)
        flush_outbound(self.store, force=True)
        self.assertIn(order.external_id, self.pushed("cancel_orders"))

    def test_submitting_a_credit_note_sends_a_refund(self):
        from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return
        from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

        order, so = self.paid_synced_order("CRN")
        si = make_sales_invoice(so.name)
        si.insert(ignore_permissions=True)
        si.submit()  # invoiced by hand: the order mapping does not name this invoice
        frappe.db.commit()
        with mock.patch("frappe.enqueue") as enqueue:
            credit = make_sales_return(si.name)
            credit.insert(ignore_permissions=True)
            credit.submit()
            frappe.db.commit()
        self.assertEqual(self.run_captured(enqueue, "queue_order_change"), 1)
        flush_outbound(self.store, force=True)
        refunds = [r for r in self.pushed("record_refunds") if r.order_id == order.external_id]
        self.assertEqual(len(refunds), 1)
        self.assertEqual((refunds[0].amount, refunds[0].external_id), (order.total, credit.name))
        self.assertEqual(refunds[0].lines, [(so.items[0].item_code, D(2))])  # the credited lines go with it
        # the store's echo of that refund is known by its id: no second credit note
        store_id = frappe.db.get_value("Sales Invoice", credit.name, "commerce_refund_id")
        self.assertEqual(store_id, record_key(self.store, credit.name))  # the fake store names refunds after the ERP's
        echo = later(order, 3, financial_status=FinancialStatus.REFUNDED,
                     refunds=[Refund(credit.name, order.external_id, order.total, "USD", lines=[(so.items[0].item_code, D(2))])])  # fmt: skip
        self.assertEqual(self.sync(echo, "orders/updated")["failed"], 0)
        self.assertEqual(frappe.db.count("Sales Invoice", {"return_against": si.name, "docstatus": 1}), 1)

    def test_the_stores_echo_arriving_before_the_answer_is_not_credited_twice(self):
        from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return
        from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

        order, so = self.paid_synced_order("ECH")
        si = make_sales_invoice(so.name)
        si.insert(ignore_permissions=True)
        si.submit()
        with mock.patch("frappe.enqueue"):
            credit = make_sales_return(si.name)
            credit.insert(ignore_permissions=True)
            credit.submit()
            frappe.db.commit()
        # the store's webhook for the refund it made comes first, naming the credit note by the app's marker
        echo = Refund("store-refund-77", order.external_id, order.total, "USD", erp_document=credit.name)
        self.assertEqual(self.sync(later(order, 2, financial_status=FinancialStatus.REFUNDED, refunds=[echo]),
                                   "orders/updated")["failed"], 0)  # fmt: skip
        self.assertEqual(frappe.db.count("Sales Invoice", {"return_against": si.name, "docstatus": 1}), 1)
        self.assertEqual(frappe.db.get_value("Sales Invoice", credit.name, "commerce_refund_id"),
                         record_key(self.store, "store-refund-77"))  # fmt: skip

    def test_a_return_delivery_note_is_a_return_on_the_store_not_a_shipment(self):
        from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note
        from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

        order, so = self.paid_synced_order("RDN", stock=5)
        dn = make_delivery_note(so.name)
        dn.insert(ignore_permissions=True)
        dn.submit()
        frappe.db.commit()
        flush_outbound(self.store, force=True)
        with mock.patch("frappe.enqueue") as enqueue:
            back = make_sales_return(dn.name)
            back.items[0].qty = back.items[0].stock_qty = -1
            back.insert(ignore_permissions=True)
            back.submit()
            frappe.db.commit()
        self.run_captured(enqueue, "queue_order_change")
        flush_outbound(self.store, force=True)
        self.assertEqual([f for f in self.pushed("create_fulfilments") if f.external_id == back.name], [])
        returns = [r for r in self.pushed("record_refunds") if r.external_id == back.name]
        self.assertEqual([(r.order_id, r.amount, r.lines, r.restock) for r in returns],
                         [(order.external_id, D("0.00"), [(so.items[0].item_code, D(1))], True)])  # fmt: skip

    def test_a_sales_order_marked_for_the_store_is_created_there_on_submit(self):
        sku = self.new_sku("NEW")
        customer = ErpNextAdapter().upsert_customer(self.store, Customer(None, f"walk.in.{fx.run_tag()}@example.com", "Wal", "Kin")).name
        frappe.db.commit()
        so = frappe.get_doc({
            "doctype": "Sales Order", "customer": customer, "company": self.basics["company"], "currency": "USD",
            "selling_price_list": self.basics["price_list"], "transaction_date": frappe.utils.nowdate(),
            "delivery_date": frappe.utils.add_days(frappe.utils.nowdate(), 2), "commerce_store": self.store,
            "items": [{"item_code": sku, "qty": 3, "rate": 12.5, "warehouse": self.basics["warehouse"]}],
        }).insert(ignore_permissions=True)  # fmt: skip
        with mock.patch("frappe.enqueue") as enqueue:
            so.submit()
            frappe.db.commit()
        self.assertGreaterEqual(self.run_captured(enqueue, "queue_order_change"), 1)
        flush_outbound(self.store, force=True)
        created = [o for o in self.pushed("create_orders") if o.external_id == so.name]
        self.assertEqual(len(created), 1)
        self.assertEqual([(ln.sku, ln.quantity, ln.unit_price) for ln in created[0].lines], [(sku, D(3), D("12.50"))])
        self.assertEqual(created[0].total, D("37.50"))
        mapping = frappe.db.get_value(ORDER_MAP, {"store": self.store, "sales_order": so.name}, "external_order_id")
        self.assertEqual(mapping, so.name)  # the FakeConnector keeps the id it was given
