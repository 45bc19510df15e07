"""The chaos run, CI-sized (issue 16): three stores on the contract simulators, the stand-in behind a real HTTP
server, orders with edits and cancellations, ERPNext stock changes and new ERPNext items sent to the stores, under
every fault kind; after the drain no store order may be lost or doubled and no order event queued twice
(``make chaos`` is the full run: ``python -m bench.bench_chaos``). The run opens and closes its own stand-in
site, so it runs in a process of its own (like tests/e2e).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wix_commerce_sync.testing.chaos.driver import API_FAULTS, WEBHOOK_FAULTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chaos(tmp_path_factory) -> dict:
    report = tmp_path_factory.mktemp("chaos") / "report.json"
    cmd = [sys.executable, "-m", "wix_commerce_sync.testing.chaos.driver", "--orders", "15", "--stock", "30",
           "--fault-rate", "0.35", "--seed", "16", "--converge", "40", "--report", str(report)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return {**json.loads(report.read_text()), "output": result.stdout + result.stderr}


def test_every_fault_kind_was_injected(chaos):
    for kind in (*API_FAULTS, *WEBHOOK_FAULTS, "woo_webhook_disabled"):
        assert chaos["faults"].get(kind, 0) >= 1, f"fault {kind} never injected: {chaos['line']}"


def test_no_order_lost_or_doubled_and_no_event_queued_twice(chaos):
    line = chaos["line"]
    lost_or_doubled = [p for p in chaos["problems"] if " lost" in p or "live Sales Orders" in p]
    assert (line["orders_lost"], line["orders_doubled"]) == (0, 0), "\n".join(lost_or_doubled)
    assert line["jobs_doubled"] == 0, "\n".join(p for p in chaos["problems"] if "queued" in p)


def test_no_store_product_created_twice_on_shopify_or_woocommerce(chaos):
    """A create whose answer was lost is never re-sent blindly: the retry looks first (no-blind-retry rule)."""
    twice = [p for p in chaos["problems"] if "carry SKU" in p and "Sandbox Wix" not in p]
    assert not twice, "\n".join(twice)


def test_no_secret_in_logs_jobs_error_logs_answers_or_output(chaos):
    assert chaos["secrets"]
    assert chaos["line"]["secrets_found"] == 0
    assert not [s for s in chaos["secrets"] if s in chaos["output"]]


@pytest.mark.xfail(strict=False, reason="chaos finding (issue 16 report): a Wix product create whose answer was "
                   "lost can reach the store twice; Wix stock can stay apart after a store-side cancel")  # fmt: skip
def test_items_and_stock_agree_record_by_record(chaos):
    line = chaos["line"]
    assert (line["records_different"], line["stock_different"]) == (0, 0), "\n".join(chaos["problems"])
