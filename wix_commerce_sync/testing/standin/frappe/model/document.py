"""BaseDocument / Document with frappe v15 lifecycle semantics and stand-in strictness.

Mirrors frappe/model/base_document.py and frappe/model/document.py (insert/save/submit/cancel order, hooks,
link/mandatory/select/length/update-after-submit/timestamp checks). Stricter than frappe where frappe would
silently misbehave: unknown fields and values MariaDB would reject or frappe would coerce to 0 raise
``frappe.StandinStrictError`` subclasses naming the DocType and field.
"""

# ruff: noqa: S608 - this is the SQL layer: table/column names come from DocType metadata, values are bound

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
import weakref
from functools import cached_property

import frappe
from frappe import _, _dict
from frappe.exceptions import MissingSchemaError, StrictTypeError, UnknownFieldError
from frappe.model import (
    child_table_fields,
    default_fields,
    float_like_fields,
    optional_fields,
    table_fields,
    varchar_fieldtypes,
)
from frappe.model.docstatus import DocStatus
from frappe.utils import cint, cstr, flt, now

max_positive_value = {"int": 2**31 - 1, "bigint": 2**63 - 1}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$")
_TIME_RE = re.compile(r"^\d{1,3}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


# --------------------------------------------------------------------------------------------------
# controllers
# --------------------------------------------------------------------------------------------------
def get_controller(doctype: str):
    site_controllers = frappe.controllers.setdefault(getattr(frappe.local, "site", None), {})
    if doctype not in site_controllers:
        site_controllers[doctype] = import_controller(doctype)
    return site_controllers[doctype]


def import_controller(doctype: str):
    from frappe import standin
    from frappe.model.meta import get_meta

    meta = get_meta(doctype)  # raises MissingSchemaError with a clear message
    overrides = frappe.get_hooks("override_doctype_class")
    if overrides and overrides.get(doctype):
        module_path, classname = overrides[doctype][-1].rsplit(".", 1)
        class_ = getattr(frappe.get_module(module_path), classname, None)
    else:
        class_ = standin.builtin_controller(doctype)
        if class_ is None and meta.app not in (None, "erpnext", "handwritten"):
            module_name = (
                f"{meta.app}.{frappe.scrub(meta.module)}.doctype.{frappe.scrub(doctype)}.{frappe.scrub(doctype)}"
            )
            module = frappe.get_module(module_name)
            classname = doctype.replace(" ", "").replace("-", "")
            class_ = getattr(module, classname, None)
            if class_ is None:
                raise ImportError(f"{doctype}: {classname} does not exist in module {module_name}")
        elif class_ is None:
            class_ = Document
    if not isinstance(class_, type) or not issubclass(class_, BaseDocument):
        raise ImportError(f"{doctype}: controller is not a subclass of BaseDocument")
    return class_


def get_doc(*args, **kwargs):
    if args:
        if isinstance(args[0], BaseDocument):
            return args[0]
        if isinstance(args[0], str):
            doctype = args[0]
        elif isinstance(args[0], dict):
            kwargs = args[0]
        else:
            raise ValueError("First non keyword argument must be a string or dict")
    if len(args) < 2 and kwargs:
        if "doctype" in kwargs:
            doctype = kwargs["doctype"]
        else:
            raise ValueError('"doctype" is a required key')
    controller = get_controller(doctype)
    if controller:
        return controller(*args, **kwargs)
    raise ImportError(doctype)


# --------------------------------------------------------------------------------------------------
# value coercion (what MariaDB strict mode accepts; what frappe would silently turn into 0)
# --------------------------------------------------------------------------------------------------
def coerce_for_column(doctype: str, df, value, context: str = "save"):
    fieldtype = df.fieldtype
    where = f"{doctype}.{df.fieldname} ({fieldtype}, {context})"

    def fail(reason: str):
        raise StrictTypeError(f"{where}: {reason}: {value!r}")

    if fieldtype == "Check":
        if value is None or value == "":
            return 0
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float, decimal.Decimal)) and value in (0, 1):
            return int(value)
        if isinstance(value, str) and value.strip() in ("0", "1"):
            return int(value.strip())
        fail("a Check field takes 0/1/True/False")
    if fieldtype in ("Int", "Long Int"):
        if value is None or value == "":
            return 0
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, (float, decimal.Decimal)) and not isinstance(value, bool):
            if math.isfinite(float(value)) and float(value).is_integer():
                return int(value)
            fail("frappe would silently truncate this non-integral number")
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                fail("not an integer (frappe's cint would silently store 0)")
        fail("not an integer")
    if fieldtype in float_like_fields or fieldtype in ("Duration", "Rating"):
        if value is None or value == "":
            return 0.0
        if isinstance(value, bool):
            fail("a boolean in a number field")
        if isinstance(value, (int, float, decimal.Decimal)):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.replace(",", ""))
            except ValueError:
                fail("not a number (frappe's flt would silently store 0)")
        else:
            fail("not a number")
        if not math.isfinite(number):
            fail("not a finite number")
        return number
    if value is None:
        return None
    if fieldtype == "Date":
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, str):
            text = value.strip()
            if text == "":
                return None
            if _DATE_RE.match(text) or (_DATETIME_RE.match(text) and len(text) > 10):
                try:
                    datetime.date.fromisoformat(text[:10])
                except ValueError:
                    fail("not a valid date")
                return text[:10]
        fail("MariaDB rejects this as a Date (use a date or 'YYYY-MM-DD')")
    if fieldtype == "Datetime":
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                fail("timezone-aware datetime (frappe stores naive System Settings time; convert first)")
            return value.isoformat(sep=" ")
        if isinstance(value, datetime.date):
            return value.isoformat() + " 00:00:00"
        if isinstance(value, str):
            text = value.strip()
            if text == "":
                return None
            if _DATETIME_RE.match(text):
                try:
                    datetime.datetime.fromisoformat(text.replace("T", " "))
                except ValueError:
                    fail("not a valid datetime")
                return text.replace("T", " ")
        fail("MariaDB rejects this as a Datetime (offsets/'Z' are not accepted; use naive local time)")
    if fieldtype == "Time":
        if isinstance(value, datetime.timedelta):
            return value
        if isinstance(value, datetime.time):
            return value.isoformat()
        if isinstance(value, str) and (value.strip() == "" or _TIME_RE.match(value.strip())):
            return value.strip() or None
        fail("not a valid Time")
    if fieldtype == "JSON":
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, str):
            return value
        fail("a JSON field takes a dict, list or JSON string")
    # text-like columns
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or isinstance(value, (list, tuple, dict, set, bytes, BaseDocument)):
        fail("not a text value")
    if isinstance(value, (int, float, decimal.Decimal, datetime.date, datetime.timedelta)):
        return str(value)
    fail("not a text value")
    return None


