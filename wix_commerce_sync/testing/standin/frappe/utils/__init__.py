"""frappe.utils for the stand-in: re-exports of frappe.utils.data plus a few helpers."""

from frappe.utils.data import *  # noqa: F403
from frappe.utils.data import (  # noqa: F401 - explicit names used by app code
    add_days,
    add_months,
    add_to_date,
    cint,
    cstr,
    date_diff,
    escape_html,
    flt,
    generate_hash,
    get_datetime,
    get_datetime_str,
    get_url,
    getdate,
    now,
    now_datetime,
    nowdate,
    random_string,
    sanitize_html,
    strip_html,
    time_diff_in_seconds,
    today,
)


def strip(val, chars=None):
    return (val or "").replace("\ufeff", "").replace("\u200b", "").strip(chars)


def get_fullname(user=None):
    import frappe

    user = user or frappe.session.user
    row = frappe.db.get_value("User", user, ["first_name", "last_name"], as_dict=True)
    if not row:
        return user
    return " ".join(filter(None, [row.first_name, row.last_name])) or user


def get_traceback(with_context: bool = False) -> str:
    import frappe

    return frappe.get_traceback(with_context=with_context)


def safe_json_loads(*args):
    import json

    results = []
    for arg in args:
        try:
            arg = json.loads(arg)
        except Exception:  # noqa: S110 - frappe returns the input unchanged
            pass
        results.append(arg)
    return results[0] if len(results) == 1 else results


def get_site_url(site: str) -> str:
    return f"http://{site}"
