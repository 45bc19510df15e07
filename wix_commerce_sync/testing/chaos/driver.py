"""The chaos run: one store per platform on the contract-checked simulators, a stand-in ERPNext site (MariaDB unless
WCS_DB=sqlite) behind a real HTTP server, worker processes like a bench's (``testing/workers.py``: RQ's queues
shared between processes, the scheduler's tick), store orders with edits, cancellations and refunds, product
edits on both sides, store customer edits and ERPNext stock changes under faults; then drain, reconcile and
compare both sides record by record.

Faults (``FaultScheduler``), on about ``fault_rate`` of the operations, each kind counted, every kind at least once:
- store API: 5xx, 429 with Retry-After, a read timeout (the store stalls past the client's timeout), a connection
  reset, an answer lost after the store committed (``lose_answer_next``: the non-idempotent write's outcome is
  unknown, so the job must look first before writing again), a partial batch failure (some items of a batch
  write refused in the platform's published per-item error shape);
- webhooks: duplicate deliveries, reordered deliveries, dropped deliveries (the site answers 503), and one endpoint
  outage long enough for WooCommerce to disable its webhook (it never retries; the app re-registers it and the
  order poll catches up);
- processes: a worker SIGKILLed in the middle of a job (the pool fails the job as RQ does and starts another), a
  database connection killed mid-transaction (MariaDB ``KILL CONNECTION``);
- permanent: a store order with a line no ERPNext Item can take; its jobs must go Dead with their reason and an
  alert, and the order come in once the merchant has made the Item and pressed Retry (``fix_dead``).
The merchant's desk work (Stock Entries, item edits) runs in a process of its own (``merchant.py``), as a bench's
gunicorn serves it beside the workers.
Time is compressed: the scheduler ticks every ``tick_seconds``, a dead worker's claims come free after
``claim_lease_seconds`` (site_config ``commerce_sync_claim_lease_seconds``), the drain retries Failed jobs at once.
Comparison (``compare_all``): orders lost (a store order with no Sales Order) and doubled (more than one live Sales
Order for one store order); stock (store quantity vs ERPNext actual - reserved, never below 0, per mapped SKU);
records (store SKUs without an ERPNext item, a SKU on two store products, edited products' names and prices,
renamed customers); refunds lost or doubled (credit notes); order events queued twice; Dead jobs with their
reasons; secrets found in logs, jobs, Error Logs, answers and captured output.
``--mutant`` takes one safeguard away (dedupe key, unique order key, no-blind-retry rule) to show the run fails.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import random
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from wix_commerce_sync.sandbox import PLATFORMS, Kit, Sandbox, _available, _orders_of, _sim_id
from wix_commerce_sync.testing.chaos import audit, merchant

API_FAULTS = ("5xx", "429", "timeout", "reset", "lost_answer", "partial_batch")
WEBHOOK_FAULTS = ("duplicate", "reordered", "dropped")
PROCESS_FAULTS = ("worker_killed", "db_connection_dropped")  # worker mode; the second needs MariaDB
MANAGER = "shop-admin@example.com"  # the Commerce Sync Manager who gets the alerts
POLL_SINCE = "2000-01-01 00:00:00"  # the simulators keep their own clocks: re-read every order
PROCESS_FAULT_WAIT = 90.0  # seconds a worker kill or a connection drop waits for a job or transaction to hit
RECONCILE_EVERY = 20.0  # seconds between the drain's reconciliations (an hour on a bench)
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
    # worker processes (a bench's supervisor runs 3: short+default twice, long+default+short); 0: in-process jobs
    workers: int = 3
    db: str = "auto"  # "mariadb", "sqlite", or "auto": MariaDB unless WCS_DB=sqlite (testing/database.py)
    kills: int = 2  # worker processes SIGKILLed mid-job
    db_drops: int = 2  # database connections killed mid-transaction (MariaDB only)
    # time compressed: Frappe's scheduler ticks every 60 s (here every tick_seconds); a dead worker's claims are
    # taken again after 30 minutes (here claim_lease_seconds, through the site_config key the app reads)
    tick_seconds: float = 2.0
    claim_lease_seconds: float = 45.0
    mutant: str | None = None  # a safeguard taken away (MUTANTS), to show the comparison catches it
    # store orders with a line no ERPNext Item can take (a custom line item): their job must go Dead, visibly,
    # and come in once the merchant has made the Item and pressed Retry
    permanent_faults: int = 1
    # Commerce Sync Settings' Debug Logging on: every skipped event logged with its reason (a record's history then
    # says why each event of it was not applied); slower, so off for the figures
    debug_logging: bool = False


@dataclass(frozen=True)
class Cadence:
    """How often each kind of operation comes, from the run's size: ``steps`` rounds of one order per store."""

    steps: int
    per_store_stock: int
    per_step: int
    entry_every: int  # steps between Stock Entries (a warehouse books in batches of about 100 lines)
    new_item_every: int  # ten new ERPNext Items per store in a long run (each goes to every store)
    erp_edit_every: int

    @classmethod
    def of(cls, config: ChaosConfig, stores: int) -> Cadence:
        steps = max(1, config.orders // stores)
        per_store_stock = max(1, config.stock_changes // stores)
        per_step = max(1, per_store_stock // steps)
        return cls(steps=steps, per_store_stock=per_store_stock, per_step=per_step,
                   entry_every=max(1, min(steps, 100 // per_step)), new_item_every=max(5, steps // 10),
                   erp_edit_every=max(4, steps // 40))  # fmt: skip


HISTORY_JOB_FIELDS = ["name", "direction", "action", "topic", "status", "ordering_key", "attempts", "creation",
                      "modified", "last_error"]


def _job_line(job: Any) -> str:
    """One Commerce Sync Job in a record's history."""
    return (f"  job {job.name} {job.direction} {job.topic or job.action} {job.status} key={job.ordering_key} "
            f"attempts={job.attempts} made {job.creation} last {job.modified}: {(job.last_error or '')[:120]}")


@dataclass(frozen=True)
class DeadJob:
    store: str
    entity: str
    external_id: str  # the store's id of the record (an order's id)
    error: str  # the job's last error, whole
    reason: str  # the line the run reports: store, entity, action, record, error


@dataclass
class StorePlan:
    skus: list[str]  # the store's SKUs at the start
    codes: list[str]  # their ERPNext item codes
    stock_left: int  # stock changes still to book for this store


@dataclass
class FaultScheduler:
    """Decides, per operation, whether and which fault to inject; counts every kind injected."""

    rng: random.Random
    rate: float
    counts: Counter = field(default_factory=Counter)
    last_fault_at: float = 0.0

    def api_fault(self, sim: Any) -> str | None:
        if self.rng.random() >= self.rate and self._all_used(API_FAULTS):
            return None
        kind = self._least_used(API_FAULTS)
        {"5xx": lambda: sim.faults.fail_next(1, self.rng.choice([500, 502, 503])),
         "429": lambda: sim.faults.fail_next(1, 429, {"Retry-After": "0"}),
         "timeout": lambda: sim.faults.timeout_next(1, STALL_SECONDS),
         "reset": lambda: sim.faults.reset_next(1),
         "lost_answer": lambda: sim.faults.lose_answer_next(1),
         "partial_batch": lambda: sim.fail_batch_items_next(1)}[kind]()  # fmt: skip
        return self._count(kind)

    def webhook_fault(self) -> str | None:
        if self.rng.random() >= self.rate and self._all_used(WEBHOOK_FAULTS):
            return None
        return self._count(self._least_used(WEBHOOK_FAULTS))

    def _all_used(self, kinds: tuple[str, ...]) -> bool:
        """Until every kind has come once, each operation gets one: even a short run meets them all."""
        return all(self.counts[k] for k in kinds)

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
    dead_jobs: int = 0  # jobs seen Dead in the drain (a permanent fault's, fixed by the merchant, included)
    dead_unexpected: int = 0  # Dead jobs no permanent fault explains
    dead_unalerted: int = 0  # Dead jobs whose alert reached no Commerce Sync Manager
    converge_seconds: float = 0.0
    peak_memory_mb: float = 0.0
    worker_peak_rss_mb: float = 0.0
    wall_seconds: float = 0.0
    workers: int = 0
    backend: str = ""
    secrets_found: int = 0
    # one order event queued twice (the dedupe key failed to stop a redelivery); orders only: a product write
    # the app repeated makes two real store events in one second, which look alike
    jobs_doubled: int = 0
    refunds: int = 0
    refunds_lost: int = 0  # a store refund with no submitted credit note (or return) in ERPNext
    refunds_doubled: int = 0  # more than one credit note for one store refund
    edits: int = 0  # product and customer edits made on either side
    desk_errors: int = 0  # the merchant's desk actions that failed even after reloading and saving again
    problems: list[str] = field(default_factory=list)
    # what the app saw and decided about each difference (a product record apart: its sync state, jobs and log rows;
    # a lost or not-yet-Dead order: its jobs); only when ``explain`` (the final comparison, not the drain's probes)
    histories: list[str] = field(default_factory=list)
    explain: bool = True
    dead_reasons: list[str] = field(default_factory=list)
    faults: Counter = field(default_factory=Counter)

    def line(self) -> dict[str, object]:
        kinds = (*API_FAULTS, *WEBHOOK_FAULTS, *PROCESS_FAULTS, "woo_webhook_disabled", "permanent")
        faults = {f"fault_{k}": self.faults.get(k, 0) for k in kinds}
        return {"orders": self.orders, "stock_changes": self.stock_changes, "orders_lost": self.orders_lost,
                "orders_doubled": self.orders_doubled, "stock_different": self.stock_different,
                "records_different": self.records_different, "dead_jobs": self.dead_jobs,
                "dead_unexpected": self.dead_unexpected, "dead_unalerted": self.dead_unalerted,
                "converge_seconds": round(self.converge_seconds, 1), "peak_memory_mb": round(self.peak_memory_mb, 1),
                "worker_peak_rss_mb": round(self.worker_peak_rss_mb, 1), "wall_seconds": round(self.wall_seconds, 1),
                "workers": self.workers, "backend": self.backend,
                "secrets_found": self.secrets_found, "jobs_doubled": self.jobs_doubled, "refunds": self.refunds,
                "refunds_lost": self.refunds_lost, "refunds_doubled": self.refunds_doubled, "edits": self.edits,
                "desk_errors": self.desk_errors, **faults, "faults_total": sum(self.faults.values())}  # fmt: skip


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
        self.pool = None
        self.queue = None
        self.db_type = "sqlite"
        self.refunds: dict[str, list[tuple[str, str]]] = {}  # store -> (store order id, store refund id)
        self.edited_skus: dict[str, set[str]] = {}  # products edited on either side
        self.edited_emails: dict[str, set[str]] = {}  # customers renamed on the store
        self.refund_count = 0
        self.own_connection = 0
        self.merchant_connection_file = Path(data_dir) / "merchant-connection"
        self.merchant_failures: list[str] = []
        self.permanent: dict[str, dict[str, str]] = {}  # store -> order id -> the SKU no Item has (permanent_fault)
        self.dead_seen: dict[str, DeadJob] = {}  # every job seen Dead in the drain, by name
        self.fixed: set[str] = set()  # permanent faults' Dead jobs the merchant fixed and retried

    # -- set-up ---------------------------------------------------------------
    def start(self) -> None:
        from wix_commerce_sync.testing.database import ensure_database

        if self.config.db != "auto":
            os.environ["WCS_DB"] = self.config.db
        self.db_type = ensure_database()
        super().start()
        import frappe

        # a dead worker's claims come free after the lease: compressed like the scheduler's minute
        _set_site_config(self.site.site_path, "commerce_sync_claim_lease_seconds", self.config.claim_lease_seconds)
        frappe.conf["commerce_sync_claim_lease_seconds"] = self.config.claim_lease_seconds
        self._store_config_patch = quick_store_clients()
        # the shop's administrator: Commerce Sync Manager, so a job that keeps failing alerts someone
        frappe.get_doc({"doctype": "User", "email": MANAGER, "first_name": "Shop", "last_name": "Admin",
                        "send_welcome_email": 0, "roles": [{"role": "Commerce Sync Manager"}]}).insert(ignore_permissions=True)  # fmt: skip
        if self.config.debug_logging:
            frappe.db.set_single_value("Commerce Sync Settings", "debug_logging", 1)
        frappe.db.commit()
        if self.db_type == "mariadb":
            audit.install()  # who wrote each Item name and price: the histories of differences show it
            audit.tag("driver")
        if self.config.mutant:
            os.environ[MUTANT_ENV] = self.config.mutant  # the worker processes (spawned later) take it up
            apply_mutant(self.config.mutant)
            if self.config.mutant == "unique-order-key":
                drop_unique_order_key()

    def add_store(self, platform: str) -> Kit:
        import frappe

        kit = super().add_store(platform)
        # a paid order gets its Sales Invoice, so a store refund can be booked as a Credit Note against it
        frappe.db.set_value("Commerce Store", kit.store, "create_sales_invoice", 1)
        frappe.db.commit()
        return kit

    def start_workers(self) -> None:
        """Real ``bench worker``-like processes on a shared RQ stand-in, and the scheduler's tick: from here on the
        main process only acts as the stores, the merchant and the webhook endpoint (its HTTP server)."""
        import frappe

        from wix_commerce_sync.testing.workers import PRODUCTION_WORKERS, SharedJobQueue, SiteAddress, WorkerPool

        self.queue = SharedJobQueue(str(self.data_dir / "rq.sqlite3"))
        self.queue.install()
        site = SiteAddress(self.site.name, self.site.sites_path, self.site.site_path, self.site.db_path)
        workers = (PRODUCTION_WORKERS * self.config.workers)[: self.config.workers]
        # and one process for the merchant's desk requests (a bench's gunicorn), on a queue of its own
        _set_site_config(self.site.site_path, "workers", {merchant.MERCHANT_QUEUE: {"timeout": 900}})
        frappe.conf["workers"] = {merchant.MERCHANT_QUEUE: {"timeout": 900}}
        self.pool = WorkerPool(site, self.queue, workers=[*workers, merchant.MERCHANT_WORKER],
                               tick_seconds=self.config.tick_seconds, setup=f"{__name__}.worker_setup")  # fmt: skip
        self.pool.start()

        # the driver plays the merchant on this connection: a dropped connection is a worker's or a request's
        self.own_connection = int(frappe.db.sql("select connection_id()")[0][0]) if self.db_type == "mariadb" else 0
        for kit in self.kits:
            kit.sim.auto_deliver = False  # deliveries go out in deliver(), where they are duplicated, reordered, dropped
        self.say(f"{len(workers)} worker processes and the merchant's desk process started ({self.db_type})")

    def stop(self) -> None:
        if getattr(self, "pool", None):
            self.pool.stop()
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
        refunded = {order for order, _ in self.refunds.get(kit.store, [])}  # a part-refunded order is not cancelled
        live = [o for o in kit.order_ids if o not in self.cancelled.setdefault(kit.store, set()) and o not in refunded]
        if not live:
            return
        order_id = live[-1] if self.pool and self.rng.random() < 0.7 else self.rng.choice(live)
        if self.pool:  # the buyer changes the order just placed while a worker may still be creating its Sales Order
            time.sleep(self.rng.uniform(0.02, 0.25))
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

    def store_refund(self, kit: Kit) -> None:
        """A refund made on the store (one unit back in stock) for an order placed earlier."""
        done = {order for order, _ in self.refunds.get(kit.store, [])}
        live = [o for o in kit.order_ids[:-1] if o not in self.cancelled.get(kit.store, set()) and o not in done]
        if not live:
            return
        order_id = self.rng.choice(live)
        sku = sorted(self.order_skus.get(order_id) or [""])[0]
        self.scheduler.api_fault(kit.sim)
        try:
            refund = kit.sim.refund_order(_sim_id(order_id), lines=[{"sku": sku, "quantity": 1}], restock=True)
        except ValueError as exc:  # the store refused (nothing left to refund): no refund to look for
            self.say(f"{kit.store}: refund of {order_id} refused by the store ({exc})")
            return
        self.refunds.setdefault(kit.store, []).append((order_id, str(refund["id"])))
        self.refund_count += 1
        self.deliver(kit)

    def store_product_edit(self, kit: Kit, skus: list[str], n: int) -> None:
        sku = self.rng.choice(skus)
        kit.sim.edit_product(sku, name=f"{kit.platform} chaos product {n}", price=f"{self.rng.randint(10, 40)}.{n % 100:02d}")
        self.edited_skus.setdefault(kit.store, set()).add(sku)
        self.deliver(kit)

    def erp_item_edit(self, kit: Kit, n: int) -> None:
        """The merchant renames an item and changes its price in ERPNext (both go to the store)."""
        import frappe

        mapped = frappe.get_all("Commerce Item Mapping", filters={"store": kit.store, "sku": ["like", f"{kit.sku_prefix}%"]},
                                fields=["item_code", "sku"], order_by="sku asc")  # fmt: skip
        row = self.rng.choice(mapped)
        template = frappe.db.get_value("Item", row.item_code, "variant_of") or row.item_code
        self.scheduler.api_fault(kit.sim)
        rate = float(f"{self.rng.randint(10, 40)}.{(n * 7) % 100:02d}")
        self.merchant("edit_item", template=template, item_code=row.item_code, price_list=self.basics["price_list"],
                      item_name=f"ERPNext chaos name {kit.platform} {n}", rate=rate)  # fmt: skip
        self.edited_skus.setdefault(kit.store, set()).add(row.sku)

    def store_customer_edit(self, kit: Kit, n: int) -> None:
        email = f"{kit.platform.lower()}-buyer{n % 2}@example.com"
        kit.sim.edit_customer(email, first_name=f"Renamed{n}", last_name=kit.platform)
        self.edited_emails.setdefault(kit.store, set()).add(email)
        self.deliver(kit)

    def permanent_fault(self, kit: Kit, skus: list[str], n: int) -> None:
        """A store order with a custom line item (no store product; a SKU no ERPNext Item has). Its job fails on every
        attempt ("unknown SKU ...; create or map the Item, then retry the job") until it is Dead, with an alert to the
        managers; then the merchant makes the Item and presses Retry (``fix_dead``)."""
        sku = f"GIFT-WRAP-{n:04d}"
        order = kit.sim.create_order(line_items=[{"sku": self.rng.choice(skus), "quantity": 1},
                                                 {"sku": sku, "quantity": 1, "price": "4.50", "title": "Gift wrap"}],
                                     customer_email=f"{kit.platform.lower()}-buyer{n % 2}@example.com")  # fmt: skip
        self.permanent.setdefault(kit.store, {})[str(order["id"])] = sku  # never edited, cancelled or refunded
        self.scheduler._count("permanent")
        self.deliver(kit)

    def stock_change(self, kit: Kit, codes: list[str], lines: int) -> int:
        """An ERPNext Material Receipt of ``lines`` item lines (each one stock change), then the push."""
        self.scheduler.api_fault(kit.sim)
        picked = [self.rng.choice(codes) for _ in range(lines)]
        rows = [{"item_code": code, "qty": self.rng.randint(1, 3), "t_warehouse": self.basics["warehouse"],
                 "basic_rate": 5, "uom": "Nos", "stock_uom": "Nos", "conversion_factor": 1} for code in picked]  # fmt: skip
        self.merchant("book_receipt", company=self.basics["company"], rows=rows)
        return lines

    def new_erp_item(self, kit: Kit, n: int) -> None:
        """A new ERPNext Item sent to the store (a non-idempotent create); its answer may be lost after commit."""
        code = f"CHAOS-{kit.sku_prefix}-{n:04d}"
        if self.scheduler.rng.random() < self.scheduler.rate * 2:  # aimed at the create itself, past the look-ups
            {"Shopify": lambda: kit.sim.lose_answer_of("productSet", creates_only=True),
             "WooCommerce": lambda: kit.sim.lose_answer_to("POST", "/products/batch"),
             "Wix": lambda: kit.sim.lose_answer_of("products-with-inventory/create")}[kit.platform]()  # fmt: skip
            self.scheduler._count("lost_answer")
        # here and now, not on the merchant's queue: the lost answer armed above is meant for this Item's create
        merchant.new_item(code, "12.00")
        self.new_items.setdefault(kit.store, []).append(code)
        if self.pool:  # the Item's own save queued it; the store's flush job (a worker) sends it
            return
        try:
            self.call("push_product", store=kit.store, item_code=code)
        except RuntimeError as exc:  # an AmbiguousWriteError answers an error; the retry must look first
            self.say(f"{kit.store}: push of {code} failed ({str(exc)[:100]}); retried")
            with contextlib.suppress(RuntimeError):
                self.call("push_product", store=kit.store, item_code=code)

    def merchant(self, action: str, **kwargs: Any) -> None:
        """The merchant's desk action (``merchant.py``): in worker mode a job on the merchant's own process, in
        order, while the stores go on; otherwise here and now."""
        if not self.pool:
            getattr(merchant, action)(**kwargs)
            return
        import frappe

        announce = str(self.merchant_connection_file) if self.db_type == "mariadb" else None  # KILL CONNECTION's
        frappe.enqueue(f"{merchant.__name__}.{action}", queue=merchant.MERCHANT_QUEUE, connection_file=announce, **kwargs)

    def wait_for_merchant(self, timeout: float = 600.0) -> None:
        """Until the merchant's queued desk actions are done (their failures said: a lost action is the run's, not
        the app's, and the comparison reads ERPNext's real state anyway)."""
        deadline = time.monotonic() + timeout
        while self.pool and not self.pool.idle(merchant.MERCHANT_QUEUE) and time.monotonic() < deadline:
            time.sleep(0.2)
        for failure in self.queue.failures() if self.queue else []:
            if merchant.__name__ in failure and failure not in self.merchant_failures:
                self.merchant_failures.append(failure)
                self.say(f"a merchant's desk action failed: {failure}")

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

    # -- process faults (worker mode) --------------------------------------------
    def kill_worker(self) -> None:
        """SIGKILL a worker process in the middle of a job (the pool fails the job as RQ does and starts another)."""
        method = self.pool.kill_mid_job(timeout=PROCESS_FAULT_WAIT, spare=[merchant.MERCHANT_WORKER]) if self.pool else None
        if method:
            self.scheduler._count("worker_killed")
            self.say(f"worker SIGKILLed while running {method}")

    def drop_connection(self) -> None:
        """Kill a database connection that is in the middle of a write transaction (MariaDB's KILL CONNECTION):
        the worker's next statement fails, its transaction is gone, and what it claimed waits for the lease."""
        if self.db_type != "mariadb":
            return
        import pymysql
        from frappe.database_mariadb import server_settings

        settings = server_settings(json_conf(self.site.site_path))
        db_name = json_conf(self.site.site_path)["db_name"]
        admin = None
        for attempt in range(10):  # a busy server (the test suite's own sites beside it) may refuse for a moment
            try:
                admin = pymysql.connect(host=settings["host"], port=int(settings["port"]), user=settings["user"],
                                        password=settings["password"], autocommit=True, connect_timeout=10)  # fmt: skip
                break
            except pymysql.MySQLError as exc:
                self.say(f"connection drop: the server refused an admin connection ({exc}); trying again")
                time.sleep(1 + attempt)
        if admin is None:
            return
        try:
            started = time.monotonic()
            while time.monotonic() < started + PROCESS_FAULT_WAIT:
                # a transaction that has written is the target; past half the wait, any open transaction will do
                written = 0 if time.monotonic() > started + PROCESS_FAULT_WAIT / 2 else 1
                with admin.cursor() as cur:
                    cur.execute("select t.trx_mysql_thread_id from information_schema.innodb_trx t join "
                                "information_schema.processlist p on p.id = t.trx_mysql_thread_id where p.db = %s and "
                                "t.trx_rows_modified >= %s and t.trx_mysql_thread_id not in (%s, %s) limit 1",
                                (db_name, written, *self.desk_connections()))  # fmt: skip
                    row = cur.fetchone()
                    if row:
                        cur.execute(f"kill connection {int(row[0])}")
                        self.scheduler._count("db_connection_dropped")
                        self.say("a database connection was killed mid-transaction")
                        return
                time.sleep(0.002)
            with admin.cursor() as cur:  # none caught open in the wait: a worker's connection between transactions
                cur.execute("select id from information_schema.processlist where db = %s and id not in (%s, %s) and "
                            "id <> connection_id() limit 1", (db_name, *self.desk_connections()))  # fmt: skip
                row = cur.fetchone()
                if row:
                    cur.execute(f"kill connection {int(row[0])}")
                    self.scheduler._count("db_connection_dropped")
                    self.say("a database connection was killed (no transaction was open at that moment)")
        finally:
            admin.close()

    def desk_connections(self) -> tuple[int, int]:
        """The connections of the users the driver plays (its own, the merchant's latest): never a fault's target."""
        with contextlib.suppress(OSError, ValueError):
            return self.own_connection, int(self.merchant_connection_file.read_text())
        return self.own_connection, self.own_connection

    # -- the run --------------------------------------------------------------
    def run(self) -> Figures:
        figures = Figures(workers=self.config.workers)
        tracemalloc.start()
        started = time.perf_counter()
        self.start()
        figures.backend = self.db_type
        import frappe

        try:
            for platform in self.config.platforms:
                kit = self.add_store(platform)
                self.full_sync(kit)
                self.receive_stock(kit)
            if self.config.workers:
                self.start_workers()
            produced = time.perf_counter()
            self.produce(figures)
            figures.desk_errors = len(self.merchant_failures)
            self.say(f"orders and changes made in {time.perf_counter() - produced:.1f} s; draining")
            for kit in self.kits:
                kit.sim.faults.clear()
            self.drain()
            figures.converge_seconds = time.perf_counter() - (self.scheduler.last_fault_at or time.perf_counter())
            figures.refunds = self.refund_count
            self.compare_all(figures)
            self.secret_values = self.secrets()
            figures.secrets_found = len(self.scan_secrets())
        finally:
            figures.peak_memory_mb = tracemalloc.get_traced_memory()[1] / 1_000_000
            tracemalloc.stop()
            with contextlib.suppress(Exception):
                frappe.db.rollback()
            self.stop()
        import resource

        figures.worker_peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figures.wall_seconds = time.perf_counter() - started
        figures.faults = Counter(self.scheduler.counts)
        return figures

    def produce(self, figures: Figures) -> None:
        """The stores' orders and the merchant's work, store after store in turn; process faults spaced out."""
        import frappe

        cadence = Cadence.of(self.config, len(self.kits))
        plan = {}
        for kit in self.kits:
            codes = frappe.get_all("Commerce Item Mapping", filters={"store": kit.store}, pluck="item_code")
            plan[kit.store] = StorePlan(sorted(self._store_skus(kit)), codes, cadence.per_store_stock)
        process_faults: list[threading.Thread] = []
        kills = _spaced(cadence.steps, self.config.kills if self.pool else 0, offset=0.3)
        drops = _spaced(cadence.steps, self.config.db_drops if self.pool else 0, offset=0.6)
        permanent = _spaced(cadence.steps, self.config.permanent_faults, offset=0.5)
        for n in range(cadence.steps):
            for kit in self.kits:
                self.step(kit, plan[kit.store], n, cadence, figures)
                if n in permanent and kit.platform == "Shopify":
                    self.permanent_fault(kit, plan[kit.store].skus, n)
                    figures.orders += 1
            # each waits in a thread of its own for its moment (a job running, a write transaction open) while
            # the orders go on
            if n in kills:
                process_faults.append(_background(self.kill_worker))
            if n in drops:
                process_faults.append(_background(self.drop_connection))
        for kit in self.kits:
            store_plan = plan[kit.store]
            while store_plan.stock_left > 0:
                figures.stock_changes += self.book_stock(kit, store_plan, 20)
            if kit.platform == "WooCommerce" and self.config.woo_outage:
                self.woo_outage(kit, store_plan.skus)
                figures.orders += 8
            if not self.pool:
                self.work_quietly(kit, entities=["stock"])
        self.wait_for_merchant()
        for thread in process_faults:
            thread.join()

    def step(self, kit: Kit, plan: StorePlan, n: int, cadence: Cadence, figures: Figures) -> None:
        """One store's share of step ``n``: an order, and now and then an edit, a cancel, a refund, a product or
        customer edit on either side, a Stock Entry, a new Item."""
        self.place_order(kit, plan.skus, n)
        figures.orders += 1
        if self.rng.random() < 0.4:
            self.edit_or_cancel(kit)
        if n % 3 == 2:
            self.store_refund(kit)
        if n % 4 == 1:
            self.store_product_edit(kit, plan.skus, n)
            figures.edits += 1
        if n % cadence.erp_edit_every == 3:
            self.erp_item_edit(kit, n)
            figures.edits += 1
        if n % 5 == 2:
            self.store_customer_edit(kit, n)
            figures.edits += 1
        if plan.stock_left > 0 and n % cadence.entry_every == cadence.entry_every - 1:  # a Stock Entry of ~100 lines
            figures.stock_changes += self.book_stock(kit, plan, cadence.per_step * cadence.entry_every)
        if n % cadence.new_item_every == 4:
            self.new_erp_item(kit, n)
            if not self.pool:
                self.work_quietly(kit, entities=["stock"])

    def book_stock(self, kit: Kit, plan: StorePlan, lines: int) -> int:
        lines = self.stock_change(kit, plan.codes, min(plan.stock_left, lines))
        plan.stock_left -= lines
        return lines

    def drain(self) -> None:
        """Faults over: the app's hourly reconciliation (full stock comparison, order poll, disabled WooCommerce
        webhooks re-activated) and its scheduler ticks until both sides agree or ``converge_timeout`` passes.
        Time is compressed: a Failed job's backoff passes at once (its attempts still count: one that keeps failing
        goes Dead), the orders of every day are polled again. A Dead job is noted with its reason; a permanent
        fault's is then fixed by the merchant (``fix_dead``), any other is left Dead and counted as unexpected."""
        late_drop = None
        if self.pool and self.scheduler.counts["db_connection_dropped"] < min(1, self.config.db_drops):
            late_drop = _background(self.drop_connection)  # none hit while the orders came: the drain's first work
        draining = threading.Event()
        fast_forward = _background(lambda: self.keep_fast_forwarding(draining))
        try:
            self._drain_until(time.perf_counter() + self.config.converge_timeout, late_drop)
        finally:
            draining.set()
            fast_forward.join(30)

    def _drain_until(self, deadline: float, late_drop: threading.Thread | None) -> None:
        import frappe

        from wix_commerce_sync.tasks.scheduler import commerce_sync_hourly_reconcile

        first, next_reconcile = True, 0.0
        while True:
            for kit in self.kits:
                kit.sim.deliver_webhooks()
            if time.perf_counter() >= next_reconcile:  # "hourly", compressed to RECONCILE_EVERY seconds
                commerce_sync_hourly_reconcile()  # full stock comparison, order poll, WooCommerce webhooks re-activated
                frappe.db.commit()
                next_reconcile = time.perf_counter() + RECONCILE_EVERY
            if not self.pool:
                self.run_jobs()
            if first:  # once: every order each store has (the reconciliation's own poll reads since its cursor),
                # the stores at once; the outage's orders by two desk users pressing "Sync Orders" at once
                self.at_once([lambda store=kit.store: self.call("sync_orders", store=store, since=POLL_SINCE)
                              for kit in self.kits
                              for _ in range(2 if kit.platform == "WooCommerce" and self.config.woo_outage else 1)])  # fmt: skip
            for kit in self.kits:
                self.fix_dead(kit)
                kit.sim.deliver_webhooks()
                if not self.pool:
                    self.work_quietly(kit, entities=["stock"])
            self.wait_for_workers(60.0)
            frappe.db.commit()  # a fresh snapshot for the comparison
            probe = Figures(explain=False)  # counted only: the histories are the final comparison's
            self.compare_all(probe)
            self.say(f"drain: {len(probe.problems)} difference(s) left {probe.problems[:2]}")
            if late_drop is not None and late_drop.is_alive():
                continue  # the dropped connection's work must be in the comparison too
            if not probe.problems or time.perf_counter() > deadline:
                return
            first = False
            time.sleep(1.0)

    def fast_forward_failed(self) -> None:
        """Time compressed: every Failed job's backoff has passed (its attempts still count, so a job that keeps
        failing goes Dead after the store's max retries, as it would over hours)."""
        import frappe

        from wix_commerce_sync.persistence.times import now_utc, to_db

        frappe.db.sql("update `tabCommerce Sync Job` set next_attempt_at = %s where status = 'Failed'", (to_db(now_utc()),))
        frappe.db.commit()

    def fix_dead(self, kit: Kit) -> None:
        """Dead jobs are noted with their reason. A permanent fault's Dead job is then fixed as the merchant would,
        reading its reason: make the Item of the unknown SKU, press Retry on the job."""
        import frappe

        for name, dead in self.note_dead(kit).items():
            sku = self.permanent_sku(dead)
            if not sku:
                continue  # not a permanent fault's: left Dead, counted as unexpected
            if frappe.db.get_value("Commerce Sync Job", name, "status") != "Dead":
                self.fixed.add(name)  # the retry of another event of its order took it along
                continue
            merchant.new_item(sku, "4.50")
            self.call("retry_failed", store=kit.store, jobs=[name])
            self.fixed.add(name)
            self.say(f"{kit.store}: Dead job {name} ({sku} unknown) fixed by making the Item; retried")

    def note_dead(self, kit: Kit) -> dict[str, DeadJob]:
        """The store's jobs Dead now, each noted (with its reason) in ``dead_seen``."""
        import frappe

        now = {job.name: DeadJob(kit.store, job.entity, str(job.external_id or ""), job.last_error or "",
                                 f"{kit.store}: {job.entity} {job.action} {job.external_id or job.record_key}: "
                                 f"{(job.last_error or '')[:200]}")
               for job in frappe.get_all("Commerce Sync Job", filters={"store": kit.store, "status": "Dead"},
                                         fields=["name", "entity", "action", "external_id", "record_key", "last_error"])}  # fmt: skip
        for name, dead in now.items():
            self.dead_seen.setdefault(name, dead)
        return now

    def permanent_sku(self, dead: DeadJob) -> str | None:
        """The unknown SKU of the permanent fault that explains this Dead job (its order's, named in its error)."""
        sku = self.permanent.get(dead.store, {}).get(dead.external_id) if dead.entity == "orders" else None
        return sku if sku and sku in dead.error else None

    def at_once(self, actions: list[Any]) -> None:
        """Each action in a thread of its own, on a connection of its own (desk users, or two browser tabs)."""
        from frappe import standin

        def run(action: Any) -> None:
            with standin.connection(self.site), contextlib.suppress(Exception):  # a refusal is the desk's answer
                action()

        threads = [_background(lambda action=action: run(action)) for action in actions]
        for thread in threads:
            thread.join(600)

    def keep_fast_forwarding(self, stop: threading.Event) -> None:
        """Through the drain, on a connection of its own: each tick finds the Failed jobs due again."""
        from frappe import standin

        while not stop.wait(self.config.tick_seconds):
            with standin.connection(self.site), contextlib.suppress(Exception):  # a lock wait: the next round
                self.fast_forward_failed()

    def wait_for_workers(self, timeout: float) -> None:
        """Until the worker processes have nothing queued or running (none: the in-process jobs ran already)."""
        deadline = time.monotonic() + timeout
        while self.pool and not self.pool.idle() and time.monotonic() < deadline:
            time.sleep(0.2)

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
                    self.explain(figures, f"order {external}", self.order_history, kit, external)
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
            self.compare_refunds(kit, figures)
            self.compare_edits(kit, figures)
            for (key, topic, ordering), count in self.order_events_queued_twice(kit).items():
                figures.jobs_doubled += count - 1
                figures.problems.append(f"{kit.store}: webhook {topic} of {key} at {ordering} queued {count} times")
            self.compare_dead(kit, figures)

    @staticmethod
    def order_events_queued_twice(kit: Kit) -> dict[tuple[str, str, str], int]:
        """Order events queued more than once: one topic of one order with one store time AND one content. Store
        times have whole seconds, so two real changes of an order in one second (a store refund, our fulfilment)
        share a time; a redelivery that passed the dedupe key carries the same content too."""
        import hashlib

        import frappe

        rows = frappe.db.sql(
            "select record_key, topic, ordering_key, payload from `tabCommerce Sync Job` where store = %s and "
            "direction = 'Inbound' and entity = 'orders' and topic is not null and ordering_key is not null",
            (kit.store,))  # fmt: skip
        seen = Counter((key, topic, ordering, hashlib.sha256((payload or "").encode()).hexdigest())
                       for key, topic, ordering, payload in rows)  # fmt: skip
        return {(key, topic, ordering): count for (key, topic, ordering, _), count in seen.items() if count > 1}

    def compare_dead(self, kit: Kit, figures: Figures) -> None:
        """Every job seen Dead, with its reason; one that no permanent fault explains is unexpected. A permanent
        fault's order must go Dead (not retried for ever, not lost quietly) and alert the managers."""
        import frappe

        self.note_dead(kit)
        seen = {name: dead for name, dead in self.dead_seen.items() if dead.store == kit.store}
        for name, dead in seen.items():
            figures.dead_jobs += 1
            figures.dead_reasons.append(f"{dead.reason}{' (fixed and retried by the merchant)' if name in self.fixed else ''}")
            if not self.permanent_sku(dead):
                figures.dead_unexpected += 1
                figures.problems.append(f"{kit.store}: job {name} Dead without a permanent fault: {dead.reason}")
            elif not frappe.db.exists("Notification Log", {"for_user": MANAGER, "document_name": name}):
                figures.dead_unalerted += 1
                figures.problems.append(f"{kit.store}: Dead job {name} alerted no Commerce Sync Manager")
        for order, sku in self.permanent.get(kit.store, {}).items():
            if not any(dead.external_id == order for dead in seen.values()):
                figures.problems.append(f"{kit.store}: order {order} (line {sku} has no Item) is not Dead yet")
                self.explain(figures, f"order {order}", self.order_history, kit, order)

    def compare_refunds(self, kit: Kit, figures: Figures) -> None:
        """Every store refund is one submitted credit note (or, money-less, one return) in ERPNext."""
        import frappe

        for order_id, refund_id in self.refunds.get(kit.store, []):
            made = [
                name for doctype in ("Sales Invoice", "Delivery Note")
                for name, ident in frappe.get_all(doctype, filters={"commerce_refund_id": ["like", f"%{refund_id}"],
                                                                    "docstatus": 1, "is_return": 1},
                                                  fields=["name", "commerce_refund_id"], as_list=True)
                if ident.endswith((f"::{refund_id}", f"/{refund_id}"))
            ]  # fmt: skip
            credits = [n for n in made if frappe.db.exists("Sales Invoice", n)]
            if not made:
                figures.refunds_lost += 1
                figures.problems.append(f"{kit.store}: refund {refund_id} of order {order_id} has no credit note")
            elif len(credits) > 1:
                figures.refunds_doubled += 1
                figures.problems.append(f"{kit.store}: refund {refund_id} of order {order_id} has {len(credits)} "
                                        f"credit notes")  # fmt: skip

    @staticmethod
    def product_history(kit: Kit, sku: str, product_id: str, code: str) -> list[str]:
        """What the app knew and did about one product record: its sync state (store id and ERPNext code) and its
        latest log rows and jobs, oldest first."""
        import frappe

        from wix_commerce_sync.sync.keys import record_key

        lines = [f"history of {kit.store} {sku} (store product {product_id}, item {code}):"]
        for key in (product_id, code):
            row = frappe.db.get_value("Commerce Sync State", {"state_key": record_key(kit.store, "items", key)},
                                      ["applied_ordering_key", "pulled_hash", "pushed_hash", "earlier_pushed_hashes",
                                       "synced_at"], as_dict=True)  # fmt: skip
            lines.append(f"  state {key}: {dict(row) if row else None}")
        template = frappe.db.get_value("Item", code, "variant_of") or code
        jobs = frappe.get_all("Commerce Sync Job", filters={"store": kit.store, "entity": "items",
                                                            "external_id": ["in", [product_id, code, template]]},
                              fields=HISTORY_JOB_FIELDS, order_by="creation desc", limit=12)  # fmt: skip
        lines += [_job_line(j) for j in reversed(jobs)]
        # an apply's row names its Item, not the store id (an old job applied late shows so), and any store's apply
        # may name it: a product is on every store, so another store's copy may write its Items
        logs = frappe.get_all("Commerce Sync Log", filters={"entity": "items"},
                              or_filters={"message": ["like", f"%{product_id}%"],
                                          "job": ["in", [j.name for j in jobs] or ["-"]],
                                          "reference_name": ["in", [code, template]]},
                              fields=["creation", "store", "direction", "operation", "status", "job", "message"],
                              order_by="creation desc", limit=40)  # fmt: skip
        lines += [f"  log{'' if r.store == kit.store else f' of {r.store}'} {r.creation} {r.direction} {r.operation} "
                  f"{r.status} {r.job or ''}: {(r.message or '')[:160]}" for r in reversed(logs)]
        lines += audit.history([code, template])
        return lines

    @staticmethod
    def order_history(kit: Kit, order: str) -> list[str]:
        """Every job of one order (webhook events, poll failures), oldest first: what the app did with it."""
        import frappe

        jobs = frappe.get_all("Commerce Sync Job", filters={"store": kit.store, "entity": "orders", "external_id": order},
                              fields=HISTORY_JOB_FIELDS, order_by="creation asc")  # fmt: skip
        return [f"history of {kit.store} order {order}: {len(jobs)} job(s)"] + [_job_line(j) for j in jobs]

    @staticmethod
    def explain(figures: Figures, label: str, history: Callable[..., list[str]], *args: Any) -> None:
        """Add one difference's history (``history(*args)``) to the final comparison's figures; a history that cannot
        be read says so there (the difference itself is already counted)."""
        if not figures.explain:
            return
        try:
            figures.histories += history(*args)
        except Exception as exc:  # noqa: BLE001 - a diagnostic: it must not end the comparison
            figures.histories.append(f"history of {label} not read: {type(exc).__name__}: {exc}")

    def compare_edits(self, kit: Kit, figures: Figures) -> None:
        """Products edited on either side show one name and price on both; renamed store customers too."""
        import frappe

        for sku in sorted(self.edited_skus.get(kit.store, ())):
            store = kit.sim.product_by_sku(sku) or {}
            code = frappe.db.get_value("Commerce Item Mapping", {"store": kit.store, "sku": sku}, "item_code")
            item = frappe.db.get_value("Item", code, ["item_name", "variant_of"], as_dict=True) if code else None
            if not item:
                figures.records_different += 1
                figures.problems.append(f"{kit.store}: edited product {sku} has no ERPNext item")
                continue
            name = frappe.db.get_value("Item", item.variant_of, "item_name") if item.variant_of else item.item_name
            price = frappe.db.get_value("Item Price", {"item_code": code, "price_list": self.basics["price_list"]},
                                        "price_list_rate")  # fmt: skip
            # a WooCommerce variation is named "<parent> - <attributes>"
            same_name = store.get("name") == name or str(store.get("name")).startswith(f"{name} - ")
            same_price = price is not None and Decimal(str(store.get("price"))) == Decimal(str(price))
            if not (same_name and same_price):
                figures.records_different += 1
                figures.problems.append(f"{kit.store}: product {sku}: store {store.get('name')!r} {store.get('price')} "
                                        f"!= ERPNext {name!r} {price}")  # fmt: skip
                product_id = str(store.get("product_id") or "")
                self.explain(figures, sku, self.product_history, kit, sku, product_id, code)
        for email in sorted(self.edited_emails.get(kit.store, ())):
            store = kit.sim.customer_by_email(email)
            # the store customer's own mapping (a guest order with the same email maps a customer of its own)
            customer = frappe.db.get_value("Commerce Customer Mapping", {"store": kit.store,
                                           "external_customer_id": str(store.get("id"))}, "customer")  # fmt: skip
            erp = frappe.db.get_value("Customer", customer, "customer_name") if customer else None
            expected = f"{store.get('first_name') or ''} {store.get('last_name') or ''}".strip()
            if erp != expected:
                figures.records_different += 1
                figures.problems.append(f"{kit.store}: customer {email}: store {expected!r} != ERPNext {erp!r}")

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
            for form in secret_forms(secret):
                if form in haystack:
                    hits.append(f"secret ending {secret[-4:]} found ({'raw' if form == secret else 'encoded'})")
        return hits


def quick_store_clients() -> contextlib.ExitStack:
    """Short client timeouts (a stalled store is a timeout) and quick retry backoff, in this process (the worker
    processes run it as their set-up)."""
    from unittest import mock

    from wix_commerce_sync import shell

    real = shell.store_config

    def faster(store_doc):
        config = real(store_doc)
        config.options.update(CLIENT_OPTIONS)
        return config

    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(shell, "store_config", faster))
    return stack


MUTANTS = ("dedupe", "unique-order-key", "no-blind-retry")
MUTANT_ENV = "WCS_CHAOS_MUTANT"


def worker_setup() -> None:
    """What every worker process of the run does first: the run's quick clients, and the mutant if one is asked."""
    quick_store_clients()
    audit.tag_jobs()
    apply_mutant(os.environ.get(MUTANT_ENV))


def apply_mutant(name: str | None) -> None:
    """Take one safeguard away, to show the chaos test catches its loss (``--mutant``; never in a normal run).

    - ``dedupe``: every webhook delivery gets a dedupe key of its own, so a redelivery is queued again;
    - ``unique-order-key``: the unique index on Commerce Order Mapping's store + order key is dropped (see
      ``drop_unique_order_key``: done once on the site's database);
    - ``no-blind-retry``: every request counts as idempotent, so a create whose answer was lost is sent again.
    """
    if not name:
        return
    if name not in MUTANTS:
        raise ValueError(f"unknown mutant {name!r}: one of {', '.join(MUTANTS)}")
    if name == "dedupe":
        import dataclasses
        import uuid

        from wix_commerce_sync.sync.engine import SyncEngine

        real_enqueue = SyncEngine.enqueue_inbound

        def enqueue_every_delivery(self, event):
            return real_enqueue(self, dataclasses.replace(event, dedupe_key=f"{event.dedupe_key}:{uuid.uuid4().hex}"))

        SyncEngine.enqueue_inbound = enqueue_every_delivery
    elif name == "no-blind-retry":
        from wix_commerce_sync.connectors.http import HttpClient

        real_request = HttpClient.request

        def always_idempotent(self, method, path, *, retry=True, idempotent=None, **kwargs):
            return real_request(self, method, path, retry=retry, idempotent=True, **kwargs)

        HttpClient.request = always_idempotent


def drop_unique_order_key() -> None:
    import frappe

    for index in {r[0] for r in frappe.db.sql("select index_name from information_schema.statistics where "
                                             "table_schema = database() and table_name = 'tabCommerce Order Mapping' "
                                             "and column_name = 'order_key' and non_unique = 0")}:  # fmt: skip
        frappe.db.sql(f"alter table `tabCommerce Order Mapping` drop index `{index}`")
    frappe.db.commit()


def _set_site_config(site_path: str, key: str, value: Any) -> None:
    import json

    config = Path(site_path) / "site_config.json"
    conf = json_conf(site_path)
    conf[key] = value
    config.write_text(json.dumps(conf, indent=1))


def secret_forms(secret: str) -> set[str]:
    """A secret as it could leak: raw, base64 and URL-encoded."""
    return {secret, base64.b64encode(secret.encode()).decode(), quote(secret), quote_plus(secret)}


def leaked_in(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if any(form in text for form in secret_forms(s))]


def _background(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, name=target.__name__, daemon=True)
    thread.start()
    return thread


def json_conf(site_path: str) -> dict:
    import json

    return json.loads((Path(site_path) / "site_config.json").read_text())


def _spaced(steps: int, count: int, offset: float) -> set[int]:
    """``count`` steps spread over ``steps`` (each at its own fraction of the run)."""
    return {min(steps - 1, int(steps * (i + offset) / count)) for i in range(count)} if count else set()


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


# the CI-sized run of the suite (tests/chaos): 5 orders per store plus the WooCommerce outage's 8, every fault kind
CI_ARGS = ("--orders", "15", "--stock", "30", "--fault-rate", "0.35", "--seed", "16")


def run_in_subprocess(report: Path, *args: str, timeout: float = 900) -> dict:
    """Run the driver in a process of its own (the run opens and closes its own stand-in site): its report, with
    the process's output under "output"."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", __name__, *args, "--report", str(report)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[3],
                            timeout=timeout)  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(result.stdout[-2000:] + result.stderr[-4000:])
    return {**json.loads(report.read_text()), "output": result.stdout + result.stderr}


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
    parser.add_argument("--workers", type=int, default=3, help="worker processes (0: jobs run in this process)")
    parser.add_argument("--db", default="auto", choices=("auto", "mariadb", "sqlite"))
    parser.add_argument("--mutant", choices=MUTANTS, help="take one safeguard away (shows the run catches it)")
    parser.add_argument("--debug-logging", action="store_true", help="log every skipped event with its reason")
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    config = ChaosConfig(orders=args.orders, stock_changes=args.stock, fault_rate=args.fault_rate, seed=args.seed,
                         converge_timeout=args.converge, workers=args.workers, db=args.db,
                         mutant=args.mutant, debug_logging=args.debug_logging)  # fmt: skip
    with __import__("tempfile").TemporaryDirectory() as tmp:
        run = ChaosRun(tmp, config)
        figures = run.run()
    Path(args.report).write_text(json.dumps({
        "line": figures.line(), "problems": figures.problems, "histories": figures.histories,
        "dead_reasons": figures.dead_reasons,
        "faults": dict(figures.faults), "secrets": run.secret_values,  # throwaway simulator secrets (a temp file)
    }, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
