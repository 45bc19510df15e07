"""``get_mapped_doc`` as in frappe/model/mapper.py (Frappe 15), for the stand-in ERPNext mappers.

The frappe stand-in has no ``frappe.model.mapper``; this private copy keeps the rules the ERPNext mappers
rely on: same-named target fields are copied unless either side marks them ``no_copy`` (or they are tables,
standard fields, or in ``field_no_map``); an empty Link whose options are the source (parent) DocType gets
the source (parent) name; ``field_map`` copies under another name; child tables are mapped row by row through
``condition`` / ``add_if_empty`` / ``reset_value`` / ``postprocess``; a ``validation`` that fails throws.
Not mirrored: fetch_from re-fetching (the stand-in fetches on save), user-permission checks, ``set_onload``.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cstr

DEFAULT_FIELDS = ("doctype", "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
CHILD_TABLE_FIELDS = ("parent", "parentfield", "parenttype")
TABLE_TYPES = ("Table", "Table MultiSelect")


def get_mapped_doc(from_doctype, from_docname, table_maps, target_doc=None, postprocess=None,
                   ignore_permissions=False, ignore_child_tables=False, cached=False):  # fmt: skip
    if not target_doc:
        target_doc = frappe.new_doc(table_maps[from_doctype]["doctype"])
    source_doc = frappe.get_cached_doc(from_doctype, from_docname) if cached else frappe.get_doc(from_doctype, from_docname)
    if not ignore_permissions and not source_doc.has_permission("read"):
        source_doc.raise_no_permission_to("read")

    map_doc(source_doc, target_doc, table_maps[source_doc.doctype])

    row_exists_for_parentfield: dict[str, bool] = {}
    if not ignore_child_tables:
        for df in source_doc.meta.get_table_fields():
            table_map = table_maps.get(df.options)
            if not table_map:  # same table on both sides, neither no_copy: mapped as is
                target_df = target_doc.meta.get_field(df.fieldname)
                if target_df and target_df.options == df.options and not df.no_copy and not target_df.no_copy:
                    table_map = {"doctype": target_df.options}
            if not table_map:
                continue
            target_parentfield = target_doc.get_parentfield_of_doctype(table_map["doctype"])
            if table_map.get("reset_value") and target_parentfield:
                target_doc.set(target_parentfield, [])
            for source_d in source_doc.get(df.fieldname):
                if "condition" in table_map and not table_map["condition"](source_d):
                    continue
                if target_parentfield not in row_exists_for_parentfield:
                    row_exists_for_parentfield[target_parentfield] = bool(target_doc.get(target_parentfield))
                if table_map.get("add_if_empty") and row_exists_for_parentfield.get(target_parentfield):
                    continue
                if table_map.get("filter") and table_map["filter"](source_d):
                    continue
                map_child_doc(source_d, target_doc, table_map, source_doc)

    if postprocess:
        postprocess(source_doc, target_doc)
    return target_doc


def map_doc(source_doc, target_doc, table_map, source_parent=None):
    for key, condition in (table_map.get("validation") or {}).items():
        if condition[0] == "=" and source_doc.get(key) != condition[1]:
            frappe.throw(_("Cannot map because following condition fails:") + f" {key}={cstr(condition[1])}")
    map_fields(source_doc, target_doc, table_map, source_parent)
    if "postprocess" in table_map:
        table_map["postprocess"](source_doc, target_doc, source_parent)


def map_fields(source_doc, target_doc, table_map, source_parent):
    no_copy_fields = {
        *(d.fieldname for d in source_doc.meta.get("fields") if d.no_copy == 1 or d.fieldtype in TABLE_TYPES),
        *(d.fieldname for d in target_doc.meta.get("fields") if d.no_copy == 1 or d.fieldtype in TABLE_TYPES),
        *DEFAULT_FIELDS, *CHILD_TABLE_FIELDS, *table_map.get("field_no_map", []),
    }  # fmt: skip
    source_fields = {d.fieldname for d in source_doc.meta.get("fields")}
    for df in target_doc.meta.get("fields"):
        if df.fieldname in no_copy_fields or not df.fieldname:
            continue
        val = source_doc.get(df.fieldname) if df.fieldname in source_fields else None
        if val not in (None, ""):
            target_doc.set(df.fieldname, val)
        elif df.fieldtype == "Link" and not target_doc.get(df.fieldname):
            if df.options == source_doc.doctype:
                target_doc.set(df.fieldname, source_doc.name)
            elif source_parent and df.options == source_parent.doctype:
                target_doc.set(df.fieldname, source_parent.name)

    field_map = table_map.get("field_map")
    pairs = field_map.items() if isinstance(field_map, dict) else (field_map or [])
    for source_key, target_key in pairs:
        val = source_doc.get(source_key)
        if val not in (None, ""):
            target_doc.set(target_key, val)

    if source_doc.idx:
        target_doc.idx = source_doc.idx


def map_child_doc(source_d, target_parent, table_map, source_parent=None):
    target_child_doctype = table_map["doctype"]
    target_parentfield = target_parent.get_parentfield_of_doctype(target_child_doctype)
    target_d = frappe.new_doc(target_child_doctype, parent_doc=target_parent, parentfield=target_parentfield)
    map_doc(source_d, target_d, table_map, source_parent)
    target_d.idx = None
    target_parent.append(target_parentfield, target_d)
    return target_d
