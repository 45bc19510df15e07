"""DocType metadata for the stand-in: strict schema loading + ``frappe.get_meta``.

Schemas come from (later sources may not redefine earlier ones):
  1. ``schema/erpnext/*.json``     unmodified ERPNext / Frappe DocType JSON (see schema/README.md),
  2. ``schema/handwritten/*.json`` minimal hand-written schemas for linked DocTypes,
  3. every installed app's ``<app>/<module>/doctype/<name>/<name>.json``,
plus Custom Field rows of the current site.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import frappe
from frappe.exceptions import MissingSchemaError, SchemaError
from frappe.model import (
    child_table_fields,
    data_fieldtypes,
    default_fields,
    float_like_fields,
    no_value_fields,
    table_fields,
)

SCHEMA_DIR = frappe.STANDIN_ROOT / "schema"

# Properties a DocType JSON may carry: DocType's own fields (doctype.json) + later-v15 ones + legacy keys.
_LATER_V15_DOCTYPE_PROPERTIES = {
    "row_format", "grid_page_length", "rows_threshold_for_grid_search", "protect_attached_files",
    "recipient_account_field",
}
_LEGACY_DOCTYPE_PROPERTIES = {"name_case", "hide_heading", "image_view", "read_only_onload"}
_DOCUMENT_KEYS = {"doctype", "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "field_order"}
_DOCFIELD_EXTRA_KEYS = {"doctype", "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx",
                        "parent", "parentfield", "parenttype", "hide_days", "hide_seconds"}
_DOCPERM_KEYS = {
    "role", "permlevel", "read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export",
    "import", "share", "print", "email", "if_owner", "select", "set_user_permissions", "match", "apply_user_permissions",
    "doctype", "name", "parent", "parentfield", "parenttype", "idx", "owner", "creation", "modified", "modified_by",
    "docstatus", "user_permission_doctypes", "restrict",
}


class _Registry:
    def __init__(self):
        self.lock = threading.RLock()
        self.schemas: dict[str, dict] = {}
        self.sources: dict[str, str] = {}
        self.app_of: dict[str, str] = {}
        self.loaded_apps: set[str] = set()
        self._doctype_props: set[str] | None = None
        self._docfield_props: set[str] | None = None
        self._fieldtypes: set[str] | None = None
        self.base_loaded = False

    # -- property lists taken from the reference DocType / DocField JSON --------------------------
    def _load_property_lists(self) -> None:
        if self._doctype_props is not None:
            return
        doctype_json = json.loads((SCHEMA_DIR / "erpnext" / "doctype.json").read_text())
        docfield_json = json.loads((SCHEMA_DIR / "erpnext" / "docfield.json").read_text())
        self._doctype_props = {f["fieldname"] for f in doctype_json["fields"]} | _LATER_V15_DOCTYPE_PROPERTIES
        self._doctype_props |= _LEGACY_DOCTYPE_PROPERTIES | _DOCUMENT_KEYS
        self._docfield_props = {f["fieldname"] for f in docfield_json["fields"]} | _DOCFIELD_EXTRA_KEYS
        fieldtype_df = next(f for f in docfield_json["fields"] if f["fieldname"] == "fieldtype")
        self._fieldtypes = set(fieldtype_df["options"].split("\n"))

    def ensure_base(self) -> None:
        with self.lock:
            if self.base_loaded:
                return
            self._load_property_lists()
            for folder in ("erpnext", "handwritten"):
                for path in sorted((SCHEMA_DIR / folder).glob("*.json")):
                    self.add(json.loads(path.read_text()), str(path), app=folder)
            self.base_loaded = True

    def ensure_app(self, app: str) -> None:
        with self.lock:
            self.ensure_base()
            if app in self.loaded_apps or app in ("frappe", "erpnext"):
                return
            try:
                app_path = Path(frappe.get_app_path(app))
            except ModuleNotFoundError:
                return
            for path in sorted(app_path.glob("*/doctype/*/*.json")):
                if path.stem != path.parent.name:
                    continue
                data = json.loads(path.read_text())
                if data.get("doctype") != "DocType":
                    continue
                self.add(data, str(path), app=app)
            self.loaded_apps.add(app)

    def add(self, data: dict, source: str, app: str) -> None:
        self._load_property_lists()
        name = data.get("name")
        if not name:
            raise SchemaError(f"{source}: DocType JSON without a name")
        if name in self.schemas and self.sources[name] != source:
            raise SchemaError(f"{source}: DocType {name!r} is already defined by {self.sources[name]}")
        self.validate(data, source, app)
        self.schemas[name] = data
        self.sources[name] = source
        self.app_of[name] = app

    def validate(self, data: dict, source: str, app: str = "") -> None:
        unknown = set(data) - self._doctype_props
        if unknown:
            raise SchemaError(f"{source}: unknown DocType properties {sorted(unknown)} (not in doctype.json)")
        seen = set()
        for df in data.get("fields", []):
            where = f"{source}: field {df.get('fieldname')!r}"
            bad = set(df) - self._docfield_props
            if bad:
                raise SchemaError(f"{where}: unknown DocField properties {sorted(bad)}")
            if not df.get("fieldname"):
                raise SchemaError(f"{source}: a field without fieldname")
            if df["fieldname"] in seen:
                raise SchemaError(f"{where}: duplicate fieldname")
            seen.add(df["fieldname"])
            if df.get("fieldtype", "Data") not in self._fieldtypes:
                raise SchemaError(f"{where}: invalid fieldtype {df.get('fieldtype')!r}")
            if df.get("fieldtype") in ("Link", "Table", "Table MultiSelect", "Dynamic Link") and not df.get("options"):
                raise SchemaError(f"{where}: {df['fieldtype']} field without options")
            if df["fieldname"] in default_fields or df["fieldname"] in child_table_fields:
                raise SchemaError(f"{where}: fieldname clashes with a standard column")
        field_order = data.get("field_order")
        if field_order is not None and app not in ("erpnext", "handwritten"):
            extra = sorted(set(field_order) - seen)
            if extra:
                raise SchemaError(f"{source}: field_order names fields that do not exist: {extra}")
        for perm in data.get("permissions", []):
            bad = set(perm) - _DOCPERM_KEYS
            if bad:
                raise SchemaError(f"{source}: unknown DocPerm properties {sorted(bad)}")

    def get(self, doctype: str) -> dict:
        self.ensure_base()
        for app in frappe.get_installed_apps():
            self.ensure_app(app)
        try:
            return self.schemas[doctype]
        except KeyError:
            raise MissingSchemaError(
                f"The stand-in has no schema for DocType {doctype!r}. Add a minimal hand-written schema to "
                f"wix_commerce_sync/testing/standin/schema/handwritten/ (see its README) or fix the DocType name."
            ) from None

    def names(self) -> list[str]:
        self.ensure_base()
        for app in frappe.get_installed_apps():
            self.ensure_app(app)
        return sorted(self.schemas)


registry = _Registry()
_meta_cache: dict[tuple[str, str, int], Meta] = {}
_meta_version = {"value": 0}


def clear_meta_cache() -> None:
    _meta_version["value"] += 1
    _meta_cache.clear()


def get_meta(doctype: str, cached: bool = True) -> Meta:
    site = getattr(frappe.local, "site", None) or ""
    key = (site, doctype, _meta_version["value"])
    if cached and key in _meta_cache:
        return _meta_cache[key]
    meta = Meta(doctype)
    _meta_cache[key] = meta
    return meta


def doctype_exists(doctype: str) -> bool:
    try:
        registry.get(doctype)
    except MissingSchemaError:
        return False
    return True


class Meta:
    """Read-only view of a DocType (subset of frappe.model.meta.Meta)."""

    default_fields = list(default_fields)[1:]

    def __init__(self, doctype: str):
        raw = registry.get(doctype)
        self._raw = raw
        self.name = doctype
        self.doctype = "DocType"
        for prop in registry._doctype_props:
            if prop not in ("fields", "permissions", "actions", "links", "states", "field_order"):
                setattr(self, prop, raw.get(prop))
        self.name = doctype
        for flag in ("istable", "issingle", "is_submittable", "is_tree", "is_virtual", "custom", "track_changes",
                     "track_seen", "editable_grid", "read_only", "in_create", "allow_rename", "quick_entry"):
            setattr(self, flag, int(raw.get(flag) or 0))
        self.autoname = raw.get("autoname") or ""
        self.sort_field = raw.get("sort_field") or "modified"
        self.sort_order = raw.get("sort_order") or "DESC"
        self.app = registry.app_of.get(doctype)
        self.fields = [self._make_df(df) for df in raw.get("fields", [])]
        self._add_custom_fields()
        self.permissions = [frappe._dict(p) for p in raw.get("permissions", [])]
        self._fields_by_name = {df.fieldname: df for df in self.fields}

    def _make_df(self, df: dict) -> frappe._dict:
        out = frappe._dict(df)
        out.fieldtype = out.fieldtype or "Data"
        out.parent = self.name
        for key in ("reqd", "unique", "read_only", "hidden", "allow_on_submit", "no_copy", "non_negative",
                    "set_only_once", "permlevel", "search_index", "fetch_if_empty", "ignore_xss_filter"):
            out[key] = int(out.get(key) or 0)
        return out

    def _add_custom_fields(self) -> None:
        db = getattr(frappe.local, "db", None)
        if db is None or self.name in ("Custom Field",) or not db.table_exists("Custom Field"):
            return
        rows = db.sql(
            "select * from `tabCustom Field` where `dt`=%s order by `idx` asc, `creation` asc", (self.name,), as_dict=True
        )
        allowed = registry._docfield_props
        for row in rows:
            df = {k: v for k, v in row.items() if k in allowed and k not in _DOCFIELD_EXTRA_KEYS and v not in (None, "")}
            df["fieldname"] = row["fieldname"]
            df["is_custom_field"] = 1
            position = len(self.fields)
            if row.get("insert_after"):
                for i, existing in enumerate(self.fields):
                    if existing.fieldname == row["insert_after"]:
                        position = i + 1
                        break
            self.fields.insert(position, self._make_df(df))

    # -- frappe.model.meta.Meta API -----------------------------------------------------------------
    def get(self, key, filters=None, limit=None, default=None):
        if key == "fields" and filters:
            return [df for df in self.fields if _matches(df, filters)][: limit or None]
        value = getattr(self, key, default)
        return default if value is None else value

    def get_field(self, fieldname: str):
        return self._fields_by_name.get(fieldname)

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self._fields_by_name

    def get_label(self, fieldname: str) -> str:
        df = self.get_field(fieldname)
        if df:
            return df.label or df.fieldname
        return {"name": "ID", "owner": "Created By", "modified_by": "Last Updated By", "creation": "Created On",
                "modified": "Last Updated On", "idx": "Index", "docstatus": "Document Status"}.get(fieldname, fieldname)

    def get_table_fields(self):
        return [df for df in self.fields if df.fieldtype in table_fields]

    def get_link_fields(self):
        return [df for df in self.fields if df.fieldtype == "Link"]

    def get_dynamic_link_fields(self):
        return [df for df in self.fields if df.fieldtype == "Dynamic Link"]

    def get_select_fields(self):
        return [df for df in self.fields if df.fieldtype == "Select"]

    def get_data_fields(self):
        return [df for df in self.fields if df.fieldtype == "Data"]

    def get_phone_fields(self):
        return [df for df in self.fields if df.fieldtype == "Phone"]

    def get_code_fields(self):
        return []

    def get_set_only_once_fields(self):
        return [df for df in self.fields if df.set_only_once]

    def get_high_permlevel_fields(self):
        return []

    def get_workflow(self):
        return None

    def get_fields_to_fetch(self, link_fieldname=None):
        out = []
        for df in self.fields:
            fetch_from = df.get("fetch_from")
            if not fetch_from or df.fieldtype in no_value_fields:
                continue
            if link_fieldname and fetch_from.split(".", 1)[0] != link_fieldname:
                continue
            out.append(df)
        return out

    def get_valid_columns(self) -> list[str]:
        """Cached on the Meta, as Frappe's ``Meta.get_valid_columns`` caches ``_valid_columns``."""
        cached = self.__dict__.get("_valid_columns")
        if cached is None:
            cached = [*self.default_fields, *[df.fieldname for df in self.fields if df.fieldtype in data_fieldtypes]]
            if self.istable:
                cached += list(child_table_fields)
            self.__dict__["_valid_columns"] = cached
        return cached

    def get_fieldnames_with_value(self, with_field_meta=False, with_virtual_fields=False):
        return [df.fieldname for df in self.fields if df.fieldtype in data_fieldtypes]

    def get_naming_series_options(self) -> list[str]:
        df = self.get_field("naming_series")
        return (df.options or "").split("\n") if df else []

    def get_title_field(self) -> str:
        return self.title_field or ("title" if self.has_field("title") else "name")

    def get_search_fields(self) -> list[str]:
        return ["name", *[f.strip() for f in (self.search_fields or "").split(",") if f.strip()]]

    def is_nested_set(self) -> bool:
        return bool(self.is_tree)

    def get_list_fields(self):
        return ["name"]

    def get_options(self, fieldname: str) -> str:
        df = self.get_field(fieldname)
        return df.options if df else ""

    def __repr__(self):
        return f"<Meta {self.name}>"


