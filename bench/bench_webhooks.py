"""Webhook answer time and order sync time through the real endpoint, for all three platforms.

Each simulator places orders and delivers its signed webhooks over HTTP to the app's endpoint on
the stand-in site (signature check, job row, enqueue, commit, answer). Then the queued jobs run,
as a worker would. Promised: webhook processing under 500 ms (Wix allows 1.25 s to answer), under
1 s per order synced.
"""

from __future__ import annotations

import sys
import tempfile
import time

from bench.harness import latency_figures, report
from wix_commerce_sync.sandbox import Sandbox


def run(orders: int = 60) -> dict[str, object]:
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="wcs-bench-") as tmp:
        sandbox = Sandbox(tmp, say=lambda _: None)
        sandbox.start()
        try:
            for platform in ("Shopify", "WooCommerce", "Wix"):
                kit = sandbox.add_store(platform)
                sandbox.full_sync(kit)
                skus = sorted(sandbox._store_skus(kit))
                sandbox.server.timings.clear()
                for n in range(orders):
                    kit.sim.create_order(line_items=[{"sku": skus[n % len(skus)], "quantity": 1 + n % 3}],
                                         customer_email=f"bench{n % 7}@example.com", **kit.order_extras(n))  # fmt: skip
                kit.sim.deliver_webhooks()
                answers = [s for path, status, s in sandbox.server.timings if "webhooks" in path and status == 200]
                started = time.perf_counter()
                sandbox.run_jobs()
                processing = time.perf_counter() - started
                import frappe

                made = frappe.db.count("Commerce Order Mapping", {"store": kit.store})
                key = platform.lower()
                figures[f"{key}_webhooks"] = len(answers)
                figures.update(latency_figures(answers, f"{key}_answer"))
                figures[f"{key}_sales_orders"] = made
                figures[f"{key}_ms_per_order"] = round(processing * 1000 / max(made, 1), 1)
        finally:
            sandbox.stop()
    return figures


def main() -> None:
    report("webhooks through the endpoint, orders through the worker", run(10 if "--quick" in sys.argv else 60))


if __name__ == "__main__":
    main()
