"""The app's three grouped counts (job store counts, Sync Status, dashboard summary) work on Frappe v15 and v16.

Frappe v16 refuses ``count(name)`` strings in get_all fields; v15 has no dict form. Each case runs the real call
site on the stand-in speaking each version.
"""

from __future__ import annotations

from datetime import datetime, timezone

import frappe
import pytest

from wix_commerce_sync.api import actions
from wix_commerce_sync.persistence.job_store import FrappeJobStore
from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.tests import fixtures as fx


@pytest.fixture
def store(frappe_site):  # function scope: the autouse site connection runs first (a module fixture runs before it)
    basics = fx.ensure_basics()
    name, _ = fx.make_store(basics, f"Aggregates Shop {fx.run_tag()}")
    jobs = FrappeJobStore(commit_claims=False)
    now = datetime.now(timezone.utc)
    for key in ("a", "b"):
        jobs.enqueue(q.NewJob(store=name, entity="orders", direction=q.INBOUND, action="upsert", dedupe_key=f"{name}::{key}",
                              record_key=f"{name}::{key}", payload="{}", external_id=key), now)  # fmt: skip
    frappe.get_doc({"doctype": "Commerce Sync Log", "store": name, "entity": "orders", "direction": "Inbound",
                    "operation": "upsert", "status": "Success", "records": 4, "duration_ms": 12}).insert(ignore_permissions=True)  # fmt: skip
    frappe.db.commit()
    return name


@pytest.mark.parametrize("major", [15, 16])
def test_grouped_counts_on_each_version(frappe_site, store, major):
    from frappe import standin

    with standin.frappe_version(major):
        assert FrappeJobStore().counts(store) == {q.QUEUED: 2}
        assert actions.sync_status(store)["entities"]["orders"]["jobs"] == {q.QUEUED: 2}
        summary = actions.dashboard_summary(store, hours=1)
        assert (summary["totals"]["operations"], summary["totals"]["success"]) == (1, 1)
        assert summary["performance"]["avg_duration_ms"] == 12.0
