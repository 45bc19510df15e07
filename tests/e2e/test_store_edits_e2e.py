"""Issue 16 item 1 through the simulators' chaos hooks, per platform, end to end in the sandbox (simulated store <->
app endpoints <-> stand-in ERPNext): partial batch failures of a stock push, a store refund, product and customer
edits both ways. The scenario runs in a process of its own (store_edits_scenario.py); these tests read its facts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLATFORMS = ["Shopify", "WooCommerce", "Wix"]


@pytest.fixture(scope="module", params=PLATFORMS)
def facts(request, tmp_path_factory) -> dict:
    report = tmp_path_factory.mktemp(request.param) / "report.json"
    cmd = [sys.executable, str(HERE / "store_edits_scenario.py"), "--platform", request.param, "--report", str(report)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"platform": request.param, **json.loads(report.read_text())}


def step(facts: dict, name: str) -> dict:
    found = facts[name]
    assert "error" not in found, f"{facts['platform']} {name}:\n{found.get('error')}"
    return found


def test_failed_items_of_a_partial_stock_push_fail_alone_and_reach_the_store_on_retry(facts):
    first = step(facts, "partial_stock")["retried"]
    failed = first["store_failed_items"]
    assert failed >= 1, first
    # only the items the store reported failed are failed jobs, and only they are apart from ERPNext
    assert first["failed_jobs"] == failed == len(first["apart_after_push"]), first
    # the scheduler's tick after their retry time brings them to the store: nothing lost, nothing dead
    assert (first["apart_after_retry"], first["failed_after_retry"], first["dead_jobs"]) == ([], 0, 0), first


def test_a_failed_stock_push_never_overwrites_a_newer_one_when_it_is_retried(facts):
    second = step(facts, "partial_stock")["overtaken"]
    assert second["store_failed_items"] >= 1 and second["apart_after_push"], second
    assert second["apart_after_newer_change"] == [], second
    assert (second["apart_after_retry"], second["failed_after_retry"], second["dead_jobs"]) == ([], 0, 0), second


def test_a_store_refund_becomes_one_credit_note_equal_to_it(facts):
    refund = step(facts, "refund")
    assert refund["invoiced"] == [refund["order"]], refund
    before, after = refund["restocked"]
    # the store put the refunded unit back, then shows ERPNext's level again (ERPNext is the stock master: the app
    # pushes the order's SKUs after a store refund that restocked)
    assert after == refund["erp_available"], refund
    (credit,) = refund["credit_notes"]
    assert credit["docstatus"] == 1 and credit["commerce_refund_id"], refund
    assert Decimal(credit["grand_total"]) == -Decimal(refund["store_refund"]), refund
    assert refund["dead_jobs"] == 0, refund


def test_a_store_product_edit_reaches_the_erpnext_item_and_item_price(facts):
    edit = step(facts, "store_product_edit")
    renamed = f"Renamed on {facts['platform']}"
    assert edit["template_name"] == renamed or edit["item_name"] == renamed, edit
    assert edit["item_name"].startswith(renamed), edit
    assert Decimal(edit["price"]) == Decimal("23.45"), edit


def test_an_erpnext_item_edit_reaches_the_store(facts):
    edit = step(facts, "erp_item_edit")
    assert edit["store"]["name"].startswith(f"Renamed in ERPNext {facts['platform']}"), edit
    assert Decimal(str(edit["store"]["price"])) == Decimal("31.50"), edit
    assert edit["dead_jobs"] == 0, edit


def test_a_store_customer_edit_reaches_the_erpnext_customer(facts):
    edit = step(facts, "store_customer_edit")
    assert edit["store"] == {"first_name": "Renamed", "last_name": "Onstore"}, edit
    assert "Renamed Onstore" in edit["erp_customers"], edit


def test_a_store_customer_rename_whose_webhook_was_refused_reaches_erpnext_at_the_reconciliation(facts):
    """Issue 16 chaos finding: a dropped customer-updated delivery was never made up (the hourly reconciliation
    polled orders and products only)."""
    renamed = step(facts, "customer_rename_webhook_dropped")
    assert renamed["after_reconciliation"] == "Unheard Rename", renamed


def test_an_order_by_a_registered_customers_email_never_undoes_the_stores_rename_of_that_customer(facts):
    """WooCommerce bills a guest order "Guest Buyer", Wix names its buyer "Jane Doe": the order finds the Customer of
    that email (one per email), but the name stays the customer record's, before and after the store renames it."""
    seen = step(facts, "order_then_customer_rename")
    renamed = f"Renamed12 {facts['platform']}"
    assert seen["after_rename"] == renamed, seen
    assert seen["after_next_order"] == renamed, seen
    assert seen["customers_with_email"] == [renamed], seen
    assert seen["dead_jobs"] == 0, seen


def test_a_store_refund_of_an_earlier_order_is_one_credit_note_named_by_the_stores_refund_id(facts):
    seen = step(facts, "refund_of_an_earlier_order")
    (credit,) = seen["credit_notes"]
    assert Decimal(credit["grand_total"]) == -Decimal(seen["store_refund"]), seen
    assert seen["failed"] == [], seen


def test_every_request_the_hooks_answered_passed_the_contract_checks(facts):
    assert facts["contract_problems"] == []


def _same(sides: dict) -> bool:
    (store_name, store_price), (erp_name, erp_price) = sides["store"], sides["erpnext"]
    # a WooCommerce variation is named "<parent> - <attributes>"
    named = store_name == erp_name or str(store_name).startswith(f"{erp_name} - ")
    return named and erp_price != "None" and Decimal(store_price) == Decimal(erp_price)


def test_edits_of_one_product_on_both_sides_in_turn_end_equal_as_the_latest_edit(facts):
    edits = step(facts, "edits_both_ways")
    for round_ in edits["rounds"]:
        _, name, price = round_["edit"]
        assert _same(round_), (facts["platform"], round_)
        if name is None:  # both sides edited while a push failed: the winner depends on the conflict setting
            assert round_["push_failed"] >= 1, round_
            continue
        # the latest edit won: its name and price on both sides
        assert round_["erpnext"][0] == name and Decimal(round_["erpnext"][1]) == Decimal(price), round_
    assert edits["dead_jobs"] == 0, edits
