"""The sandbox: simulated stores + a stand-in ERPNext site, a full sync both ways, and the dashboard.

Everything crosses real sockets on 127.0.0.1: the app's connectors call the simulators' APIs, the
simulators deliver signed webhooks to the app's endpoints on the site server, and ERPNext-side
changes (a stock receipt, a Delivery Note) travel back through doc events, the queue and the
connectors' batch calls. At the end both sides are compared; the run fails if they disagree.

Scenario per store:
1. seed the store (products with variants, customers); create the Commerce Store; test the
   connection; register webhooks; full sync from the store (items, customers, orders);
2. an ERPNext stock receipt for every imported item -> absolute quantities reach the store;
3. new store orders arrive by webhook (delivered twice, and out of order) -> one Sales Order each;
4. a Delivery Note with tracking for the first order -> a fulfilment on the store;
5. with ``--faults``: the stores answer 5xx, 429/throttle, time out and reset connections while
   steps 3-4 run; failed jobs are retried and a reconciliation poll catches what was missed;
6. compare: orders (none lost, none doubled, totals to the cent), items, customers, stock, fulfilments.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

PLATFORMS = ("Shopify", "WooCommerce", "Wix")
DEFAULT_PRODUCTS = 4
VARIANTS = 2
ORDERS = 3
RECEIPT_QTY = 25


@dataclass
class Kit:
    """How the sandbox drives one platform's simulator."""

    platform: str
    store: str
    sim: Any
    sku_prefix: str
    location_id: str | None
    store_fields: dict[str, Any]
    make_faults: Callable[[Any], None]
    order_extras: Callable[[int], dict[str, Any]] = lambda n: {}  # platform kwargs: tax, shipping, discounts
    order_ids: list[str] = field(default_factory=list)
    fulfilled: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- platform kits


def _shopify_kit() -> Kit:
    from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator

    sim = ShopifySimulator()
    sim.start()
    config = sim.store_config("Sandbox Shopify")
    return Kit("Shopify", "Sandbox Shopify", sim, "SHOP", str(sim.default_location_id), {
        "store_url": config.base_url, "access_token": config.credentials["access_token"],
        "webhook_secret": config.webhook_secret, "api_version": config.api_version,
    }, _shopify_faults, lambda n: {"tax_rate": "0.0825", "shipping": "4.99", "discount": "1.50" if n % 2 else "0",
                                   "taxes_included": n == 2})  # fmt: skip


def _shopify_faults(sim: Any) -> None:
    sim.faults.fail_next(2, 502)
    sim.faults.reset_next(1)
    sim.throttle_next(2, http_status=200)
    sim.throttle_next(1, http_status=429)


def _woocommerce_kit() -> Kit:
    from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator

    sim = WooCommerceSimulator(tax_rate="10")
    sim.start()
    config = sim.store_config(name="Sandbox WooCommerce")
    return Kit("WooCommerce", "Sandbox WooCommerce", sim, "WOO", None, {
        "store_url": config.base_url, "consumer_key": config.credentials["consumer_key"],
        "consumer_secret": config.credentials["consumer_secret"], "webhook_secret": config.webhook_secret,
    }, _generic_faults, lambda n: {
        "shipping": [{"method_id": "flat_rate", "method_title": "Flat rate", "total": "5.00"}],
        "coupons": [{"code": "SAVE10", "percent": 10}] if n % 2 else [],
        "fees": [{"name": "Gift wrap", "total": "2.50", "taxable": True}] if n == 2 else [],
    })  # fmt: skip


def _wix_kit() -> Kit:
    from wix_commerce_sync.connectors.wix.simulator import WixSimulator

    sim = WixSimulator()
    sim.start()
    config = sim.store_config(name="Sandbox Wix")
    fields = {"store_url": config.base_url, "wix_site_id": config.site_id, "wix_public_key": config.webhook_secret}
    if "api_key" in config.credentials:
        fields["api_key"] = config.credentials["api_key"]
    else:
        fields.update({k: config.credentials[k] for k in ("app_id", "app_secret", "instance_id")})
    location = getattr(sim, "default_location_id", None)
    return Kit("Wix", "Sandbox Wix", sim, "WIX", str(location) if location else None, fields, _generic_faults)


def _generic_faults(sim: Any) -> None:
    sim.faults.fail_next(2, 503, {"Retry-After": "0"})
    sim.faults.reset_next(1)
    sim.faults.fail_next(1, 429, {"Retry-After": "0"})


