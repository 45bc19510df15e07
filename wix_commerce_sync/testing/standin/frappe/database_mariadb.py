"""``frappe.db`` on a real MariaDB, the way Frappe v15 talks to it (frappe/database/mariadb/database.py).

Same client (PyMySQL), same conversions (DECIMAL -> float, DATETIME -> datetime), utf8mb4_unicode_ci tables
on InnoDB with Frappe's column types (varchar(140), datetime(6), decimal(21,9), int(1) checks, longtext ...),
the server's REPEATABLE READ, real row locks (``for update`` / ``skip locked`` / ``nowait``), the DocTypes'
unique and search indexes, and explicit commits: nothing here auto-commits except DDL, as on MariaDB.

A site's database is ``conf.db_name`` on the server named by ``db_host``/``db_port`` (``scripts/mariadb.sh``
starts a private one). Selected by ``db_type: mariadb`` in site_config.json (``WCS_DB=mariadb`` for the tests).
"""

# ruff: noqa: S608 - this is the SQL layer: table/column names come from DocType metadata, values are bound

from __future__ import annotations

import datetime
import os
import re

import pymysql
from pymysql.constants import ER, FIELD_TYPE
from pymysql.converters import conversions

import frappe
from frappe.database import Database
from frappe.exceptions import ImplicitCommitError

VARCHAR_LEN = 140
# frappe/database/mariadb/database.py: setup_type_map
TYPE_MAP = {
    "Currency": "decimal(21,9)", "Int": "int(11)", "Long Int": "bigint(20)", "Float": "decimal(21,9)",
    "Percent": "decimal(21,9)", "Check": "int(1)", "Small Text": "text", "Long Text": "longtext", "Code": "longtext",
    "Text Editor": "longtext", "Markdown Editor": "longtext", "HTML Editor": "longtext", "Date": "date",
    "Datetime": "datetime(6)", "Time": "time(6)", "Text": "text", "Data": "varchar", "Link": "varchar",
    "Dynamic Link": "varchar", "Password": "text", "Select": "varchar", "Rating": "decimal(3,2)",
    "Read Only": "varchar", "Attach": "text", "Attach Image": "text", "Signature": "longtext", "Color": "varchar",
    "Barcode": "longtext", "Geolocation": "longtext", "Duration": "decimal(21,9)", "Icon": "varchar",
    "Phone": "varchar", "Autocomplete": "varchar", "JSON": "json",
}  # fmt: skip
NUMERIC = {"Currency", "Int", "Long Int", "Float", "Percent", "Check", "Rating"}
TABLE_OPTIONS = "ENGINE=InnoDB ROW_FORMAT=DYNAMIC CHARACTER SET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

_FOR_UPDATE = re.compile(r"\bfor\s+update\b", re.I)
_DDL = re.compile(r"^\s*(create|alter|drop|truncate|rename)\b", re.I)
_WRITE = re.compile(r"^\s*(insert|update|delete|replace)\b", re.I)
_TXN = re.compile(r"^\s*(commit|rollback|begin|start|savepoint|release)\b", re.I)


def _to_datetime(value):
    text = value.decode() if isinstance(value, bytes) else value
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return text  # zero dates and the like: as Frappe's get_datetime would not parse them either


CONVERSION_MAP = conversions | {FIELD_TYPE.NEWDECIMAL: float, FIELD_TYPE.DATETIME: _to_datetime}


def server_settings(conf: dict | None = None) -> dict:
    """Where the server is: site_config first, then the WCS_DB_* environment (scripts/mariadb.sh prints it)."""
    conf = conf or {}
    return {
        "host": conf.get("db_host") or os.environ.get("WCS_DB_HOST", "127.0.0.1"),
        "port": int(conf.get("db_port") or os.environ.get("WCS_DB_PORT", "3307")),
        "user": conf.get("db_user") or os.environ.get("WCS_DB_USER", "wcs"),
        "password": conf.get("db_password") or os.environ.get("WCS_DB_PASSWORD", "wcs"),
    }


def server_connection(settings: dict, database: str | None = None) -> pymysql.connections.Connection:
    return pymysql.connect(
        **settings, database=database, charset="utf8mb4", use_unicode=True, conv=CONVERSION_MAP, autocommit=False,
        connect_timeout=10,
    )


