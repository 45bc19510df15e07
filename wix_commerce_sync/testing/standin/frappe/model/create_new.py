"""frappe.model.create_new: new documents with static and dynamic defaults (v15 semantics)."""

from __future__ import annotations

import copy

import frappe
from frappe.model import table_fields
from frappe.utils import cstr, now_datetime, nowdate, nowtime


def get_new_doc(doctype, parent_doc=None, as_dict=False, **kwargs):
    parentfield = kwargs.pop("parentfield", None)
    doc = make_new_doc(doctype)
    doc["doctype"] = doctype
    set_dynamic_default_values(doc, parent_doc, parentfield)
    if as_dict:
        doc.update(kwargs)
        return doc
    new = frappe.get_doc(doc)
    new.update(kwargs)
    return new


def make_new_doc(doctype):
    doc = frappe._dict({"doctype": doctype, "__islocal": 1, "owner": frappe.session.user, "docstatus": 0})
    meta = frappe.get_meta(doctype)
    for df in meta.fields:
        if df.fieldtype in table_fields:
            doc[df.fieldname] = []
            continue
        default = get_static_default_value(df)
        if default is not None and not doc.get(df.fieldname):
            doc[df.fieldname] = default
    return copy.deepcopy(doc)


def get_static_default_value(df):
    if df.get("default"):
        default = cstr(df.default)
        if default == "__user":
            return frappe.session.user
        if default.lower() == "today" and df.fieldtype in ("Date", "Datetime"):
            return nowdate()
        if default.startswith(":"):
            return None
        if df.fieldtype in ("Datetime", "Time") and default.lower() == "now":
            return None
        if df.fieldtype == "Check":
            return frappe.utils.cint(default)
        if df.fieldtype in ("Int",):
            return frappe.utils.cint(default)
        if df.fieldtype in ("Float", "Currency", "Percent"):
            return frappe.utils.flt(default)
        return default
    if df.fieldtype == "Select" and df.options and df.options not in ("[Select]",):
        return df.options.split("\n", 1)[0]
    return None


def set_dynamic_default_values(doc, parent_doc=None, parentfield=None):
    meta = frappe.get_meta(doc["doctype"])
    for df in meta.fields:
        if df.get("default"):
            default = cstr(df.default)
            if default.startswith(":"):
                value = get_default_based_on_another_field(df, parent_doc)
                if value is not None and not doc.get(df.fieldname):
                    doc[df.fieldname] = value
            elif df.fieldtype == "Datetime" and default.lower() == "now":
                doc[df.fieldname] = now_datetime()
        if df.fieldtype == "Time":
            doc[df.fieldname] = nowtime()
    if parent_doc:
        doc["parent"] = parent_doc.name
        doc["parenttype"] = parent_doc.doctype
    if parentfield:
        doc["parentfield"] = parentfield


def get_default_based_on_another_field(df, parent_doc):
    from_doctype = df.default[1:]
    ref_fieldname = frappe.scrub(from_doctype)
    if parent_doc is not None:
        reference_name = parent_doc.get(ref_fieldname)
    else:
        reference_name = frappe.db.get_default(ref_fieldname)
    if not reference_name:
        return None
    from frappe.model.meta import doctype_exists

    if not doctype_exists(from_doctype) or not frappe.get_meta(from_doctype).has_field(df.fieldname):
        return None
    return frappe.db.get_value(from_doctype, reference_name, df.fieldname)
