"""Readable answers and clear failures for the manual actions (issue 15).

Every action answers with a ``summary``: one sentence, a few counts and a table whose cells may be links to
documents; the desk (``public/js/commerce_sync_result.js``) and the dashboard render it as HTML, never as JSON.
A store failure (wrong credentials, unknown record, store down) becomes one Error Log row, committed so the
failed request's rollback keeps it, and a ``frappe.ValidationError`` / ``DoesNotExistError`` with what failed,
why and what to do: the desk shows it as a message, never as an HTTP 500 with a class name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import frappe
from frappe import _

from wix_commerce_sync.sync.errors import (
    AuthError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    SyncError,
    TransientError,
    ValidationError,
)

STORE = "Commerce Store"


class ActionFailed(frappe.ValidationError):
    """A manual action the store or ERPNext refused; the message says what, why and what to do."""


def link(doctype: str, name: str | None, label: str | None = None) -> dict | str:
    """A table cell the renderers turn into a link to the document's form."""
    if not name:
        return ""
    return {"doctype": doctype, "name": str(name), "label": label or str(name)}


def when(value: Any) -> str:
    """A stored datetime as 'YYYY-MM-DD HH:MM:SS' (site time zone, no microseconds); '' when unset."""
    if not value:
        return ""
    stamp = value if isinstance(value, datetime) else frappe.utils.get_datetime(value)
    return stamp.replace(microsecond=0, tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")


def moment(value: Any, empty: str = "") -> dict | str:
    """A table cell holding a time: the desk shows it in the user's time zone (site time zone here)."""
    text = when(value)
    return {"datetime": text} if text else empty


def summary(message: str, *, indicator: str = "green", counts: Sequence[tuple[str, Any]] = (),
            columns: Sequence[str] = (), rows: Sequence[Sequence[Any]] = ()) -> dict:  # fmt: skip
    """The readable part of an answer: a sentence, labelled counts and a table."""
    return {"message": message, "indicator": indicator, "counts": [[label, value] for label, value in counts],
            "columns": list(columns), "rows": [list(r) for r in rows]}  # fmt: skip


def stats_summary(done: str, stats: dict, *, empty: str | None = None) -> dict:
    """A summary of an engine run (``tasks.jobs.stats_dict``): counts and the first errors as rows."""
    total, failed = int(stats.get("total") or 0), int(stats.get("failed") or 0)
    if not total and empty:
        message, indicator = empty, "blue"
    elif failed:
        message = _("{0}: {1} of {2} record(s) failed and will be retried; see the table and Commerce Sync Jobs.").format(
            done, failed, total)  # fmt: skip
        indicator = "orange"
    else:
        message, indicator = _("{0}: {1} record(s) processed.").format(done, total), "green"
    counts = [(_("Processed"), total), (_("Synced"), stats.get("synced", 0)), (_("Skipped"), stats.get("skipped", 0)),
              (_("Failed"), failed)]  # fmt: skip
    rows = [[str(e)] for e in (stats.get("errors") or [])[:20]]
    return summary(message, indicator=indicator, counts=counts, columns=[_("Error")] if rows else [], rows=rows)


def reason(exc: SyncError) -> tuple[str, str]:
    """(why it failed, what to do) for a store error, in words an administrator can act on."""
    if isinstance(exc, AuthError):
        return (_("the store refused the credentials"),
                _("Check the credentials on the Commerce Store form (token, keys, scopes), then use Test Connection."))  # fmt: skip
    if isinstance(exc, NotFoundError):
        return _("not found on the store"), _("Check the id: it is the store's own id of the record.")
    if isinstance(exc, RateLimitedError):
        return _("the store asked to slow down (rate limit)"), _("Nothing was lost; try again in a minute.")
    if isinstance(exc, TransientError):
        return (_("the store could not be reached or did not answer"),
                _("Nothing was lost; try again later. If it persists, check the Store URL and the store's status."))  # fmt: skip
    if isinstance(exc, ConfigurationError):
        return _("the store settings are incomplete or invalid"), _("Fix the Commerce Store settings and save.")
    if isinstance(exc, ValidationError):
        return _("the data was refused"), _("Correct the record named in the details, then try again.")
    return _("the sync failed"), _("See the Error Log for details.")


def _redacted(store: str | None, text: str) -> str:
    if not store:
        return text
    from wix_commerce_sync.connectors.http import redact
    from wix_commerce_sync.shell import store_secrets

    return redact(text, store_secrets(store))


def fail(action: str, store: str | None, why: str, todo: str, *, details: str = "",
         exc: type[Exception] = ActionFailed, log: bool = True) -> None:  # fmt: skip
    """Log once (committed: the failing request rolls back) and raise a message the desk shows as is."""
    details = _redacted(store, details)[:500]
    message = _("{0} failed: {1}.").format(action, why) + " " + todo
    if details:
        message += " " + _("Details: {0}").format(details)
    frappe.db.rollback()
    if log:
        frappe.log_error(title=f"Commerce Sync: {action} failed" + (f" ({store})" if store else ""),
                         message=_redacted(store, frappe.get_traceback() or message),
                         reference_doctype=STORE if store else None, reference_name=store)  # fmt: skip
        frappe.db.commit()  # the Error Log row must survive the rollback of the failed request
    frappe.throw(message, exc, title=_("{0} failed").format(action))


def refuse(message: str, exc: type[Exception] = ActionFailed) -> None:
    """Bad input: refused before any work, nothing to log."""
    frappe.throw(message, exc, title=_("Not possible"))


@contextmanager
def explained(action: str, store: str | None, *, subject: str | None = None) -> Iterator[None]:
    """Turn a store error (or an unexpected crash) inside an action into one clear, logged message."""
    try:
        yield
    except SyncError as exc:
        why, todo = reason(exc)
        if subject and isinstance(exc, NotFoundError):
            why = _("{0} not found on the store").format(subject)
        kind = frappe.DoesNotExistError if isinstance(exc, NotFoundError) else ActionFailed
        fail(action, store, why, todo, details=exc.message, exc=kind)
    except (frappe.ValidationError, frappe.PermissionError, AssertionError):
        raise  # already a clear message (mandatory field, not found in ERPNext, permission), or a test's strictness
    except Exception as exc:  # a bug: still no HTTP 500 without a trace
        fail(action, store, _("an unexpected error occurred ({0})").format(type(exc).__name__),
             _("The full trace is in the Error Log; please report it."), details=str(exc))  # fmt: skip


def _cell_html(cell: Any) -> str:
    from urllib.parse import quote

    esc = frappe.utils.escape_html
    if isinstance(cell, list):
        return ", ".join(_cell_html(c) for c in cell)
    if isinstance(cell, dict) and cell.get("datetime"):
        return esc(cell["datetime"])
    if isinstance(cell, dict) and cell.get("doctype"):
        slug = cell["doctype"].lower().replace(" ", "-")
        return f'<a href="/app/{slug}/{quote(cell["name"], safe="")}">{esc(cell.get("label") or cell["name"])}</a>'
    return esc("" if cell is None else str(cell))


def render_html(result: dict) -> str:
    """The same rendering as ``public/js/commerce_sync_result.js``, for realtime messages sent from a job."""
    esc = frappe.utils.escape_html
    parts = [f"<p>{esc(result['message'])}</p>"]
    if result.get("counts"):
        parts.append("<p>" + " · ".join(f"{esc(str(k))}: <b>{_cell_html(v)}</b>" for k, v in result["counts"]) + "</p>")
    if result.get("rows"):
        head = "".join(f"<th>{esc(c)}</th>" for c in result.get("columns") or [])
        body = "".join("<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in row) + "</tr>" for row in result["rows"])
        parts.append(f'<table class="table table-bordered table-sm"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
    return "".join(parts)