def _server_statement(settings: dict, statement: str) -> None:
    conn = server_connection(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def create_database(settings: dict, name: str) -> None:
    _server_statement(settings, f"create database if not exists `{name}` character set utf8mb4 collate utf8mb4_unicode_ci")


def drop_database(settings: dict, name: str) -> None:
    _server_statement(settings, f"drop database if exists `{name}`")


class MariaDBDatabase(Database):
    backend = "mariadb"
    IntegrityError = pymysql.IntegrityError

    def __init__(self, settings: dict, db_name: str, site: str, busy_timeout: float = 20.0):  # noqa: D107
        self.settings = dict(settings)
        self.db_name = db_name
        self.path = None
        self.site = site
        self.busy_timeout = busy_timeout
        self._conn = server_connection(self.settings, db_name)
        with self._conn.cursor() as cur:
            cur.execute(f"set session innodb_lock_wait_timeout={max(1, int(busy_timeout))}")
        self._init_session_state()

    @classmethod
    def from_conf(cls, conf: dict, site: str, busy_timeout: float = 20.0) -> MariaDBDatabase:
        return cls(server_settings(conf), conf["db_name"], site=site, busy_timeout=busy_timeout)

    def new_connection(self) -> MariaDBDatabase:
        return type(self)(self.settings, self.db_name, site=self.site, busy_timeout=self.busy_timeout)

    # -- connection ------------------------------------------------------------------------------
    def close(self) -> None:
        try:
            if self._conn.open:
                self._conn.rollback()
        finally:
            if self._conn.open:
                self._conn.close()

    def _ensure_write(self) -> None:
        self._in_write_txn = True  # InnoDB starts the transaction itself at the first statement

    def begin(self, *, read_only: bool = False) -> None:
        self._raw("start transaction")
        self._in_write_txn = True

    def _raw(self, query: str, values=None):
        self.statement_count += 1
        if self.statement_log is not None:
            self.statement_log.append(query)
        cursor = self._conn.cursor()
        cursor.execute(query, values)
        return cursor

    # -- sql -------------------------------------------------------------------------------------
    def sql(
        self, query: str, values=(), as_dict=0, as_list=0, debug=0, ignore_ddl=0, auto_commit=0, update=None,
        explain=False, run=True, pluck=False, as_iterator=False,
    ):
        if not run:
            return query
        query = query.strip()
        if _TXN.match(query):
            return self._transaction_statement(query)
        is_ddl = bool(_DDL.match(query))
        if is_ddl and self.transaction_writes:
            raise ImplicitCommitError("This statement can cause implicit commit")
        is_write = bool(_WRITE.match(query))
        if is_write or _FOR_UPDATE.search(query):
            self._in_write_txn = True
        if values in ((), [], None):
            values = None
        elif isinstance(values, set):
            values = tuple(values)
        elif not isinstance(values, (list, tuple, dict)):
            values = (values,)
        self.last_query = query
        if debug:
            print(query, values)
        try:
            cursor = self._raw(query, values)
        except (pymysql.OperationalError, pymysql.InternalError) as exc:
            code = exc.args[0] if exc.args else None
            if code == ER.BAD_FIELD_ERROR:
                raise frappe.UnknownFieldError(f"{exc} in query: {query}") from exc  # noqa: F405
            if code == ER.LOCK_WAIT_TIMEOUT:
                raise frappe.QueryTimeoutError(str(exc)) from exc  # noqa: F405
            if code == ER.LOCK_DEADLOCK:
                raise frappe.QueryDeadlockError(str(exc)) from exc  # noqa: F405
            raise
        except TypeError as exc:  # pymysql: wrong number of values for the placeholders
            raise frappe.StandinStrictError(f"{exc} for the placeholders of: {query}") from exc
        self._cursor = cursor
        if is_write:
            self.transaction_writes += 1
        if is_ddl:
            self._commit_raw()
        return self._rows(cursor, pluck=pluck, as_dict=as_dict, as_list=as_list)

    def escape(self, s, percent: bool = True) -> str:
        text = pymysql.converters.escape_string(frappe.utils.cstr(s)).replace("`", "\\`")
        if percent:
            text = text.replace("%", "%%")
        return f"'{text}'"

    # -- transactions ----------------------------------------------------------------------------
    def _commit_raw(self) -> None:
        self.statement_count += 1
        if self.statement_log is not None:
            self.statement_log.append("commit")
        self._conn.commit()
        self._in_write_txn = False
        self.transaction_writes = 0

    def rollback(self, *, save_point: str | None = None, chain: bool = False) -> None:
        if save_point:
            self._raw(f"rollback to savepoint `{save_point}`")
            return
        self.before_commit.reset()
        self.after_commit.reset()
        self.before_rollback.run()
        self.statement_count += 1
        self._conn.rollback()
        self._in_write_txn = False
        self.transaction_writes = 0
        self.value_cache.clear()
        frappe.cache().delete_value("defaults")  # a rolled-back default must not stay cached
        self.after_rollback.run()

    def savepoint(self, save_point: str) -> None:
        self._in_write_txn = True
        self._raw(f"savepoint `{save_point}`")

    def release_savepoint(self, save_point: str) -> None:
        self._raw(f"release savepoint `{save_point}`")

    # -- schema helpers --------------------------------------------------------------------------
    def table_exists(self, doctype: str, cached: bool = True) -> bool:
        return f"tab{doctype}" in self.get_tables()

    def get_tables(self, cached: bool = True) -> list[str]:
        cursor = self._raw(
            "select table_name from information_schema.tables where table_schema=%s", (self.db_name,)
        )
        return [r[0] for r in cursor.fetchall()]

    def get_db_table_columns(self, table):
        cursor = self._raw(
            "select column_name from information_schema.columns where table_schema=%s and table_name=%s "
            "order by ordinal_position", (self.db_name, table),
        )  # fmt: skip
        return [r[0] for r in cursor.fetchall()]

    def get_table_columns(self, doctype: str) -> list[str]:
        return self.get_db_table_columns(f"tab{doctype}")

    def has_index(self, table: str, index_name: str) -> bool:
        cursor = self._raw(
            "select 1 from information_schema.statistics where table_schema=%s and table_name=%s and index_name=%s",
            (self.db_name, table, index_name),
        )
        return bool(cursor.fetchall())

    def is_primary_key_violation(self, exc: Exception) -> bool:
        return (isinstance(exc, pymysql.IntegrityError) and exc.args[0] == ER.DUP_ENTRY
                and "PRIMARY" in str(exc.args[1]))  # fmt: skip

    def is_unique_key_violation(self, exc: Exception) -> bool:
        return isinstance(exc, pymysql.IntegrityError) and exc.args[0] == ER.DUP_ENTRY

    def unique_violation_field(self, exc: Exception) -> str:
        # "Duplicate entry 'x' for key 'dedupe_key'": Frappe names a unique index after its field
        match = re.search(r"for key '(?:[^'.]*\.)?([^']+)'", str(exc.args[1] if exc.args else exc))
        return match.group(1) if match else ""

    def truncate(self, doctype: str):
        self.commit()
        self._raw(f"truncate `tab{doctype}`")

    def add_index(self, doctype, fields, index_name=None):
        """frappe: ``ALTER TABLE ADD INDEX`` when missing; the index is named ``field1_field2_index``."""
        name = index_name or "_".join(fields) + "_index"
        if not self.has_index(f"tab{doctype}", name):
            self.commit()
            self.sql(f"alter table `tab{doctype}` add index `{name}`({', '.join(f'`{f}`' for f in fields)})")

    def add_unique(self, doctype, fields, constraint_name=None):
        if isinstance(fields, str):
            fields = [fields]
        name = constraint_name or "unique_" + "_".join(fields)
        if not self.has_index(f"tab{doctype}", name):
            self.commit()
            self.sql(f"alter table `tab{doctype}` add unique `{name}`({', '.join(f'`{f}`' for f in fields)})")

    # -- schema (the stand-in's migrate) --------------------------------------------------------------
    def create_system_tables(self) -> None:
        for ddl in (
            "create table if not exists `tabSingles` (`doctype` varchar(255), `field` varchar(255), `value` text, "
            "index `singles_doctype_field_index` (`doctype`, `field`))",
            "create table if not exists `tabSeries` (`name` varchar(100) not null primary key, "
            "`current` int(10) not null default 0)",
            "create table if not exists `tabDefaultValue` (`name` varchar(255) not null primary key, "
            "`parent` varchar(255), `parenttype` varchar(255), `defkey` varchar(255), `defvalue` text, "
            "`creation` datetime(6), index `defaultvalue_parent_defkey_index` (`parent`, `defkey`))",
            "create table if not exists `__Auth` (`doctype` varchar(140) not null, `name` varchar(255) not null, "
            "`fieldname` varchar(140) not null, `password` text not null, `encrypted` int(1) not null default 0, "
            "primary key (`doctype`, `name`, `fieldname`))",
        ):
            self.sql(f"{ddl} {TABLE_OPTIONS}")

    def sync_table(self, meta, data_fields) -> None:
        """frappe/database/mariadb/schema.py: CREATE TABLE, else ADD the missing columns; then the indexes."""
        table = f"tab{meta.name}"
        if not self.table_exists(meta.name):
            columns = [
                f"`name` varchar({VARCHAR_LEN}) not null", "`creation` datetime(6)", "`modified` datetime(6)",
                f"`modified_by` varchar({VARCHAR_LEN})", f"`owner` varchar({VARCHAR_LEN})",
                "`docstatus` int(1) not null default 0", "`idx` int(8) not null default 0",
            ]
            if meta.istable:
                columns += [f"`parent` varchar({VARCHAR_LEN})", f"`parentfield` varchar({VARCHAR_LEN})",
                            f"`parenttype` varchar({VARCHAR_LEN})"]  # fmt: skip
            else:
                columns += ["`_user_tags` text", "`_comments` text", "`_assign` text", "`_liked_by` text", "`_seen` text"]
            columns += [column_definition(df) for df in data_fields]
            keys = ["primary key (`name`)", "index `modified`(`modified`)", "index `creation`(`creation`)"]
            if meta.istable:
                keys.append("index `parent`(`parent`)")
            self.sql(f"create table `{table}` ({', '.join(columns + keys)}) {TABLE_OPTIONS}")
        else:
            existing = set(self.get_table_columns(meta.name))
            missing = [df for df in data_fields if df.fieldname not in existing]
            if missing:
                adds = ", ".join(f"add column {column_definition(df)}" for df in missing)
                self.sql(f"alter table `{table}` {adds}")
        for df in data_fields:
            if df.unique and not self.has_index(table, df.fieldname):
                self.sql(f"alter table `{table}` add unique index `{df.fieldname}` ({_index_column(df)})")
            elif df.search_index and not df.unique and not self.has_index(table, f"{df.fieldname}_index"):
                self.sql(f"alter table `{table}` add index `{df.fieldname}_index` ({_index_column(df)})")

    def register_doctype_row(self, values: dict) -> None:
        columns = ", ".join(f"`{k}`" for k in values)
        self.sql(
            f"replace into `tabDocType` ({columns}) values ({', '.join(['%s'] * len(values))})", list(values.values())
        )
        self.commit()

    def upsert_password_sql(self) -> str:
        return ("insert into `__Auth` (`doctype`, `name`, `fieldname`, `password`, `encrypted`) "
                "values (%s, %s, %s, %s, 1) on duplicate key update `password`=values(`password`), `encrypted`=1")  # fmt: skip


def _column_type(df) -> str:
    kind = TYPE_MAP.get(df.fieldtype, "text")
    if kind == "varchar":
        length = int(getattr(df, "length", 0) or 0) or VARCHAR_LEN
        return f"varchar({length})"
    return kind


def column_definition(df) -> str:
    kind = _column_type(df)
    if df.fieldtype in NUMERIC:
        default = getattr(df, "default", None)
        try:
            default_sql = str(float(default)) if default not in (None, "") else "0"
        except (TypeError, ValueError):
            default_sql = "0"
        if df.fieldtype in ("Check", "Int", "Long Int"):
            default_sql = str(int(float(default_sql)))
        return f"`{df.fieldname}` {kind} not null default {default_sql}"
    return f"`{df.fieldname}` {kind}"


def _index_column(df) -> str:
    kind = _column_type(df)
    return f"`{df.fieldname}`(255)" if kind in ("text", "longtext", "json") else f"`{df.fieldname}`"
