"""One store in the sandbox, driven through the simulators' chaos hooks (issue 16 item 1); facts to a JSON report.

Run in a process of its own (the sandbox opens and closes its own stand-in site), by test_store_edits_e2e.py:
``python tests/e2e/store_edits_scenario.py --platform Wix --report out.json``. Each step records what both sides
show; the test asserts on them:
- ``partial_stock``: an ERPNext receipt for every item whose push meets a partial batch failure on the store;
  the failed items fail (only they), the next scheduler tick after their retry time brings them to the store;
- ``refund``: a paid, invoiced order refunded on the store (one unit, restocked) -> one ERPNext credit note;
- ``store_product_edit``: name and price changed on the store -> the ERPNext Item and Item Price;
- ``erp_item_edit``: the ERPNext Item's name and Item Price changed -> the store product;
- ``store_customer_edit``: a customer renamed on the store -> the ERPNext Customer;
- ``order_then_customer_rename``: an order by a registered customer's email, the customer renamed on the store, a
  later order by the same email -> the Customer its own mapping names carries the store's name, one per email;
- ``refund_of_an_earlier_order``: a store refund of an order placed before another -> one credit note naming the
  store's refund id.
- ``edits_both_ways``: one product edited in ERPNext then on the store, on the store then in ERPNext, in ERPNext
  twice: after each edit's work both sides show the latest edit's name and price.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

from wix_commerce_sync.sandbox import Kit, Sandbox, _available

STOCK_JOB = {"entity": "stock", "direction": "Outbound"}


def _mapped(frappe: Any, store: str) -> list[tuple[str, str]]:
    """(item_code, sku) of every mapped item of the store, by SKU."""
    rows = frappe.get_all("Commerce Item Mapping", filters={"store": store}, fields=["item_code", "sku"], as_list=True)
    return sorted(((code, sku) for code, sku in rows if sku), key=lambda r: r[1])


def _stock_apart(sb: Sandbox, kit: Kit) -> list[str]:
    import frappe

    apart = []
    for code, sku in _mapped(frappe, kit.store):
        erp, store = _available(frappe, code, sb.basics["warehouse"]), kit.sim.stock_of(sku)
        if store is None or Decimal(str(store)) != max(Decimal(0), erp):
            apart.append(f"{sku}: store {store} != ERPNext {erp}")
    return apart


def _jobs(store: str, status: str) -> int:
    import frappe

    return frappe.db.count("Commerce Sync Job", {"store": store, "status": status, **STOCK_JOB})


def _receipt(sb: Sandbox, codes: list[str], qty: int) -> None:
    import frappe

    entry = frappe.get_doc({
        "doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
        "company": sb.basics["company"],
        "items": [{"item_code": code, "qty": qty, "t_warehouse": sb.basics["warehouse"], "basic_rate": 5, "uom": "Nos",
                   "stock_uom": "Nos", "conversion_factor": 1} for code in codes],
    })  # fmt: skip
    entry.insert(ignore_permissions=True)
    entry.submit()
    frappe.db.commit()


def _failed_push(sb: Sandbox, kit: Kit, mapped: list[tuple[str, str]]) -> dict[str, Any]:
    """A receipt for every item whose push (the doc event's, no re-plan of every item) meets a partial failure."""
    import frappe

    before = kit.sim.batch_items_failed
    kit.sim.fail_batch_items_next(1)
    _receipt(sb, [code for code, _ in mapped], 3)
    sb.work(kit, entities=[])
    return {"store_failed_items": kit.sim.batch_items_failed - before, "failed_jobs": _jobs(kit.store, "Failed"),
            "apart_after_push": _stock_apart(sb, kit),
            "failed_errors": frappe.get_all("Commerce Sync Job", pluck="last_error", filters={
                "store": kit.store, "status": "Failed", **STOCK_JOB})[:3]}  # fmt: skip


def _retry_tick(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    """Time passes: the failed jobs' next attempt comes due; one scheduler tick (no re-plan, no manual retry)."""
    import frappe

    frappe.db.sql("update `tabCommerce Sync Job` set next_attempt_at = %s where store = %s and status = 'Failed' "
                  "and entity = 'stock' and direction = 'Outbound'", ("2000-01-01 00:00:00", kit.store))
    frappe.db.commit()
    sb.work(kit, entities=[])
    return {"apart_after_retry": _stock_apart(sb, kit), "failed_after_retry": _jobs(kit.store, "Failed"),
            "dead_jobs": _jobs(kit.store, "Dead")}


def partial_stock(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    """Two partial batch failures of a stock push: the first one's failed items wait for their retry; the second
    one's are changed again in ERPNext before their retry is due (that newer push goes through)."""
    import frappe

    mapped = _mapped(frappe, kit.store)
    first = _failed_push(sb, kit, mapped)
    first.update(_retry_tick(sb, kit))
    second = _failed_push(sb, kit, mapped)
    failed_skus = {line.split(":")[0] for line in second["apart_after_push"]}
    _receipt(sb, [code for code, sku in mapped if sku in failed_skus], 2)  # newer ERPNext figures for those items
    sb.work(kit, entities=[])
    second["apart_after_newer_change"] = _stock_apart(sb, kit)
    second.update(_retry_tick(sb, kit))
    return {"items": len(mapped), "retried": first, "overtaken": second}


def refund(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    import frappe

    store = frappe.get_doc("Commerce Store", kit.store)
    store.create_sales_invoice = 1
    store.save(ignore_permissions=True)
    frappe.db.commit()
    _, sku = _mapped(frappe, kit.store)[0]
    placed = kit.sim.create_order(line_items=[{"sku": sku, "quantity": 2}],
                                  customer_email=f"{kit.platform.lower()}-buyer0@example.com")
    order_id = str(placed["id"])
    sb.work(kit)
    invoices = frappe.get_all("Sales Invoice", filters={"commerce_store": kit.store, "is_return": 0, "docstatus": 1},
                              fields=["name", "grand_total", "commerce_order_id"])
    stock_before = kit.sim.stock_of(sku)
    made = kit.sim.refund_order(int(order_id) if order_id.isdigit() else order_id, lines=[{"sku": sku, "quantity": 1}],
                                restock=True)
    sb.work(kit)
    credits = frappe.get_all("Sales Invoice", filters={"commerce_store": kit.store, "is_return": 1},
                             fields=["name", "grand_total", "docstatus", "commerce_refund_id", "return_against"])
    code = frappe.db.get_value("Commerce Item Mapping", {"store": kit.store, "sku": sku}, "item_code")
    return {"order": order_id, "invoiced": [i.commerce_order_id for i in invoices], "store_refund": _refund_amount(made),
            "restocked": (stock_before, kit.sim.stock_of(sku)),
            "erp_available": int(max(0, _available(frappe, code, sb.basics["warehouse"]))),
            "credit_notes": [{**c, "grand_total": str(c.grand_total)} for c in credits],
            "dead_jobs": frappe.db.count("Commerce Sync Job", {"store": kit.store, "status": "Dead"})}


def _refund_amount(refund: dict[str, Any]) -> str:
    if "total_refunded_set" in refund:  # Shopify
        return str(refund["total_refunded_set"]["shop_money"]["amount"])
    return str(refund["amount"])


def store_product_edit(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    import frappe

    code, sku = _mapped(frappe, kit.store)[1]
    kit.sim.edit_product(sku, name=f"Renamed on {kit.platform}", price="23.45")
    sb.work(kit)
    item = frappe.db.get_value("Item", code, ["item_name", "variant_of"], as_dict=True)
    template = frappe.db.get_value("Item", item.variant_of, "item_name") if item.variant_of else None
    price = frappe.db.get_value("Item Price", {"item_code": code, "price_list": sb.basics["price_list"]}, "price_list_rate")
    return {"sku": sku, "item_name": item.item_name, "template_name": template, "price": str(price)}


def erp_item_edit(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    import frappe

    code, sku = _mapped(frappe, kit.store)[-1]
    template = frappe.db.get_value("Item", code, "variant_of") or code
    item = frappe.get_doc("Item", template)
    item.item_name = f"Renamed in ERPNext {kit.platform}"
    item.save(ignore_permissions=True)
    price = frappe.get_doc("Item Price", {"item_code": code, "price_list": sb.basics["price_list"]})
    price.price_list_rate = 31.5
    price.save(ignore_permissions=True)
    frappe.db.commit()
    sb.work(kit)
    return {"sku": sku, "store": kit.sim.product_by_sku(sku), "dead_jobs": frappe.db.count(
        "Commerce Sync Job", {"store": kit.store, "status": "Dead"})}


def store_customer_edit(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    import frappe

    email = f"{kit.platform.lower()}-buyer1@example.com"
    kit.sim.edit_customer(email, first_name="Renamed", last_name="Onstore")
    sb.work(kit)
    names = frappe.get_all("Commerce Customer Mapping", filters={"store": kit.store}, pluck="customer")
    return {"store": {k: kit.sim.customer_by_email(email).get(k) for k in ("first_name", "last_name")},
            "erp_customers": sorted(frappe.db.get_value("Customer", n, "customer_name") for n in names)}


def customer_rename_webhook_dropped(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    """The site is down when the store's customer rename is delivered (WooCommerce never retries): the hourly
    reconciliation finds the rename."""
    import frappe

    from wix_commerce_sync.tasks.scheduler import reconcile_store

    email = f"{kit.platform.lower()}-buyer1@example.com"
    sb.server.refuse_webhooks = 10
    kit.sim.edit_customer(email, first_name="Unheard", last_name="Rename")
    sb.server.refuse_webhooks = 0
    sb.work(kit)
    before = _by_own_mapping(kit, email)
    reconcile_store(kit.store)
    frappe.db.commit()
    sb.work(kit)
    return {"before_reconciliation": before, "after_reconciliation": _by_own_mapping(kit, email)}


def _by_own_mapping(kit: Kit, email: str) -> str | None:
    """The ERPNext name of the store customer ``email`` through the mapping of its own store id."""
    import frappe

    store_id = str(kit.sim.customer_by_email(email).get("id"))
    customer = frappe.db.get_value("Commerce Customer Mapping", {"store": kit.store, "external_customer_id": store_id},
                                   "customer")  # fmt: skip
    return frappe.db.get_value("Customer", customer, "customer_name") if customer else None


def _customers_with_email(email: str) -> list[str]:
    import frappe

    contacts = frappe.get_all("Contact Email", filters={"email_id": email, "parenttype": "Contact"}, pluck="parent")
    return sorted({link for link in frappe.get_all("Dynamic Link", pluck="link_name", filters={
        "parenttype": "Contact", "parent": ["in", contacts or [""]], "link_doctype": "Customer"})})


def order_then_customer_rename(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    """The chaos run's sequence: a registered customer's email orders first (WooCommerce: a guest order billed to
    "Guest Buyer"; Wix: bought by "Jane Doe"), then the store renames the customer, then the email orders again."""
    import frappe

    email = f"{kit.platform.lower()}-buyer0@example.com"
    _, sku = _mapped(frappe, kit.store)[0]
    kit.sim.create_order(line_items=[{"sku": sku, "quantity": 1}], customer_email=email)
    sb.work(kit)
    before = _by_own_mapping(kit, email)
    kit.sim.edit_customer(email, first_name="Renamed12", last_name=kit.platform)
    sb.work(kit)
    after_rename = _by_own_mapping(kit, email)
    kit.sim.create_order(line_items=[{"sku": sku, "quantity": 1}], customer_email=email)
    sb.work(kit)
    return {"after_order": before, "after_rename": after_rename, "after_next_order": _by_own_mapping(kit, email),
            "customers_with_email": [frappe.db.get_value("Customer", n, "customer_name") for n in _customers_with_email(email)],
            "dead_jobs": frappe.db.count("Commerce Sync Job", {"store": kit.store, "status": "Dead"})}


def refund_of_an_earlier_order(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    """The chaos run's refund: an order placed earlier (other orders came after it), refunded on the store."""
    import frappe

    _, sku = _mapped(frappe, kit.store)[0]
    email = f"{kit.platform.lower()}-buyer1@example.com"
    first = str(kit.sim.create_order(line_items=[{"sku": sku, "quantity": 2}], customer_email=email)["id"])
    sb.work(kit)
    kit.sim.create_order(line_items=[{"sku": sku, "quantity": 1}], customer_email=email)
    sb.work(kit)
    made = kit.sim.refund_order(int(first) if first.isdigit() else first, lines=[{"sku": sku, "quantity": 1}], restock=True)
    sb.work(kit)
    refund_id = str(made["id"])
    credits = frappe.get_all("Sales Invoice", fields=["name", "commerce_refund_id", "grand_total"], filters={
        "commerce_store": kit.store, "is_return": 1, "docstatus": 1, "commerce_refund_id": ["like", f"%{refund_id}"]})
    return {"order": first, "refund_id": refund_id, "store_refund": _refund_amount(made),
            "credit_notes": [{**c, "grand_total": str(c.grand_total)} for c in credits
                             if c.commerce_refund_id.endswith((f"::{refund_id}", f"/{refund_id}"))],
            "all_credit_ids": frappe.get_all("Sales Invoice", pluck="commerce_refund_id", filters={
                "commerce_store": kit.store, "is_return": 1}),
            "failed": frappe.get_all("Commerce Sync Job", pluck="last_error", filters={
                "store": kit.store, "status": ["in", ["Failed", "Dead"]]})}  # fmt: skip




def _product_sides(sb: Sandbox, kit: Kit, code: str, sku: str) -> dict[str, Any]:
    """The name and price each side shows for one variant (ERPNext: its template's name, the variant's Item Price)."""
    import frappe

    store = kit.sim.product_by_sku(sku) or {}
    template = frappe.db.get_value("Item", code, "variant_of") or code
    price = frappe.db.get_value("Item Price", {"item_code": code, "price_list": sb.basics["price_list"]},
                                "price_list_rate")  # fmt: skip
    return {"store": [store.get("name"), str(store.get("price"))],
            "erpnext": [frappe.db.get_value("Item", template, "item_name"), str(price)]}


def _edit_in_erpnext(sb: Sandbox, code: str, name: str, price: float) -> None:
    import frappe

    item = frappe.get_doc("Item", frappe.db.get_value("Item", code, "variant_of") or code)
    item.item_name = name
    item.save(ignore_permissions=True)
    row = frappe.get_doc("Item Price", {"item_code": code, "price_list": sb.basics["price_list"]})
    row.price_list_rate = price
    row.save(ignore_permissions=True)
    frappe.db.commit()


def edits_both_ways(sb: Sandbox, kit: Kit) -> dict[str, Any]:
    """One product edited on both sides in turn, the work of each edit done before the next (like the chaos run's
    edits, minus its faults): each round records the edit made and what both sides show after it."""
    import frappe

    code, sku = _mapped(frappe, kit.store)[2]
    rounds = []

    def erp(n: int, price: str) -> None:
        _edit_in_erpnext(sb, code, f"ERPNext edit {kit.platform} {n}", float(price))
        sb.work(kit)
        rounds.append({"edit": ["erpnext", f"ERPNext edit {kit.platform} {n}", price], **_product_sides(sb, kit, code, sku)})

    def store(n: int, price: str) -> None:
        kit.sim.edit_product(sku, name=f"Store edit {kit.platform} {n}", price=price)
        sb.work(kit)
        rounds.append({"edit": ["store", f"Store edit {kit.platform} {n}", price], **_product_sides(sb, kit, code, sku)})

    def retry_failed_pushes() -> None:
        """Time passes: the failed pushes' retry time comes; the scheduler ticks (the store's echoes too)."""
        frappe.db.sql("update `tabCommerce Sync Job` set next_attempt_at = %s where store = %s and status = 'Failed' "
                      "and entity = 'items'", ("2000-01-01 00:00:00", kit.store))  # fmt: skip
        frappe.db.commit()
        for _ in range(3):
            sb.work(kit)

    def store_webhook_dropped(n: int, price: str) -> None:
        """The site is down when the store edit's webhook comes (WooCommerce never retries): the hourly
        reconciliation finds the edit."""
        from wix_commerce_sync.tasks.scheduler import reconcile_store

        sb.server.refuse_webhooks = 10
        kit.sim.edit_product(sku, name=f"Store edit {kit.platform} {n}", price=price)
        sb.server.refuse_webhooks = 0
        sb.work(kit)
        reconcile_store(kit.store)
        frappe.db.commit()
        sb.work(kit)
        rounds.append({"edit": ["store", f"Store edit {kit.platform} {n}", price], **_product_sides(sb, kit, code, sku)})

    def erp_push_failed_then_store(n: int, price: str, store_price: str) -> None:
        """ERPNext's edit meets a store that fails its push; the store is edited before the retry: whichever wins
        (by the store's conflict setting and the clocks), both sides end equal."""
        _edit_in_erpnext(sb, code, f"ERPNext edit {kit.platform} {n}", float(price))
        kit.sim.faults.fail_next(20, 500)  # every request of that work fails
        sb.work(kit)
        kit.sim.faults.clear()
        failed = frappe.db.count("Commerce Sync Job", {"store": kit.store, "entity": "items", "status": "Failed"})
        kit.sim.edit_product(sku, name=f"Store edit {kit.platform} {n}", price=store_price)
        sb.work(kit)
        retry_failed_pushes()
        rounds.append({"edit": ["both", None, None], "push_failed": failed, **_product_sides(sb, kit, code, sku)})

    erp(1, "21.10")  # ERPNext, then the store
    store(2, "22.20")
    store(3, "23.30")  # the store, then ERPNext
    erp(4, "24.40")
    erp(5, "25.50")  # ERPNext twice
    erp(6, "26.60")
    store_webhook_dropped(7, "27.70")
    erp_push_failed_then_store(8, "28.80", "18.80")
    erp(9, "29.90")
    return {"sku": sku, "rounds": rounds,
            "dead_jobs": frappe.db.count("Commerce Sync Job", {"store": kit.store, "status": "Dead"})}


STEPS = (partial_stock, refund, store_product_edit, erp_item_edit, store_customer_edit, order_then_customer_rename,
         refund_of_an_earlier_order, edits_both_ways, customer_rename_webhook_dropped)


def run(platform: str, data_dir: str) -> dict[str, Any]:
    sb = Sandbox(data_dir, platforms=(platform,), products=3, say=lambda text: None)
    sb.start()
    report: dict[str, Any] = {}
    try:
        kit = sb.add_store(platform)
        sb.full_sync(kit)
        sb.receive_stock(kit)
        for step in STEPS:
            try:
                report[step.__name__] = step(sb, kit)
            except Exception:  # noqa: BLE001 - recorded: the test names the step that broke
                import frappe

                frappe.db.rollback()
                report[step.__name__] = {"error": traceback.format_exc()[-3000:]}
        # what the simulators' contract checks recorded (WooCommerce: request fields its source does not know;
        # Shopify: answers its schema refuses; Wix refuses a request off its contract with a 400 at once)
        report["contract_problems"] = [*getattr(kit.sim, "contract_violations", []), *getattr(kit.sim, "schema_violations", [])]
    finally:
        sb.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform", required=True)
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report = run(args.platform, tmp)
    Path(args.report).write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