# --------------------------------------------------------------------------------------------------
# BaseDocument
# --------------------------------------------------------------------------------------------------
class BaseDocument:
    _reserved_keywords = frozenset(
        (
            "doctype", "meta", "flags", "parent_doc", "_table_fields", "_valid_columns", "_doc_before_save",
            "_table_fieldnames", "_reserved_keywords", "permitted_fieldnames", "dont_update_if_missing",
        )
    )

    def __init__(self, d):
        if d.get("doctype"):
            self.doctype = d["doctype"]
        self._table_fieldnames = {df.fieldname for df in self._get_table_fields()}
        self.update(d)
        self.dont_update_if_missing = []
        if hasattr(self, "__setup__"):
            self.__setup__()

    def __json__(self):
        return self.as_dict(no_nulls=True)

    @cached_property
    def meta(self):
        return frappe.get_meta(self.doctype)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("meta", None)
        state.pop("permitted_fieldnames", None)
        state.pop("_parent_doc", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- strictness --------------------------------------------------------------------------------
    def _known_keys(self) -> set:
        keys = self.__dict__.get("_known_key_cache")
        if keys is None:
            keys = set(self.meta.get_valid_columns()) | set(self._table_fieldnames) | set(default_fields)
            keys |= set(child_table_fields) | set(optional_fields) | {"name", "doctype"}
            self.__dict__["_known_key_cache"] = keys
        return keys

    def _check_known_key(self, key: str) -> None:
        if key.startswith("_") or key in self._known_keys():
            return
        raise UnknownFieldError(
            f"DocType {self.doctype!r} has no field {key!r}. Real frappe would silently ignore it and the value "
            "would never be saved; fix the field name or add the field to the DocType."
        )

    # -- dict-like access --------------------------------------------------------------------------
    def update(self, d):
        if "name" in d:
            self.name = d["name"]
        flags = self.__dict__.get("flags") or {}
        as_value = not self._table_fieldnames or flags.get("ignore_children", False)
        for key, value in d.items():
            self.set(key, value, as_value=as_value)
        return self

    def update_if_missing(self, d):
        if isinstance(d, BaseDocument):
            d = d.get_valid_dict()
        for key, value in d.items():
            if value is not None and self.get(key) is None and key not in self.dont_update_if_missing:
                self.set(key, value)

    def get_db_value(self, key):
        return frappe.db.get_value(self.doctype, self.name, key)

    def get(self, key, filters=None, limit=None, default=None):
        if isinstance(key, dict):
            return _filter(self.get_all_children(), key, limit=limit)
        if filters:
            if isinstance(filters, dict):
                return _filter(self.__dict__.get(key, []), filters, limit=limit)
            default = filters
        value = self.__dict__.get(key, default)
        if limit and isinstance(value, (list, tuple)) and len(value) > limit:
            value = value[:limit]
        return value

    def getone(self, key, filters=None):
        return self.get(key, filters=filters, limit=1)[0]

    def set(self, key, value, as_value=False):
        if key in self._reserved_keywords:
            return
        if not as_value and key in self._table_fieldnames:
            self.__dict__[key] = []
            if value:
                self.extend(key, value)
            return
        if key != "doctype" and getattr(self, "doctype", None):
            self._check_known_key(key)
        self.__dict__[key] = value

    def delete_key(self, key):
        self.__dict__.pop(key, None)

    def append(self, key: str, value=None, position: int = -1):
        if value is None:
            value = {}
        if key not in self._table_fieldnames:
            df = self.meta.get_field(key)
            raise UnknownFieldError(
                f"DocType {self.doctype!r} has no table field {key!r}"
                + (f" ({key} is a {df.fieldtype} field)" if df else "")
            )
        if (table := self.__dict__.get(key)) is None:
            self.__dict__[key] = table = []
        d = self._init_child(value, key)
        if position == -1:
            table.append(d)
        else:
            table.insert(position, d)
            for i, row in enumerate(table):
                row.idx = i + 1
        d.parent_doc = weakref.ref(self)
        return d

    @property
    def parent_doc(self):
        ref = getattr(self, "_parent_doc", None)
        if isinstance(ref, BaseDocument):
            return ref
        if isinstance(ref, weakref.ReferenceType):
            return ref()
        return None

    @parent_doc.setter
    def parent_doc(self, value):
        self._parent_doc = value

    def extend(self, key, value):
        try:
            value = iter(value)
        except TypeError as exc:
            raise ValueError from exc
        for v in value:
            self.append(key, v)

    def remove(self, doc):
        if doc.get("parentfield"):
            self.get(doc.parentfield).remove(doc)
            for i, row in enumerate(self.get(doc.parentfield)):
                row.idx = i + 1

    def _init_child(self, value, key):
        if not isinstance(value, BaseDocument):
            doctype = self.get_table_field_doctype(key)
            value = dict(value)
            value["doctype"] = doctype
            value = get_controller(doctype)(value)
        value.parent = self.name
        value.parenttype = self.doctype
        value.parentfield = key
        if value.__dict__.get("docstatus") is None:
            value.__dict__["docstatus"] = DocStatus.draft()
        if not getattr(value, "idx", None):
            table = self.__dict__.get(key)
            value.idx = len(table) + 1 if table else 1
        if not getattr(value, "name", None):
            value.__dict__["__islocal"] = 1
        return value

    def _get_table_fields(self):
        return self.meta.get_table_fields()

    def get_table_field_doctype(self, fieldname):
        df = self.meta.get_field(fieldname)
        if df is None:
            raise UnknownFieldError(f"DocType {self.doctype!r} has no table field {fieldname!r}")
        return df.options

    def get_parentfield_of_doctype(self, doctype):
        names = [df.fieldname for df in self.meta.get_table_fields() if df.options == doctype]
        return names[0] if names else None

    def get_valid_dict(self, sanitize=True, convert_dates_to_str=False, ignore_nulls=False, ignore_virtual=False):
        d = _dict()
        values = self.__dict__
        for fieldname in self.meta.get_valid_columns():
            value = values.get(fieldname)
            if not sanitize and value is None:
                d[fieldname] = None
                continue
            df = self.meta.get_field(fieldname)
            if df:
                if df.fieldtype == "Check":
                    value = 1 if cint(value) else 0
                elif df.fieldtype == "Int" and not isinstance(value, int):
                    value = cint(value)
                elif df.fieldtype == "JSON" and isinstance(value, dict):
                    value = json.dumps(value, separators=(",", ":"))
                elif df.fieldtype in float_like_fields and not isinstance(value, float):
                    value = flt(value)
                elif (df.fieldtype in ("Datetime", "Date", "Time") and value == "") or (
                    df.unique and cstr(value).strip() == ""
                ):
                    value = None
            if convert_dates_to_str and isinstance(
                value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)
            ):
                value = str(value)
            if ignore_nulls and value is None:
                continue
            d[fieldname] = value
        return d

    def _db_values(self) -> _dict:
        """Values for INSERT/UPDATE: strict version of get_valid_dict(convert_dates_to_str=True)."""
        d = _dict()
        for fieldname in self.meta.get_valid_columns():
            value = self.__dict__.get(fieldname)
            df = self.meta.get_field(fieldname)
            if df:
                value = coerce_for_column(self.doctype, df, value)
                if df.unique and cstr(value).strip() == "":
                    value = None
            elif fieldname == "docstatus":
                value = int(value or 0)
            elif fieldname == "idx":
                value = cint(value)
            elif isinstance(value, (datetime.datetime, datetime.date)):
                value = str(value)
            d[fieldname] = value
        return d

    def init_child_tables(self):
        for fieldname in self._table_fieldnames:
            if self.__dict__.get(fieldname) is None:
                self.__dict__[fieldname] = []

    def init_valid_columns(self):
        for key in default_fields:
            if key not in self.__dict__:
                self.__dict__[key] = None
            if self.__dict__[key] is None:
                if key == "docstatus":
                    self.__dict__[key] = DocStatus.draft()
                elif key == "idx":
                    self.__dict__[key] = 0
        for key in self.get_valid_columns():
            if key not in self.__dict__:
                self.__dict__[key] = None

    def get_valid_columns(self):
        return self.meta.get_valid_columns()

    def is_new(self) -> bool:
        return self.get("__islocal")

    @property
    def docstatus(self) -> DocStatus:
        value = self.__dict__.get("docstatus")
        if not isinstance(value, DocStatus):
            value = DocStatus(value or 0)
            self.__dict__["docstatus"] = value
        return value

    @docstatus.setter
    def docstatus(self, value) -> None:
        if not isinstance(value, DocStatus):
            value = DocStatus(value or 0)
        self.__dict__["docstatus"] = value

    def as_dict(self, no_nulls=False, no_default_fields=False, convert_dates_to_str=False, no_child_table_fields=False):
        doc = self.get_valid_dict(convert_dates_to_str=convert_dates_to_str, ignore_nulls=no_nulls)
        doc["doctype"] = self.doctype
        for fieldname in self._table_fieldnames:
            doc[fieldname] = [
                d.as_dict(
                    convert_dates_to_str=convert_dates_to_str, no_nulls=no_nulls,
                    no_default_fields=no_default_fields, no_child_table_fields=no_child_table_fields,
                )
                for d in (self.get(fieldname) or [])
            ]
        if no_default_fields:
            for key in default_fields:
                doc.pop(key, None)
        if no_child_table_fields:
            for key in child_table_fields:
                doc.pop(key, None)
        for key in ("_user_tags", "__islocal", "__onload", "_liked_by", "__run_link_triggers", "__unsaved"):
            if value := getattr(self, key, None):
                doc[key] = value
        return doc

    def as_json(self):
        return frappe.as_json(self.as_dict())

    # -- database writes -----------------------------------------------------------------------------
    def db_insert(self, ignore_if_duplicate=False):
        from frappe.model.naming import set_new_name

        if not self.name:
            set_new_name(self)
        if not self.creation:
            self.creation = self.modified = now()
            self.owner = self.modified_by = frappe.session.user
        if len(cstr(self.name)) > 140:
            frappe.throw(
                _("{0}: name '{1}' is longer than 140 characters").format(self.doctype, self.name),
                frappe.CharacterLengthExceededError,
            )
        d = self._db_values()
        columns = list(d)
        try:
            frappe.db.sql(
                "insert into `tab{}` ({}) values ({})".format(
                    self.doctype, ", ".join(f"`{c}`" for c in columns), ", ".join(["%s"] * len(columns))
                ),
                list(d.values()),
            )
        except frappe.db.IntegrityError as e:
            # MariaDB reports the PRIMARY key first; SQLite may name another unique index first.
            name_taken = frappe.db.is_primary_key_violation(e) or (
                frappe.db.is_unique_key_violation(e)
                and frappe.db.sql(f"select 1 from `tab{self.doctype}` where `name`=%s", (self.name,))
            )
            if name_taken:
                if self.meta.autoname == "hash":
                    self.flags.retry_count = (self.flags.retry_count or 0) + 1
                    if self.flags.retry_count > 5:
                        raise
                    self.name = None
                    self.db_insert()
                    return
                if not ignore_if_duplicate:
                    frappe.msgprint(
                        _("{0} {1} already exists").format(_(self.doctype), frappe.bold(self.name)),
                        title=_("Duplicate Name"), indicator="red",
                    )
                    raise frappe.DuplicateEntryError(self.doctype, self.name, e) from e
            elif frappe.db.is_unique_key_violation(e):
                self.show_unique_validation_message(e)
            else:
                raise
        self.set("__islocal", False)

    def db_update(self):
        if self.get("__islocal") or not self.name:
            self.db_insert()
            return
        d = self._db_values()
        name = cstr(d.pop("name"))
        columns = list(d)
        try:
            frappe.db.sql(
                "update `tab{}` set {} where `name`=%s".format(self.doctype, ", ".join(f"`{c}`=%s" for c in columns)),
                [*d.values(), name],
            )
        except frappe.db.IntegrityError as e:
            if frappe.db.is_unique_key_violation(e):
                self.show_unique_validation_message(e)
            raise

    def db_update_all(self):
        self.db_update()
        for fieldname in self._table_fieldnames:
            for doc in self.get(fieldname):
                doc.db_update()

    def show_unique_validation_message(self, e):
        fieldname = frappe.db.unique_violation_field(e)
        label = self.meta.get_label(fieldname)
        frappe.msgprint(_("{0} must be unique").format(label or fieldname))
        raise frappe.UniqueValidationError(self.doctype, self.name, e)

    def update_modified(self):
        self.set("modified", now())
        if self.meta.issingle:
            frappe.db.set_single_value(self.doctype, "modified", self.modified, update_modified=False)
        else:
            frappe.db.set_value(self.doctype, self.name, "modified", self.modified, update_modified=False)

    def _fix_numeric_types(self):
        for df in self.meta.fields:
            if df.fieldtype == "Check":
                self.__dict__[df.fieldname] = cint(self.get(df.fieldname))
            elif self.get(df.fieldname) is not None:
                if df.fieldtype == "Int":
                    self.__dict__[df.fieldname] = cint(self.get(df.fieldname))
                elif df.fieldtype in float_like_fields:
                    self.__dict__[df.fieldname] = flt(self.get(df.fieldname))
        self.docstatus  # noqa: B018 - property normalises docstatus

    # -- validations ---------------------------------------------------------------------------------
    def _get_missing_mandatory_fields(self):
        def get_msg(df):
            if df.fieldtype in table_fields:
                return "{}: {}: {}".format(_("Error"), _("Data missing in table"), _(df.label))
            if self.get("parentfield"):
                return "{}: {} {} #{}: {}: {}".format(
                    _("Error"), frappe.bold(_(self.doctype)), _("Row"), self.idx, _("Value missing for"), _(df.label)
                )
            return _("Error: Value missing for {0}: {1}").format(_(df.parent), _(df.label))

        def has_content(df):
            value = cstr(self.get(df.fieldname))
            return bool(frappe.utils.strip_html(value).strip()) or "<img" in value

        missing = []
        for df in self.meta.fields:
            if not df.reqd:
                continue
            if self.get(df.fieldname) in (None, []) or not has_content(df):
                missing.append((df.fieldname, get_msg(df)))
        if self.meta.istable:
            for fieldname in ("parent", "parenttype"):
                if not self.get(fieldname):
                    missing.append((fieldname, get_msg(_dict(label=fieldname, fieldtype="Data", parent=self.doctype))))
        return missing

    def get_invalid_links(self, is_submittable=False):
        from frappe.model.meta import get_meta

        def get_msg(df, docname):
            if self.get("parentfield"):
                return "{} #{}: {}: {}".format(_("Row"), self.idx, _(df.label), docname)
            return f"{_(df.label)}: {docname}"

        invalid_links, cancelled_links = [], []
        for df in self.meta.get_link_fields() + self.meta.get_dynamic_link_fields():
            docname = self.get(df.fieldname)
            if not docname:
                continue
            if df.fieldtype == "Link":
                doctype = df.options
            else:
                doctype = self.get(df.options)
                if not doctype:
                    frappe.throw(_("{0} must be set first").format(self.meta.get_label(df.options)))
            try:
                meta = get_meta(doctype)
            except MissingSchemaError as exc:
                raise MissingSchemaError(
                    f"{self.doctype}.{df.fieldname} links to {doctype!r} = {docname!r}, but the stand-in has no schema "
                    f"for {doctype!r}. {exc}"
                ) from None
            fields_to_fetch = [
                _df for _df in self.meta.get_fields_to_fetch(df.fieldname)
                if not _df.get("fetch_if_empty") or (_df.get("fetch_if_empty") and not self.get(_df.fieldname))
            ]
            if meta.issingle:
                values = _dict(name=doctype if docname == doctype else None)
            elif not fields_to_fetch:  # frappe caches a bare name check for the rest of the transaction
                values = _dict(name=frappe.db.get_value(doctype, docname, "name", order_by=None, cache=True))
            else:
                sources = []
                for _df in fields_to_fetch:
                    source = _df.fetch_from.split(".")[-1]
                    if source not in meta.get_valid_columns() and source != "name":
                        raise MissingSchemaError(
                            f"{self.doctype}.{_df.fieldname} fetches {doctype}.{source}, which the stand-in schema of "
                            f"{doctype!r} does not have (add it to the hand-written schema)"
                        )
                    sources.append(source)
                values = frappe.db.get_value(doctype, docname, ["name", *sources], as_dict=True, order_by=None) or _dict()
            if values.name:
                setattr(self, df.fieldname, values.name)
                for _df in fields_to_fetch:
                    if self.is_new() or not self.docstatus.is_submitted() or _df.allow_on_submit:
                        self.__dict__[_df.fieldname] = values.get(_df.fetch_from.split(".")[-1])
            if not values.name:
                invalid_links.append((df.fieldname, docname, get_msg(df, docname)))
            elif (
                df.fieldname != "amended_from"
                and (is_submittable or self.meta.is_submittable)
                and meta.is_submittable
                and DocStatus(frappe.db.get_value(doctype, docname, "docstatus") or 0).is_cancelled()
            ):
                cancelled_links.append((df.fieldname, docname, get_msg(df, docname)))
        return invalid_links, cancelled_links

    def _validate_selects(self):
        if frappe.flags.in_import:
            return
        for df in self.meta.get_select_fields():
            if df.fieldname == "naming_series" or not (self.get(df.fieldname) and df.options):
                continue
            options = (df.options or "").split("\n")
            if not any(options):
                continue
            if not isinstance(self.get(df.fieldname), str):
                raise StrictTypeError(f"{self.doctype}.{df.fieldname} (Select): not a string: {self.get(df.fieldname)!r}")
            self.set(df.fieldname, cstr(self.get(df.fieldname)).strip())
            value = self.get(df.fieldname)
            if value not in options and not (frappe.flags.in_test and value.startswith("_T-")):
                prefix = _("Row #{0}:").format(self.idx) if self.get("parentfield") else ""
                label = _(self.meta.get_label(df.fieldname))
                comma_options = '", "'.join(_(each) for each in options)
                frappe.throw(_('{0} {1} cannot be "{2}". It should be one of "{3}"').format(prefix, label, value, comma_options))

    def _validate_data_fields(self):
        from frappe.utils.data import split_emails, validate_email_address, validate_phone_number, validate_url

        for df in self.meta.get_data_fields():
            data = self.get(df.fieldname)
            if not data or not isinstance(data, str):
                continue
            if df.options == "Email":
                if (self.owner in frappe.STANDARD_USERS) and (data in frappe.STANDARD_USERS):
                    continue
                for email in split_emails(data):
                    validate_email_address(email, throw=True)
            elif df.options == "Phone":
                validate_phone_number(data, throw=True)
            elif df.options == "URL":
                validate_url(data, throw=True)

    def _validate_non_negative(self):
        for df in self.meta.fields:
            if df.non_negative and df.fieldtype in ("Int", "Float", "Currency") and flt(self.get(df.fieldname)) < 0:
                if self.get("parentfield"):
                    msg = "{} {} #{}: {} {}".format(
                        frappe.bold(_(self.doctype)), _("Row"), self.idx, _("Value cannot be negative for"), frappe.bold(_(df.label))
                    )
                else:
                    msg = _("Value cannot be negative for {0}: {1}").format(_(df.parent), frappe.bold(_(df.label)))
                frappe.throw(msg, frappe.NonNegativeError, title=_("Negative Value"))

    def _validate_length(self):
        if frappe.flags.in_install or self.meta.issingle:
            return
        for fieldname, value in self.get_valid_dict().items():
            df = self.meta.get_field(fieldname)
            if not df or df.fieldtype == "Check":
                continue
            if df.fieldtype in varchar_fieldtypes:
                max_length = cint(df.get("length")) or 140
                if len(cstr(value)) > max_length:
                    self.throw_length_exceeded_error(df, max_length, value)
            elif df.fieldtype in ("Int", "Long Int"):
                column_type = "bigint" if (df.fieldtype == "Long Int" or cint(df.get("length")) > 11) else "int"
                max_length = max_positive_value[column_type]
                if abs(cint(value)) > max_length:
                    self.throw_length_exceeded_error(df, max_length, value)

    def throw_length_exceeded_error(self, df, max_length, value):
        if self.get("parentfield"):
            reference = _("{0}, Row {1}").format(_(self.doctype), self.idx)
        else:
            reference = f"{_(self.doctype)} {self.name}"
        frappe.throw(
            _("{0}: '{1}' ({3}) will get truncated, as max characters allowed is {2}").format(
                reference, frappe.bold(_(df.label)), max_length, value
            ),
            frappe.CharacterLengthExceededError,
            title=_("Value too big"),
        )

    def _validate_code_fields(self):
        return None

    def _sync_autoname_field(self):
        autoname = self.meta.autoname or ""
        _empty, _spec, fieldname = autoname.partition("field:")
        if fieldname and self.name and self.name != self.get(fieldname):
            self.set(fieldname, self.name)

    def _sanitize_content(self):
        from frappe.utils.data import sanitize_html

        if frappe.flags.in_install:
            return
        for fieldname, value in self.get_valid_dict().items():
            if not value or not isinstance(value, str) or ("<" not in value and ">" not in value):
                continue
            df = self.meta.get_field(fieldname)
            if df and (
                df.get("ignore_xss_filter")
                or (df.fieldtype in ("Data", "Small Text", "Text") and df.get("options") == "Email")
                or df.fieldtype in ("Attach", "Attach Image", "Barcode", "Code", "Password", "JSON")
                or self.docstatus.is_cancelled()
                or (self.docstatus.is_submitted() and not df.get("allow_on_submit"))
            ):
                continue
            self.__dict__[fieldname] = sanitize_html(value, linkify=bool(df and df.fieldtype == "Text Editor"))

    def _save_passwords(self):
        from frappe.utils.password import remove_encrypted_password, set_encrypted_password

        if self.flags.ignore_save_passwords is True:
            return
        for df in self.meta.fields:
            if df.fieldtype != "Password":
                continue
            if self.flags.ignore_save_passwords and df.fieldname in self.flags.ignore_save_passwords:
                continue
            new_password = self.get(df.fieldname)
            if not new_password:
                remove_encrypted_password(self.doctype, self.name, df.fieldname)
            if new_password and not self.is_dummy_password(new_password):
                if not isinstance(new_password, str):
                    raise StrictTypeError(f"{self.doctype}.{df.fieldname} (Password): not a string")
                set_encrypted_password(self.doctype, self.name, new_password, df.fieldname)
                self.__dict__[df.fieldname] = "*" * len(new_password)

    def get_password(self, fieldname="password", raise_exception=True):
        from frappe.utils.password import get_decrypted_password

        df = self.meta.get_field(fieldname)
        if df is None or df.fieldtype != "Password":
            raise UnknownFieldError(f"{self.doctype} has no Password field {fieldname!r}")
        if self.get(fieldname) and not self.is_dummy_password(self.get(fieldname)):
            return self.get(fieldname)
        return get_decrypted_password(self.doctype, self.name, fieldname, raise_exception=raise_exception)

    def is_dummy_password(self, pwd):
        return "".join(set(pwd)) == "*"

    def _validate_update_after_submit(self):
        db_values = frappe.get_doc(self.doctype, self.name).as_dict()
        for key in self.as_dict():
            df = self.meta.get_field(key)
            db_value = db_values.get(key)
            if df and not df.allow_on_submit and (self.get(key) or db_value):
                if df.fieldtype in table_fields:
                    self_value = len(self.get(key))
                    db_value = len(db_value)
                else:
                    self_value = self.get_value(key)
                if _normalise_for_compare(df, self_value) != _normalise_for_compare(df, db_value):
                    frappe.throw(
                        _("{0} Not allowed to change {1} after submission from {2} to {3}").format(
                            f"Row #{self.idx}:" if self.get("parent") else "", frappe.bold(_(df.label)),
                            frappe.bold(db_value), frappe.bold(self_value),
                        ),
                        frappe.UpdateAfterSubmitError,
                        title=_("Cannot Update After Submit"),
                    )

    def precision(self, fieldname, parentfield=None):
        from frappe.model.meta import get_field_precision

        if parentfield and not isinstance(parentfield, str) and parentfield.get("parentfield"):
            parentfield = parentfield.parentfield
        doctype = self.meta.get_field(parentfield).options if parentfield else self.doctype
        df = frappe.get_meta(doctype).get_field(fieldname)
        if df and df.fieldtype in ("Currency", "Float", "Percent"):
            return get_field_precision(df, self)
        return None

    def get_value(self, fieldname):
        df = self.meta.get_field(fieldname)
        val = self.get(fieldname)
        return self.cast(val, df)

    def cast(self, value, df):
        from frappe.utils.data import cast

        return cast(df.fieldtype, value)

    def get_formatted(self, fieldname, doc=None, currency=None, absolute_value=False, translated=False, format=None):  # noqa: A002
        return cstr(self.get(fieldname))

    def get_label_from_fieldname(self, fieldname):
        df = self.meta.get_field(fieldname)
        return df.label if df else None


