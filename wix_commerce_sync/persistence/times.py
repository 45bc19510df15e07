"""Datetime conversions between the core (aware UTC) and Frappe Datetime fields (naive system time).

``frappe.utils.now_datetime()`` is naive local time in the System Settings time zone, and Datetime
columns hold the same; the core only ever sees aware UTC values (``frappe-api.md`` §12).
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import get_datetime, get_system_timezone


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(get_system_timezone() or "UTC")
    except Exception:  # an unknown zone name: store UTC rather than fail a sync
        return ZoneInfo("UTC")


def to_db(value: datetime | None) -> datetime | None:
    """Aware (or UTC-naive) datetime -> naive system-time datetime for a Datetime field."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(_zone()).replace(tzinfo=None)


def from_db(value) -> datetime | None:
    """Datetime field value (naive system time, or a string) -> aware UTC datetime."""
    if not value:
        return None
    parsed = get_datetime(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone())
    return parsed.astimezone(timezone.utc)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def now_db() -> datetime:
    return frappe.utils.now_datetime()
