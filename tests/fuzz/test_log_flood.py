"""Log flood (issue 16): a burst of forged deliveries must not grow the log table without bound.

Rejected deliveries are summarised, one Commerce Sync Log row per store per minute whose ``records`` counts
them, and the dashboard shows that count.
"""

from __future__ import annotations

import json
from unittest import mock

import frappe
import pytest

from wix_commerce_sync.testing.chaos import fuzz

FORGED = 500


@pytest.fixture(scope="module")
def targets():
    from wix_commerce_sync import shell
    from wix_commerce_sync.testing.erp_fixtures import ensure_basics

    frappe.set_user("Administrator")
    found, sims = fuzz.make_targets(ensure_basics(), "flood-" + frappe.generate_hash(length=6))
    with mock.patch("frappe.enqueue"):
        yield found
    for target in found.values():
        shell.CONNECTOR_OVERRIDES.pop(target.store, None)
    for sim in sims:
        sim.stop()


def _log_rows(store: str) -> list:
    return frappe.get_all("Commerce Sync Log", filters={"store": store, "status": "Rejected"},
                          fields=["name", "records", "message"])  # fmt: skip


@pytest.mark.parametrize("platform", fuzz.PLATFORMS)
def test_500_forged_deliveries_make_at_most_two_summary_rows(frappe_site, targets, platform):
    from wix_commerce_sync.api.actions import dashboard_summary
    from wix_commerce_sync.api.desk import store_cards

    target = targets[platform]
    before = sum(r.records for r in _log_rows(target.store))
    for n in range(FORGED):
        body = json.dumps({"id": n}).encode()
        headers = target.sign(body, target.topic_headers(n), secret="forged")
        if platform == "Wix":
            body = fuzz.forged_jwt("none", {"data": "{}"})
        outcome = fuzz.post(target, body, headers)
        assert outcome.status == 401, outcome
    rows = _log_rows(target.store)
    assert len(rows) <= 2, f"{len(rows)} log rows for {FORGED} forged deliveries"  # a minute boundary may split them
    assert sum(r.records for r in rows) - before == FORGED
    [card] = store_cards(target.store)
    assert card["rejected_24h"] >= FORGED
    assert dashboard_summary(store=target.store)["totals"]["rejected"] >= FORGED
