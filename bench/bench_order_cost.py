"""What one store order costs the worker: SQL statements and milliseconds, on the stand-in over MariaDB.

Each order is a realistic store order (new customer with billing + shipping address, contact, one line with
taxes, shipping, a discount) delivered as a signed webhook, then applied by ``process_inbound`` as an RQ worker
would: Customer, 2 Addresses, Contact, submitted Sales Order, mappings and log rows. The statement count is
deterministic (every statement the stand-in's database layer sends, the stand-in's ERPNext controllers included);
``--top`` prints the statements repeated most within one order. Options: --quick (10 orders), --top.
"""

from __future__ import annotations

import collections
import re
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_queue import ensure_database
from bench.harness import report


def _shape(query: str) -> str:
    return re.sub(r"\s+", " ", query)[:160]


def run(orders: int = 40, top: bool = False) -> dict[str, object]:
    backend = ensure_database()
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    from unittest import mock

    import frappe
    from frappe import standin

    from wix_commerce_sync.tasks.jobs import process_inbound
    from wix_commerce_sync.tests import fixtures as fx
    from wix_commerce_sync.tests.test_shell_sync import realistic_order

    figures: dict[str, object] = {"backend": backend, "orders": orders}
    with tempfile.TemporaryDirectory(prefix="wcs-bench-orders-") as tmp:
        site = standin.new_site(Path(tmp) / "bench-orders.localhost", db_type=backend)
        try:
            site.connect()
            frappe.local.flags.in_test = False  # a worker, not a test: frappe's caches behave as in production
            basics = fx.ensure_basics()
            store, fake = fx.make_store(basics, "Bench Order Shop")
            sku = fx.make_item("BENCH-MUG", "9.99")
            frappe.db.commit()
            with mock.patch("frappe.enqueue"):
                for n in range(orders + 1):  # the first one warms caches and is not counted
                    order = realistic_order(f"9{n:05d}", sku, email=f"buyer{n}@example.com")
                    order.customer.external_id = f"cust-{n}"
                    body, headers = fake.webhook("orders/create", order, f"evt-{n}")
                    fx.post_webhook("shopify", body, headers, store)
                    frappe.db.commit()
                    if n == 0:
                        process_inbound(store)
            db = frappe.db
            db.statement_log = []
            before = db.statement_count
            started = time.perf_counter()
            result = process_inbound(store, limit=orders)
            elapsed = time.perf_counter() - started
            spent, log = db.statement_count - before, db.statement_log
            db.statement_log = None
            made = frappe.db.count("Sales Order", {"docstatus": 1})
            figures.update({"synced": result["synced"], "failed": result["failed"], "sales_orders": made,
                            "statements_per_order": round(spent / orders, 1),
                            "ms_per_order": round(elapsed * 1000 / orders, 1)})  # fmt: skip
            if top:
                for shape, count in collections.Counter(_shape(q) for q in log).most_common(25):
                    print(f"{count / orders:6.1f}/order  {shape}")
        finally:
            frappe.destroy()
            standin.drop_site(site)
    return figures


def main() -> None:
    report("one store order through the worker", run(10 if "--quick" in sys.argv else 40, top="--top" in sys.argv))


if __name__ == "__main__":
    main()
