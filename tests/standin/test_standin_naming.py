"""Naming rules: field:, hash, naming_series:, format:, Prompt, controller autoname, explicit names."""

import re
import uuid

import frappe
import pytest
from frappe.model.naming import make_autoname


def _tag():
    return uuid.uuid4().hex[:8]


def test_field_autoname(frappe_site):
    uom = frappe.get_doc({"doctype": "UOM", "uom_name": f"Crate {_tag()}"}).insert()
    assert uom.name == uom.uom_name


def test_hash_autoname(frappe_site):
    comment = frappe.get_doc({"doctype": "Comment", "comment_type": "Comment", "content": "x"}).insert(ignore_permissions=True)
    assert re.fullmatch(r"[0-9a-v]{10}", comment.name)


def test_naming_series_counter_and_year(frappe_site):
    tag = _tag().upper()
    year = frappe.utils.now_datetime().strftime("%Y")
    assert make_autoname(f"T{tag}-.YYYY.-.#####") == f"T{tag}-{year}-00001"
    assert make_autoname(f"T{tag}-.YYYY.-.#####") == f"T{tag}-{year}-00002"
    assert make_autoname(f"X{tag}-") == f"X{tag}-00001"


def test_format_autoname(frappe_site):
    class Fake:
        def get(self, key, default=None):
            return {"store": "shop1"}.get(key, default)

    tag = _tag()
    assert frappe.model.naming._format_autoname(f"format:{tag}-{{store}}-{{###}}", Fake()) == f"{tag}-shop1-001"


def test_prompt_with_set_name(frappe_site):
    name = f"Purpose {_tag()}"
    doc = frappe.get_doc({"doctype": "Stock Entry Type", "purpose": "Material Receipt"}).insert(set_name=name)
    assert doc.name == name
    doc2 = frappe.get_doc({"doctype": "Warehouse Type", "name": f"WT {_tag()}"}).insert()
    assert doc2.name.startswith("WT ")
    with pytest.raises(frappe.ValidationError, match="set the document name"):
        frappe.get_doc({"doctype": "Warehouse Type"}).insert()


def test_controller_autoname_override(frappe_site, company):
    wh = frappe.get_doc({"doctype": "Warehouse", "warehouse_name": f"Shelf {_tag()}", "company": company.name}).insert()
    assert wh.name == f"{wh.warehouse_name} - STC"


def test_explicit_name_that_autoname_would_discard_is_loud(frappe_site):
    with pytest.raises(frappe.StandinStrictError, match="discarded"):
        frappe.get_doc({"doctype": "UOM", "name": "Something Else", "uom_name": f"Bag {_tag()}"}).insert()
