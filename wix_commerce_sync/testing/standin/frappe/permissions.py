"""Role-based permissions from the DocType JSON ``permissions`` (permlevel 0). Administrator has all rights.

Not modelled: user permissions, sharing, if_owner-only rows beyond ownership, permission query hooks.
"""

from __future__ import annotations

import frappe

rights = ("select", "read", "write", "create", "delete", "submit", "cancel", "amend", "print", "email", "report",
          "import", "export", "share")


def has_permission(doctype, ptype="read", doc=None, user=None, raise_exception=True, *, parent_doctype=None, **kwargs) -> bool:
    from frappe.model.meta import get_meta

    user = user or frappe.session.user
    if user == "Administrator":
        return True
    meta = get_meta(doctype)
    if meta.istable:
        parent = parent_doctype or (getattr(doc, "parenttype", None) if doc is not None and not isinstance(doc, str) else None)
        if not parent:
            return False
        return has_permission(parent, ptype, None, user)
    if ptype == "submit" and not meta.is_submittable:
        return False
    roles = set(frappe.get_roles(user))
    owner = None
    if doc is not None and not isinstance(doc, str):
        owner = doc.get("owner")
    for perm in meta.permissions:
        if int(perm.get("permlevel") or 0) != 0 or perm.role not in roles:
            continue
        allowed = perm.get(ptype) or (ptype == "select" and perm.get("read"))
        if not allowed:
            continue
        if perm.get("if_owner") and owner and owner != user:
            continue
        return True
    for handler in frappe.get_hooks("has_permission", {}).get(doctype, []):
        result = frappe.call(handler, doc=doc, ptype=ptype, user=user)
        if result is not None:
            return bool(result)
    return False


def get_doc_permissions(doc, user=None, ptype=None) -> dict:
    return {right: int(has_permission(doc.doctype, right, doc, user)) for right in rights}


def check_doctype_permission(doctype, ptype="read"):
    if not has_permission(doctype, ptype):
        raise frappe.PermissionError


def add_permission(doctype, role, permlevel=0, ptype=None):
    raise frappe.StandinStrictError("add_permission: change the DocType JSON permissions instead")
