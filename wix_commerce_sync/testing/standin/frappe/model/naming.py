"""frappe.model.naming (v15 semantics): autoname field:/naming_series:/format:/Prompt/hash, tabSeries counters.

Stand-in strictness: a name set explicitly on a document whose autoname would discard it (anything but Prompt,
outside imports) raises StandinStrictError instead of being silently replaced.
"""

# ruff: noqa: S608 - this is the SQL layer: table/column names come from DocType metadata, values are bound

from __future__ import annotations

import base64
import re
import secrets
import time

import frappe
from frappe import _
from frappe.utils import cint, cstr, now_datetime

NAMING_SERIES_PATTERN = re.compile(r"^[\w\- \/.#{}]+$", re.UNICODE)


class InvalidNamingSeriesError(frappe.ValidationError):
    pass


class NamingSeries:
    __slots__ = ("series",)

    def __init__(self, series: str):
        self.series = series
        if "#" not in self.series:
            self.series += ".#####"

    def validate(self):
        if "." not in self.series:
            frappe.throw(_("Invalid naming series {}: dot (.) missing").format(frappe.bold(self.series)), exc=InvalidNamingSeriesError)
        if not NAMING_SERIES_PATTERN.match(self.series):
            frappe.throw(
                _("Special Characters except '-', '#', '.', '/', '{{' and '}}' not allowed in naming series {0}").format(
                    frappe.bold(self.series)
                ),
                exc=InvalidNamingSeriesError,
            )

    def generate_next_name(self, doc, *, ignore_validate=False) -> str:
        if not ignore_validate:
            self.validate()
        return parse_naming_series(self.series.split("."), doc=doc)

    def get_prefix(self) -> str:
        prefix = None

        def fake_counter(partial_series, digits):
            nonlocal prefix
            prefix = partial_series
            return "#" * digits

        parse_naming_series(self.series, number_generator=fake_counter)
        return prefix

    def get_current_value(self) -> int:
        return cint(frappe.db.get_value("Series", self.get_prefix(), "current", order_by=None))


def set_new_name(doc):
    explicit_name = doc.name
    doc.run_method("before_naming")
    meta = frappe.get_meta(doc.doctype)
    autoname = meta.autoname or ""
    if autoname.lower() != "prompt" and not frappe.flags.in_import:
        doc.name = None
    if getattr(doc, "amended_from", None):
        _set_amended_name(doc)
        if doc.name:
            _check_explicit_name(doc, explicit_name)
            return
    elif meta.issingle:
        doc.name = doc.doctype
    if not doc.name:
        doc.run_method("autoname")
    if not doc.name and autoname:
        set_name_from_naming_options(autoname, doc)
    if not doc.name:
        doc.name = make_autoname("hash", doc.doctype)
    doc.name = validate_name(doc.doctype, doc.name)
    _check_explicit_name(doc, explicit_name)


def _check_explicit_name(doc, explicit_name) -> None:
    if explicit_name and not doc.meta.istable and cstr(explicit_name).strip() != doc.name and not doc.meta.issingle:
        raise frappe.StandinStrictError(
            f"{doc.doctype}: the name {explicit_name!r} set on the document was discarded by autoname "
            f"({doc.meta.autoname or 'hash'!s}) and replaced with {doc.name!r}. Real frappe does this silently; use "
            "insert(set_name=...) or the autoname field instead."
        )


def set_name_from_naming_options(autoname, doc):
    _autoname = autoname.lower()
    if _autoname.startswith("field:"):
        doc.name = _field_autoname(autoname, doc)
        if not doc.name:
            fieldname = autoname[6:]
            frappe.throw(_("{0} is required").format(doc.meta.get_label(fieldname)))
    elif _autoname.startswith("naming_series:"):
        set_name_by_naming_series(doc)
    elif _autoname.startswith("prompt"):
        _prompt_autoname(autoname, doc)
    elif _autoname.startswith("format:"):
        doc.name = _format_autoname(autoname, doc)
    elif _autoname == "hash":
        doc.name = make_autoname("hash", doc.doctype)
    elif "#" in autoname:
        doc.name = make_autoname(autoname, doc=doc)


def set_name_by_naming_series(doc):
    if not doc.naming_series:
        doc.naming_series = get_default_naming_series(doc.doctype)
    if not doc.naming_series:
        frappe.throw(_("Naming Series mandatory"))
    doc.name = make_autoname(doc.naming_series + ".#####", "", doc)


def make_autoname(key="", doctype="", doc="", *, ignore_validate=False):
    if key == "hash":
        return (_get_timestamp_prefix() + _generate_random_string(7))[:10]
    return NamingSeries(key).generate_next_name(doc, ignore_validate=ignore_validate)


