"""Subset of frappe.query_builder (``frappe.qb``): pypika's MySQL dialect, run through ``frappe.db.sql``.

Real Frappe (v15 and v16 alike, frappe/query_builder/builder.py ``MariaDB``) makes ``frappe.qb`` a pypika
``MySQLQuery`` whose ``DocType("X")`` is the table ``tabX``, whose ``from_("X")`` takes a DocType name, and whose
queries gain ``.run(*args, **kwargs)`` = ``frappe.db.sql(query, params, *args, **kwargs)`` with the values bound
as parameters. The stand-in provides SELECT queries only (what the app uses), and is strict: a column the DocType
does not have fails at once (``UnknownFieldError``), as MariaDB would fail on ``Unknown column``.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from pypika import Order, Table  # noqa: F401 - frappe.query_builder re-exports Order
from pypika.dialects import MySQLQuery, MySQLQueryBuilder
from pypika.terms import Field, PyformatParameter

import frappe
from frappe.exceptions import StandinStrictError, StrictTypeError, UnknownFieldError

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(?P<tz>[+-]\d{2}:\d{2}|Z)?$")


class DocType(Table):
    """``frappe.qb.DocType(doctype)``: the table ``tab<doctype>``; fields are checked against the DocType."""

    def __init__(self, doctype: str, *args: Any, **kwargs: Any) -> None:
        from frappe.model.meta import get_meta

        meta = get_meta(doctype)  # MissingSchemaError for an unknown DocType
        self._standin_columns = _columns_of(meta)
        self._standin_doctype = doctype
        super().__init__(f"tab{doctype}", *args, **kwargs)

    def field(self, name: str) -> Field:
        if name.startswith("_"):  # pypika probes private attributes through __getattr__ -> field()
            raise AttributeError(name)
        if name != "*" and name not in self._standin_columns:
            raise UnknownFieldError(
                f"{self._standin_doctype} has no field {name!r} (MariaDB would fail: Unknown column '{name}')"
            )
        return super().field(name)


def _columns_of(meta) -> set[str]:
    from frappe.model import child_table_fields, optional_fields

    columns = set(meta.get_valid_columns()) | {"name"}
    return columns | set(child_table_fields if meta.istable else optional_fields)


class StandinQueryBuilder(MySQLQueryBuilder):
    def run(self, *args: Any, **kwargs: Any):
        """frappe/query_builder/utils.py ``execute_query``: the query's values become parameters of frappe.db.sql."""
        parameter = PyformatParameter()
        query = self.get_sql(parameter=parameter)
        params = {key: _db_value(value) for key, value in parameter.get_parameters().items()}
        return frappe.db.sql(query, params, *args, **kwargs)

    def update(self, *args: Any, **kwargs: Any):
        raise StandinStrictError("the stand-in's frappe.qb builds SELECT queries only; write through documents/frappe.db")

    def delete(self, *args: Any, **kwargs: Any):
        raise StandinStrictError("the stand-in's frappe.qb builds SELECT queries only; write through documents/frappe.db")


def _db_value(value):
    """pypika renders datetimes with isoformat(): MariaDB takes 'YYYY-MM-DDTHH:MM:SS' as a DATETIME; SQLite needs a space."""
    if isinstance(value, str) and (match := _ISO_DATETIME.match(value)):
        if match.group("tz"):
            raise StrictTypeError(f"timezone-aware datetime {value!r} in a query: MariaDB DATETIME columns are naive")
        return value.replace("T", " ", 1)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    return value


class StandinQuery(MySQLQuery):
    """``frappe.qb``."""

    @classmethod
    def _builder(cls, **kwargs: Any) -> StandinQueryBuilder:
        return StandinQueryBuilder(**kwargs)

    @classmethod
    def from_(cls, table, **kwargs: Any) -> StandinQueryBuilder:
        if isinstance(table, str):
            table = DocType(table)
        return cls._builder(**kwargs).from_(table)

    @staticmethod
    def DocType(doctype: str, *args: Any, **kwargs: Any) -> DocType:  # noqa: N802 - frappe's name
        return DocType(doctype, *args, **kwargs)

    @classmethod
    def into(cls, *args: Any, **kwargs: Any):
        raise StandinStrictError("the stand-in's frappe.qb builds SELECT queries only; write through documents/frappe.db")

    @classmethod
    def update(cls, *args: Any, **kwargs: Any):
        raise StandinStrictError("the stand-in's frappe.qb builds SELECT queries only; write through documents/frappe.db")


def get_query_builder(type_of_db: str = "mariadb") -> type[StandinQuery]:
    return StandinQuery
