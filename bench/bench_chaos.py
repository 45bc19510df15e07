"""The chaos run (``make chaos``): one store per platform on the contract simulators, the stand-in ERPNext behind a
real HTTP server, store orders (with edits and cancellations) and ERPNext stock changes with faults on about 20%
of operations (5xx, 429, timeouts, resets, answers lost after commit; duplicate, reordered and dropped webhook
deliveries; a webhook endpoint outage that makes WooCommerce disable its webhook). Then drain through the app's
own reconciliation, compare both sides record by record and scan everything for secrets.

Figures: orders_lost, orders_doubled, stock_different, records_different, dead_jobs (listed with reasons),
converge_seconds, peak_memory_mb, secrets_found and a count per fault kind.
Options: --orders N (default 1,000), --stock N (default 10,000), --seed N, --quick (60 orders, 600 stock changes).
"""

from __future__ import annotations

import sys
import tempfile

from bench.harness import report


def _arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main() -> None:
    from wix_commerce_sync.testing.chaos.driver import ChaosConfig, ChaosRun

    quick = "--quick" in sys.argv
    config = ChaosConfig(orders=_arg("--orders", 60 if quick else 1_000), stock_changes=_arg("--stock", 600 if quick else 10_000),
                         seed=_arg("--seed", 16), converge_timeout=float(_arg("--converge", 180)))  # fmt: skip
    messages: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        run = ChaosRun(tmp, config, say=messages.append)
        figures = run.run()
    for problem in figures.problems[:40]:
        print(f"   problem: {problem}")
    for reason in figures.dead_reasons:
        print(f"   dead job: {reason}")
    leaked = [s for s in run.secret_values if any(s in m for m in messages)]
    line = figures.line()
    line["secrets_found"] = figures.secrets_found + len(leaked)  # the run's own output scanned as well
    report("chaos run", line)


if __name__ == "__main__":
    main()
