"""``frappe.db`` on SQLite: one file per site, one connection per thread (frappe.local is thread-local).

Transactions: reads run outside a transaction (they see the latest committed data, like READ COMMITTED);
the first write, ``for_update`` read or savepoint starts ``BEGIN IMMEDIATE``, which takes the site's single
write lock (waiting up to ``busy_timeout``). Writers are therefore serialised until commit/rollback — the
strongest form of MariaDB row locking, which keeps "two workers claim one job" and "two concurrent inserts"
honest: the second writer waits, then sees the first one's committed row (or hits the UNIQUE index).
"""

# ruff: noqa: S608 - this is the SQL layer: table/column names come from DocType metadata, values are bound

from __future__ import annotations

import datetime
import decimal
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable

import frappe
from frappe.exceptions import ImplicitCommitError, StandinStrictError

DefaultOrderBy = "KEEP_DEFAULT_ORDERING"
EmptyQueryValues = object()


def _parse_date(raw: bytes):
    text = raw.decode()
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return text


def _parse_datetime(raw: bytes):
    text = raw.decode()
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return text


def _parse_time(raw: bytes):
    text = raw.decode()
    try:
        parts = text.split(":")
        hours, minutes = int(parts[0]), int(parts[1])
        seconds = float(parts[2]) if len(parts) > 2 else 0.0
        return datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (ValueError, IndexError):
        return text


def _adapt_timedelta(value: datetime.timedelta) -> str:
    total = value.total_seconds()
    hours, rest = divmod(int(total), 3600)
    minutes, seconds = divmod(rest, 60)
    micro = value.microseconds
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}" + (f".{micro:06d}" if micro else "")


sqlite3.register_converter("FDATE", _parse_date)
sqlite3.register_converter("FDATETIME", _parse_datetime)
sqlite3.register_converter("FTIME", _parse_time)
sqlite3.register_adapter(datetime.datetime, lambda v: v.isoformat(sep=" "))
sqlite3.register_adapter(datetime.date, lambda v: v.isoformat())
sqlite3.register_adapter(datetime.time, lambda v: v.isoformat())
sqlite3.register_adapter(datetime.timedelta, _adapt_timedelta)
sqlite3.register_adapter(decimal.Decimal, float)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")
_FOR_UPDATE = re.compile(r"\s+for\s+update(\s+(skip\s+locked|nowait))?\s*$", re.I)
_DDL = re.compile(r"^\s*(create|alter|drop|truncate|rename)\b", re.I)
_INDEX_HINT = re.compile(r"\s+(force|use|ignore)\s+index\s*\(\s*`?\w+`?\s*\)", re.I)  # MariaDB only
_WRITE = re.compile(r"^\s*(insert|update|delete|replace)\b", re.I)
_TXN = re.compile(r"^\s*(commit|rollback|begin|start|savepoint|release)\b", re.I)


class CallbackManager:
    """frappe.utils.CallbackManager: run-once callbacks."""

    def __init__(self) -> None:
        self._functions: deque[Callable] = deque()

    def add(self, func: Callable) -> None:
        self._functions.append(func)

    def run(self) -> None:
        while self._functions:
            self._functions.popleft()()

    def reset(self) -> None:
        self._functions.clear()

    def __len__(self) -> int:
        return len(self._functions)


class _NamedLocks:
    """MariaDB's GET_LOCK / RELEASE_LOCK for the embedded backend: one owner connection per name, freed when the
    connection closes. Shared by the threads of one process (an embedded site has no second process writing)."""

    def __init__(self) -> None:
        self._owners: dict[str, object] = {}
        self._changed = threading.Condition()

    def get(self, owner: object, name: str, timeout: float) -> int:
        deadline = time.monotonic() + max(0.0, float(timeout or 0))
        with self._changed:
            while self._owners.get(name) not in (None, owner):
                left = deadline - time.monotonic()
                if left <= 0:
                    return 0
                self._changed.wait(left)
            self._owners[name] = owner
            return 1

    def release(self, owner: object, name: str) -> int | None:
        with self._changed:
            if name not in self._owners:
                return None
            if self._owners[name] is not owner:
                return 0
            del self._owners[name]
            self._changed.notify_all()
            return 1

    def release_all(self, owner: object) -> None:
        with self._changed:
            for name in [n for n, o in self._owners.items() if o is owner]:
                del self._owners[name]
            self._changed.notify_all()


