"""frappe.defaults subset backed by tabDefaultValue (parent "__default" for globals)."""

import frappe


def get_global_default(key):
    return frappe.db.get_default(key, "__default")


def set_global_default(key, value):
    frappe.db.set_default(key, value, "__default")


def get_defaults(user=None):
    return frappe.db.get_defaults(parent=user or "__default")


def get_user_default(key, user=None):
    value = frappe.db.get_default(frappe.scrub(key), user or frappe.session.user)
    return value if value is not None else get_global_default(frappe.scrub(key))


def set_user_default(key, value, user=None):
    frappe.db.set_default(key, value, user or frappe.session.user)


def clear_cache(user=None):
    return None
