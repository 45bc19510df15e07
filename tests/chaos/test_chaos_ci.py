"""The chaos run, CI-sized (issue 16): three stores on the contract simulators, the stand-in behind a real HTTP
server, orders with edits and cancellations, ERPNext stock changes and new ERPNext items sent to the stores, under
every fault kind; after the drain no store order may be lost or doubled and no webhook event queued twice
(``make chaos`` is the full run: ``python -m bench.bench_chaos``).
"""

from __future__ import annotations

import pytest

from wix_commerce_sync.testing.chaos.driver import API_FAULTS, WEBHOOK_FAULTS, ChaosConfig, ChaosRun


@pytest.fixture(scope="module")
def chaos(tmp_path_factory):
    run = ChaosRun(tmp_path_factory.mktemp("chaos"), ChaosConfig(orders=15, stock_changes=30, fault_rate=0.35,
                                                                 seed=16, converge_timeout=40.0))  # fmt: skip
    return run, run.run()


def test_every_fault_kind_was_injected(chaos):
    _run, figures = chaos
    for kind in (*API_FAULTS, *WEBHOOK_FAULTS, "woo_webhook_disabled"):
        assert figures.faults[kind] >= 1, f"fault {kind} never injected: {figures.line()}"


def test_no_order_lost_or_doubled_and_no_event_queued_twice(chaos):
    _run, figures = chaos
    lost_or_doubled = [p for p in figures.problems if " lost" in p or "live Sales Orders" in p]
    assert (figures.orders_lost, figures.orders_doubled) == (0, 0), "\n".join(lost_or_doubled)
    assert figures.jobs_doubled == 0, "\n".join(p for p in figures.problems if "queued" in p)


def test_no_secret_in_logs_jobs_error_logs_or_answers(chaos, capsys):
    run, figures = chaos
    assert run.secret_values
    assert figures.secrets_found == 0
    output = capsys.readouterr()
    assert not [s for s in run.secret_values if s in output.out + output.err]


def test_no_store_product_created_twice_on_shopify_or_woocommerce(chaos):
    """A create whose answer was lost is never re-sent blindly: the retry looks first (no-blind-retry rule)."""
    _run, figures = chaos
    twice = [p for p in figures.problems if "carry SKU" in p and "Sandbox Wix" not in p]
    assert not twice, "\n".join(twice)


@pytest.mark.xfail(strict=False, reason="chaos finding (issue 16 report): a Wix product create whose answer was "
                   "lost can reach the store twice; Wix stock can stay apart after a store-side cancel")  # fmt: skip
def test_items_and_stock_agree_record_by_record(chaos):
    _run, figures = chaos
    assert (figures.records_different, figures.stock_different) == (0, 0), "\n".join(figures.problems)
