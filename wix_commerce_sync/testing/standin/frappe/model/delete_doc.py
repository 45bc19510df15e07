"""frappe.model.delete_doc (subset): on_trash, back-link check (LinkExistsError), delete, after_delete."""

# ruff: noqa: S608 - this is the SQL layer: table/column names come from DocType metadata, values are bound

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.docstatus import DocStatus


def delete_doc(
    doctype=None, name=None, force=0, ignore_doctypes=None, for_reload=False, ignore_permissions=False, flags=None,
    ignore_on_trash=False, ignore_missing=True, delete_permanently=False,
):
    if not name:
        name = doctype
    names = name if isinstance(name, (list, tuple)) else [name]
    for docname in names:
        if not frappe.db.exists(doctype, docname):
            if not ignore_missing:
                frappe.throw(_("{0} {1} not found").format(_(doctype), docname), frappe.DoesNotExistError)
            continue
        doc = frappe.get_doc(doctype, docname)
        if flags:
            doc.flags.update({k: v for k, v in flags.items() if k not in ("name_set",)})
        if not ignore_permissions and not (flags or {}).get("ignore_permissions"):
            doc.check_permission("delete")
        if doc.docstatus.is_submitted():
            frappe.throw(
                _("{0} {1}: Submitted Record cannot be deleted. You must {2} Cancel {3} it first.").format(
                    _(doctype), docname, "<strong>", "</strong>"
                )
            )
        doc.flags.in_delete = True
        if not ignore_on_trash:
            doc.run_method("on_trash")
        if not force:
            check_if_doc_is_linked(doc)
        for df in doc.meta.get_table_fields():
            frappe.db.sql(
                f"delete from `tab{df.options}` where `parenttype`=%s and `parent`=%s", (doctype, docname)
            )
        frappe.db.sql(f"delete from `tab{doctype}` where `name`=%s", (docname,))
        frappe.db.forget_values(doctype)
        from frappe.utils.password import delete_all_passwords_for

        delete_all_passwords_for(doctype, docname)
        if not ignore_on_trash:
            doc.run_method("after_delete")
        frappe.clear_document_cache(doctype, docname)


def check_if_doc_is_linked(doc, method="Delete"):
    from frappe.model.meta import get_meta, registry

    ignored = set(doc.get("ignore_linked_doctypes") or [])
    for link_dt in registry.names():
        meta = get_meta(link_dt)
        if meta.issingle or link_dt in ("DocType", "DocField"):
            continue
        for df in meta.get_link_fields():
            if df.options != doc.doctype or df.fieldname == "amended_from":
                continue
            rows = frappe.db.sql(
                f"select `name`, {'`parent`, `parenttype`, ' if meta.istable else 'null, null, '}`docstatus` "
                f"from `tab{link_dt}` where `{df.fieldname}`=%s",
                (doc.name,),
                as_dict=False,
            )
            for row_name, parent, parenttype, docstatus in rows:
                linked_parent_doctype = parenttype if parent else link_dt
                if linked_parent_doctype in ignored:
                    continue
                if method != "Delete" and (method != "Cancel" or not DocStatus(docstatus or 0).is_submitted()):
                    continue
                if link_dt == doc.doctype and (parent or row_name) == doc.name:
                    continue
                reference = parent or row_name
                frappe.throw(
                    _("Cannot delete or cancel because {0} {1} is linked with {2} {3} {4}").format(
                        _(doc.doctype), doc.name, _(linked_parent_doctype), reference, ""
                    ).strip(),
                    frappe.LinkExistsError,
                )
