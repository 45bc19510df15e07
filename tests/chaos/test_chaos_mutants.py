"""Each safeguard the chaos run exists to prove, taken away in turn (``--mutant``): the same CI-sized run must
then fail the test that guards it. A run whose figures stay clean without the safeguard would prove nothing.

- the dedupe key (a redelivered webhook is not queued again) -> an order event queued twice;
- the unique order key (two workers racing on one store order) -> two live Sales Orders for one store order;
- the no-blind-retry rule (a create whose answer was lost is looked for, not sent again) -> two store products
  with one SKU.
The drain is kept short: without the safeguard both sides never agree, and the run would wait it out.
"""

from __future__ import annotations

import os

import pytest

from wix_commerce_sync.testing.chaos.driver import CI_ARGS, run_in_subprocess

pytestmark = pytest.mark.skipif(os.environ.get("WCS_DB") == "sqlite",
                                reason="racing workers need MariaDB's row locks (the unique-key mutant drops a MariaDB index)")  # fmt: skip


@pytest.mark.parametrize(("mutant", "figure", "problem"), [
    ("dedupe", "jobs_doubled", "queued 2 times"),
    ("unique-order-key", "orders_doubled", "live Sales Orders"),
    ("no-blind-retry", "records_different", "(a create sent twice)"),
])  # fmt: skip
def test_the_chaos_run_fails_without_the_safeguard(tmp_path, mutant, figure, problem):
    report = run_in_subprocess(tmp_path / "report.json", *CI_ARGS, "--converge", "20", "--mutant", mutant)
    assert report["line"][figure] > 0, f"without {mutant} the run stayed clean: {report['line']}"
    assert any(problem in p for p in report["problems"]), report["problems"]
