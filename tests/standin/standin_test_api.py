"""Helper functions for the stand-in tests (whitelisted methods, doc_events handlers, background jobs)."""

import frappe
from werkzeug.wrappers import Response

CALLS: list = []


@frappe.whitelist()
def private_echo(value=None):
    return {"value": value, "user": frappe.session.user}


@frappe.whitelist(allow_guest=True, methods=["POST"])
def guest_post_only(**kwargs):
    return {"kwargs": kwargs, "raw": frappe.request.get_data(as_text=True), "user": frappe.session.user,
            "sig": frappe.get_request_header("x-signature")}


@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
def guest_xss_safe(**kwargs):
    return kwargs


@frappe.whitelist(allow_guest=True)
def guest_typed(count: int, flag: bool = False):
    return {"count": count, "flag": flag}


@frappe.whitelist(allow_guest=True, methods=["POST"])
def guest_raw_response():
    return Response("pong", status=202, mimetype="text/plain")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def guest_writes_then_fails(tag):
    frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert(ignore_permissions=True)
    frappe.log_error(title=f"logged {tag}", message="boom")
    raise frappe.ValidationError("nope")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def guest_writes(tag):
    frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert(ignore_permissions=True)
    return "ok"


@frappe.whitelist(allow_guest=True, methods=["GET"])
def guest_get_writes(tag):
    frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert(ignore_permissions=True)
    return "ok"


def job_create_uom(tag):
    CALLS.append(("job", tag, frappe.session.user))
    frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert(ignore_permissions=True)


def job_fails(tag):
    frappe.get_doc({"doctype": "UOM", "uom_name": tag}).insert(ignore_permissions=True)
    raise RuntimeError(f"job failed {tag}")


def on_uom_validate(doc, method):
    CALLS.append(("uom", doc.name or doc.uom_name, method))


def on_any_validate(doc, method):
    if doc.doctype == "UOM":
        CALLS.append(("*", doc.uom_name, method))


def on_pair_insert(doc, method):
    CALLS.append(("pair", doc.doctype, method))
