"""WooCommerce webhooks into ERPNext through the app's endpoint, the Frappe job store and the engine (issue 11).

The simulator follows WooCommerce's source: every delivery of a webhook within one second carries the same
X-WC-Webhook-Delivery-ID, and a deleted resource arrives as ``{"id": N}``. Data unique per run.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import frappe

from wix_commerce_sync import shell
from wix_commerce_sync.connectors.woocommerce.connector import WooCommerceConnector
from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator
from wix_commerce_sync.sync.keys import record_key
from wix_commerce_sync.tasks.jobs import process_inbound
from wix_commerce_sync.testing.simulator import start_loopback_server, stop_loopback_server
from wix_commerce_sync.tests import fixtures as fx

SECRET = "whsec-woo-shell-never-log-me"  # noqa: S105 - test-only value


class TestWooCommerceWebhooksIntoErpNext(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)
        cls.sim = fx.start_simulator(cls, WooCommerceSimulator)
        cls.deliveries: list[tuple[dict[str, str], bytes]] = []
        cls.receiver = start_loopback_server(cls._receive)
        cls.addClassCleanup(stop_loopback_server, cls.receiver)
        basics = fx.ensure_basics()
        cls.tag = fx.run_tag().upper()
        cls.store, _ = fx.make_store(basics, f"Commerce Woo Webhook Shop {cls.tag}", platform="WooCommerce",
                                     store_url=cls.sim.base_url, allow_insecure_http=1, access_token=None,
                                     consumer_key=cls.sim.consumer_key, consumer_secret=cls.sim.consumer_secret,
                                     webhook_secret=SECRET)  # fmt: skip
        connector = WooCommerceConnector(cls.sim.store_config(name=cls.store, webhook_secret=SECRET, **fx.FAST_CLIENT))
        shell.CONNECTOR_OVERRIDES[cls.store] = connector
        cls.addClassCleanup(shell.CONNECTOR_OVERRIDES.pop, cls.store, None)
        host, port = cls.receiver.server_address[:2]
        connector.register_webhooks(f"http://{host}:{port}/hook", ["product.updated", "product.deleted"])
        cls.sim.deliver_webhooks()  # pings
        cls.deliveries.clear()

    @classmethod
    def _receive(cls, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        cls.deliveries.append(({k: v for k, v in handler.headers.items()}, body))
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def post_all(self) -> None:
        for headers, body in self.deliveries:
            response = fx.post_webhook("woocommerce", body, headers, self.store)
            self.assertEqual(response.status_code, 200, response.get_data(as_text=True))
        self.deliveries.clear()

    def test_two_products_updated_in_the_same_second_both_reach_erpnext(self):
        self.sim.delivery_second = lambda: 1_700_000_000  # both deliveries leave within one second
        first, second = self.sim.seed_catalog(2, sku_prefix=f"SAME{self.tag}")
        WooCommerceConnector(self.sim.store_config(**fx.FAST_CLIENT))._batch("/products/batch", update=[
            {"id": first, "name": f"First {self.tag}"}, {"id": second, "name": f"Second {self.tag}"}])
        self.assertEqual(self.sim.deliver_webhooks(), 2)
        self.assertEqual(len({h["X-WC-Webhook-Delivery-ID"] for h, _ in self.deliveries}), 1)
        self.post_all()
        result = process_inbound(self.store)
        self.assertEqual((result["synced"], result["failed"]), (2, 0), result)
        for sku, name in ((f"SAME{self.tag}-000000", f"First {self.tag}"), (f"SAME{self.tag}-000001", f"Second {self.tag}")):
            self.assertEqual(frappe.db.get_value("Item", sku, "item_name"), name)

    def test_deleted_product_payload_unlinks_its_item(self):
        [pid] = self.sim.seed_catalog(1, sku_prefix=f"DEL{self.tag}")
        connector = WooCommerceConnector(self.sim.store_config(**fx.FAST_CLIENT))
        connector._batch("/products/batch", update=[{"id": pid, "name": f"Doomed {self.tag}"}])
        self.sim.deliver_webhooks()
        self.post_all()
        self.assertEqual(process_inbound(self.store)["synced"], 1)
        sku = f"DEL{self.tag}-000000"
        self.assertTrue(frappe.db.exists("Commerce Item Mapping", {"variant_key": record_key(self.store, str(pid))}))
        connector._batch("/products/batch", delete=[pid])
        self.sim.deliver_webhooks()
        self.assertEqual([b for _, b in self.deliveries], [f'{{"id":{pid}}}'.encode()])
        self.post_all()
        result = process_inbound(self.store)
        self.assertEqual((result["synced"], result["failed"]), (1, 0), result)
        self.assertFalse(frappe.db.exists("Commerce Item Mapping", {"variant_key": record_key(self.store, str(pid))}))
        self.assertEqual(frappe.db.get_value("Item", sku, "disabled"), 0)  # kept: the store setting is off