def _get_timestamp_prefix():
    ts = int(time.time() * 10) % (32**4)
    ts_part = base64.b32hexencode(ts.to_bytes(length=5, byteorder="big")).decode()[-3:].lower()
    return secrets.token_hex(1)[-1] + ts_part


def _generate_random_string(length=10):
    return base64.b32hexencode(secrets.token_bytes(length)).decode()[:length].lower()


def parse_naming_series(parts, doctype=None, doc=None, number_generator=None, key=None) -> str:
    name = ""
    _sentinel = object()
    if isinstance(parts, str):
        parts = parts.split(".")
    number_generator = number_generator or getseries
    series_set = False
    today = now_datetime()
    for e in parts:
        if not e:
            continue
        part = ""
        if e.startswith("#"):
            if not series_set:
                part = number_generator(key or name, len(e))
                series_set = True
        elif e == "YY":
            part = today.strftime("%y")
        elif e == "MM":
            part = today.strftime("%m")
        elif e == "DD":
            part = today.strftime("%d")
        elif e == "YYYY":
            part = today.strftime("%Y")
        elif e == "WW":
            part = today.strftime("%V")
        elif e == "timestamp":
            part = str(today)
        elif doc and (e.startswith("{") or doc.get(e, _sentinel) is not _sentinel):
            e = e.replace("{", "").replace("}", "")
            part = doc.get(e)
        else:
            part = e
        if isinstance(part, str):
            name += part
        elif part is not None:
            name += cstr(part).strip()
    return name


def getseries(key, digits):
    current = frappe.db.sql("select `current` from `tabSeries` where `name`=%s for update", (key,))
    if current and current[0][0] is not None:
        frappe.db.sql("update `tabSeries` set `current` = `current` + 1 where `name`=%s", (key,))
        current = cint(current[0][0]) + 1
    else:
        frappe.db.sql("insert into `tabSeries` (`name`, `current`) values (%s, 1)", (key,))
        current = 1
    return ("%0" + str(digits) + "d") % current


def get_default_naming_series(doctype: str):
    for option in frappe.get_meta(doctype).get_naming_series_options():
        if option:
            return option
    return None


def validate_name(doctype: str, name):
    if not name:
        frappe.throw(_("No Name Specified for {0}").format(doctype))
    if isinstance(name, int):
        frappe.throw(_("Invalid name type (integer) for varchar name column"), frappe.NameError)
    if name.startswith("New " + doctype):
        frappe.throw(_("There were some errors setting the name, please contact the administrator"), frappe.NameError)
    name = name.strip()
    if not frappe.get_meta(doctype).get("issingle") and (doctype == name) and (name != "DocType"):
        frappe.throw(_("Name of {0} cannot be {1}").format(doctype, name), frappe.NameError)
    if re.findall("[<>]+", name):
        frappe.throw(_("Name cannot contain special characters like {0}").format("'<', '>'"), frappe.NameError)
    return name


def append_number_if_name_exists(doctype, value, fieldname="name", separator="-", filters=None):
    filters = dict(filters or {})
    filters.update({fieldname: value})
    if frappe.db.exists(doctype, filters):
        regex = f"^{re.escape(value)}{separator}\\d+$"
        last = frappe.db.sql(
            f"select `{fieldname}` from `tab{doctype}` where `{fieldname}` regexp %s "
            f"order by length(`{fieldname}`) desc, `{fieldname}` desc limit 1",
            (regex,),
        )
        count = str(cint(last[0][0].rsplit(separator, 1)[1]) + 1) if last else "1"
        value = f"{value}{separator}{count}"
    return value


def _set_amended_name(doc):
    amended_from = doc.amended_from
    parts = amended_from.rsplit("-", 1)
    if len(parts) == 2 and parts[1].isdigit():
        doc.name = f"{parts[0]}-{cint(parts[1]) + 1}"
    else:
        doc.name = f"{amended_from}-1"


def _field_autoname(autoname, doc, skip_slicing=None):
    fieldname = autoname if skip_slicing else autoname[6:]
    return (cstr(doc.get(fieldname)) or "").strip()


def _prompt_autoname(autoname, doc):
    if not doc.name:
        frappe.throw(_("Please set the document name"))


def _format_autoname(autoname: str, doc):
    """format:{field}-{YYYY}-{#####}: braced words are fields/date tokens, braced hashes a series on the prefix."""
    value = autoname.split(":", 1)[1]
    value = re.sub(r"\{(\w+)\}", lambda m: cstr(parse_naming_series([m.group(1)], doc=doc)), value)
    match = re.search(r"\{(#+)\}", value)
    if match:
        prefix = value[: match.start()]
        value = prefix + getseries(prefix, len(match.group(1))) + value[match.end() :]
    return value