KITS: dict[str, Callable[[], Kit]] = {"Shopify": _shopify_kit, "WooCommerce": _woocommerce_kit, "Wix": _wix_kit}


# ---------------------------------------------------------------- the run


class Sandbox:
    def __init__(self, data_dir: str | Path, *, platforms: tuple[str, ...] = PLATFORMS, faults: bool = False,
                 products: int = DEFAULT_PRODUCTS, say: Callable[[str], None] = print) -> None:  # fmt: skip
        self.data_dir = Path(data_dir)
        self.platforms = platforms
        self.faults = faults
        self.products = products
        self.say = say
        self.kits: list[Kit] = []
        self.server = None
        self.site = None

    # -- helpers on the stand-in ------------------------------------------------
    def call(self, method: str, **kwargs: Any) -> Any:
        """A whitelisted action, the way the desk calls it (POST, Administrator)."""
        from frappe import standin

        response = standin.call_method(f"wix_commerce_sync.api.actions.{method}", http_method="POST",
                                       body=kwargs, user="Administrator")  # fmt: skip
        if response.status != 200:
            raise RuntimeError(f"{method} answered {response.status}: {response.text[:500]}")
        return (response.json or {}).get("message")

    def run_jobs(self) -> int:
        from frappe import standin

        ran = 0
        for _ in range(20):  # jobs may enqueue jobs
            done = standin.run_jobs()
            ran += len(done)
            if not done:
                break
        return ran

    def work(self, kit: Kit, *, entities: list[str] | None = None) -> None:
        """What the scheduler tick does for a store: retries, inbound jobs, due work, outbox flush."""
        import frappe

        from wix_commerce_sync.tasks.scheduler import run_store_work

        self.run_jobs()
        run_store_work(kit.store, entities or [])
        self.run_jobs()
        from wix_commerce_sync.shell import get_engine
        from wix_commerce_sync.sync.models import Entity

        engine = get_engine(kit.store)
        for entity in Entity:
            engine.flush_outbound(entity, force=True)
        frappe.db.commit()

    # -- steps --------------------------------------------------------------------
    def start(self) -> None:
        from wix_commerce_sync.testing.sandbox_site import open_sandbox_site
        from wix_commerce_sync.testing.site_server import SiteServer

        self._site_cm = open_sandbox_site(self.data_dir, db_type=getattr(self, "db_type", None))
        self.frappe, self.defaults, self.basics = self._site_cm.__enter__()
        import frappe
        from frappe import standin
        site_path = Path(frappe.local.sites_path) / frappe.local.site
        self.site = standin.Site(name=frappe.local.site, sites_path=frappe.local.sites_path, site_path=str(site_path),
                                 db_path=str(site_path / "site.sqlite3"))  # fmt: skip
        self.server = SiteServer(self.site, port=getattr(self, "port", 0))
        url = self.server.start()
        settings = frappe.get_single("Commerce Sync Settings")
        settings.webhook_base_url = url
        settings.enabled = 1
        settings.save(ignore_permissions=True)
        frappe.db.commit()
        self.say(f"stand-in ERPNext site at {url} (dashboard: {url}/commerce-sync-dashboard)")

    def add_store(self, platform: str) -> Kit:
        import frappe

        kit = KITS[platform]()
        kit.sim.seed_catalog(self.products, variants_per_product=VARIANTS, sku_prefix=kit.sku_prefix)
        for n in range(2):
            kit.sim.add_customer(f"{platform.lower()}-buyer{n}@example.com", first_name=f"Buyer{n}", last_name=platform)
        kit.sim.deliver_webhooks()  # nobody listens yet: these go nowhere, like before the app was installed
        doc = {
            "doctype": "Commerce Store", "store_name": kit.store, "platform": platform, "enabled": 1,
            "allow_insecure_http": 1, "company": self.basics["company"], "price_list": self.basics["price_list"],
            "currency": "USD", "item_group": "Products", "stock_uom": "Nos", "customer_group": "Individual",
            "territory": "All Territories", "tax_account": self.basics["tax_account"],
            "shipping_account": self.basics["shipping_account"], "default_warehouse": self.basics["warehouse"],
            "submit_sales_order": 1, "items_direction": "Bidirectional", "stock_direction": "ERPNext to Store",
            "orders_direction": "Bidirectional", "customers_direction": "Store to ERPNext",
            "warehouse_mappings": [{"warehouse": self.basics["warehouse"], "location_id": kit.location_id,
                                    "location_name": "Main"}],
            **kit.store_fields,
        }  # fmt: skip
        frappe.get_doc(doc).insert(ignore_permissions=True)
        frappe.db.commit()
        self.kits.append(kit)
        info = self.call("test_connection", store=kit.store)
        registered = self.call("register_webhooks", store=kit.store)
        kit.sim.auto_deliver = True
        self.say(f"{kit.store}: connected ({_short(info)}); webhooks: {_short(registered)}")
        return kit

    def full_sync(self, kit: Kit) -> None:
        result = self.call("full_sync", store=kit.store)
        self.run_jobs()
        self.say(f"{kit.store}: full sync from the store: {_short(result)}")

    def receive_stock(self, kit: Kit) -> None:
        """An ERPNext stock receipt for every item of this store: quantities must reach the store."""
        import frappe

        codes = frappe.get_all("Commerce Item Mapping", filters={"store": kit.store}, pluck="item_code")
        if not codes:
            raise RuntimeError(f"{kit.store}: no items were imported")
        entry = frappe.get_doc({
            "doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
            "company": self.basics["company"],
            "items": [{"item_code": code, "qty": RECEIPT_QTY, "t_warehouse": self.basics["warehouse"],
                       "basic_rate": 5, "uom": "Nos", "stock_uom": "Nos", "conversion_factor": 1,
                       "transfer_qty": RECEIPT_QTY} for code in codes],
        })  # fmt: skip
        entry.insert(ignore_permissions=True)
        entry.submit()
        frappe.db.commit()
        self.work(kit, entities=["stock"])
        self.say(f"{kit.store}: ERPNext received {RECEIPT_QTY} units of each of its {len(codes)} items; stock pushed")

    def place_orders(self, kit: Kit) -> None:
        skus = sorted(self._store_skus(kit))[: ORDERS + 1]
        for n in range(ORDERS):
            order = kit.sim.create_order(
                line_items=[{"sku": skus[n], "quantity": n + 1}, {"sku": skus[-1], "quantity": 1}],
                customer_email=f"{kit.platform.lower()}-buyer{n % 2}@example.com",
                **kit.order_extras(n),
            )
            kit.order_ids.append(str(order.get("id")))
        # the platforms deliver at least once and out of order: send everything again, reversed
        kit.sim.deliver_webhooks(duplicate=True, reverse=True)
        self.work(kit)
        self.say(f"{kit.store}: {ORDERS} orders placed on the store")

    def ship_first_order(self, kit: Kit) -> None:
        import frappe

        external = kit.order_ids[0]
        so_name = frappe.db.get_value("Commerce Order Mapping", {"store": kit.store, "external_order_id": external},
                                      "sales_order")  # fmt: skip
        if not so_name:
            raise RuntimeError(f"{kit.store}: order {external} has no Sales Order")
        so = frappe.get_doc("Sales Order", so_name)
        note = frappe.get_doc({
            "doctype": "Delivery Note", "customer": so.customer, "company": so.company, "currency": so.currency,
            "conversion_rate": so.conversion_rate, "selling_price_list": so.selling_price_list,
            "ignore_pricing_rule": 1, "lr_no": f"TRACK-{external[-6:]}", "transporter_name": "UPS",
            "items": [{"item_code": i.item_code, "qty": i.qty, "rate": i.rate, "uom": i.uom, "stock_uom": i.stock_uom,
                       "conversion_factor": 1, "warehouse": i.warehouse or self.basics["warehouse"],
                       "against_sales_order": so.name, "so_detail": i.name} for i in so.items],
        })  # fmt: skip
        note.insert(ignore_permissions=True)
        note.submit()
        frappe.db.commit()
        self.work(kit)
        kit.fulfilled.append(external)
        self.say(f"{kit.store}: Delivery Note {note.name} with tracking for order {external}")

    def reconcile(self, kit: Kit) -> None:
        """After faults: retry what failed, re-poll orders, push stock again."""
        for _ in range(3):
            self.call("retry_failed", store=kit.store)
            self.call("sync_orders", store=kit.store)
            self.work(kit, entities=["stock"])

    # -- the comparison -----------------------------------------------------------
    def compare(self, kit: Kit) -> dict[str, Any]:
        import frappe

        mappings = frappe.get_all("Commerce Order Mapping", filters={"store": kit.store},
                                  fields=["external_order_id", "sales_order", "store_total"])  # fmt: skip
        by_order: dict[str, list[str]] = {}
        for m in mappings:
            by_order.setdefault(m.external_order_id, []).append(m.sales_order)
        store_orders = {str(k): v for k, v in _orders_of(kit.sim).items()}
        totals = []
        for external, order in store_orders.items():
            so = by_order.get(external, [None])[0]
            if so:
                grand = Decimal(str(frappe.db.get_value("Sales Order", so, "grand_total")))
                totals.append({"order": external, "store_total": str(_order_total(order)), "erp_total": str(grand)})
        # counted from the Sales Orders themselves, not from the (unique) mapping rows: a second order would show
        sales_orders_per_order = {
            ext: frappe.db.count("Sales Order", {"commerce_store": kit.store, "commerce_order_id": ext,
                                                 "docstatus": ["<", 2]})
            for ext in store_orders
        }  # fmt: skip
        stock = {}
        for code, sku in frappe.get_all("Commerce Item Mapping", filters={"store": kit.store},
                                        fields=["item_code", "sku"], as_list=True):  # fmt: skip
            erp_qty = _available(frappe, code, self.basics["warehouse"])
            stock[sku] = {"store": kit.sim.stock_of(sku), "erp": erp_qty}
        fulfilments = {ext: len(kit.sim.fulfilments_of(_sim_id(ext))) for ext in kit.fulfilled}
        return {
            "store": kit.store,
            "platform": kit.platform,
            "store_orders": sorted(store_orders),
            "erp_orders": sorted(by_order),
            "sales_orders_per_order": sales_orders_per_order,
            "totals": totals,
            "store_skus": sorted(self._store_skus(kit)),
            "erp_skus": sorted(s for s in stock),
            "customers": frappe.db.count("Commerce Customer Mapping", {"store": kit.store}),
            "stock": stock,
            "fulfilments": fulfilments,
            "dead_jobs": frappe.db.count("Commerce Sync Job", {"store": kit.store, "status": "Dead"}),
            "failed_jobs": frappe.db.count("Commerce Sync Job", {"store": kit.store, "status": "Failed"}),
        }

    def _store_skus(self, kit: Kit) -> set[str]:
        return _skus_of(kit.sim)

    def stop(self) -> None:
        for kit in self.kits:
            (getattr(kit.sim, "close", None) or kit.sim.stop)()
        if self.server:
            self.server.stop()
        if getattr(self, "_site_cm", None):
            self._site_cm.__exit__(None, None, None)


