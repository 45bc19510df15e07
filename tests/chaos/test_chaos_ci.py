"""The chaos run, CI-sized (issue 16): three stores on the contract simulators, the stand-in behind a real HTTP
server, orders with edits and cancellations and ERPNext stock changes under every fault kind; after the drain,
no store order may be lost or doubled (``make chaos`` is the full run: ``python -m bench.bench_chaos``).
"""

from __future__ import annotations

from wix_commerce_sync.testing.chaos.driver import API_FAULTS, WEBHOOK_FAULTS, ChaosConfig, ChaosRun


def test_no_order_lost_or_doubled_under_every_fault_kind(tmp_path, capsys):
    run = ChaosRun(tmp_path / "chaos", ChaosConfig(orders=15, stock_changes=30, fault_rate=0.35, seed=16,
                                                   converge_timeout=40.0))  # fmt: skip
    figures = run.run()
    line = figures.line()
    print(line)
    for kind in (*API_FAULTS, *WEBHOOK_FAULTS, "woo_webhook_disabled"):
        assert figures.faults[kind] >= 1, f"fault {kind} never injected: {line}"
    lost_or_doubled = [p for p in figures.problems if " lost" in p or "live Sales Orders" in p]
    assert figures.orders_lost == 0 and figures.orders_doubled == 0, "\n".join(lost_or_doubled)
    assert figures.jobs_doubled == 0, "\n".join(p for p in figures.problems if "queued" in p)
    assert figures.records_different == 0, "\n".join(figures.problems)
    assert figures.secrets_found == 0
    output = capsys.readouterr()
    assert run.secret_values
    for secret in run.secret_values:
        assert secret not in output.out + output.err
