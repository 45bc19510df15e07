"""Two connections (threads): unique inserts race, for_update claims serialise."""

import threading
import uuid

import frappe
from frappe import standin


def _run_threads(site, target, count=2):
    results, errors = [], []
    barrier = threading.Barrier(count)

    def worker(i):
        with standin.connection(site):
            barrier.wait()
            try:
                results.append(target(i))
                frappe.db.commit()
            except Exception as exc:
                frappe.db.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_concurrent_insert_same_name_exactly_one_wins(frappe_site):
    frappe.db.commit()
    tag = f"C-{uuid.uuid4().hex[:8]}"
    results, errors = _run_threads(frappe_site, lambda i: frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert().name)
    assert results == [tag]
    assert len(errors) == 1 and isinstance(errors[0], frappe.DuplicateEntryError)


def test_concurrent_unique_field_exactly_one_wins(frappe_site):
    frappe.db.commit()
    username = f"u{uuid.uuid4().hex[:8]}"

    def insert(i):
        return frappe.get_doc({"doctype": "User", "email": f"{username}{i}@example.com", "first_name": "C",
                               "username": username, "send_welcome_email": 0}).insert().name

    results, errors = _run_threads(frappe_site, insert)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], frappe.UniqueValidationError)


def test_for_update_skip_locked_claims_are_exclusive(frappe_site):
    subject = f"claim-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        frappe.get_doc({"doctype": "Notification Log", "subject": subject, "read": 0}).insert()
    frappe.db.commit()

    def claim(i):
        claimed = []
        while True:
            name = frappe.db.get_value("Notification Log", {"subject": subject, "read": 0}, "name",
                                       for_update=True, skip_locked=True, order_by="creation asc")
            if not name:
                return claimed
            frappe.db.set_value("Notification Log", name, "read", 1)
            frappe.db.commit()
            claimed.append(name)

    results, errors = _run_threads(frappe_site, claim, count=3)
    assert errors == []
    claimed = [name for batch in results for name in batch]
    assert len(claimed) == 3 and len(set(claimed)) == 3
