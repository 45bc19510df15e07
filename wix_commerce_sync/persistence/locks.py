"""Named locks on the site's database server, for work that must never run twice at once for one store.

RQ's ``deduplicate`` is not such a lock: its check and its enqueue are two steps, so two processes asking at the
same moment both enqueue, and a job of the same id that is already running runs again beside itself. A push that
creates store records must not: Shopify and Wix accept two products with one SKU, and a look-first cannot see a
create still in flight. A session-level named lock (MariaDB ``GET_LOCK``, PostgreSQL advisory locks) is held by
one connection, survives its commits and is freed when the connection ends, so a worker killed mid-push leaves
no stale lock behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import frappe


def _lock_name(purpose: str, store: str) -> str:
    """Locks are server-wide: the site's database name keeps two sites apart; 64 characters at most (MariaDB)."""
    digest = hashlib.sha256(f"{frappe.conf.get('db_name')}::{purpose}::{store}".encode()).hexdigest()[:40]
    return f"wcs_{purpose[:16]}_{digest}"


@contextmanager
def store_lock(purpose: str, store: str, wait_seconds: float = 0) -> Iterator[bool]:
    """Hold the store's ``purpose`` lock for the block; yields False when another connection kept it for
    ``wait_seconds`` (the caller then leaves the work to the holder)."""
    name = _lock_name(purpose, store)
    postgres = frappe.db.db_type == "postgres"
    if postgres:  # advisory locks take a number; no wait: try once
        key = int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)
        held = bool(frappe.db.sql("select pg_try_advisory_lock(%s)", (key,))[0][0])
    else:
        held = bool(frappe.db.sql("select get_lock(%s, %s)", (name, float(wait_seconds)))[0][0])
    try:
        yield held
    finally:
        if held:
            if postgres:
                frappe.db.sql("select pg_advisory_unlock(%s)", (key,))
            else:
                frappe.db.sql("select release_lock(%s)", (name,))
