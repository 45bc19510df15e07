"""End to end in the sandbox, per platform: simulated store <-> app endpoints <-> stand-in ERPNext.

The store sends signed webhooks over real sockets to the app's endpoint; ERPNext ends with the
right Items, Customers and Sales Orders; an ERPNext stock receipt and a Delivery Note reach the
store; with faults switched on (store API errors, throttling, resets, a site refusing webhooks),
both sides still agree and no order is lost or doubled.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = ["Shopify", "WooCommerce", "Wix"]


def run_sandbox(tmp_path: Path, platform: str, faults: bool) -> dict:
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "wix_commerce_sync.cli", "sandbox", "--platform", platform, "--port", "0",
           "--data-dir", str(tmp_path / "site"), "--report", str(report)]  # fmt: skip
    if faults:
        cmd.append("--faults")
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (only,) = json.loads(report.read_text())
    return only


def assert_both_sides_agree(report: dict) -> None:
    assert report["problems"] == []
    assert len(report["store_orders"]) >= 3
    assert report["erp_orders"] == report["store_orders"]  # none lost
    assert set(report["sales_orders_per_order"].values()) == {1}  # none doubled
    assert report["totals"] and all(Decimal(t["store_total"]) == Decimal(t["erp_total"]) for t in report["totals"])
    assert report["store_skus"] and set(report["store_skus"]) <= set(report["erp_skus"])  # items imported
    assert report["customers"] >= 2
    assert report["stock"] and all(Decimal(str(v["store"])) == Decimal(str(v["erp"])) for v in report["stock"].values())
    assert all(Decimal(str(v["erp"])) > 0 for v in report["stock"].values())  # the ERPNext receipt reached the store
    assert report["fulfilments"] and all(count >= 1 for count in report["fulfilments"].values())
    assert report["dead_jobs"] == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sandbox_full_sync_both_ways(tmp_path, platform):
    assert_both_sides_agree(run_sandbox(tmp_path, platform, faults=False))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sandbox_with_faults_loses_and_doubles_nothing(tmp_path, platform):
    report = run_sandbox(tmp_path, platform, faults=True)
    assert report["faults_served"] > 0 and report["webhooks_refused"] > 0  # the faults really happened
    assert_both_sides_agree(report)
