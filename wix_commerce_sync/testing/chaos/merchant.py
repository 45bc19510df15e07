"""The merchant's work at the ERPNext desk during the chaos run: Material Receipts, item renames and price changes,
new Items.

On a bench the merchant's desk requests are served by gunicorn processes, beside the background workers and beside
the requests that bring the stores' webhooks. The chaos run does the same: in worker mode each action is a job on
the ``merchant`` queue, which one process of its own takes, so a 100-line Stock Entry never holds up the stores'
orders (in-process mode, the actions run where they are called). Every action is fully decided by the driver
(rows, names, prices), so a run stays reproducible from its seed.

Test infrastructure only: production code never imports this.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

MERCHANT_QUEUE = "merchant"
MERCHANT_WORKER = (MERCHANT_QUEUE,)


def book_receipt(company: str, rows: list[dict[str, Any]], connection_file: str | None = None) -> None:
    """A Material Receipt of ``rows`` (one stock change each), submitted."""
    import frappe

    _announce_connection(connection_file)

    def book() -> None:
        entry = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                                "purpose": "Material Receipt", "company": company, "items": rows})  # fmt: skip
        entry.insert(ignore_permissions=True)
        entry.submit()
        frappe.db.commit()

    as_a_user_would(book)


def edit_item(template: str, item_code: str, price_list: str, item_name: str, rate: float,
              connection_file: str | None = None) -> None:  # fmt: skip
    """The merchant renames an item (its template) and changes the variant's price."""
    import frappe

    _announce_connection(connection_file)

    def edit() -> None:
        item = frappe.get_doc("Item", template)
        item.item_name = item_name
        item.save(ignore_permissions=True)
        price = frappe.get_doc("Item Price", {"item_code": item_code, "price_list": price_list})
        price.price_list_rate = rate
        price.save(ignore_permissions=True)
        frappe.db.commit()

    as_a_user_would(edit)


def new_item(code: str, price: str, connection_file: str | None = None) -> None:
    """A new ERPNext Item (its save queues it for the stores)."""
    from wix_commerce_sync.testing.erp_fixtures import make_item

    _announce_connection(connection_file)
    as_a_user_would(lambda: make_item(code, price))


def as_a_user_would(save: Any, attempts: int = 5) -> None:
    """A desk save that meets "Document has been modified after you have opened it" (a worker applied a store
    change to the same record a moment before) or a lock conflict with a worker: the user reloads and saves again."""
    import frappe

    for attempt in range(attempts):
        try:
            save()
            return
        except (frappe.TimestampMismatchError, frappe.QueryDeadlockError, frappe.QueryTimeoutError):
            frappe.db.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def _announce_connection(connection_file: str | None) -> None:
    """The merchant's database connection, written where the driver reads it: the connection-drop fault is aimed
    at the app's connections (workers, webhook requests), never at the desk user the driver plays."""
    if not connection_file:  # in-process, or SQLite: no connection is ever killed
        return
    import frappe

    Path(connection_file).write_text(str(int(frappe.db.sql("select connection_id()")[0][0])))
