"""The chaos run: one store per platform on the contract-checked simulators, a stand-in ERPNext site behind a real
HTTP server, store orders (with edits and cancellations) and ERPNext stock changes under faults, then drain,
reconcile and compare both sides record by record.

Faults (``FaultScheduler``), on about ``fault_rate`` of the operations, each kind counted:
- store API: 5xx, 429 with Retry-After, a read timeout (the store stalls past the client's timeout), a connection
  reset, an answer lost after the store committed (``lose_answer_next``: the non-idempotent write's outcome is
  unknown, so the job must look first before writing again);
- webhooks: duplicate deliveries, reordered deliveries, dropped deliveries (the site answers 503), and one endpoint
  outage long enough for WooCommerce to disable its webhook (it never retries; the app re-registers it and the
  order poll catches up).
Comparison (``compare``): orders lost (a store order with no Sales Order) and doubled (more than one live Sales
Order for one store order, or more than one store order made by one ERPNext push), stock (store quantity vs
ERPNext available per mapped SKU), records (store SKUs without an ERPNext item; store customers without a
mapping); Dead jobs with their reasons; secrets found in logs, jobs, Error Logs, answers and captured output.
"""

from __future__ import annotations

import base64
import contextlib
import io
import random
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from wix_commerce_sync.sandbox import PLATFORMS, Kit, Sandbox, _available, _orders_of

API_FAULTS = ("5xx", "429", "timeout", "reset", "lost_answer")
WEBHOOK_FAULTS = ("duplicate", "reordered", "dropped")
POLL_SINCE = "2000-01-01 00:00:00"  # the simulators keep their own clocks: re-read every order
STALL_SECONDS = 1.5  # past the client read timeout set below
CLIENT_OPTIONS = {"timeout": (1.0, 1.0), "max_attempts": 3, "backoff_initial": 0.01, "backoff_max": 0.05}


@dataclass
class ChaosConfig:
    orders: int = 30  # store orders in all (spread over the stores)
    stock_changes: int = 60  # ERPNext stock changes in all (item lines of Material Receipts)
    fault_rate: float = 0.2
    seed: int = 16
    platforms: tuple[str, ...] = PLATFORMS
    products: int = 4
    woo_outage: bool = True
    converge_timeout: float = 120.0  # seconds of scheduler ticks after the last fault before the comparison


@dataclass
class FaultScheduler:
    """Decides, per operation, whether and which fault to inject; counts every kind injected."""

    rng: random.Random
    rate: float
    counts: Counter = field(default_factory=Counter)
    last_fault_at: float = 0.0

    def api_fault(self, sim: Any) -> str | None:
        if self.rng.random() >= self.rate:
            return None
        kind = self._least_used(API_FAULTS)
        {"5xx": lambda: sim.faults.fail_next(1, self.rng.choice([500, 502, 503])),
         "429": lambda: sim.faults.fail_next(1, 429, {"Retry-After": "0"}),
         "timeout": lambda: sim.faults.timeout_next(1, STALL_SECONDS),
         "reset": lambda: sim.faults.reset_next(1),
         "lost_answer": lambda: sim.faults.lose_answer_next(1)}[kind]()  # fmt: skip
        return self._count(kind)

    def webhook_fault(self) -> str | None:
        if self.rng.random() >= self.rate:
            return None
        return self._count(self._least_used(WEBHOOK_FAULTS))

    def _least_used(self, kinds: tuple[str, ...]) -> str:
        """Every kind comes round, even in a short run (ties broken at random)."""
        fewest = min(self.counts[k] for k in kinds)
        return self.rng.choice([k for k in kinds if self.counts[k] == fewest])

    def _count(self, kind: str) -> str:
        self.counts[kind] += 1
        self.last_fault_at = time.perf_counter()
        return kind


