"""An ERPNext template with variants, made from another store's product, pushed to WooCommerce (chaos finding,
issue 16): the store makes a variable product and its variations; the mappings must name each variation, and the
stock of each variant must reach its variation on the store. Data unique per run.
"""

from __future__ import annotations

from decimal import Decimal

import frappe

from wix_commerce_sync import shell
from wix_commerce_sync.connectors.woocommerce.connector import WooCommerceConnector
from wix_commerce_sync.connectors.woocommerce.simulator import WooCommerceSimulator
from wix_commerce_sync.erpnext.adapter import ErpNextAdapter
from wix_commerce_sync.erpnext.outbound import product_from_item
from wix_commerce_sync.shell import get_engine
from wix_commerce_sync.sync.models import Entity, Product, StockLevel, Variant
from wix_commerce_sync.sync.ports import OutboundChange
from wix_commerce_sync.tests import fixtures as fx

MAP = "Commerce Item Mapping"


class TestVariantsPushedToWooCommerce(fx.ShellTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fx.hold_background_jobs(cls)
        cls.sim = fx.start_simulator(cls, WooCommerceSimulator)
        cls.basics = fx.ensure_basics()
        cls.tag = fx.run_tag().upper()
        cls.source, _ = fx.make_store(cls.basics, f"Commerce Variant Source {cls.tag}")
        cls.store, _ = fx.make_store(cls.basics, f"Commerce Woo Variant Shop {cls.tag}", platform="WooCommerce",
                                     store_url=cls.sim.base_url, allow_insecure_http=1, access_token=None,
                                     consumer_key=cls.sim.consumer_key, consumer_secret=cls.sim.consumer_secret)  # fmt: skip
        shell.CONNECTOR_OVERRIDES[cls.store] = WooCommerceConnector(cls.sim.store_config(name=cls.store, **fx.FAST_CLIENT))
        for name in (cls.source, cls.store):
            cls.addClassCleanup(shell.CONNECTOR_OVERRIDES.pop, name, None)

    def template_from_the_source_store(self) -> tuple[str, list[str]]:
        tag = f"{self.tag}{frappe.generate_hash(length=4).upper()}"  # one product per test
        skus = [f"VAR{tag}-1", f"VAR{tag}-2"]
        product = Product(external_id=f"src-{tag}", title=f"Shirt {tag}", handle=f"var{tag}".lower(),
                          option_names=["Size"], variants=[
                              Variant(f"src-v{n}-{tag}", sku, Decimal("15.00"), options={"Size": size})
                              for n, (sku, size) in enumerate(zip(skus, ("S", "M")))])  # fmt: skip
        ErpNextAdapter().upsert_product(self.source, product)
        frappe.db.commit()
        return frappe.db.get_value("Item", skus[0], "variant_of"), skus

    def push(self, template: str):
        engine = get_engine(self.store)
        engine.queue_outbound(OutboundChange("items", template, product_from_item(self.store, template)))
        pushed = engine.flush_outbound(Entity.ITEMS)
        frappe.db.commit()
        self.assertEqual((pushed.succeeded, pushed.failed), (1, 0), pushed.errors)
        return engine

    def receive_stock(self, levels: dict[str, int]) -> None:
        for sku, qty in levels.items():
            ErpNextAdapter().set_stock(self.source, StockLevel(sku=sku, quantity=Decimal(qty), location_id="loc-1"))
        frappe.db.commit()

    def test_each_variant_is_mapped_to_its_variation_and_its_stock_reaches_it(self):
        template, skus = self.template_from_the_source_store()
        engine = self.push(template)
        for sku in skus:
            on_store = self.sim.product_by_sku(sku)
            mapping = frappe.db.get_value(MAP, {"store": self.store, "sku": sku},
                                          ["external_variant_id", "external_product_id"], as_dict=True)  # fmt: skip
            self.assertEqual((mapping.external_variant_id, mapping.external_product_id),
                             (str(on_store["id"]), str(on_store["parent_id"])))
        self.receive_stock(dict(zip(skus, (29, 7))))
        self.assertEqual(engine.plan_stock_push(skus=skus), 2)
        stock = engine.flush_outbound(Entity.STOCK)
        frappe.db.commit()
        self.assertEqual((stock.succeeded, stock.failed), (2, 0), stock.errors)
        self.assertEqual([self.sim.stock_of(sku) for sku in skus], [29, 7])

    def test_the_stock_an_item_already_has_goes_out_with_the_flush_that_made_its_product(self):
        """No stock change follows the create: without this the new variations stayed out of stock until the
        hourly reconciliation."""
        template, skus = self.template_from_the_source_store()
        self.receive_stock(dict(zip(skus, (4, 9))))
        engine = self.push(template)
        self.assertEqual([self.sim.stock_of(sku) for sku in skus], [None, None])  # made stock-managed, none yet
        stock = engine.flush_outbound(Entity.STOCK)
        frappe.db.commit()
        self.assertEqual((stock.succeeded, stock.failed), (2, 0), stock.errors)
        self.assertEqual([self.sim.stock_of(sku) for sku in skus], [4, 9])
