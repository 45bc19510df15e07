"""Every app DocType JSON present loads (strict schema check), builds a meta and has a table."""

import json
from pathlib import Path

import frappe
import pytest

APP_DOCTYPES = sorted(Path(__file__).resolve().parents[2].glob("wix_commerce_sync/*/doctype/*/*.json"))


@pytest.mark.parametrize("path", APP_DOCTYPES, ids=lambda p: p.stem)
def test_app_doctype_loads(frappe_site, path):
    data = json.loads(path.read_text())
    if data.get("doctype") != "DocType":
        pytest.skip("not a DocType JSON")
    meta = frappe.get_meta(data["name"])
    assert [df.fieldname for df in meta.fields] == [f["fieldname"] for f in data["fields"]]
    assert meta.module == data["module"]
    if not meta.issingle:
        assert frappe.db.table_exists(data["name"])
        assert set(meta.get_valid_columns()) <= set(frappe.db.get_table_columns(data["name"]))
    else:
        assert frappe.get_single(data["name"]).doctype == data["name"]
    assert frappe.db.exists("DocType", data["name"])


def test_unknown_doctype_has_clear_error(frappe_site):
    with pytest.raises(frappe.exceptions.MissingSchemaError, match="schema"):
        frappe.get_doc({"doctype": "Asset Category"})


@pytest.mark.parametrize("path", APP_DOCTYPES, ids=lambda p: p.stem)
def test_app_doctype_permissions_are_what_frappe_keeps(path):
    """frappe/core/doctype/doctype/doctype.py validate_permissions: a Single cannot carry report/import/export
    (remove_rights_for_single resets them with a message at every migrate); a child table has no permissions."""
    data = json.loads(path.read_text())
    if data.get("doctype") != "DocType":
        pytest.skip("not a DocType JSON")
    for perm in data.get("permissions") or []:
        if data.get("issingle"):
            assert not any(perm.get(right) for right in ("report", "import", "export")), (data["name"], perm)
    if data.get("istable"):
        assert not data.get("permissions"), data["name"]
