"""The chaos run (``make chaos``): one store per platform on the contract simulators, the stand-in ERPNext on
MariaDB behind a real HTTP server, three worker processes and the scheduler's tick; store orders (with edits,
cancellations and refunds), product edits on both sides, customer edits and ERPNext stock changes with faults on
about 20% of operations (5xx, 429, timeouts, resets, answers lost after commit, partial batch failures; duplicate,
reordered and dropped webhook deliveries; a webhook endpoint outage that makes WooCommerce disable its webhook;
worker processes SIGKILLed mid-job; database connections killed mid-transaction). Then drain through the app's own reconciliation, compare both sides record by record and scan
everything (logs, jobs, Error Logs, answers, every process's stdout/stderr) for secrets.

Figures: orders_lost, orders_doubled, stock_different, records_different, refunds_lost, refunds_doubled,
jobs_doubled, dead_jobs (listed with reasons),
converge_seconds, peak_memory_mb (main process), worker_peak_rss_mb, secrets_found and a count per fault kind.
Options: --orders N (default 1,000), --stock N (default 10,000), --seed N, --workers N, --quick (60 orders, 600
stock changes), --mutant NAME (take one safeguard away: dedupe, unique-order-key, no-blind-retry), --debug-logging
(every skipped event logged with its reason: a record still apart is listed with why each event of it was skipped).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.harness import report


def _arg(name: str, default: str | None) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    from wix_commerce_sync.testing.chaos.driver import leaked_in, run_in_subprocess

    quick = "--quick" in sys.argv
    args = ["--orders", _arg("--orders", "60" if quick else "1000"), "--stock", _arg("--stock", "600" if quick else "10000"),
            "--seed", _arg("--seed", "16"), "--converge", _arg("--converge", "300"), "--workers", _arg("--workers", "3"),
            "--fault-rate", _arg("--fault-rate", "0.2")]  # fmt: skip
    if _arg("--mutant", None):
        args += ["--mutant", _arg("--mutant", None)]
    if "--debug-logging" in sys.argv:  # every skipped event logged with its reason (for a record's history)
        args.append("--debug-logging")
    with tempfile.TemporaryDirectory() as tmp:
        run = run_in_subprocess(Path(tmp) / "report.json", *args, timeout=3600)
    for problem in run["problems"][:40]:
        print(f"   problem: {problem}")
    for line in run.get("histories", [])[:200]:
        print(f"   {line}")
    for reason in run["dead_reasons"]:
        print(f"   dead job: {reason}")
    leaked = leaked_in(run["output"], run["secrets"])  # every process's stdout and stderr
    line = dict(run["line"])
    line["secrets_found"] += len(leaked)
    report("chaos run", line)


if __name__ == "__main__":
    main()