_named_locks = _NamedLocks()


class Database:
    """The embedded backend (SQLite). ``frappe.connect`` picks ``MariaDBDatabase`` when the site's
    ``db_type`` is ``mariadb``; both expose the same ``frappe.db`` API and the same schema helpers."""

    db_type = "mariadb"  # app code targets MariaDB; the stand-in translates the portable subset
    backend = "sqlite"
    IntegrityError = sqlite3.IntegrityError
    VARCHAR_LEN = 140
    MAX_COLUMN_LENGTH = 64
    REGEX_CHARACTER = "regexp"
    DefaultOrderBy = DefaultOrderBy

    def __init__(self, path: str, site: str, busy_timeout: float = 20.0):
        self.path = path
        self.site = site
        self.busy_timeout = busy_timeout
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES,
            check_same_thread=False,
        )
        self._conn.execute(f"pragma busy_timeout={int(busy_timeout * 1000)}")
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma synchronous=normal")
        self._conn.create_function("regexp", 2, _regexp, deterministic=True)
        self._conn.create_function("now", 0, frappe.utils.now)
        self._conn.create_function("curdate", 0, frappe.utils.nowdate)
        self._conn.create_function("get_lock", 2, lambda name, timeout: _named_locks.get(self, name, timeout))
        self._conn.create_function("release_lock", 1, lambda name: _named_locks.release(self, name))
        self._init_session_state()

    def _init_session_state(self) -> None:
        """Per-connection transaction state, caches, callbacks and statement counters (every backend)."""
        self._in_write_txn = False
        self.transaction_writes = 0
        self.value_cache: dict = {}
        self.before_commit = CallbackManager()
        self.after_commit = CallbackManager()
        self.before_rollback = CallbackManager()
        self.after_rollback = CallbackManager()
        self.last_query = None
        self._cursor = None
        self.statement_count = 0  # every statement sent to the database (tests and benchmarks count them)
        self.statement_log: list[str] | None = None  # a list: every statement is appended (tests)

    # -- connection ------------------------------------------------------------------------------
    def close(self) -> None:
        try:
            if self._in_write_txn:
                self._conn.execute("rollback")
        finally:
            _named_locks.release_all(self)  # as MariaDB frees a session's named locks when it ends
            self._conn.close()

    def connect(self):
        return self

    @property
    def in_transaction(self) -> bool:
        return self._in_write_txn

    def begin(self, *, read_only: bool = False) -> None:
        """Start the write transaction now (frappe begins lazily on MariaDB too; this takes the write lock)."""
        self._ensure_write()

    def _ensure_write(self) -> None:
        if not self._in_write_txn:
            try:
                self._conn.execute("begin immediate")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise frappe.QueryTimeoutError(  # noqa: F405
                        f"Lock wait timeout exceeded ({self.busy_timeout}s): another connection holds the site's "
                        "write lock and did not commit/rollback"
                    ) from exc
                raise
            self._in_write_txn = True

    # -- sql -------------------------------------------------------------------------------------
    def sql(
        self, query: str, values=(), as_dict=0, as_list=0, debug=0, ignore_ddl=0, auto_commit=0, update=None,
        explain=False, run=True, pluck=False, as_iterator=False,
    ):
        if not run:
            return query
        query = query.strip()
        for_update = bool(_FOR_UPDATE.search(query))
        if for_update:
            query = _FOR_UPDATE.sub("", query)
        if _TXN.match(query):
            return self._transaction_statement(query)
        is_ddl = bool(_DDL.match(query))
        if is_ddl and self.transaction_writes:
            raise ImplicitCommitError("This statement can cause implicit commit")
        sql_query, params = translate_query(_INDEX_HINT.sub("", query), values)
        if for_update or _WRITE.match(query) or is_ddl:
            self._ensure_write()
        self.last_query = sql_query
        if debug:
            print(sql_query, params)
        self.statement_count += 1
        if self.statement_log is not None:
            self.statement_log.append(sql_query)
        try:
            cursor = self._conn.execute(sql_query, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.OperationalError as exc:
            if "no such column" in str(exc):
                raise frappe.UnknownFieldError(f"{exc} in query: {sql_query}") from exc  # noqa: F405
            if "locked" in str(exc) or "busy" in str(exc):
                raise frappe.QueryTimeoutError(str(exc)) from exc  # noqa: F405
            raise
        self._cursor = cursor
        if _WRITE.match(query):
            self.transaction_writes += 1
        if is_ddl:
            self._commit_raw()
        return self._rows(cursor, pluck=pluck, as_dict=as_dict, as_list=as_list)

    @staticmethod
    def _rows(cursor, *, pluck, as_dict, as_list):
        """A fetched result in the shape ``frappe.db.sql`` gives (Frappe's own rules for these flags)."""
        if cursor.description is None:
            return ()
        rows = cursor.fetchall()
        if pluck:
            return [r[0] for r in rows]
        if as_dict:
            keys = [d[0] for d in cursor.description]
            return [frappe._dict(zip(keys, r, strict=False)) for r in rows]
        if as_list:
            return [list(r) for r in rows]
        return tuple(tuple(r) for r in rows)

    def _transaction_statement(self, query: str):
        word = query.split()[0].lower()
        if word == "commit":
            self.commit()
        elif word == "rollback" and " to " not in query.lower():
            self.rollback()
        elif word == "rollback":
            self.rollback(save_point=query.split()[-1])
        elif word == "savepoint":
            self.savepoint(query.split()[-1])
        elif word == "release":
            self.release_savepoint(query.split()[-1])
        elif word in ("begin", "start"):
            self.begin()
        return ()

    def sql_ddl(self, query: str, debug: bool = False) -> None:
        self.commit()
        self.sql(query, debug=debug)

    def sql_list(self, query, values=(), debug=False, **kwargs):
        return self.sql(query, values, pluck=True, debug=debug, **kwargs)

    def multisql(self, sql_dict, values=(), **kwargs):
        return self.sql(sql_dict.get("mariadb"), values, **kwargs)

    def escape(self, s, percent: bool = True) -> str:
        text = frappe.utils.cstr(s).replace("'", "''")
        if percent:
            text = text.replace("%", "%%")
        return f"'{text}'"

    # -- transactions ----------------------------------------------------------------------------
    def _count(self, statement: str) -> None:
        """Transaction statements count like on MariaDB (BEGIN is not one: MariaDB begins implicitly)."""
        self.statement_count += 1
        if self.statement_log is not None:
            self.statement_log.append(statement)

    def _commit_raw(self) -> None:
        if self._in_write_txn:
            self._count("commit")
            self._conn.execute("commit")
            self._in_write_txn = False
        self.transaction_writes = 0

    def commit(self) -> None:
        self.before_rollback.reset()
        self.after_rollback.reset()
        self.before_commit.run()
        self._commit_raw()
        self.value_cache.clear()
        self.after_commit.run()

    def rollback(self, *, save_point: str | None = None, chain: bool = False) -> None:
        if save_point:
            if self._in_write_txn:
                self._count(f"rollback to savepoint {save_point}")
                self._conn.execute(f'rollback to savepoint "{save_point}"')
            return
        self.before_commit.reset()
        self.after_commit.reset()
        self.before_rollback.run()
        if self._in_write_txn:
            self._conn.execute("rollback")
            self._in_write_txn = False
        self.transaction_writes = 0
        self.value_cache.clear()
        frappe.cache().delete_value("defaults")  # a rolled-back default must not stay cached
        self.after_rollback.run()

    def savepoint(self, save_point: str) -> None:
        self._ensure_write()
        self._count(f"savepoint {save_point}")
        self._conn.execute(f'savepoint "{save_point}"')

    def release_savepoint(self, save_point: str) -> None:
        if self._in_write_txn:
            self._count(f"release savepoint {save_point}")
            self._conn.execute(f'release savepoint "{save_point}"')

    # -- schema helpers --------------------------------------------------------------------------
    def table_exists(self, doctype: str, cached: bool = True) -> bool:
        row = self._conn.execute(
            "select 1 from sqlite_master where type='table' and name=?", (f"tab{doctype}",)
        ).fetchone()
        return row is not None

    def get_tables(self, cached: bool = True) -> list[str]:
        return [r[0] for r in self._conn.execute("select name from sqlite_master where type='table'")]

    def get_table_columns(self, doctype: str) -> list[str]:
        return [r[1] for r in self._conn.execute(f'pragma table_info("tab{doctype}")')]

    def has_column(self, doctype: str, column: str) -> bool:
        return column in self.get_table_columns(doctype)

    def is_primary_key_violation(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and str(exc).endswith(".name")

    def is_unique_key_violation(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(exc)

    def is_duplicate_entry(self, exc: Exception) -> bool:
        return self.is_unique_key_violation(exc)

    # -- values ----------------------------------------------------------------------------------
    def get_value(
        self, doctype, filters=None, fieldname="name", ignore=None, as_dict=False, debug=False,
        order_by=DefaultOrderBy, cache=False, for_update=False, *, run=True, pluck=False, distinct=False,
        skip_locked=False, wait=True,
    ):
        key = ("get_value", doctype, filters, fieldname if isinstance(fieldname, str) else tuple(fieldname), as_dict)
        cacheable = cache and run and isinstance(filters, str) and not for_update
        if cacheable and key in self.value_cache:  # frappe: per-connection, until commit/rollback
            return self.value_cache[key]
        rows = self.get_values(
            doctype, filters, fieldname, ignore, as_dict, debug, order_by, cache=cache, for_update=for_update,
            run=run, pluck=pluck, distinct=distinct, limit=1, skip_locked=skip_locked, wait=wait,
        )
        if cacheable:
            value = None if not rows else rows[0] if (pluck or as_dict or len(rows[0]) > 1) else rows[0][0]
            if value is not None:  # a miss is not kept: the record may be made later in the transaction
                self.value_cache[key] = value
            return value
        if not run:
            return rows
        if not rows:
            return None
        row = rows[0]
        if pluck:
            return row
        if as_dict:
            return row
        return row if len(row) > 1 else row[0]

    def get_values(
        self, doctype, filters=None, fieldname="name", ignore=None, as_dict=False, debug=False,
        order_by=DefaultOrderBy, update=None, cache=False, for_update=False, *, run=True, pluck=False,
        distinct=False, limit=None, skip_locked=False, wait=True,
    ):
        from frappe.model.db_query import DatabaseQuery
        from frappe.model.meta import get_meta

        if doctype == "DocType" and not isinstance(filters, (dict, list)) and filters is not None:
            filters = {"name": filters}
        meta = get_meta(doctype)
        if meta.issingle and (filters is None or filters == doctype):
            return self._single_values(doctype, fieldname, as_dict)
        if isinstance(filters, (str, int)):
            filters = {"name": filters}
        fields = fieldname
        if isinstance(fields, str):
            fields = ["*"] if fields == "*" else [fields]
        else:
            fields = list(fields)
        if order_by is None:
            order_by = ""
        return DatabaseQuery(doctype).execute(
            fields=fields, filters=filters, order_by=order_by, limit_page_length=limit or 0, as_list=not as_dict,
            ignore_permissions=True, for_update=for_update, distinct=distinct, debug=debug,
            pluck=fields[0] if pluck else None, run=run, skip_locked=skip_locked, wait=wait,
        )

    def _single_values(self, doctype, fieldname, as_dict):
        from frappe.model.meta import get_meta

        fields = [fieldname] if isinstance(fieldname, str) else list(fieldname)
        if fields == ["*"]:
            values = self.get_singles_dict(doctype, cast=True)
            return [values] if as_dict else [tuple(values.values())]
        meta = get_meta(doctype)
        out = []
        for field in fields:
            if field == "name":
                out.append(doctype)
                continue
            if not meta.has_field(field) and field not in ("modified", "creation", "owner", "modified_by"):
                raise frappe.UnknownFieldError(f"Single DocType {doctype!r} has no field {field!r}")  # noqa: F405
            out.append(self.get_single_value(doctype, field, cache=False))
        if as_dict:
            return [frappe._dict(zip(fields, out, strict=False))]
        return [tuple(out)]

    def get_list(self, *args, **kwargs):
        return frappe.get_list(*args, **kwargs)

    def get_all(self, *args, **kwargs):
        return frappe.get_all(*args, **kwargs)

    def set_value(
        self, dt, dn, field, val=None, modified=None, modified_by=None, update_modified=True, debug=False,
        for_update=True,
    ):
        from frappe.model.db_query import DatabaseQuery
        from frappe.model.meta import get_meta

        is_single = not (dn and dt != dn)
        to_update = dict(field) if isinstance(field, dict) else {field: val}
        if is_single:
            return self.set_single_value(
                dt, to_update, modified=modified, modified_by=modified_by, update_modified=update_modified
            )
        meta = get_meta(dt)
        check_raw_values(meta, to_update)
        if update_modified:
            to_update["modified"] = modified or frappe.utils.now()
            to_update["modified_by"] = modified_by or frappe.session.user
        where, params = DatabaseQuery(dt).where_clause(dn if isinstance(dn, (dict, list)) else {"name": dn})
        assignments = ", ".join(f"`{k}`=%s" for k in to_update)
        self.sql(f"update `tab{dt}` set {assignments}{where}", [*to_update.values(), *params], debug=debug)
        if isinstance(dn, str):
            frappe.clear_document_cache(dt, dn)
        else:
            frappe.clear_document_cache(dt)
        self.forget_values(dt)

    def forget_values(self, doctype: str) -> None:
        """Drop what ``get_value(..., cache=True)`` and ``get_single_value`` kept of a DocType."""
        self.value_cache.pop(doctype, None)
        for key in [k for k in self.value_cache if isinstance(k, tuple) and k[1] == doctype]:
            del self.value_cache[key]

    def get_single_value(self, doctype, fieldname, cache=True):
        from frappe.model.meta import get_meta

        if cache and fieldname in self.value_cache.get(doctype, {}):
            return self.value_cache[doctype][fieldname]
        rows = self.sql("select `value` from `tabSingles` where `doctype`=%s and `field`=%s", (doctype, fieldname))
        val = rows[0][0] if rows else None
        df = get_meta(doctype).get_field(fieldname)
        if not df:
            frappe.throw(f"Field {fieldname} does not exist on {doctype}", exc=frappe.DoesNotExistError)
        val = frappe.utils.data.cast(df.fieldtype, val)
        self.value_cache.setdefault(doctype, {})[fieldname] = val
        return val

    def get_singles_dict(self, doctype, debug=False, *, for_update=False, cast=False):
        from frappe.model.meta import get_meta

        if for_update:
            self._ensure_write()
        rows = self.sql("select `field`, `value` from `tabSingles` where `doctype`=%s", (doctype,))
        out = frappe._dict(rows)
        if cast:
            meta = get_meta(doctype)
            for key, value in list(out.items()):
                df = meta.get_field(key)
                if df:
                    out[key] = frappe.utils.data.cast(df.fieldtype, value)
        return out

    def set_single_value(
        self, doctype, fieldname, value=None, *, modified=None, modified_by=None, update_modified=True, debug=False
    ):
        from frappe.model.meta import get_meta

        to_update = dict(fieldname) if isinstance(fieldname, dict) else {fieldname: value}
        meta = get_meta(doctype)
        if not meta.issingle:
            raise StandinStrictError(f"set_single_value called on non-single DocType {doctype!r}")
        check_raw_values(meta, to_update)
        if update_modified:
            to_update["modified"] = modified or frappe.utils.now()
            to_update["modified_by"] = modified_by or frappe.session.user
        for key, val in to_update.items():
            self.sql("delete from `tabSingles` where `doctype`=%s and `field`=%s", (doctype, key))
            self.sql(
                "insert into `tabSingles` (`doctype`, `field`, `value`) values (%s, %s, %s)",
                (doctype, key, single_value_to_text(val)),
            )
        frappe.clear_document_cache(doctype, doctype)
        self.value_cache.pop(doctype, None)
        if doctype == "System Settings" and "time_zone" in to_update:
            frappe.cache().delete_value("time_zone")

    def a_row_exists(self, doctype):
        """frappe/database/database.py: any row in the table (ERPNext's before_tests asks it of Company)."""
        return bool(self.sql(f"select `name` from `tab{doctype}` limit 1"))

    def exists(self, dt, dn=None, cache=False):
        if isinstance(dt, str):
            if dt != "DocType" and dt == dn:
                return dn
            filters = dn
        else:
            filters = dict(dt)
            dt = filters.pop("doctype")
        return self.get_value(dt, filters, "name", order_by=None)

    def count(self, dt, filters=None, debug=False, cache=False, distinct=True):
        from frappe.model.db_query import DatabaseQuery

        where, params = DatabaseQuery(dt).where_clause(filters)
        rows = self.sql(f"select count(*) from `tab{dt}`{where}", params, debug=debug)
        return int(rows[0][0])

    def delete(self, doctype: str, filters=None, debug=False, **kwargs):
        from frappe.model.db_query import DatabaseQuery

        filters = filters or kwargs.get("conditions")
        if doctype in ("Singles", "Series", "DefaultValue", "__Auth"):
            where, params = _raw_where(filters)
        else:
            where, params = DatabaseQuery(doctype).where_clause(filters)
        table = doctype if doctype.startswith("__") else f"tab{doctype}"
        self.sql(f"delete from `{table}`{where}", params, debug=debug)
        frappe.clear_document_cache(doctype)
        self.forget_values(doctype)

    def truncate(self, doctype: str):
        self.commit()
        self._conn.execute(f'delete from "tab{doctype}"')

    # -- defaults (tabDefaultValue) ------------------------------------------------------------------
    def _defaults_for(self, parent: str) -> dict:
        """frappe.defaults.get_defaults_for: all of a parent's defaults, cached in the redis hash ``defaults``
        (dropped when one is set, and here also on rollback), so reading a default costs no query."""
        cache = frappe.cache()
        defaults = cache.hget("defaults", parent)
        if defaults is None:
            rows = self.sql(
                "select `defkey`, `defvalue` from `tabDefaultValue` where `parent`=%s order by `creation`", (parent,)
            )
            grouped: dict = {}
            for key, value in rows:
                grouped.setdefault(key, []).append(value)
            defaults = {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}
            cache.hset("defaults", parent, defaults)
        return defaults

    def get_default(self, key, parent="__default"):
        defaults = self._defaults_for(parent)
        return defaults[key] if key in defaults else defaults.get(frappe.scrub(key))

    def get_defaults(self, key=None, parent="__default"):
        if key:
            return self.get_default(key, parent)
        return frappe._dict(self._defaults_for(parent))

    def set_default(self, key, val, parent="__default", parenttype=None):
        frappe.cache().hdel("defaults", parent)
        self.sql("delete from `tabDefaultValue` where `parent`=%s and `defkey`=%s", (parent, key))
        if val is not None:
            self.sql(
                "insert into `tabDefaultValue` (`name`, `parent`, `parenttype`, `defkey`, `defvalue`, `creation`) "
                "values (%s, %s, %s, %s, %s, %s)",
                (frappe.generate_hash(length=10), parent, parenttype, key, frappe.utils.cstr(val), frappe.utils.now()),
            )

    def add_default(self, key, val, parent="__default", parenttype=None):
        self.set_default(key, val, parent, parenttype)

    # -- misc ------------------------------------------------------------------------------------
    def get_creation_count(self, doctype, minutes):
        return self.count(doctype)

    def estimate_count(self, doctype):
        return self.count(doctype)

    def get_db_table_columns(self, table):
        return [r[1] for r in self._conn.execute(f'pragma table_info("{table}")')]

    def new_connection(self) -> Database:
        """Another connection to the same site (a second session, like a second worker)."""
        return type(self)(self.path, site=self.site, busy_timeout=self.busy_timeout)

    def unique_violation_field(self, exc: Exception) -> str:
        return str(exc).rsplit(".", 1)[-1]

    # -- schema (the stand-in's migrate) --------------------------------------------------------------
    def create_system_tables(self) -> None:
        self._conn.executescript(
            """
            create table if not exists `tabSingles` (`doctype` text collate nocase, `field` text, `value` text);
            create index if not exists `singles_doctype_field` on `tabSingles` (`doctype`, `field`);
            create table if not exists `tabSeries` (`name` text primary key collate nocase,
                `current` integer not null default 0);
            create table if not exists `tabDefaultValue` (`name` text primary key, `parent` text collate nocase,
                `parenttype` text, `defkey` text collate nocase, `defvalue` text, `creation` FDATETIME);
            create table if not exists `__Auth` (`doctype` text collate nocase not null,
                `name` text collate nocase not null, `fieldname` text not null, `password` text not null,
                `encrypted` integer not null default 0, primary key (`doctype`, `name`, `fieldname`));
            """
        )

    def sync_table(self, meta, data_fields) -> None:
        """CREATE TABLE (or ADD the missing columns) for a DocType; unique fields get a UNIQUE index."""
        table = f"tab{meta.name}"
        if not self.table_exists(meta.name):
            columns = [
                "`name` TEXT NOT NULL PRIMARY KEY COLLATE NOCASE",
                "`creation` FDATETIME", "`modified` FDATETIME", "`modified_by` TEXT COLLATE NOCASE",
                "`owner` TEXT COLLATE NOCASE", "`docstatus` INTEGER NOT NULL DEFAULT 0",
                "`idx` INTEGER NOT NULL DEFAULT 0",
            ]
            if meta.istable:
                columns += ["`parent` TEXT COLLATE NOCASE", "`parentfield` TEXT COLLATE NOCASE",
                            "`parenttype` TEXT COLLATE NOCASE"]  # fmt: skip
            else:
                columns += ["`_user_tags` TEXT", "`_comments` TEXT", "`_assign` TEXT", "`_liked_by` TEXT", "`_seen` TEXT"]
            columns += [_sqlite_column(df) for df in data_fields]
            self._conn.execute(f"create table `{table}` ({', '.join(columns)})")
            self._conn.execute(f"create index if not exists `{table}_modified` on `{table}` (`modified`)")
            if meta.istable:
                self._conn.execute(f"create index if not exists `{table}_parent` on `{table}` (`parent`)")
        else:
            existing = set(self.get_table_columns(meta.name))
            for df in data_fields:
                if df.fieldname not in existing:
                    self._conn.execute(f"alter table `{table}` add column {_sqlite_column(df)}")
        for df in data_fields:
            if df.unique:
                self._conn.execute(
                    f"create unique index if not exists `unique_{table}_{df.fieldname}` on `{table}` (`{df.fieldname}`)"
                )
            elif df.search_index:
                self._conn.execute(
                    f"create index if not exists `{table}_{df.fieldname}` on `{table}` (`{df.fieldname}`)"
                )

    def register_doctype_row(self, values: dict) -> None:
        columns = ", ".join(f"`{k}`" for k in values)
        self._conn.execute(
            f"insert or replace into `tabDocType` ({columns}) values ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )

    def upsert_password_sql(self) -> str:
        return ("insert into `__Auth` (`doctype`, `name`, `fieldname`, `password`, `encrypted`) "
                "values (%s, %s, %s, %s, 1) on conflict(`doctype`, `name`, `fieldname`) "
                "do update set `password`=excluded.`password`, `encrypted`=1")  # fmt: skip

    def add_index(self, doctype, fields, index_name=None):
        name = index_name or f"idx_{frappe.scrub(doctype)}_{'_'.join(fields)}"
        cols = ", ".join(f'"{f}"' for f in fields)
        self.commit()
        self._conn.execute(f'create index if not exists "{name}" on "tab{doctype}" ({cols})')

    def add_unique(self, doctype, fields, constraint_name=None):
        if isinstance(fields, str):
            fields = [fields]
        name = constraint_name or f"unique_{frappe.scrub(doctype)}_{'_'.join(fields)}"
        cols = ", ".join(f'"{f}"' for f in fields)
        self.commit()
        self._conn.execute(f'create unique index if not exists "{name}" on "tab{doctype}" ({cols})')


_SQLITE_TYPES = {
    "Int": "INTEGER NOT NULL DEFAULT 0", "Check": "INTEGER NOT NULL DEFAULT 0", "Long Int": "INTEGER NOT NULL DEFAULT 0",
    "Float": "REAL NOT NULL DEFAULT 0", "Currency": "REAL NOT NULL DEFAULT 0", "Percent": "REAL NOT NULL DEFAULT 0",
    "Duration": "REAL", "Rating": "REAL NOT NULL DEFAULT 0",
    "Date": "FDATE", "Datetime": "FDATETIME", "Time": "FTIME",
}


def _sqlite_column(df) -> str:
    return f"`{df.fieldname}` " + _SQLITE_TYPES.get(df.fieldtype, "TEXT COLLATE NOCASE")


def single_value_to_text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.timedelta)):
        return str(value)
    return value


def check_raw_values(meta, values: dict) -> None:
    """db.set_value has no validation in frappe, but MariaDB (strict mode) rejects unknown columns and bad types."""
    from frappe.model.document import coerce_for_column
    from frappe.model.meta import get_default_df

    for key in list(values):
        if key in ("_seen", "_assign", "_comments", "_liked_by", "_user_tags"):
            continue
        df = meta.get_field(key) or get_default_df(key)
        if df is None:
            raise frappe.UnknownFieldError(  # noqa: F405
                f"{meta.name} has no column {key!r} (MariaDB: Unknown column '{key}' in 'field list')"
            )
        values[key] = coerce_for_column(meta.name, df, values[key], context="db.set_value")


def _raw_where(filters):
    if not filters:
        return "", []
    parts, params = [], []
    for key, value in filters.items():
        if isinstance(value, (list, tuple)) and value and value[0] == "in":
            parts.append(f"`{key}` in ({', '.join(['%s'] * len(value[1]))})")
            params.extend(value[1])
        else:
            parts.append(f"`{key}`=%s")
            params.append(value)
    return " where " + " and ".join(parts), params


def _regexp(pattern, value):
    if value is None:
        return False
    return re.search(pattern, str(value)) is not None


def translate_query(query: str, values):
    """Turn a frappe/pymysql query (``%s`` / ``%(name)s``) into SQLite (``?`` / ``:name``)."""
    if values is None or values == () or values == []:
        return query, ()
    if isinstance(values, dict):
        params: dict = {}

        def named(match):
            if match.group(0) == "%%":
                return "%"
            key = match.group(1)
            if key is None:
                raise StandinStrictError("positional %s placeholder used with a dict of values")
            value = values[key]
            if isinstance(value, (list, tuple, set)):
                names = []
                for i, item in enumerate(value):
                    params[f"{key}__{i}"] = item
                    names.append(f":{key}__{i}")
                return "(" + ", ".join(names) + ")" if names else "(NULL)"
            params[key] = value
            return f":{key}"

        return _PLACEHOLDER.sub(named, query), params

    if not isinstance(values, (list, tuple)):
        values = (values,)
    positional: list = []
    iterator = iter(values)

    def positional_sub(match):
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is not None:
            raise StandinStrictError("named %(x)s placeholder used with positional values")
        try:
            value = next(iterator)
        except StopIteration:
            raise StandinStrictError(f"not enough values for the placeholders of: {query}") from None
        if isinstance(value, (list, tuple, set)):
            value = list(value)
            positional.extend(value)
            return "(" + ", ".join("?" * len(value)) + ")" if value else "(NULL)"
        positional.append(value)
        return "?"

    translated = _PLACEHOLDER.sub(positional_sub, query)
    leftover = list(iterator)
    if leftover:
        raise StandinStrictError(f"too many values ({len(leftover)} unused) for the placeholders of: {query}")
    return translated, tuple(positional)
