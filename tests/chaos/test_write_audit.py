"""The chaos run's write audit (``testing/chaos/audit.py``): each change of an Item's name or an Item Price's rate is
listed with the connection and the job that made it, a rolled-back one too (MariaDB only: the run's histories)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def audited(frappe_site):
    import frappe
    from frappe.database_mariadb import MariaDBDatabase

    if not isinstance(frappe.db, MariaDBDatabase):
        pytest.skip("the write audit is MariaDB's (triggers)")
    from wix_commerce_sync.testing.chaos import audit

    audit.install()
    yield audit
    for trigger, *_ in audit._WATCHED:
        frappe.db.sql(f"drop trigger if exists `{trigger}`")  # the session's other tests write Items unaudited


def test_each_name_and_price_change_is_listed_with_who_made_it_even_when_rolled_back(audited):
    import frappe

    from wix_commerce_sync.testing.erp_fixtures import PRICE_LIST, ensure_basics, make_item

    ensure_basics()
    code = make_item(f"AUDIT-{uuid.uuid4().hex[:8]}", "10.00")
    audited.tag("pid 1 run_store_work(store=A)")
    frappe.db.set_value("Item", code, "item_name", "first name")
    frappe.db.commit()
    audited.tag("pid 2 edit_item(template=X)")
    price = frappe.get_doc("Item Price", {"item_code": code, "price_list": PRICE_LIST})
    price.price_list_rate = 12.5
    price.save(ignore_permissions=True)
    frappe.db.set_value("Item", code, "item_name", "rolled back name")
    frappe.db.rollback()
    frappe.db.set_value("Item", code, "description", "not audited")  # neither name nor rate
    frappe.db.commit()

    lines = audited.history([code])

    assert len(lines) == 3, lines
    assert "'first name'" in lines[0] and "by pid 1 run_store_work(store=A)" in lines[0]
    assert f"{code} @ {PRICE_LIST}.price_list_rate" in lines[1] and "by pid 2 edit_item(template=X)" in lines[1]
    assert "'first name' -> 'rolled back name'" in lines[2]  # kept: the audit is outside the transaction
    assert frappe.db.get_value("Item", code, "item_name") == "first name"
    connection = str(frappe.db.sql("select connection_id()")[0][0])
    assert all(f"conn {connection} " in line for line in lines)