@dataclass
class Figures:
    orders: int = 0
    stock_changes: int = 0
    orders_lost: int = 0
    orders_doubled: int = 0
    stock_different: int = 0
    records_different: int = 0
    dead_jobs: int = 0
    converge_seconds: float = 0.0
    peak_memory_mb: float = 0.0
    secrets_found: int = 0
    # one order event queued twice (the dedupe key failed to stop a redelivery); orders only: a product write
    # the app repeated makes two real store events in one second, which look alike
    jobs_doubled: int = 0
    problems: list[str] = field(default_factory=list)
    dead_reasons: list[str] = field(default_factory=list)
    faults: Counter = field(default_factory=Counter)

    def line(self) -> dict[str, object]:
        faults = {f"fault_{k}": self.faults.get(k, 0) for k in (*API_FAULTS, *WEBHOOK_FAULTS, "woo_webhook_disabled")}
        return {"orders": self.orders, "stock_changes": self.stock_changes, "orders_lost": self.orders_lost,
                "orders_doubled": self.orders_doubled, "stock_different": self.stock_different,
                "records_different": self.records_different, "dead_jobs": self.dead_jobs,
                "converge_seconds": round(self.converge_seconds, 1), "peak_memory_mb": round(self.peak_memory_mb, 1),
                "secrets_found": self.secrets_found, "jobs_doubled": self.jobs_doubled, **faults, "faults_total": sum(self.faults.values())}  # fmt: skip


