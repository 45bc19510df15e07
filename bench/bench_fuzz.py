"""Fuzzing the three webhook endpoints: N generated deliveries per platform (default 10,000), signed and unsigned.

Shapes: ``wix_commerce_sync.testing.chaos.fuzz.KINDS`` (malformed JSON, wrong types, missing fields, ids beyond
2**53, unicode and control characters, deep nesting, huge arrays, oversized bodies, wrong content types,
replayed and stale signatures, Wix JWTs with alg none / HS256 keyed with the public key / expired). Each goes
through the real endpoint on a stand-in site (SQLite), processing held. Figures per platform and in total:
``fuzz_5xx`` (goal 0), ``fuzz_unhandled`` (0), ``fuzz_rows_written`` (rows other than the log written by
unsigned, forged or replayed deliveries: 0), and the log rows the rejected ones left (summarised per minute).
Options: ``--n N`` deliveries per platform; ``--quick`` (1,000).
"""

from __future__ import annotations

import sys
import tempfile
import time
from unittest import mock

from bench.harness import report


def _count() -> int:
    if "--n" in sys.argv:
        return int(sys.argv[sys.argv.index("--n") + 1])
    return 1_000 if "--quick" in sys.argv else 10_000


def run(n: int) -> dict[str, object]:
    from wix_commerce_sync.testing.chaos import fuzz
    from wix_commerce_sync.testing.sandbox_site import open_sandbox_site

    figures: dict[str, object] = {}
    totals = fuzz.Tally()
    with tempfile.TemporaryDirectory() as tmp, open_sandbox_site(tmp) as (frappe, _defaults, basics), \
            mock.patch("frappe.enqueue"):  # fmt: skip
        targets, sims = fuzz.make_targets(basics, "bench")
        started = time.perf_counter()
        try:
            for platform, target in targets.items():
                tally = fuzz.Tally()

                _fuzz(target, tally, n)
                for example in tally.examples:
                    print(f"   {platform}: {example}")
                log_rows = frappe.db.count("Commerce Sync Log", {"store": target.store})
                key = platform.lower()
                figures.update({f"{key}_deliveries": tally.deliveries, f"{key}_5xx": tally.fuzz_5xx,
                                f"{key}_unhandled": tally.fuzz_unhandled, f"{key}_rows_written": tally.fuzz_rows_written,
                                f"{key}_rejected": sum(c for s, c in tally.statuses.items() if 400 <= s < 500),
                                f"{key}_log_rows": log_rows})  # fmt: skip
                for field in ("deliveries", "fuzz_5xx", "fuzz_unhandled", "fuzz_rows_written"):
                    setattr(totals, field, getattr(totals, field) + getattr(tally, field))
                totals.kinds.update(tally.kinds)
        finally:
            for sim in sims:
                sim.stop()
        seconds = time.perf_counter() - started
    print("   kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(totals.kinds.items())))
    return {"deliveries": totals.deliveries, **figures, "fuzz_5xx": totals.fuzz_5xx,
            "fuzz_unhandled": totals.fuzz_unhandled, "fuzz_rows_written": totals.fuzz_rows_written,
            "kinds_covered": len(totals.kinds), "seconds": round(seconds, 1)}  # fmt: skip


def _fuzz(target, tally, n: int) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    from wix_commerce_sync.testing.chaos import fuzz

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(fuzz.deliveries(target))
    def one(delivery):
        tally.add(delivery, fuzz.deliver(target, delivery))

    one()


def main() -> None:
    report("webhook fuzzing", run(_count()))


if __name__ == "__main__":
    main()