def _normalise_for_compare(df, value):
    if df.fieldtype in float_like_fields:
        return flt(value)
    if df.fieldtype in ("Int", "Check"):
        return cint(value)
    if df.fieldtype == "Date" and value:
        return frappe.utils.getdate(value)
    if df.fieldtype == "Datetime" and value:
        return frappe.utils.get_datetime(value)
    if value == "":
        return None
    return value


def _filter(data, filters, limit=None):
    from frappe.utils.data import compare

    out, _filters = [], {}
    if not data:
        return out
    for f, fval in (filters or {}).items():
        if not isinstance(fval, (tuple, list)):
            if fval is True:
                fval = ("not None", fval)
            elif fval is False:
                fval = ("None", fval)
            elif isinstance(fval, str) and fval.startswith("^"):
                fval = ("^", fval[1:])
            else:
                fval = ("=", fval)
        _filters[f] = fval
    for d in data:
        for f, fval in _filters.items():
            if not compare(getattr(d, f, None), fval[0], fval[1]):
                break
        else:
            out.append(d)
            if limit and len(out) >= limit:
                break
    return out


# --------------------------------------------------------------------------------------------------
# Document
# --------------------------------------------------------------------------------------------------
class Document(BaseDocument):
    """All controllers inherit from `Document`."""

    def __init__(self, *args, **kwargs):
        self.doctype = None
        self.name = None
        self.flags = _dict()
        if args and args[0]:
            if isinstance(args[0], str):
                self.doctype = args[0]
                self.name = self.doctype if len(args) == 1 else args[1]
                self.flags.for_update = kwargs.get("for_update")
                self.load_from_db()
                return
            if isinstance(args[0], dict):
                kwargs = args[0]
        if kwargs:
            super().__init__(kwargs)
            self.init_child_tables()
            self.init_valid_columns()
        else:
            raise ValueError("Illegal arguments")

    @staticmethod
    def whitelist(fn):
        frappe.whitelist()(fn)
        return fn

    def load_from_db(self):
        self.flags.ignore_children = True
        if self.meta.issingle:
            single_doc = frappe.db.get_singles_dict(self.doctype, for_update=self.flags.for_update)
            if not single_doc:
                single_doc = frappe.new_doc(self.doctype, as_dict=True)
                single_doc["name"] = self.doctype
                single_doc.pop("__islocal", None)
            else:
                single_doc = _dict({k: v for k, v in single_doc.items() if k in self._single_columns()})
                single_doc["name"] = self.doctype
                single_doc["doctype"] = self.doctype
            self._table_fieldnames = {df.fieldname for df in self._get_table_fields()}
            BaseDocument.__init__(self, single_doc)
            self.init_valid_columns()
            self._fix_numeric_types()
        else:
            self._table_fieldnames = {df.fieldname for df in self._get_table_fields()}
            d = frappe.db.get_value(
                self.doctype, self.name, "*", as_dict=True, for_update=self.flags.for_update,
                order_by=None if not isinstance(self.name, (dict, list)) else "KEEP_DEFAULT_ORDERING",
            )
            if not d:
                frappe.throw(
                    _("{0} {1} not found").format(_(self.doctype), self.name), frappe.DoesNotExistError(doctype=self.doctype)
                )
            BaseDocument.__init__(self, d)
        self.flags.pop("ignore_children", None)
        self.load_children_from_db()
        if hasattr(self, "__setup__"):
            self.__setup__()
        return self

    def _single_columns(self):
        return set(self.meta.get_valid_columns()) | {"modified", "modified_by", "creation", "owner"}

    def load_children_from_db(self):
        for df in self._get_table_fields():
            if self.meta.issingle:
                parent_name = self.doctype
            else:
                parent_name = self.name
            children = frappe.db.get_values(
                df.options, {"parent": parent_name, "parenttype": self.doctype, "parentfield": df.fieldname}, "*",
                as_dict=True, order_by="idx asc", for_update=self.flags.for_update,
            ) or []
            self.set(df.fieldname, children)
        return self

    def reload(self):
        self.__dict__.pop("_known_key_cache", None)
        return self.load_from_db()

    def get_latest(self):
        if not getattr(self, "_doc_before_save", None):
            self.load_doc_before_save()
        return self._doc_before_save

    # -- permissions ----------------------------------------------------------------------------------
    def check_permission(self, permtype="read", permlevel=None):
        if not self.has_permission(permtype):
            self.raise_no_permission_to(permlevel or permtype)

    def has_permission(self, permtype="read", *, debug=False, user=None) -> bool:
        if self.flags.ignore_permissions:
            return True
        import frappe.permissions

        return frappe.permissions.has_permission(self.doctype, permtype, self, user=user)

    def raise_no_permission_to(self, perm_type):
        frappe.flags.error_message = _("You need the '{0}' permission on {1} {2} to perform this action.").format(
            _(perm_type), frappe.bold(_(self.doctype)), self.name or ""
        )
        raise frappe.PermissionError(frappe.flags.error_message)

    # -- lifecycle --------------------------------------------------------------------------------------
    def insert(
        self, ignore_permissions=None, ignore_links=None, ignore_if_duplicate=False, ignore_mandatory=None,
        set_name=None, set_child_names=True,
    ):
        if self.flags.in_print:
            return self
        self.flags.notifications_executed = []
        if ignore_permissions is not None:
            self.flags.ignore_permissions = ignore_permissions
        if ignore_links is not None:
            self.flags.ignore_links = ignore_links
        if ignore_mandatory is not None:
            self.flags.ignore_mandatory = ignore_mandatory

        self.set("__islocal", True)
        self._set_defaults()
        self.set_user_and_timestamp()
        self.set_docstatus()
        self.check_if_latest()
        self._validate_links()
        self.check_permission("create")
        self.run_method("before_insert")
        self.set_new_name(set_name=set_name, set_child_names=set_child_names)
        self.set_parent_in_children()
        self.flags.in_insert = True
        self.run_before_save_methods()
        self._validate()
        self.set_docstatus()
        self.flags.in_insert = False

        if self.meta.issingle:
            self.update_single(self._db_values())
        else:
            self.db_insert(ignore_if_duplicate=ignore_if_duplicate)
        for d in self.get_all_children():
            d.db_insert()

        self.run_method("after_insert")
        self.flags.in_insert = True
        self.run_post_save_methods()
        self.flags.in_insert = False
        self.__dict__.pop("__islocal", None)
        self.__dict__.pop("__unsaved", None)
        return self

    def save(self, *args, **kwargs):
        return self._save(*args, **kwargs)

    def _save(self, ignore_permissions=None, ignore_version=None):
        if self.flags.in_print:
            return None
        self.flags.notifications_executed = []
        if ignore_permissions is not None:
            self.flags.ignore_permissions = ignore_permissions
        self.flags.ignore_version = frappe.flags.in_test if ignore_version is None else ignore_version
        if self.get("__islocal") or not self.get("name"):
            return self.insert()

        self._set_defaults()
        self.check_permission("write", "save")
        self.set_user_and_timestamp()
        self.set_docstatus()
        self.check_if_latest()
        self.set_parent_in_children()
        self.set_name_in_children()
        self._validate_links()
        self.run_before_save_methods()
        if self._action != "cancel":
            self._validate()
        if self._action == "update_after_submit":
            self.validate_update_after_submit()
        self.set_docstatus()

        if self.meta.issingle:
            self.update_single(self._db_values())
        else:
            self.db_update()
        self.update_children()
        self.run_post_save_methods()
        self.__dict__.pop("__unsaved", None)
        return self

    def update_single(self, d):
        frappe.db.sql("delete from `tabSingles` where `doctype`=%s", (self.doctype,))
        from frappe.database import single_value_to_text

        for field, value in d.items():
            if field in ("doctype", "name"):
                continue
            frappe.db.sql(
                "insert into `tabSingles` (`doctype`, `field`, `value`) values (%s, %s, %s)",
                (self.doctype, field, single_value_to_text(value)),
            )
        frappe.db.value_cache.pop(self.doctype, None)
        if self.doctype == "System Settings":  # frappe: SystemSettings.on_update clears the cached time zone
            frappe.cache().delete_value("time_zone")

    def update_children(self):
        for df in self.meta.get_table_fields():
            self.update_child_table(df.fieldname, df)

    def update_child_table(self, fieldname, df=None):
        df = df or self.meta.get_field(fieldname)
        all_rows = self.get(df.fieldname)
        if df.options not in (self.flags.ignore_children_type or ()):
            existing = [row.name for row in all_rows if row.name and not row.is_new()]
            query = f"delete from `tab{df.options}` where `parent`=%s and `parenttype`=%s and `parentfield`=%s"
            params = [self.name, self.doctype, fieldname]
            if existing:
                query += " and `name` not in %s"
                params.append(existing)
            frappe.db.sql(query, params)
        for d in all_rows:
            d.db_update()

    def get_doc_before_save(self):
        return getattr(self, "_doc_before_save", None)

    def has_value_changed(self, fieldname):
        previous = self.get_doc_before_save()
        if not previous:
            return True
        previous_value = previous.get(fieldname)
        current_value = self.get(fieldname)
        if isinstance(previous_value, datetime.datetime):
            current_value = frappe.utils.get_datetime(current_value)
        elif isinstance(previous_value, datetime.date):
            current_value = frappe.utils.getdate(current_value)
        return previous_value != current_value

    def set_new_name(self, force=False, set_name=None, set_child_names=True):
        from frappe.model.naming import set_new_name, validate_name

        if self.flags.name_set and not force:
            return
        autoname = self.meta.autoname or ""
        if self.get("__newname") and autoname.lower() == "prompt":
            self.name = validate_name(self.doctype, self.get("__newname"))
            self.flags.name_set = True
            return
        if set_name:
            self.name = validate_name(self.doctype, set_name)
        else:
            set_new_name(self)
        if set_child_names:
            for d in self.get_all_children():
                set_new_name(d)
        self.flags.name_set = True

    def get_title(self):
        return self.get(self.meta.get_title_field()) or ""

    def set_title_field(self):
        if self.meta.get("title_field") == "title":
            df = self.meta.get_field(self.meta.title_field)
            if not df:
                return
            values = {k: ("" if v is None else v) for k, v in self.as_dict().items()}
            if df.options:
                self.set(df.fieldname, df.options.format(**values))
            elif self.is_new() and not self.get(df.fieldname) and df.default:
                self.set(df.fieldname, df.default.format(**values))

    def set_user_and_timestamp(self):
        self._original_modified = self.modified
        self.modified = now()
        self.modified_by = frappe.session.user
        if self.is_new() and not (frappe.flags.in_install or frappe.flags.in_patch or frappe.flags.in_migrate):
            self.creation = self.modified
            self.owner = self.modified_by
        for d in self.get_all_children():
            d.modified = self.modified
            d.modified_by = self.modified_by
            if not d.owner:
                d.owner = self.owner
            if not d.creation:
                d.creation = self.creation
        frappe.flags.currently_saving.append((self.doctype, self.name))

    def set_docstatus(self):
        docstatus = self.docstatus
        for d in self.get_all_children():
            d.set("docstatus", docstatus)

    def _validate(self):
        self._validate_mandatory()
        self._validate_data_fields()
        self._validate_selects()
        self._validate_non_negative()
        self._validate_length()
        self._validate_code_fields()
        self._sync_autoname_field()
        self._sanitize_content()
        self._save_passwords()
        for d in self.get_all_children():
            d._validate_data_fields()
            d._validate_selects()
            d._validate_non_negative()
            d._validate_length()
            d._sync_autoname_field()
            d._sanitize_content()
            d._save_passwords()
        if self.is_new():
            for fieldname in optional_fields:
                self.__dict__[fieldname] = None
        else:
            self.validate_set_only_once()

    def validate_set_only_once(self):
        fields = self.meta.get_set_only_once_fields()
        if fields and self._doc_before_save:
            for field in fields:
                value = self.get(field.fieldname)
                original = self._doc_before_save.get(field.fieldname)
                if field.fieldtype in table_fields:
                    fail = len(value or []) != len(original or [])
                elif field.fieldtype in ("Date", "Datetime", "Time"):
                    fail = str(value) != str(original)
                else:
                    fail = value != original
                if fail:
                    frappe.throw(
                        _("Value cannot be changed for {0}").format(frappe.bold(self.meta.get_label(field.fieldname))),
                        exc=frappe.CannotChangeConstantError,
                    )

    def _set_defaults(self):
        if frappe.flags.in_import:
            return
        if self.is_new():
            new_doc = frappe.new_doc(self.doctype, as_dict=True)
            self.update_if_missing(new_doc)
        for df in self.meta.get_table_fields():
            new_doc = frappe.new_doc(df.options, parent_doc=self, parentfield=df.fieldname, as_dict=True)
            value = self.get(df.fieldname)
            if isinstance(value, list):
                for d in value:
                    if d.is_new():
                        d.update_if_missing(new_doc)

    def check_if_latest(self):
        self.load_doc_before_save(raise_exception=True)
        self._action = "save"
        previous = self._doc_before_save
        if not previous:
            self.check_docstatus_transition(0)
            return
        if cstr(previous.modified) != cstr(self._original_modified):
            frappe.msgprint(
                _("Error: Document has been modified after you have opened it")
                + (f" ({previous.modified}, {self.modified}). ")
                + _("Please refresh to get the latest document."),
                raise_exception=frappe.TimestampMismatchError,
            )
        if not self.meta.issingle:
            self.check_docstatus_transition(previous.docstatus)

    def check_docstatus_transition(self, to_docstatus):
        if not self.meta.is_submittable and self.docstatus != 0:
            frappe.throw(
                _("Cannot change docstatus of {0}: {0} is not submittable").format(self.doctype),
                frappe.DocstatusTransitionError,
            )
        if to_docstatus == DocStatus.DRAFT:
            if self.docstatus.is_draft():
                self._action = "save"
            elif self.docstatus.is_submitted():
                self._action = "submit"
                self.check_permission("submit")
            elif self.docstatus.is_cancelled():
                raise frappe.DocstatusTransitionError(_("Cannot change docstatus from 0 (Draft) to 2 (Cancelled)"))
            else:
                raise frappe.ValidationError(_("Invalid docstatus"), self.docstatus)
        elif to_docstatus == DocStatus.SUBMITTED:
            if self.docstatus.is_submitted():
                self._action = "update_after_submit"
                self.check_permission("submit")
            elif self.docstatus.is_cancelled():
                self._action = "cancel"
                self.check_permission("cancel")
            elif self.docstatus.is_draft():
                raise frappe.DocstatusTransitionError(_("Cannot change docstatus from 1 (Submitted) to 0 (Draft)"))
            else:
                raise frappe.ValidationError(_("Invalid docstatus"), self.docstatus)
        elif to_docstatus == DocStatus.CANCELLED:
            raise frappe.ValidationError(_("Cannot edit cancelled document"))

    def set_parent_in_children(self):
        for d in self.get_all_children():
            d.parent = self.name
            d.parenttype = self.doctype

    def set_name_in_children(self):
        from frappe.model.naming import set_new_name

        for d in self.get_all_children():
            if not d.name:
                set_new_name(d)

    def validate_update_after_submit(self):
        if self.flags.ignore_validate_update_after_submit:
            return
        self._validate_update_after_submit()
        for d in self.get_all_children():
            if d.is_new() and self.meta.get_field(d.parentfield).allow_on_submit:
                continue
            d._validate_update_after_submit()

    def _validate_mandatory(self):
        if self.flags.ignore_mandatory:
            return
        missing = self._get_missing_mandatory_fields()
        for d in self.get_all_children():
            missing.extend(d._get_missing_mandatory_fields())
        if not missing:
            return
        for _idx, msg in missing:
            frappe.msgprint(msg)
        raise frappe.MandatoryError(
            "[{doctype}, {name}]: {fields}".format(
                fields=", ".join(each[0] for each in missing), doctype=self.doctype, name=self.name
            )
        )

    def _validate_links(self):
        if self.flags.ignore_links or self._action == "cancel":
            return
        invalid_links, cancelled_links = self.get_invalid_links()
        for d in self.get_all_children():
            result = d.get_invalid_links(is_submittable=self.meta.is_submittable)
            invalid_links.extend(result[0])
            cancelled_links.extend(result[1])
        if invalid_links:
            msg = ", ".join(each[2] for each in invalid_links)
            frappe.throw(_("Could not find {0}").format(msg), frappe.LinkValidationError)
        if cancelled_links:
            msg = ", ".join(each[2] for each in cancelled_links)
            frappe.throw(_("Cannot link cancelled document: {0}").format(msg), frappe.CancelledLinkError)

    def get_all_children(self, parenttype=None):
        children = []
        for df in self.meta.get_table_fields():
            if parenttype and df.options != parenttype:
                continue
            if value := self.get(df.fieldname):
                children.extend(value)
        return children

    def run_method(self, method, *args, **kwargs):
        """Controller method first, then doc_events for the doctype, then "*" handlers (handler(doc, method))."""
        method_object = getattr(self, method, None)
        out = None
        if method in self.__dict__ or callable(method_object):
            out = method_object(*args, **kwargs)
        doc_events = frappe.get_doc_hooks()
        for handler in doc_events.get(self.doctype, {}).get(method, []) + doc_events.get("*", {}).get(method, []):
            result = frappe.get_attr(handler)(self, method, *args, **kwargs)
            if result is not None:
                out = result
        return out

    def run_trigger(self, method, *args, **kwargs):
        return self.run_method(method, *args, **kwargs)

    def _submit(self):
        self.docstatus = DocStatus.submitted()
        return self.save()

    def _cancel(self):
        self.docstatus = DocStatus.cancelled()
        return self.save()

    def submit(self):
        return self._submit()

    def cancel(self):
        return self._cancel()

    def delete(self, ignore_permissions=False, force=False, *, delete_permanently=False):
        return frappe.delete_doc(
            self.doctype, self.name, ignore_permissions=ignore_permissions, flags=self.flags, force=force,
            delete_permanently=delete_permanently,
        )

    def run_before_save_methods(self):
        if self._action in ("save", "submit"):
            self.run_method("before_validate")
        if self.flags.ignore_validate:
            return
        if self._action == "save":
            self.run_method("validate")
            self.run_method("before_save")
        elif self._action == "submit":
            self.run_method("validate")
            self.run_method("before_submit")
        elif self._action == "cancel":
            self.run_method("before_cancel")
        elif self._action == "update_after_submit":
            self.run_method("before_update_after_submit")
        self.set_title_field()

    def load_doc_before_save(self, *, raise_exception: bool = False):
        self._doc_before_save = None
        if self.is_new():
            return
        try:
            self._doc_before_save = frappe.get_doc(self.doctype, self.name, for_update=True)
        except frappe.DoesNotExistError:
            if raise_exception:
                raise
            frappe.clear_last_message()

    def run_post_save_methods(self):
        if self._action == "save":
            self.run_method("on_update")
        elif self._action == "submit":
            self.run_method("on_update")
            self.run_method("on_submit")
        elif self._action == "cancel":
            self.run_method("on_cancel")
            self.check_no_back_links_exist()
        elif self._action == "update_after_submit":
            self.run_method("on_update_after_submit")
        self.clear_cache()
        if self.flags.get("notify_update", True):
            self.notify_update()
        self.run_method("on_change")
        if (self.doctype, self.name) in frappe.flags.currently_saving:
            frappe.flags.currently_saving.remove((self.doctype, self.name))

    def clear_cache(self):
        frappe.clear_document_cache(self.doctype, self.name)

    def notify_update(self):
        if frappe.flags.in_patch:
            return
        frappe.publish_realtime(
            "doc_update", {"modified": self.modified, "doctype": self.doctype, "name": self.name},
            doctype=self.doctype, docname=self.name, after_commit=True,
        )
        if not self.meta.get("read_only") and not self.meta.get("issingle") and not self.meta.get("istable"):
            data = {"doctype": self.doctype, "name": self.name, "user": frappe.session.user}
            frappe.publish_realtime("list_update", data, after_commit=True)

    def check_no_back_links_exist(self):
        from frappe.model.delete_doc import check_if_doc_is_linked

        if not self.flags.ignore_links:
            check_if_doc_is_linked(self, method="Cancel")

    def db_set(self, fieldname, value=None, update_modified=True, notify=False, commit=False):
        if isinstance(fieldname, dict):
            self.update(fieldname)
        else:
            self.set(fieldname, value)
        if update_modified and (self.doctype, self.name) not in frappe.flags.currently_saving:
            self.set("modified", now())
            self.set("modified_by", frappe.session.user)
        if not self.get_doc_before_save():
            self.load_doc_before_save()
        self.run_method("before_change")
        if self.name is None:
            return
        if self.meta.issingle:
            frappe.db.set_single_value(
                self.doctype, fieldname, value, modified=self.modified, modified_by=self.modified_by,
                update_modified=update_modified,
            )
        else:
            frappe.db.set_value(
                self.doctype, self.name, fieldname, value, self.modified, self.modified_by,
                update_modified=update_modified,
            )
        self.run_method("on_change")
        if notify:
            self.notify_update()
        if commit:
            frappe.db.commit()

    def db_get(self, fieldname):
        return frappe.db.get_value(self.doctype, self.name, fieldname)

    def is_whitelisted(self, method_name):
        method = getattr(self, method_name, None)
        if not method:
            raise frappe.DoesNotExistError(f"Method {method_name} not found")
        frappe.is_whitelisted(getattr(method, "__func__", method))

    def validate_value(self, fieldname, condition, val2, doc=None, raise_exception=None):
        from frappe.utils.data import compare

        doc = doc or self
        val1 = doc.get_value(fieldname)
        df = doc.meta.get_field(fieldname)
        val2 = doc.cast(val2, df)
        if not compare(val1, condition, val2):
            label = doc.meta.get_label(fieldname)
            msg = _("Incorrect value:") + f" {label} must be {condition} {val2}"
            frappe.msgprint(msg, raise_exception=raise_exception or True)

    def validate_table_has_rows(self, parentfield, raise_exception=None):
        if not (isinstance(self.get(parentfield), list) and len(self.get(parentfield)) > 0):
            label = self.meta.get_label(parentfield)
            frappe.throw(_("Table {0} cannot be empty").format(label), raise_exception or frappe.EmptyTableError)

    def round_floats_in(self, doc, fieldnames=None):
        if not fieldnames:
            fieldnames = [df.fieldname for df in doc.meta.fields if df.fieldtype in ("Currency", "Float", "Percent")]
        for fieldname in fieldnames:
            doc.set(fieldname, flt(doc.get(fieldname), self.precision(fieldname, doc.get("parentfield"))))

    def get_url(self):
        return f"/app/{frappe.scrub(self.doctype).replace('_', '-')}/{self.name}"

    def add_comment(self, comment_type="Comment", text=None, comment_email=None, comment_by=None):
        return frappe.get_doc(
            {
                "doctype": "Comment", "comment_type": comment_type, "comment_email": comment_email or frappe.session.user,
                "comment_by": comment_by, "reference_doctype": self.doctype, "reference_name": self.name,
                "content": text or comment_type,
            }
        ).insert(ignore_permissions=True)

    def log_error(self, title=None, message=None):
        return frappe.log_error(message=message, title=title, reference_doctype=self.doctype, reference_name=self.name)

    def deferred_insert(self):
        from frappe import standin

        standin.record_deferred_insert(self)

    def get_signature(self):
        import hashlib

        return hashlib.sha224(f"{self.doctype}:{self.name}".encode(), usedforsecurity=False).hexdigest()

    def lock(self, timeout=None):
        return None

    def unlock(self):
        return None

    @property
    def is_locked(self):
        return False

    def queue_action(self, action, **kwargs):
        if hasattr(self, f"_{action}"):
            action = f"_{action}"
        enqueue_after_commit = kwargs.pop("enqueue_after_commit", None)
        if enqueue_after_commit is None:
            enqueue_after_commit = True
        return frappe.enqueue(
            "frappe.model.document.execute_action", __doctype=self.doctype, __name=self.name, __action=action,
            enqueue_after_commit=enqueue_after_commit, **kwargs,
        )

    def set_onload(self, key, value):
        if not self.get("__onload"):
            self.__dict__["__onload"] = _dict()
        self.get("__onload")[key] = value

    def get_onload(self, key=None):
        if not key:
            return self.get("__onload", _dict())
        return self.get("__onload")[key]

    def __repr__(self):
        name = self.name or "unsaved"
        return f"<{self.__class__.__name__}: {self.doctype} {name}>"

    def __str__(self):
        return f"{self.doctype}({self.name or 'unsaved'})"


def execute_action(__doctype, __name, __action, **kwargs):
    doc = frappe.get_doc(__doctype, __name)
    doc.unlock()
    try:
        getattr(doc, __action)(**kwargs)
    except Exception:
        frappe.db.rollback()
        doc.log_error(f"Action {__action} failed")
        raise


def copy_doc(doc, ignore_no_copy: bool = True):
    import copy

    if not isinstance(doc, dict):
        d = doc.as_dict()
    else:
        d = copy.deepcopy(doc)
    newdoc = frappe.get_doc(copy.deepcopy(d))
    newdoc.set("__islocal", 1)
    for fieldname in [*default_fields, "amended_from", "amendment_date"]:
        if fieldname != "doctype" and fieldname in newdoc.__dict__:
            newdoc.__dict__[fieldname] = None
    if not ignore_no_copy:
        for df in newdoc.meta.fields:
            if df.no_copy:
                newdoc.__dict__[df.fieldname] = None
    for d in newdoc.get_all_children():
        d.__dict__["name"] = None
        d.__dict__["parent"] = None
        d.__dict__["__islocal"] = 1
        d.__dict__["creation"] = None
        d.__dict__["modified"] = None
    newdoc.docstatus = 0
    return newdoc