def _matches(df, filters: dict) -> bool:
    for key, cond in filters.items():
        value = df.get(key)
        if isinstance(cond, (list, tuple)):
            op, target = cond
            if op == "=" and value != target:
                return False
            if op == "!=" and value == target:
                return False
            if op == "in" and value not in target:
                return False
            if op == "not in" and value in target:
                return False
        elif value != cond:
            return False
    return True


def get_field_precision(df, doc=None, currency=None) -> int:
    from frappe.utils import cint

    if df.precision:
        return cint(df.precision)
    db = getattr(frappe.local, "db", None)
    if df.fieldtype == "Currency":
        precision = cint(db.get_default("currency_precision")) if db else 0
        return precision or 2
    precision = cint(db.get_default("float_precision")) if db else 0
    return precision or 3


def get_default_df(fieldname: str):
    if fieldname in default_fields or fieldname in child_table_fields:
        fieldtype = "Datetime" if fieldname in ("creation", "modified") else "Int" if fieldname in ("docstatus", "idx") else "Data"
        return frappe._dict(fieldname=fieldname, fieldtype=fieldtype)
    return None


def raw_schema(doctype: str) -> dict:
    return copy.deepcopy(registry.get(doctype))


def is_float_like(fieldtype: str) -> bool:
    return fieldtype in float_like_fields