def agreement_problems(report: dict[str, Any]) -> list[str]:
    """Everything on which the store and ERPNext disagree (empty = both sides true)."""
    problems = []
    missing = sorted(set(report["store_orders"]) - set(report["erp_orders"]))
    if missing:
        problems.append(f"orders lost: {missing}")
    doubled = {k: v for k, v in report["sales_orders_per_order"].items() if v != 1}
    if doubled:
        problems.append(f"orders without exactly one Sales Order: {doubled}")
    for row in report["totals"]:
        if Decimal(row["store_total"]) != Decimal(row["erp_total"]):
            problems.append(f"order {row['order']}: store total {row['store_total']} != ERPNext {row['erp_total']}")
    if set(report["store_skus"]) - set(report["erp_skus"]):
        problems.append(f"items missing in ERPNext: {sorted(set(report['store_skus']) - set(report['erp_skus']))}")
    for sku, pair in report["stock"].items():
        if pair["store"] is None or Decimal(str(pair["store"])) != Decimal(str(pair["erp"])):
            problems.append(f"stock of {sku}: store {pair['store']} != ERPNext {pair['erp']}")
    for order, count in report["fulfilments"].items():
        if count < 1:
            problems.append(f"order {order}: the Delivery Note never reached the store")
    if report["customers"] < 2:
        problems.append(f"only {report['customers']} customers mapped")
    return problems


