"""Subset of frappe.model.db_query.DatabaseQuery: get_list/get_all with strict field and filter checking."""

# ruff: noqa: S608 - this is the SQL layer: table/column names come from DocType metadata, values are bound

from __future__ import annotations

import datetime
import re

import frappe
from frappe.exceptions import StandinStrictError, UnknownFieldError
from frappe.model import child_table_fields, default_fields, numeric_fieldtypes, optional_fields

DefaultOrderBy = "KEEP_DEFAULT_ORDERING"
_IDENT = r"`?(?:tab(?P<table>[^`.]+?)`?\.)?`?(?P<field>[A-Za-z_][A-Za-z0-9_]*)`?"
_PLAIN_FIELD = re.compile(rf"^{_IDENT}$")
_CHILD_FIELD = re.compile(r"^`?(?P<tablefield>[A-Za-z_][A-Za-z0-9_]*)`?\.`?(?P<field>[A-Za-z_][A-Za-z0-9_]*|\*)`?$")
_AGGREGATE = re.compile(
    r"^(?P<func>count|sum|max|min|avg)\(\s*(?P<distinct>distinct\s+)?(?P<arg>\*|[^()]+?)\s*\)$", re.I
)
# frappe v16 frappe/database/query.py: a SELECT field string that calls a function is refused (FUNCTION_CALL_PATTERN)
_FUNCTION_CALL = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*\(")
_DICT_FUNCTIONS = {"COUNT", "SUM", "AVG", "MAX", "MIN"}
_ALIAS = re.compile(r"^(?P<expr>.+?)\s+as\s+`?(?P<alias>[A-Za-z_][A-Za-z0-9_]*)`?$", re.I)
_ORDER_PART = re.compile(r"^(?P<expr>.+?)(\s+(?P<dir>asc|desc))?$", re.I)
_OPERATORS = {
    "=", "!=", "<>", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between", "not between",
}


class DatabaseQuery:
    def __init__(self, doctype: str):
        from frappe.model.meta import get_meta

        self.doctype = doctype
        self.meta = get_meta(doctype)
        self.table = f"`tab{doctype}`"
        self.joins: dict[str, str] = {}
        self.aliases: set[str] = set()

    # -- columns ---------------------------------------------------------------------------------
    def _columns(self, meta) -> set[str]:
        cols = set(meta.get_valid_columns()) | {"name"}
        if not meta.istable:
            cols |= set(optional_fields)
        else:
            cols |= set(child_table_fields)
        return cols

    def _resolve_column(self, expr: str, *, allow_alias: bool = False) -> str:
        expr = expr.strip()
        if allow_alias and expr.strip("`") in self.aliases:
            return f"`{expr.strip('`')}`"
        match = _PLAIN_FIELD.match(expr)
        if match:
            table = match.group("table")
            field = match.group("field")
            if table and table != self.doctype:
                return self._child_column(table, field)
            if field not in self._columns(self.meta):
                raise UnknownFieldError(
                    f"{self.doctype} has no field {field!r} (MariaDB would fail: Unknown column '{field}')"
                )
            return f"{self.table}.`{field}`"
        child = _CHILD_FIELD.match(expr)
        if child:
            df = self.meta.get_field(child.group("tablefield"))
            if df is None or df.fieldtype not in ("Table", "Table MultiSelect"):
                raise UnknownFieldError(f"{self.doctype} has no table field {child.group('tablefield')!r} ({expr})")
            return self._child_column(df.options, child.group("field"), parentfield=df.fieldname)
        raise StandinStrictError(f"Unsupported field expression for the stand-in: {expr!r}")

    def _child_column(self, child_doctype: str, field: str, parentfield: str | None = None) -> str:
        from frappe.model.meta import get_meta

        child_meta = get_meta(child_doctype)
        if not child_meta.istable:
            raise StandinStrictError(f"{child_doctype} is not a child table of {self.doctype}")
        if field != "*" and field not in self._columns(child_meta):
            raise UnknownFieldError(f"{child_doctype} has no field {field!r}")
        if child_doctype not in self.joins:
            self.joins[child_doctype] = (
                f" left join `tab{child_doctype}` on (`tab{child_doctype}`.`parent` = {self.table}.`name` "
                f"and `tab{child_doctype}`.`parenttype` = '{self.doctype}')"
            )
        return f"`tab{child_doctype}`.`{field}`" if field != "*" else f"`tab{child_doctype}`.*"

    def _dict_field_sql(self, field: dict) -> str:
        """v16's aggregate syntax: ``{"COUNT": "name", "as": "n"}`` (frappe v16 database/query.py FUNCTION_MAPPING)."""
        from frappe import standin

        if standin.frappe_version() < 16:
            raise StandinStrictError(
                f"Frappe v15 get_all/get_list has no dict field syntax ({field!r}): use 'count(name) as n' strings, "
                "or frappe.qb with frappe.query_builder.functions (works on v15 and v16)"
            )
        alias = field.get("as")
        functions = [key for key in field if key != "as"]
        if len(functions) != 1 or functions[0].upper() not in _DICT_FUNCTIONS:
            raise StandinStrictError(f"Unsupported dict field for the stand-in: {field!r} (one of {sorted(_DICT_FUNCTIONS)})")
        func = functions[0]
        arg = field[func]
        if not isinstance(arg, str):
            raise StandinStrictError(f"Unsupported argument in dict field {field!r}: the stand-in takes a field name or '*'")
        arg_sql = "*" if arg.strip() == "*" else self._resolve_column(arg)
        sql = f"{func.lower()}({arg_sql})"
        if alias:
            self.aliases.add(alias)
            return f"{sql} as `{alias}`"
        return sql

    def _field_sql(self, field: str | dict) -> str:
        from frappe import standin

        if isinstance(field, dict):
            return self._dict_field_sql(field)
        if standin.frappe_version() >= 16 and _FUNCTION_CALL.match(field):
            frappe.throw(
                f"SQL functions are not allowed as strings in SELECT: {field}. Use dict syntax like {{'COUNT': '*'}} instead."
            )
        field = field.strip()
        if field == "*":
            return f"{self.table}.*"
        alias_match = _ALIAS.match(field)
        alias = None
        if alias_match:
            field, alias = alias_match.group("expr").strip(), alias_match.group("alias")
            self.aliases.add(alias)
        distinct_prefix = ""
        if field.lower().startswith("distinct "):
            distinct_prefix = "distinct "
            field = field[9:].strip()
        agg = _AGGREGATE.match(field)
        if agg:
            arg = agg.group("arg").strip()
            arg_sql = "*" if arg == "*" else self._resolve_column(arg)
            sql = f"{agg.group('func').lower()}({'distinct ' if agg.group('distinct') else ''}{arg_sql})"
            return f"{sql} as `{alias}`" if alias else f"{sql} as `{field}`"
        column = self._resolve_column(field)
        bare = column.rsplit(".", 1)[-1]
        if alias:
            return f"{distinct_prefix}{column} as `{alias}`"
        if column.startswith(self.table):
            return f"{distinct_prefix}{column}"
        return f"{distinct_prefix}{column} as {bare}" if "*" not in column else column

    # -- filters ---------------------------------------------------------------------------------
    def where_clause(self, filters, or_filters=None) -> tuple[str, list]:
        conditions, params = self._conditions(filters)
        or_conditions, or_params = self._conditions(or_filters)
        parts = list(conditions)
        if or_conditions:
            parts.append("(" + " or ".join(or_conditions) + ")")
        return (" where " + " and ".join(parts), [*params, *or_params]) if parts else ("", [])

    def _normalise_filters(self, filters) -> list[tuple]:
        out: list[tuple] = []
        if not filters:
            return out
        if isinstance(filters, str):
            return [(self.doctype, "name", "=", filters)]
        if isinstance(filters, dict):
            for key, value in filters.items():
                if isinstance(value, (list, tuple)) and value and isinstance(value[0], str) and value[0].lower() in _OPERATORS | {"not set", "set"}:
                    op = value[0]
                    val = value[1] if len(value) > 1 else None
                else:
                    op, val = "=", value
                out.append((self.doctype, key, op, val))
            return out
        for f in filters:
            if isinstance(f, dict):
                out.extend(self._normalise_filters(f))
            elif len(f) == 4:
                out.append(tuple(f))
            elif len(f) == 3:
                out.append((self.doctype, *f))
            elif len(f) == 2:
                out.append((self.doctype, f[0], "=", f[1]))
            else:
                raise StandinStrictError(f"Invalid filter {f!r}")
        return out

    def _conditions(self, filters) -> tuple[list[str], list]:
        from frappe.model.meta import get_meta

        conditions, params = [], []
        for doctype, field, op, value in self._normalise_filters(filters):
            op = op.lower().strip()
            if op == "<>":
                op = "!="
            if op not in _OPERATORS:
                raise StandinStrictError(f"Filter operator {op!r} is not supported by the stand-in ({field})")
            if doctype and doctype != self.doctype:
                child_meta = get_meta(doctype)
                if not child_meta.istable:
                    raise StandinStrictError(f"Filter on {doctype} which is not a child table of {self.doctype}")
                sub = DatabaseQuery(doctype)
                cond, cond_params = sub._condition(child_meta, f"`tab{doctype}`", field, op, value)
                conditions.append(
                    f"{self.table}.`name` in (select `parent` from `tab{doctype}` where `parenttype`=%s and {cond})"
                )
                params.extend([self.doctype, *cond_params])
                continue
            cond, cond_params = self._condition(self.meta, self.table, field, op, value)
            conditions.append(cond)
            params.extend(cond_params)
        return conditions, params

    def _condition(self, meta, table: str, field: str, op: str, value) -> tuple[str, list]:
        field = field.strip("`")
        if field not in self._columns(meta):
            raise UnknownFieldError(f"{meta.name} has no field {field!r} (filter)")
        df = meta.get_field(field)
        fieldtype = df.fieldtype if df else ("Int" if field in ("docstatus", "idx") else "Datetime" if field in ("creation", "modified") else "Data")
        numeric = fieldtype in numeric_fieldtypes
        fallback = "0" if numeric else "''"
        col = f"{table}.`{field}`"
        value = _plain(value)
        if op == "is":
            wanted = str(value).lower()
            if wanted == "set":
                return f"ifnull({col}, {fallback}) != {fallback}", []
            if wanted == "not set":
                return f"ifnull({col}, {fallback}) = {fallback}", []
            raise StandinStrictError(f"'is' filter needs 'set' or 'not set', got {value!r}")
        if op in ("in", "not in"):
            values = value
            if isinstance(values, str):
                values = [v.strip() for v in values.split(",")]
            values = [_plain(v) for v in (values or [])]
            if not values:
                values = [""]
            placeholders = ", ".join(["%s"] * len(values))
            if op == "in":
                return f"{col} in ({placeholders})", values
            return f"ifnull({col}, {fallback}) not in ({placeholders})", values
        if op in ("between", "not between"):
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise StandinStrictError(f"'between' filter needs [from, to], got {value!r}")
            start, end = (_plain(v) for v in value)
            if fieldtype == "Datetime" and isinstance(end, str) and len(end) == 10:
                end = end + " 23:59:59.999999"
            if fieldtype == "Datetime" and isinstance(start, str) and len(start) == 10:
                start = start + " 00:00:00"
            return f"{col} {op} %s and %s", [start, end]
        if op in ("like", "not like"):
            if op == "like":
                return f"{col} like %s", [value]
            return f"ifnull({col}, '') not like %s", [value]
        if value is None:
            if op == "=":
                return f"ifnull({col}, {fallback}) = {fallback}", []
            if op == "!=":
                return f"ifnull({col}, {fallback}) != {fallback}", []
        if op == "!=":
            return f"ifnull({col}, {fallback}) != %s", [value]
        return f"{col} {op} %s", [value]

    # -- ordering ----------------------------------------------------------------------------------
    def _order_by_sql(self, order_by) -> str:
        if order_by == DefaultOrderBy or order_by is None:
            return f" order by {self.table}.`{self.meta.sort_field or 'modified'}` {self.meta.sort_order or 'desc'}"
        if not order_by:
            return ""
        parts = []
        for piece in order_by.split(","):
            piece = piece.strip()
            if not piece:
                continue
            match = _ORDER_PART.match(piece)
            expr, direction = match.group("expr").strip(), (match.group("dir") or "").lower()
            agg = _AGGREGATE.match(expr)
            if agg:
                arg = agg.group("arg").strip()
                column = f"{agg.group('func')}({'*' if arg == '*' else self._resolve_column(arg)})"
            else:
                column = self._resolve_column(expr, allow_alias=True)
            parts.append(f"{column} {direction}".strip())
        return " order by " + ", ".join(parts) if parts else ""

    # -- execute -------------------------------------------------------------------------------------
    def execute(
        self, fields=None, filters=None, or_filters=None, docstatus=None, group_by=None, order_by=DefaultOrderBy,
        limit_start=False, limit_page_length=None, as_list=False, with_childnames=False, debug=False,
        ignore_permissions=False, user=None, with_comment_count=False, join="left join", distinct=False,
        start=None, page_length=None, limit=None, ignore_ifnull=False, save_user_settings=False,
        save_user_settings_fields=False, update=None, user_settings=None, reference_doctype=None, run=True,
        strict=True, pluck=None, ignore_ddl=False, *, parent_doctype=None, for_update=False,
        keep_default_order=False, skip_locked=False, wait=True,
    ):
        if isinstance(fields, dict) or (fields and isinstance(fields, list) and isinstance(fields[0], list)):
            filters, fields = fields, filters
        elif fields and isinstance(filters, list) and len(filters) > 1 and isinstance(filters[0], str):
            filters, fields = fields, filters
        if isinstance(fields, str):
            fields = [f.strip() for f in fields.split(",")] if fields != "*" else ["*"]
        if pluck:
            fields = [pluck]
        fields = list(fields or ["name"])

        if not ignore_permissions:
            self._check_read_permission(user, parent_doctype)

        limit_start = start if start is not None else limit_start
        limit_page_length = limit or page_length or limit_page_length
        if docstatus:
            filters = self._normalise_filters(filters) + [(self.doctype, "docstatus", "in", list(docstatus))]

        select = ", ".join(self._field_sql(f) for f in fields)
        where, params = self.where_clause(filters, or_filters)
        query = f"select {'distinct ' if distinct else ''}{select} from {self.table}{''.join(self.joins.values())}{where}"
        if group_by:
            query += " group by " + ", ".join(self._resolve_column(g, allow_alias=True) for g in group_by.split(","))
        query += self._order_by_sql(order_by)
        if limit_page_length:
            query += f" limit {int(limit_page_length)}"
            if limit_start:
                query += f" offset {int(limit_start)}"
        elif limit_start:
            unlimited = "18446744073709551615" if frappe.db.backend == "mariadb" else "-1"
            query += f" limit {unlimited} offset {int(limit_start)}"
        if for_update:
            query += " for update" + (" skip locked" if skip_locked else "" if wait else " nowait")
        if not run:
            return query
        if pluck:
            return frappe.db.sql(query, params, pluck=True, debug=debug)
        return frappe.db.sql(query, params, as_dict=not as_list, debug=debug)

    def _check_read_permission(self, user=None, parent_doctype=None) -> None:
        import frappe.permissions

        doctype = parent_doctype if (self.meta.istable and parent_doctype) else self.doctype
        if not (
            frappe.permissions.has_permission(doctype, "select", user=user)
            or frappe.permissions.has_permission(doctype, "read", user=user)
        ):
            frappe.flags.error_message = f"Insufficient Permission for {frappe.bold(doctype)}"
            frappe.throw(f"No permission to read {doctype}", frappe.PermissionError)


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


__all__ = ["DatabaseQuery", "DefaultOrderBy", "default_fields"]
