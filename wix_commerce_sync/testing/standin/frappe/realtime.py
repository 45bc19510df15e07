"""frappe.realtime: events are captured in frappe.standin.realtime_events (no socket.io)."""

from __future__ import annotations

import frappe


def publish_realtime(event=None, message=None, room=None, user=None, doctype=None, docname=None, task_id=None,
                     after_commit=False):
    from frappe import standin

    if message is None:
        message = {}
    if not task_id and hasattr(frappe.local, "task_id"):
        task_id = frappe.local.task_id
    if event is None:
        event = "task_progress" if task_id else "global"
    if not room:
        if task_id:
            after_commit = False
            room = f"task_progress:{task_id}"
        elif user:
            room = f"user:{user}"
        elif doctype and docname:
            room = f"doc:{doctype}/{docname}"
        else:
            room = "all"
    event_record = frappe._dict(event=event, message=message, room=room, user=frappe.session.user,
                                site=getattr(frappe.local, "site", None))
    if after_commit and getattr(frappe.local, "db", None) is not None:
        frappe.db.after_commit.add(lambda: standin.record_realtime(event_record))
    else:
        standin.record_realtime(event_record)


def publish_progress(percent, title=None, doctype=None, docname=None, description=None, task_id=None):
    publish_realtime(
        "progress", {"percent": percent, "title": title, "description": description},
        user=None if doctype and docname else frappe.session.user, doctype=doctype, docname=docname, task_id=task_id,
    )