def run_scenario(data_dir: str | Path, *, platforms: tuple[str, ...] = PLATFORMS, faults: bool = False,
                 products: int = DEFAULT_PRODUCTS, say: Callable[[str], None] = print,
                 port: int = 0, serve_seconds: float = 0, screenshot: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    sandbox = Sandbox(data_dir, platforms=platforms, faults=faults, products=products, say=say)
    sandbox.port = port
    sandbox.start()
    reports = []
    try:
        for platform in platforms:
            kit = sandbox.add_store(platform)
            sandbox.full_sync(kit)
            sandbox.receive_stock(kit)
            if faults:
                kit.make_faults(kit.sim)
                kit.sim.faults.latency = 0.02
                sandbox.server.refuse_webhooks = 4  # the site is down for the first deliveries
                injected = len(kit.sim.faults.queue)
            sandbox.place_orders(kit)
            if faults:  # the scheduled order poll catches what the refused webhooks lost
                sandbox.work(kit, entities=["orders"])
            sandbox.ship_first_order(kit)
            if faults:
                served = injected - len(kit.sim.faults.queue)
                kit.sim.faults.clear()
                sandbox.reconcile(kit)
            report = sandbox.compare(kit)
            if faults:
                report["faults_served"] = served
                report["webhooks_refused"] = sum(1 for _, path, status in sandbox.server.requests
                                                 if status == 503 and "webhooks" in path)  # fmt: skip
            report["problems"] = agreement_problems(report)
            reports.append(report)
            facts = (f"{len(report['erp_orders'])}/{len(report['store_orders'])} orders, {len(report['erp_skus'])} items, "
                     f"{report['customers']} customers, {len(report['stock'])} stock levels, "
                     f"{sum(report['fulfilments'].values())} fulfilment(s)")  # fmt: skip
            verdict = "both sides agree" if not report["problems"] else "DISAGREE: " + "; ".join(report["problems"])
            say(f"{kit.store}: {verdict} ({facts})")
        if screenshot:
            from wix_commerce_sync.testing.browser import screenshot_dashboard

            say(f"dashboard screenshot: {screenshot_dashboard(sandbox.server.url + '/commerce-sync-dashboard', screenshot)}")
        if serve_seconds:
            say(f"serving the dashboard for {serve_seconds:.0f} s at {sandbox.server.url}/commerce-sync-dashboard")
            time.sleep(serve_seconds)
    finally:
        sandbox.stop()
    return reports


def run_sandbox(*, data_dir: str = "sandbox-data", faults: bool = False, serve_seconds: float = 0, port: int = 8765,
                platforms: tuple[str, ...] = PLATFORMS, report_file: str | None = None,
                screenshot: str | None = None) -> int:  # fmt: skip
    if screenshot:
        from wix_commerce_sync.testing.browser import INSTALL_HINT, find_chromium

        if find_chromium() is None:
            print(f"sandbox: --screenshot needs Chromium: {INSTALL_HINT}")
            return 2
    reports = run_scenario(data_dir, platforms=platforms, faults=faults, port=port, serve_seconds=serve_seconds,
                           screenshot=screenshot)
    if report_file:
        Path(report_file).write_text(json.dumps(reports, indent=1, default=str))
    bad = [r for r in reports if r["problems"]]
    print(f"sandbox: {len(reports) - len(bad)} of {len(reports)} stores agree with ERPNext")
    if not serve_seconds:
        print("(add --serve 600 to keep the dashboard up for 10 minutes after the sync)")
    return 1 if bad else 0


# ---------------------------------------------------------------- simulator state readers


def _orders_of(sim: Any) -> dict[Any, dict]:
    orders = sim.orders
    if isinstance(orders, dict):
        return orders
    return {o.get("id"): o for o in orders}


def _order_total(order: dict) -> Decimal:
    for key in ("total_price", "total"):
        if key in order:
            return Decimal(str(order[key]))
    summary = order.get("priceSummary") or {}
    total = summary.get("total")
    return Decimal(str(total.get("amount") if isinstance(total, dict) else total))


def _skus_of(sim: Any) -> set[str]:
    index = getattr(sim, "sku_index", None)
    if isinstance(index, dict) and index:
        return {str(sku) for sku in index if sku}
    found = set()
    products = sim.products.values() if isinstance(sim.products, dict) else sim.products
    for product in products:
        for variant in product.get("variants") or product.get("variations") or []:
            if isinstance(variant, dict) and variant.get("sku"):
                found.add(variant["sku"])
        if product.get("type") == "simple" and product.get("sku"):
            found.add(product["sku"])
    return found


def _sim_id(external: str) -> Any:
    return int(external) if external.isdigit() else external


def _available(frappe: Any, item_code: str, warehouse: str) -> Decimal:
    row = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, ["actual_qty", "reserved_qty"])
    if not row:
        return Decimal(0)
    return Decimal(str(row[0] or 0)) - Decimal(str(row[1] or 0))


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 160 else text[:157] + "..."
