"""The stock latency benchmark end to end, small: worker processes, the shared queue and the event-driven flush
bring every change to all three simulated stores in seconds, with no flush called by the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stock_latency_benchmark_runs_small():
    code = ("from bench.bench_stock_latency import run; r = run(rounds=3, burst=120, spacing=0.2); "
            "print(r['single_change_p95_seconds'], r['burst_complete'], r['worker_jobs_failed'], r['shopify_burst_calls'])")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    p95, complete, failed, shopify_calls = result.stdout.strip().splitlines()[-1].split()
    assert float(p95) <= 10
    assert complete == "True" and failed == "0"
    assert int(shopify_calls) <= 10  # 120 rows in 10 transactions: never one call per row