class ChaosRun(Sandbox):
    """The sandbox's stores and site, driven by a fault scheduler over many operations."""

    def __init__(self, data_dir: str | Path, config: ChaosConfig, say=print) -> None:
        super().__init__(data_dir, platforms=config.platforms, products=config.products, say=say)
        self.config = config
        self.rng = random.Random(config.seed)
        self.scheduler = FaultScheduler(self.rng, config.fault_rate)
        self.answers: list[str] = []  # every answer body the app gave (scanned for secrets)
        self.cancelled: dict[str, set[str]] = {}
        self.order_skus: dict[str, set[str]] = {}
        self.new_items: dict[str, list[str]] = {}
        self.secret_values: list[str] = []  # filled during the run: the stores' credentials and webhook secrets

    # -- set-up ---------------------------------------------------------------
    def start(self) -> None:
        super().start()
        from wix_commerce_sync import shell

        real = shell.store_config

        def faster(store_doc):  # short client timeouts so a stalled store is a timeout, quick retry backoff
            config = real(store_doc)
            config.options.update(CLIENT_OPTIONS)
            return config

        self._store_config_patch = contextlib.ExitStack()
        from unittest import mock

        self._store_config_patch.enter_context(mock.patch.object(shell, "store_config", faster))

    def stop(self) -> None:
        if getattr(self, "_store_config_patch", None):
            self._store_config_patch.close()
        super().stop()

    def call(self, method: str, **kwargs: Any) -> Any:
        answer = super().call(method, **kwargs)
        self.answers.append(repr(answer))
        return answer

    # -- operations -----------------------------------------------------------
    def deliver(self, kit: Kit) -> None:
        """Send the store's pending webhooks, perhaps duplicated, reordered or (site down) dropped."""
        fault = self.scheduler.webhook_fault()
        if fault == "dropped":
            self.server.refuse_webhooks = 1
        kit.sim.deliver_webhooks(duplicate=fault == "duplicate", reverse=fault == "reordered")
        self.server.refuse_webhooks = 0

    def place_order(self, kit: Kit, skus: list[str], n: int) -> None:
        self.scheduler.api_fault(kit.sim)  # what the app calls next may fail
        lines = [{"sku": self.rng.choice(skus), "quantity": self.rng.randint(1, 2)}]
        order = kit.sim.create_order(line_items=lines, customer_email=f"{kit.platform.lower()}-buyer{n % 2}@example.com")
        kit.order_ids.append(str(order.get("id")))
        self.order_skus[str(order.get("id"))] = {line["sku"] for line in lines}
        self.deliver(kit)

    def edit_or_cancel(self, kit: Kit) -> None:
        live = [o for o in kit.order_ids if o not in self.cancelled.setdefault(kit.store, set())]
        if not live:
            return
        order_id = self.rng.choice(live)
        self.scheduler.api_fault(kit.sim)
        sim_id = int(order_id) if order_id.isdigit() else order_id
        if self.rng.random() < 0.5:
            kit.sim.cancel_order(sim_id)
            self.cancelled[kit.store].add(order_id)
        else:
            note = {"Shopify": {"note": f"chaos edit {self.rng.random():.6f}"}, "WooCommerce": {"customer_note": "edit"},
                    "Wix": {"buyerNote": "edit"}}[kit.platform]  # fmt: skip
            with contextlib.suppress(Exception):  # a simulator may not model this edit: the cancel path still runs
                kit.sim.update_order(sim_id, **note)
        self.deliver(kit)

    def stock_change(self, kit: Kit, codes: list[str], lines: int) -> int:
        """An ERPNext Material Receipt of ``lines`` item lines (each one stock change), then the push."""
        import frappe

        self.scheduler.api_fault(kit.sim)
        picked = [self.rng.choice(codes) for _ in range(lines)]
        entry = frappe.get_doc({
            "doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
            "company": self.basics["company"],
            "items": [{"item_code": code, "qty": self.rng.randint(1, 3), "t_warehouse": self.basics["warehouse"],
                       "basic_rate": 5, "uom": "Nos", "stock_uom": "Nos", "conversion_factor": 1} for code in picked],
        })  # fmt: skip
        entry.insert(ignore_permissions=True)
        entry.submit()
        frappe.db.commit()
        return lines

    def new_erp_item(self, kit: Kit, n: int) -> None:
        """A new ERPNext Item sent to the store (a non-idempotent create); its answer may be lost after commit."""
        from wix_commerce_sync.testing.erp_fixtures import make_item

        code = make_item(f"CHAOS-{kit.sku_prefix}-{n:04d}", "12.00")
        if self.scheduler.rng.random() < self.scheduler.rate * 2:  # aimed at the create itself, past the look-ups
            {"Shopify": lambda: kit.sim.lose_answer_of("productSet"),
             "WooCommerce": lambda: kit.sim.lose_answer_to("POST", "/products/batch"),
             "Wix": lambda: kit.sim.lose_answer_of("products-with-inventory/create")}[kit.platform]()  # fmt: skip
            self.scheduler._count("lost_answer")
        try:
            self.call("push_product", store=kit.store, item_code=code)
        except RuntimeError as exc:  # an AmbiguousWriteError answers an error; the retry must look first
            self.say(f"{kit.store}: push of {code} failed ({str(exc)[:100]}); retried")
            with contextlib.suppress(RuntimeError):
                self.call("push_product", store=kit.store, item_code=code)
        self.new_items.setdefault(kit.store, []).append(code)

    def work_quietly(self, kit: Kit, entities: list[str] | None = None) -> None:
        """A scheduler tick; a failure is the app's to retry later, the run goes on (and counts what is left)."""
        try:
            self.work(kit, entities=entities)
        except Exception as exc:  # noqa: BLE001 - recorded; the comparison says whether anything was lost
            import frappe

            frappe.db.rollback()
            self.say(f"{kit.store}: a tick failed ({type(exc).__name__}: {str(exc)[:120]}); retried by the next one")

    def woo_outage(self, kit: Kit, skus: list[str]) -> None:
        """The endpoint down long enough for WooCommerce to disable its webhooks; then the app re-registers."""
        self.server.refuse_webhooks = 10_000
        for n in range(8):
            kit.sim.create_order(line_items=[{"sku": self.rng.choice(skus), "quantity": 1}],
                                 customer_email=f"woocommerce-buyer{n % 2}@example.com")  # fmt: skip
            kit.order_ids.append(str(list(_orders_of(kit.sim))[-1]))
            kit.sim.deliver_webhooks()
        self.server.refuse_webhooks = 0
        disabled = sum(1 for h in kit.sim.webhooks.values() if h["status"] == "disabled")
        if disabled:
            self.scheduler.counts["woo_webhook_disabled"] += 1
            self.scheduler.last_fault_at = time.perf_counter()
        self.say(f"{kit.store}: endpoint outage: {disabled} webhook(s) disabled by WooCommerce")

    # -- the run --------------------------------------------------------------
    def run(self) -> Figures:
        figures = Figures()
        tracemalloc.start()
        self.start()
        import frappe

        try:
            for platform in self.config.platforms:
                kit = self.add_store(platform)
                self.full_sync(kit)
                self.receive_stock(kit)
            per_store_orders = max(1, self.config.orders // len(self.kits))
            per_store_stock = max(1, self.config.stock_changes // len(self.kits))
            for kit in self.kits:
                skus = sorted(self._store_skus(kit))
                codes = frappe.get_all("Commerce Item Mapping", filters={"store": kit.store}, pluck="item_code")
                stock_left = per_store_stock
                for n in range(per_store_orders):
                    self.place_order(kit, skus, n)
                    figures.orders += 1
                    if self.rng.random() < 0.25:
                        self.edit_or_cancel(kit)
                    if stock_left > 0:
                        lines = min(stock_left, max(1, per_store_stock // per_store_orders))
                        stock_left -= self.stock_change(kit, codes, lines)
                        figures.stock_changes += lines
                    if n % 5 == 4:
                        self.new_erp_item(kit, n)
                        self.work_quietly(kit, entities=["stock"])
                while stock_left > 0:
                    lines = min(stock_left, 20)
                    stock_left -= self.stock_change(kit, codes, lines)
                    figures.stock_changes += lines
                if kit.platform == "WooCommerce" and self.config.woo_outage:
                    self.woo_outage(kit, skus)
                    figures.orders += 8
                self.work_quietly(kit, entities=["stock"])
            for kit in self.kits:
                kit.sim.faults.clear()
            self.drain()
            figures.converge_seconds = time.perf_counter() - (self.scheduler.last_fault_at or time.perf_counter())
            self.compare_all(figures)
            self.secret_values = self.secrets()
            figures.secrets_found = len(self.scan_secrets())
        finally:
            figures.peak_memory_mb = tracemalloc.get_traced_memory()[1] / 1_000_000
            tracemalloc.stop()
            self.stop()
        figures.faults = Counter(self.scheduler.counts)
        return figures

    def drain(self) -> None:
        """Faults over: the app's hourly reconciliation (full stock comparison, order poll, disabled WooCommerce
        webhooks re-activated) and scheduler ticks (retries as they come due, a full order re-poll, stock push)
        until both sides agree or ``converge_timeout`` passes."""
        from wix_commerce_sync.tasks.scheduler import commerce_sync_hourly_reconcile

        deadline = time.perf_counter() + self.config.converge_timeout
        while True:
            commerce_sync_hourly_reconcile()  # full stock comparison, order poll, WooCommerce webhooks re-activated
            self.run_jobs()
            for kit in self.kits:
                with contextlib.suppress(RuntimeError):
                    self.call("retry_failed", store=kit.store)
                with contextlib.suppress(RuntimeError):
                    self.call("sync_orders", store=kit.store, since=POLL_SINCE)
                kit.sim.deliver_webhooks()
                self.work_quietly(kit, entities=["stock"])
            probe = Figures()
            self.compare_all(probe)
            if not probe.problems or time.perf_counter() > deadline:
                return
            time.sleep(1.0)

    # -- comparison -----------------------------------------------------------
    def compare_all(self, figures: Figures) -> None:
        import frappe

        for kit in self.kits:
            store_orders = {str(k): v for k, v in _orders_of(kit.sim).items()}
            for external in store_orders:
                live = frappe.db.count("Sales Order", {"commerce_store": kit.store, "commerce_order_id": external,
                                                       "docstatus": ["<", 2]})  # fmt: skip
                every = frappe.db.count("Sales Order", {"commerce_store": kit.store, "commerce_order_id": external})
                if every == 0 and external in self.cancelled.get(kit.store, set()):
                    continue  # cancelled on the store before ERPNext heard of it: nothing to sell, nothing lost
                if every == 0:
                    figures.orders_lost += 1
                    status = kit.sim.order_status(int(external) if external.isdigit() else external)
                    figures.problems.append(f"{kit.store}: order {external} ({status}) lost")
                elif live > 1:
                    figures.orders_doubled += 1
                    figures.problems.append(f"{kit.store}: order {external} has {live} live Sales Orders")
            for code, sku in frappe.get_all("Commerce Item Mapping", filters={"store": kit.store},
                                            fields=["item_code", "sku"], as_list=True):  # fmt: skip
                erp = _available(frappe, code, self.basics["warehouse"])
                store = kit.sim.stock_of(sku)
                # what the app must show: actual - reserved, never below 0 (over-reserved stock shows 0 on a store)
                if store is None or Decimal(str(store)) != max(Decimal(0), erp):
                    figures.stock_different += 1
                    cancelled = sorted(o for o in self.cancelled.get(kit.store, set()) if sku in self.order_skus.get(o, ()))
                    figures.problems.append(f"{kit.store}: stock of {sku}: store {store} != ERPNext {erp}"
                                            + (f" (in store-cancelled order(s) {cancelled})" if cancelled else ""))
            erp_skus = set(frappe.get_all("Commerce Item Mapping", filters={"store": kit.store}, pluck="sku"))
            for sku in sorted(self._store_skus(kit) - erp_skus):
                figures.records_different += 1
                figures.problems.append(f"{kit.store}: item {sku} missing in ERPNext")
            for sku, count in sku_counts(kit.sim).items():
                if count > 1:
                    figures.records_different += count - 1
                    figures.problems.append(f"{kit.store}: {count} store products carry SKU {sku} (a create sent twice)")
            for code in self.new_items.get(kit.store, []):
                if code not in self._store_skus(kit) and not any(code in s for s in self._store_skus(kit)):
                    figures.records_different += 1
                    figures.problems.append(f"{kit.store}: ERPNext item {code} never reached the store")
            twice = frappe.db.sql(
                "select record_key, topic, ordering_key, count(*) from `tabCommerce Sync Job` where store = %s and "
                "direction = 'Inbound' and entity = 'orders' and topic is not null and ordering_key is not null "
                "group by record_key, topic, ordering_key having count(*) > 1", (kit.store,))  # fmt: skip
            for key, topic, ordering, count in twice:
                figures.jobs_doubled += int(count) - 1
                figures.problems.append(f"{kit.store}: webhook {topic} of {key} at {ordering} queued {count} times")
            for job in frappe.get_all("Commerce Sync Job", filters={"store": kit.store, "status": "Dead"},
                                      fields=["name", "entity", "action", "record_key", "last_error"]):  # fmt: skip
                figures.dead_jobs += 1
                figures.dead_reasons.append(f"{kit.store}: {job.entity} {job.action} {job.record_key}: "
                                            f"{(job.last_error or '')[:200]}")  # fmt: skip

    # -- secrets --------------------------------------------------------------
    def secrets(self) -> list[str]:
        found = []
        for kit in self.kits:
            config = kit.sim.store_config(name=kit.store) if kit.platform != "WooCommerce" else \
                kit.sim.store_config(name=kit.store)  # fmt: skip
            found += [v for v in config.credentials.values() if v and len(str(v)) >= 8]
            for key in ("webhook_secret",):
                value = self.frappe.get_doc("Commerce Store", kit.store).get_password(key, raise_exception=False)
                if value and len(value) >= 8 and kit.platform != "Wix":  # Wix: a public key, not a secret
                    found.append(value)
        return sorted(set(map(str, found)))

    def scan_secrets(self) -> list[str]:
        """Every secret, raw, base64 and URL-encoded, searched in logs, jobs, Error Logs and answers."""
        import frappe

        text = io.StringIO()
        for doctype in ("Commerce Sync Log", "Commerce Sync Job", "Error Log"):
            for row in frappe.get_all(doctype, fields=["*"]):
                text.write(frappe.as_json(row))
        text.write("\n".join(self.answers))
        text.write("\n".join(f"{m} {p} {s}" for m, p, s in getattr(self.server, "requests", [])))
        haystack = text.getvalue()
        hits = []
        for secret in self.secrets():
            for form in {secret, base64.b64encode(secret.encode()).decode(), quote(secret), quote_plus(secret)}:
                if form in haystack:
                    hits.append(f"secret ending {secret[-4:]} found ({'raw' if form == secret else 'encoded'})")
        return hits


def sku_counts(sim: Any) -> Counter:
    """How many store products carry each SKU (a product's variants counted once per product)."""
    products = getattr(sim, "product_store", None)
    if products is None:
        products = sim.products
    counts: Counter = Counter()
    for product in (products.values() if isinstance(products, dict) else products):
        counts.update(_skus_in(product))
    return counts


def _skus_in(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "sku" and isinstance(inner, str) and inner:
                found.add(inner)
            else:
                found |= _skus_in(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _skus_in(inner)
    return found


def main(argv: list[str] | None = None) -> int:
    """Run in a process of its own (the run opens and closes its own stand-in site): figures to a JSON file."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=15)
    parser.add_argument("--stock", type=int, default=30)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--converge", type=float, default=40.0)
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    config = ChaosConfig(orders=args.orders, stock_changes=args.stock, fault_rate=args.fault_rate, seed=args.seed,
                         converge_timeout=args.converge)  # fmt: skip
    with __import__("tempfile").TemporaryDirectory() as tmp:
        run = ChaosRun(tmp, config)
        figures = run.run()
    Path(args.report).write_text(json.dumps({
        "line": figures.line(), "problems": figures.problems, "dead_reasons": figures.dead_reasons,
        "faults": dict(figures.faults), "secrets": run.secret_values,  # throwaway simulator secrets (a temp file)
    }, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
