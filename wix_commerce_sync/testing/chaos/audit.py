"""Who wrote an ERPNext Item's name or an Item Price's rate, and when: the chaos run's write audit (MariaDB only).

A product that ends different on the two sides is explained by its history; the app's own rows (jobs, logs, sync
state) say what the app meant to do, this says what reached ERPNext's tables. MariaDB triggers copy each change of
``tabItem.item_name`` and ``tabItem Price.price_list_rate`` into a non-transactional table, with the connection,
the process and job it served (``tag``), and the writing transaction's id and start: a write that was rolled back
stays listed, so the audit shows a value that came back with a rollback as well as one that was written.

Test infrastructure only: production code never imports this.
"""

from __future__ import annotations

import contextlib
from typing import Any

TABLE = "_chaos_write_audit"
_CAPTURE = (  # the columns every trigger fills; {doc}, {old} and {new} are the row's own expressions
    "insert into `{table}` (at, conn, who, trx_id, trx_started, doc, field, old_value, new_value, new_modified) "
    "select now(6), connection_id(), @wcs_who, t.trx_id, t.trx_started, {doc}, '{field}', {old}, {new}, NEW.modified "
    "from (select 1) one left join information_schema.innodb_trx t on t.trx_mysql_thread_id = connection_id()"
)
_WATCHED = (  # (trigger, table, field, document expression)
    ("_chaos_item_name", "tabItem", "item_name", "NEW.name"),
    ("_chaos_item_rate", "tabItem Price", "price_list_rate", "concat(NEW.item_code, ' @ ', NEW.price_list)"),
)


def install() -> None:
    """The audit table and its triggers, on the current site's database (once, before the run's writes)."""
    import frappe

    frappe.db.sql(f"create table if not exists `{TABLE}` (seq bigint auto_increment primary key, at datetime(6), "
                  "conn bigint, who varchar(240), trx_id varchar(40), trx_started datetime, doc varchar(200), "
                  "field varchar(40), old_value varchar(200), new_value varchar(200), new_modified datetime(6)) "
                  "engine=Aria transactional=0")  # fmt: skip
    for trigger, table, field, doc in _WATCHED:
        capture = _CAPTURE.format(table=TABLE, doc=doc, field=field, old=f"OLD.{field}", new=f"NEW.{field}")
        frappe.db.sql(f"drop trigger if exists `{trigger}`")
        frappe.db.sql(f"create trigger `{trigger}` after update on `{table}` for each row "
                      f"begin if not (OLD.{field} <=> NEW.{field}) then {capture}; end if; end")  # fmt: skip


def tag(who: str) -> None:
    """Name what the current connection serves (a worker's job, the driver): the audit rows it writes carry it."""
    import frappe

    with contextlib.suppress(Exception):  # a diagnostic: it never stands in a job's way
        frappe.db.sql("set @wcs_who = %s", (who[:240],))


def tag_jobs() -> None:
    """In a worker process: every job it runs tags its connection with the process, the method and its kwargs."""
    import os

    from frappe import standin

    run = standin.execute_job

    def tagged(job: Any) -> None:
        kwargs = ", ".join(f"{k}={str(v)[:40]}" for k, v in (job.kwargs or {}).items() if k != "connection_file")
        tag(f"pid {os.getpid()} {job.method_name.rsplit('.', 1)[-1]}({kwargs})")
        run(job)

    standin.execute_job = tagged


def history(codes: list[str], limit: int = 16) -> list[str]:
    """The latest audited writes of these Items (their names, and their prices in any list), oldest first."""
    import frappe
    from frappe.database_mariadb import MariaDBDatabase

    docs = [c for c in dict.fromkeys(codes) if c]
    if not docs or not isinstance(frappe.db, MariaDBDatabase):  # no audit on SQLite
        return []
    query = (f"select at, conn, who, trx_id, trx_started, doc, field, old_value, new_value from `{TABLE}` "  # noqa: S608 - our own table
             "where doc in %(docs)s or substring_index(doc, ' @ ', 1) in %(docs)s order by seq desc limit %(limit)s")
    rows = frappe.db.sql(query, {"docs": docs, "limit": limit}, as_dict=True)
    return [f"  write {r.at} conn {r.conn} trx {r.trx_id} (from {r.trx_started}) {r.doc}.{r.field}: "
            f"{r.old_value!r} -> {r.new_value!r} by {r.who or '?'}" for r in reversed(rows)]
