"""Stock propagation through the whole app: one ERPNext stock entry -> doc event -> queue -> engine -> Shopify.

Measures what a merchant sees: API calls spent and seconds from the ERPNext submit until the simulated
Shopify store shows every new quantity (promised: under 2 minutes).
"""

from __future__ import annotations

import sys
import tempfile
import time

from bench.harness import report
from wix_commerce_sync.sandbox import Sandbox


def run(products: int = 500) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="wcs-bench-") as tmp:
        sandbox = Sandbox(tmp, platforms=("Shopify",), products=products, say=lambda _: None)
        sandbox.start()
        try:
            import frappe

            kit = sandbox.add_store("Shopify")
            started = time.perf_counter()
            sandbox.full_sync(kit)
            import_seconds = time.perf_counter() - started
            mapped = frappe.get_all("Commerce Item Mapping", filters={"store": kit.store}, fields=["item_code", "sku"])
            kit.sim.reset_counts()
            started = time.perf_counter()
            sandbox.receive_stock(kit)  # one Stock Entry for every item, then the scheduler's work
            propagation = time.perf_counter() - started
            updated = sum(kit.sim.stock_of(m.sku) == 25 for m in mapped)
            calls = kit.sim.call_count("graphql")
        finally:
            sandbox.stop()
    return {"items": len(mapped), "import_seconds": import_seconds, "items_updated_on_store": updated,
            "stock_api_calls": calls, "propagation_seconds": propagation}  # fmt: skip


def main() -> None:
    report("stock through the app: ERPNext stock entry -> Shopify", run(50 if "--quick" in sys.argv else 500))


if __name__ == "__main__":
    main()
