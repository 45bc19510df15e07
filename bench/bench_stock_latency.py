"""Stock in seconds (issue 14): ERPNext stock change -> visible on every store, with production scheduling.

Three stores at once (Shopify on the Standard plan's cost bucket, WooCommerce, Wix at 200 calls/minute) on one
stand-in site. Nothing is flushed by hand: ERPNext stock transactions are submitted and committed, their doc events
enqueue jobs, and ``bench worker``-like *processes* (two on short+default, one on long+default+short) take them from
a queue shared across processes with RQ's job_id/deduplicate semantics; the scheduler's per-minute tick runs in the
background; the stores' webhooks come back to the site server as they would. The clock stops when the simulated
store itself shows the new quantity.

(a) latency: ``rounds`` spaced changes, each one Stock Entry moving one item of every store; p50/p95 seconds per
    platform from the commit to the store showing it (``single_change_p95_seconds`` = the worst platform's p95).
(b) burst: ``burst`` changed items per store (10 Stock Entries per store, all stores interleaved, submitted as
    fast as the site takes them); API calls per platform against the least the platform allows
    (ceil(rows / rows per call), times 2 on Wix: revision look-up + update) and seconds from the first submit,
    and from the last commit, until the last quantity is on the store.

Run: ``python -m bench.bench_stock_latency`` (10,000-row burst; several minutes) or ``--quick`` (1,000 rows).
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.harness import report
from wix_commerce_sync.connectors.http import percentile

PLATFORMS = ("Shopify", "WooCommerce", "Wix")
# Wix's bulk inventory update needs each item's id and current revision: one query per 100 rows, then the update
CALLS_PER_BATCH = {"Wix": 2}
BURST_ENTRIES = 10  # stock transactions per store in the burst
POLL_SECONDS = 0.02


def _standard_plan_kits(sandbox_module: Any) -> None:
    """The Shopify kit on the Standard plan (the rate limit a real shop has)."""
    original = sandbox_module.KITS["Shopify"]

    def shopify() -> Any:
        kit = original()
        kit.sim.set_plan("standard")
        return kit

    sandbox_module.KITS = {**sandbox_module.KITS, "Shopify": shopify}


def _available(frappe: Any, code: str, warehouse: str) -> int:
    row = frappe.db.get_value("Bin", {"item_code": code, "warehouse": warehouse}, ["actual_qty", "reserved_qty"], as_dict=True)
    return int((row.actual_qty or 0) - (row.reserved_qty or 0)) if row else 0


def _receipt(frappe: Any, basics: dict, rows: list[tuple[str, int]]) -> None:
    """One ERPNext Material Receipt, submitted and committed (its doc events enqueue after the commit)."""
    entry = frappe.get_doc({
        "doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
        "company": basics["company"],
        "items": [{"item_code": code, "qty": qty, "t_warehouse": basics["warehouse"], "basic_rate": 5, "uom": "Nos",
                   "stock_uom": "Nos", "conversion_factor": 1, "transfer_qty": qty} for code, qty in rows],
    })  # fmt: skip
    entry.insert(ignore_permissions=True)
    entry.submit()
    frappe.db.commit()


class Watcher:
    """Polls the simulated stores until each awaited (sku -> quantity) shows; records when."""

    def __init__(self, kits: list[Any]) -> None:
        self.kits = {kit.store: kit for kit in kits}
        self.waiting: dict[tuple[str, str], tuple[int, float]] = {}
        self.seen: dict[tuple[str, str], float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="watcher", daemon=True)
        self.thread.start()

    def expect(self, store: str, sku: str, quantity: int, since: float) -> None:
        with self.lock:
            self.waiting[(store, sku)] = (quantity, since)
            self.seen.pop((store, sku), None)

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                pending = list(self.waiting.items())
            for (store, sku), (quantity, _) in pending:
                if self.kits[store].sim.stock_of(sku) == quantity:
                    with self.lock:
                        if self.waiting.get((store, sku), (None,))[0] == quantity:
                            del self.waiting[(store, sku)]
                            self.seen[(store, sku)] = time.perf_counter()
            time.sleep(POLL_SECONDS)

    def wait(self, keys: list[tuple[str, str]], timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if all(k in self.seen for k in keys):
                    return True
            time.sleep(POLL_SECONDS)
        return False

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


class AsyncWebhooks:
    """Webhooks delivered a moment after the change, as the platforms do. (The Shopify and Wix simulators'
    ``auto_deliver`` delivers inside the API call, before answering it: with the stand-in's one-writer SQLite
    site, an app call made inside a write transaction would then wait on its own webhook.)"""

    def __init__(self, kits: list[Any], every: float = 0.2) -> None:
        self.sims = [kit.sim for kit in kits if kit.platform in ("Shopify", "Wix")]
        for sim in self.sims:
            sim.auto_deliver = False
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="webhook-deliverer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            for sim in self.sims:
                sim.deliver_webhooks()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)


def _caught_up(frappe: Any, kits: list[Any]) -> None:
    """Every store synced up to now (as after the import): the tick then does only what falls due during the run,
    not a first poll of the catalogue that was seeded directly."""
    from datetime import datetime, timezone

    from wix_commerce_sync.shell import get_engine

    now = datetime.now(timezone.utc)
    for kit in kits:
        engine = get_engine(kit.store)
        for entity in ("items", "orders", "customers", "stock"):
            engine.state.set_cursor(kit.store, entity, now)
        frappe.db.set_value("Commerce Store", kit.store, {"last_product_run": frappe.utils.now(), "last_order_run": frappe.utils.now(),
                                                           "last_customer_run": frappe.utils.now(), "last_stock_run": frappe.utils.now()},
                            update_modified=False)  # fmt: skip
    frappe.db.commit()


def _seed_burst_catalogue(frappe: Any, kit: Any, rows: int) -> list[tuple[str, str]]:
    """``rows`` simple products on the store and the same as mapped Items in ERPNext (set up directly: the import
    is measured by other benchmarks; here only the push counts). Returns (item_code, sku) pairs."""
    from wix_commerce_sync import shell
    from wix_commerce_sync.sync.keys import record_key

    prefix = f"B{kit.sku_prefix}"
    zero = {"stock": 0} if kit.platform == "WooCommerce" else {"quantity": 0}  # ERPNext has none yet either
    kit.sim.seed_catalog(rows, variants_per_product=1, sku_prefix=prefix, **zero)
    connector = shell.get_connector(frappe.get_doc("Commerce Store", kit.store))
    now = frappe.utils.now()
    pairs, items, mappings = [], [], []
    for product in connector.import_products():
        for variant in product.variants:
            if not (variant.sku or "").startswith(prefix):
                continue
            code = variant.sku
            pairs.append((code, variant.sku))
            items.append((code, now, now, "Administrator", "Administrator", 0, code, code, "Products", "Nos", 1, 0, 0, 4.0, 0))
            mappings.append((frappe.generate_hash(length=10), now, now, "Administrator", "Administrator", 0, kit.store,
                             code, variant.sku, product.external_id, variant.external_id, variant.inventory_item_id,
                             record_key(kit.store, code), record_key(kit.store, variant.external_id), 0))  # fmt: skip
    frappe.db._ensure_write()  # the stand-in's own SQLite connection: 30,000 rows in a second, not minutes
    conn = frappe.db._conn
    conn.executemany(
        "INSERT INTO `tabItem` (name, creation, modified, owner, modified_by, docstatus, item_code, item_name, item_group,"
        " stock_uom, is_stock_item, has_variants, disabled, valuation_rate, is_fixed_asset) VALUES"
        " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", items)  # fmt: skip
    conn.executemany(
        "INSERT INTO `tabCommerce Item Mapping` (name, creation, modified, owner, modified_by, docstatus, store, item_code,"
        " sku, external_product_id, external_variant_id, inventory_item_id, item_key, variant_key, safety_stock)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", mappings)  # fmt: skip
    frappe.db.commit()
    return pairs


def run(rounds: int = 50, burst: int = 10_000, spacing: float = 1.0, platforms: tuple[str, ...] = PLATFORMS) -> dict[str, object]:
    from wix_commerce_sync import sandbox as sandbox_module
    from wix_commerce_sync.testing.workers import SharedJobQueue, SiteAddress, WorkerPool

    _standard_plan_kits(sandbox_module)
    figures: dict[str, object] = {"stores": len(platforms), "rounds": rounds, "burst_rows_per_store": burst}
    with tempfile.TemporaryDirectory(prefix="wcs-latency-") as tmp:
        sandbox = sandbox_module.Sandbox(tmp, platforms=platforms, products=10, say=lambda _: None)
        sandbox.start()
        pool = watcher = deliverer = None
        try:
            import frappe

            _patient_site(frappe, sandbox.site)

            kits = [sandbox.add_store(p) for p in platforms]
            for kit in kits:
                sandbox.full_sync(kit)  # the catalogue comes in the normal way (in-process jobs, before the workers)
            _say("catalogues imported")
            burst_pairs = {kit.store: _seed_burst_catalogue(frappe, kit, burst) for kit in kits} if burst else {}
            _say("burst catalogues seeded")
            _caught_up(frappe, kits)
            warehouse = sandbox.basics["warehouse"]
            latency_items = {kit.store: frappe.get_all("Commerce Item Mapping", filters={"store": kit.store,
                                                                                         "sku": ["like", f"{kit.sku_prefix}%"]},
                                                       fields=["item_code", "sku"], order_by="sku asc")
                             for kit in kits}  # fmt: skip

            queue = SharedJobQueue(str(Path(tmp) / "rq.sqlite3"))
            queue.install()
            site = SiteAddress(sandbox.site.name, sandbox.site.sites_path, sandbox.site.site_path, sandbox.site.db_path)
            pool = WorkerPool(site, queue)
            pool.start()
            deliverer = AsyncWebhooks(kits)
            watcher = Watcher(kits)
            started = time.perf_counter()
            _say("workers started")

            # (a) spaced single changes
            latencies: dict[str, list[float]] = {kit.platform: [] for kit in kits}
            missed: dict[str, int] = {kit.platform: 0 for kit in kits}
            for r in range(rounds):
                picks = {kit.store: latency_items[kit.store][r % len(latency_items[kit.store])] for kit in kits}
                _receipt(frappe, sandbox.basics, [(m.item_code, 1) for m in picks.values()])
                committed = time.perf_counter()
                keys = []
                for kit in kits:
                    m = picks[kit.store]
                    watcher.expect(kit.store, m.sku, _available(frappe, m.item_code, warehouse), committed)
                    keys.append((kit.store, m.sku))
                if not watcher.wait(keys, timeout=90):
                    for kit in kits:
                        missed[kit.platform] += (kit.store, picks[kit.store].sku) not in watcher.seen
                for kit in kits:
                    seen = watcher.seen.get((kit.store, picks[kit.store].sku))
                    if seen is not None:
                        latencies[kit.platform].append(seen - committed)
                time.sleep(spacing)
            for kit in kits:
                values = latencies[kit.platform] or [float("inf")]
                key = kit.platform.lower()
                figures[f"{key}_single_p50_seconds"] = round(statistics.median(values), 3)
                figures[f"{key}_single_p95_seconds"] = round(percentile(values, 95), 3)
                figures[f"{key}_single_max_seconds"] = round(max(values), 3)
                figures[f"{key}_single_missed"] = missed[kit.platform]
            _say("single changes done")
            figures["single_change_p95_seconds"] = max(figures[f"{k.platform.lower()}_single_p95_seconds"] for k in kits)

            # (b) the burst: every store's rows in BURST_ENTRIES transactions, stores interleaved
            if burst:
                for kit in kits:
                    kit.sim.reset_counts()
                burst_started = time.perf_counter()
                chunks = {kit.store: [burst_pairs[kit.store][i::BURST_ENTRIES] for i in range(BURST_ENTRIES)] for kit in kits}
                for i in range(BURST_ENTRIES):
                    for kit in kits:
                        _receipt(frappe, sandbox.basics, [(code, 3) for code, _ in chunks[kit.store][i]])
                submitted = time.perf_counter() - burst_started
                last_commit = time.perf_counter()
                _say(f"burst submitted in {submitted:.1f} s")
                keys = []
                for kit in kits:
                    for code, sku in burst_pairs[kit.store]:
                        watcher.expect(kit.store, sku, _available(frappe, code, warehouse), burst_started)
                        keys.append((kit.store, sku))
                done = watcher.wait(keys, timeout=900)
                figures["burst_submit_seconds"] = round(submitted, 3)
                ratios = []
                for kit in kits:
                    key = kit.platform.lower()
                    mine = [watcher.seen[(kit.store, sku)] for _, sku in burst_pairs[kit.store] if (kit.store, sku) in watcher.seen]
                    connector_rows = _rows_per_call(frappe, kit.store)
                    minimum = math.ceil(burst / connector_rows) * CALLS_PER_BATCH.get(kit.platform, 1)
                    calls = _stock_calls(kit)
                    figures[f"{key}_burst_rows_on_store"] = len(mine)
                    figures[f"{key}_burst_calls"] = calls
                    figures[f"{key}_burst_min_calls"] = minimum
                    figures[f"{key}_burst_calls_ratio"] = round(calls / minimum, 2)
                    figures[f"{key}_burst_last_seconds"] = round(max(mine) - burst_started, 3) if mine else float("inf")
                    figures[f"{key}_burst_after_last_commit_seconds"] = round(max(mine) - last_commit, 3) if mine else float("inf")
                    ratios.append(calls / minimum)
                figures["burst_complete"] = done
                figures["burst_calls_ratio"] = round(max(ratios), 2)
            figures["ticks"] = pool.ticks
            figures["wall_seconds"] = round(time.perf_counter() - started, 1)
            jobs = queue.counts()
            figures["worker_jobs_finished"] = jobs.get("finished", 0)
            figures["worker_jobs_failed"] = jobs.get("failed", 0)
            for failure in queue.failures()[:5]:
                print("   failed job:", failure)
        finally:
            for kit in sandbox.kits:
                kit.sim.auto_deliver = False
            if deliverer:
                deliverer.close()
            if watcher:
                watcher.close()
            if pool:
                pool.stop()
            sandbox.stop()
    return figures


def _patient_site(frappe: Any, site: Any) -> None:
    """The stand-in is one SQLite file: one writer at a time for the whole site (MariaDB locks rows). A worker
    writing 1,000 queue rows in one transaction makes the others wait longer than the default 20 s."""
    import json

    config = Path(site.site_path) / "site_config.json"
    conf = json.loads(config.read_text())
    conf["busy_timeout"] = 120
    config.write_text(json.dumps(conf))
    frappe.db.busy_timeout = 120
    frappe.db._conn.execute("pragma busy_timeout=120000")


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _rows_per_call(frappe: Any, store: str) -> int:
    from wix_commerce_sync import shell

    return shell.get_connector(frappe.get_doc("Commerce Store", store)).capabilities.stock_batch_size


def _stock_calls(kit: Any) -> int:
    """Every API call the store served during the burst (the stock writes and any reads they need)."""
    with kit.sim.lock:
        return len(kit.sim.requests)


def main() -> None:
    quick = "--quick" in sys.argv
    rounds = int(_arg("--rounds") or (20 if quick else 50))
    burst = int(_arg("--burst") or (1_000 if quick else 10_000))
    report("stock in seconds: ERPNext change -> 3 stores, production scheduling", run(rounds=rounds, burst=burst))


def _arg(name: str) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[:-1] else None


if __name__ == "__main__":
    main()
