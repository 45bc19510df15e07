"""The benchmark harness prints a readable block and a key=value last line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.harness import measure, report

ROOT = Path(__file__).resolve().parents[2]


def test_report_last_line_is_key_value_pairs(capsys):
    line = report("demo", {"api_calls": 42, "wall_seconds": 1.23456, "mode": "quick run"})
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == line == "api_calls=42 wall_seconds=1.235 mode=quick_run"


def test_measure_records_time_and_memory():
    with measure() as m:
        blob = bytearray(5_000_000)
    assert m.wall_seconds > 0 and m.peak_memory_mb >= 4.9
    del blob


def test_engine_benchmark_runs_small():
    code = "from bench.bench_engine import run; r = run(orders=50, stock_rows=600); print(r['orders_applied'], r['stock_batch_calls'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["50", "3"]


def test_webhook_benchmark_runs_small():
    code = ("from bench.bench_webhooks import run; r = run(orders=3); "
            "print(r['shopify_sales_orders'], r['woocommerce_sales_orders'], r['wix_sales_orders'])")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["3", "3", "3"]


def test_app_stock_benchmark_runs_small():
    code = "from bench.bench_app_stock import run; r = run(products=20); print(r['items'], r['items_updated_on_store'], r['stock_api_calls'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["40", "40", "1"]  # 40 items, all updated, in one inventorySetQuantities call
