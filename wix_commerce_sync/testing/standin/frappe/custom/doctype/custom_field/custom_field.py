"""frappe.custom.doctype.custom_field.custom_field.create_custom_fields (v15 semantics, stand-in storage).

Each field becomes a ``Custom Field`` record named ``<DocType>-<fieldname>``; the DocType's table gets the
column (DDL: like MariaDB this commits the open transaction) and the meta cache is cleared.
"""

from __future__ import annotations

import frappe
from frappe.model.document import Document


class CustomField(Document):
    def autoname(self):
        self.set_fieldname()
        self.name = f"{self.dt}-{self.fieldname}"

    def set_fieldname(self):
        if not self.fieldname:
            label = self.label or ""
            if not label:
                frappe.throw("Label is mandatory")
            self.fieldname = "custom_" + "".join(c for c in frappe.scrub(label) if c.isalnum() or c == "_")

    def validate(self):
        from frappe.model.meta import get_meta

        self.set_fieldname()
        meta = get_meta(self.dt)
        if self.is_new() and meta.has_field(self.fieldname) and not meta.get_field(self.fieldname).get("is_custom_field"):
            frappe.throw(f"A field with the name {self.fieldname} already exists in {self.dt}")

    def on_update(self):
        from frappe import standin

        standin.sync_custom_field_columns(self.dt)


def create_custom_field(doctype, df, ignore_validate=False, is_system_generated=True):
    df = frappe._dict(df)
    if not df.fieldname and df.label:
        df.fieldname = "custom_" + frappe.scrub(df.label)
    name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": df.fieldname})
    if name:
        return frappe.get_doc("Custom Field", name)
    custom_field = frappe.get_doc(
        {"doctype": "Custom Field", "dt": doctype, "permlevel": 0, "fieldtype": "Data", "hidden": 0,
         "is_system_generated": int(bool(is_system_generated))}
    )
    custom_field.update({k: v for k, v in df.items() if k != "doctype"})
    custom_field.flags.ignore_validate = ignore_validate
    custom_field.insert(ignore_permissions=True)
    return custom_field


def create_custom_fields(custom_fields: dict, ignore_validate=False, update=True):
    for doctypes, fields in custom_fields.items():
        if isinstance(fields, dict):
            fields = [fields]
        if isinstance(doctypes, str):
            doctypes = (doctypes,)
        for doctype in doctypes:
            for df in fields:
                field = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": df["fieldname"]})
                if not field:
                    create_custom_field(doctype, df, ignore_validate=ignore_validate)
                elif update:
                    custom_field = frappe.get_doc("Custom Field", field)
                    custom_field.flags.ignore_validate = ignore_validate
                    custom_field.update({k: v for k, v in df.items() if k != "doctype"})
                    custom_field.save(ignore_permissions=True)
