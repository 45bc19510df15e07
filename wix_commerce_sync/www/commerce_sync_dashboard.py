"""``/commerce-sync-dashboard``: the dashboard (``public/js/commerce_sync_dashboard.js``) as a website page; the
desk Page ``/app/commerce-sync-dashboard`` mounts the same module.

Login and the Commerce Sync Manager (or System Manager) role are required; the data comes from the
whitelisted, role-checked ``wix_commerce_sync.api.desk.dashboard_data``.
"""

import frappe
from frappe import _

no_cache = 1
ROLES = {"System Manager", "Commerce Sync Manager"}


def get_context(context):
    if frappe.session.user == "Guest":
        frappe.local.flags.redirect_location = "/login?redirect-to=/commerce-sync-dashboard"
        raise frappe.Redirect
    if not ROLES.intersection(frappe.get_roles()):
        frappe.throw(_("Only a Commerce Sync Manager may see this page."), frappe.PermissionError)
    context.no_cache = 1
    context.show_sidebar = False
    context.title = _("Commerce Sync")
    context.selected_store = frappe.form_dict.get("store") or ""
    return context
