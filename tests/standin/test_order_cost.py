"""The worker's reads for one store order are not repeated (stand-in only: it counts what the database layer sends).

A new order with a new customer, billing and shipping addresses in one country: the order mapping, the customer
mapping, the customer's addresses and the country are each read once, and the log row makes no link checks.
"""

from __future__ import annotations

import re
from unittest import mock

import frappe


def _count(log: list[str], pattern: str) -> int:
    rx = re.compile(pattern, re.I | re.S)
    return sum(1 for q in log if rx.search(q))


def test_one_order_reads_each_thing_once(frappe_site):
    from wix_commerce_sync.tasks.jobs import process_inbound
    from wix_commerce_sync.tests import fixtures as fx
    from wix_commerce_sync.tests.test_shell_sync import realistic_order

    store, fake = fx.make_store(fx.ensure_basics(), f"Order Cost Shop {frappe.generate_hash(length=6)}")
    sku = fx.make_item(f"COST-{frappe.generate_hash(length=5)}", "9.99")
    frappe.db.commit()
    tag = frappe.generate_hash(length=8)
    order = realistic_order(f"5{int(tag, 16) % 10**8}", sku, email=f"cost-{tag}@example.com")
    order.customer.external_id = f"cust-{tag}"
    with mock.patch("frappe.enqueue"):
        fx.post_webhook("shopify", *fake.webhook("orders/create", order, f"evt-{tag}"), store)
        frappe.db.commit()
        frappe.db.statement_log = []
        try:
            result = process_inbound(store)
        finally:
            log, frappe.db.statement_log = frappe.db.statement_log, None
    assert result["synced"] == 1, result
    assert frappe.db.exists("Sales Order", {"commerce_order_id": order.external_id, "docstatus": 1})

    assert _count(log, r"^select .* from `tabCommerce Order Mapping` where .*order_key") == 1
    assert _count(log, r"^select .* from `tabCommerce Customer Mapping` where .*customer_key") == 1
    # billing and shipping are matched against the customer's addresses read once
    assert _count(log, r"^select .*`address_line1`.* from `tabAddress`"
                       r"|^select `tabDynamic Link`\.`parent` from `tabDynamic Link` where .*`link_name`") == 1
    # the log row references what the worker just handled: no link checks for it
    assert _count(log, r"^select `tabCommerce Sync Job`\.`name` from `tabCommerce Sync Job` where") == 0


def test_a_country_is_looked_up_once_per_worker_job(frappe_site):
    """Every address of an order (and of a batch) names the same few countries: one lookup each."""
    from wix_commerce_sync.erpnext.adapter import ErpNextAdapter

    adapter = ErpNextAdapter()
    frappe.db.statement_log = []
    try:
        first = adapter._country("US")
        spent_first = len(frappe.db.statement_log)
        again = [adapter._country("US"), adapter._country("US")]
        spent_again = len(frappe.db.statement_log) - spent_first
    finally:
        frappe.db.statement_log = None
    assert first and again == [first, first]
    assert spent_first >= 1 and spent_again == 0
