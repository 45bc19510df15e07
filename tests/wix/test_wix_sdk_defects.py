"""Issue 10: the 14 defects found against Wix's published SDK, each on the contract-built simulator."""

from __future__ import annotations

from decimal import Decimal

from wix_commerce_sync.connectors.wix import mapping
from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.models import (
    Customer,
    FinancialStatus,
    Fulfilment,
    Product,
    StockLevel,
    Variant,
)


def mug(title: str = "Mug", prefix: str = "MUG") -> Product:
    return Product(external_id=None, title=title, option_names=["Color"], description=f"{title} text", variants=[
        Variant(None, f"{prefix}-R", Decimal("8.50"), options={"Color": "Red"}),
        Variant(None, f"{prefix}-B", Decimal("9.00"), options={"Color": "Blue"})])


def products_with_sku(sim: WixSimulator, sku: str) -> int:
    return sum(1 for p in sim.products.values() for v in p["variantsInfo"]["variants"] if v.get("sku") == sku)


# 1 -----------------------------------------------------------------------------------------------------
def test_1_v3_create_reads_product_results_and_is_not_retried_into_duplicates(sim_v3, connect) -> None:
    [created] = connect(sim_v3).upsert_products([mug()])
    assert created.ok and created.external_id in sim_v3.products
    assert [v["variant_id"] for v in created.data["variants"]] == [
        v["id"] for v in sim_v3.products[created.external_id]["variantsInfo"]["variants"]]
    assert products_with_sku(sim_v3, "MUG-R") == 1


# 2 and 6 ----------------------------------------------------------------------------------------------
def test_2_6_v3_catalog_reads_variants_with_their_options(sim_v3, connect) -> None:
    made = sim_v3.add_product("Shirt", skus=["SH-S", "SH-M"], options={"Size": ["S", "M"]})
    [product] = list(connect(sim_v3).iter_products())
    assert [(v.sku, v.options, v.title) for v in product.variants] == [
        ("SH-S", {"Size": "S"}, "S"), ("SH-M", {"Size": "M"}, "M")]
    assert [v.external_id for v in product.variants] == [v["id"] for v in made["variantsInfo"]["variants"]]


# 3 -----------------------------------------------------------------------------------------------------
def test_3_inventory_queries_follow_the_cursor_without_has_next(connect) -> None:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None, locations=3)
    sim.start()
    try:
        skus = sim.seed_catalog(60, quantity=2)
        last = sim.locations[2]["id"]
        for location in (sim.locations[1]["id"], last):  # 60 variants x 3 locations = 180 items for one query
            for sku in skus:
                sim.set_inventory(sku, 5, location)
        levels = connect(sim).read_stock([StockLevel(sku=s, quantity=Decimal(0), location_id=last) for s in skus])
        assert sorted((lv.sku, lv.quantity) for lv in levels) == [(s, 5) for s in sorted(skus)]
    finally:
        sim.stop()


# 4 -----------------------------------------------------------------------------------------------------
def test_4_bulk_creates_stay_under_100_options_per_request(sim_v3, connect) -> None:
    products = [Product(external_id=None, title=f"Tee {n}", option_names=["Size", "Color"], variants=[
        Variant(None, f"TEE-{n}", Decimal("5.00"), options={"Size": "S", "Color": "Red"})]) for n in range(60)]
    results = connect(sim_v3).upsert_products(products)  # 120 options in all
    assert all(r.ok for r in results), {r.error for r in results}
    assert sim_v3.call_count("/bulk/products-with-inventory/create") == 2


# 5 -----------------------------------------------------------------------------------------------------
def test_5_locations_are_stores_locations(connect) -> None:
    sim = WixSimulator("V3_CATALOG", rate_limit_per_minute=None, locations=2)
    sim.start()
    try:
        [sku] = sim.seed_catalog(1, quantity=1)
        connector = connect(sim)
        locations = connector.list_locations()
        assert sorted((loc.external_id, loc.is_default) for loc in locations) == sorted(
            (loc["id"], loc["defaultLocation"]) for loc in sim.locations)
        warehouse = sim.locations[1]["id"]
        sim.set_inventory(sku, 3, warehouse)
        [result] = connector.set_stock([StockLevel(sku=sku, quantity=Decimal(7), location_id=warehouse)])
        assert result.ok and sim.stock_of(sku, warehouse) == 7 and sim.stock_of(sku) == 1
    finally:
        sim.stop()


# 7 -----------------------------------------------------------------------------------------------------
def test_7_v3_description_and_currency_are_requested(sim_v3, connect) -> None:
    [created] = connect(sim_v3).upsert_products([mug()])
    connector = connect(sim_v3)
    got = connector.get_product(str(created.external_id))
    [listed] = list(connector.iter_products())
    assert (got.description, got.currency) == ("Mug text", "USD")
    assert (listed.description, listed.currency) == ("Mug text", "USD")


# 8 -----------------------------------------------------------------------------------------------------
def test_8_customer_listing_sorts_on_a_sortable_field(sim, connect) -> None:
    sim.add_customer("a@example.com")
    sim.add_customer("b@example.com")
    assert sorted(c.email for c in connect(sim).iter_customers()) == ["a@example.com", "b@example.com"]


# 9 -----------------------------------------------------------------------------------------------------
def test_9_v1_sku_lookup_uses_filterable_fields(connect) -> None:
    sim = WixSimulator("V1_CATALOG", rate_limit_per_minute=None)
    sim.start()
    try:
        single = sim.seed_catalog(1, quantity=1, sku_prefix="ONE")
        options = sim.seed_catalog(1, variants_per_product=2, quantity=1, sku_prefix="TWO")
        results = connect(sim).set_stock([StockLevel(sku=s, quantity=Decimal(6)) for s in single + options])
        assert all(r.ok for r in results), [r.error for r in results]
        assert [sim.stock_of(s) for s in single + options] == [6, 6, 6]
    finally:
        sim.stop()


# 10 ----------------------------------------------------------------------------------------------------
def test_10_physical_creates_carry_physical_properties(sim_v3, connect) -> None:
    [created] = connect(sim_v3).upsert_products([mug()])
    assert created.ok, created.error
    [(_, _, body)] = [c for c in sim_v3.api_calls if c[1].endswith("/products-with-inventory/create")]
    sent = body["products"][0]
    assert sent["physicalProperties"] == {} and all(
        "physicalProperties" in v for v in sent["variantsInfo"]["variants"])


# 11 ----------------------------------------------------------------------------------------------------
def test_11_bulk_fulfilments_keep_the_wix_fulfilment_id(sim_v3, connect) -> None:
    [sku] = sim_v3.seed_catalog(1, quantity=10)
    orders = [sim_v3.create_order([{"sku": sku, "quantity": 1}]) for _ in range(2)]
    results = connect(sim_v3).create_fulfilments([Fulfilment(order_id=o["id"]) for o in orders])
    assert [r.external_id for r in results] == [sim_v3.fulfilments_of(o["id"])[0]["id"] for o in orders]


# 12 ----------------------------------------------------------------------------------------------------
def test_12_contact_conflicts_are_reread_and_retried(sim, connect) -> None:
    contact = sim.add_customer("c@example.com", first_name="Cee")
    sim.conflict_next = 1  # someone else saves the contact first: CONTACT_ALREADY_CHANGED
    [result] = connect(sim).upsert_customers([Customer(external_id=contact["id"], email="c@example.com",
                                                       first_name="Sea", revision=str(contact["revision"]))])
    assert result.ok, result.error
    assert sim.contacts[contact["id"]]["info"]["name"]["first"] == "Sea"


# 13 ----------------------------------------------------------------------------------------------------
def test_13_line_shipping_and_fee_taxes_come_from_tax_info(sim_v3, connect) -> None:
    [sku] = sim_v3.seed_catalog(1, quantity=10)
    made = sim_v3.create_order([{"sku": sku, "quantity": 2, "price": "10.00"}], tax_rate="0.1", shipping="5.00",
                               fees=[{"name": "Handling", "price": "2.00"}])
    order = connect(sim_v3).get_order(made["id"])
    assert [t.amount for ln in order.lines for t in ln.taxes] == [Decimal("2.00")]
    assert [t.amount for c in order.shipping_lines for t in c.taxes] == [Decimal("0.50")]
    assert [t.amount for c in order.fee_lines for t in c.taxes] == [Decimal("0.20")]
    assert order.order_taxes == [] and order.total == Decimal(made["priceSummary"]["total"]["amount"])


# 14 ----------------------------------------------------------------------------------------------------
def test_14_pending_orders_are_searched_for(sim_v3, connect) -> None:
    [sku] = sim_v3.seed_catalog(1, quantity=10)
    pending = sim_v3.create_order([{"sku": sku, "quantity": 1}], status="PENDING")
    approved = sim_v3.create_order([{"sku": sku, "quantity": 1}])
    assert sorted(o.external_id for o in connect(sim_v3).iter_orders()) == sorted([pending["id"], approved["id"]])


# smaller ----------------------------------------------------------------------------------------------
def test_updates_leave_handle_and_product_type_alone(sim_v3, connect) -> None:
    connector = connect(sim_v3)
    [created] = connector.upsert_products([mug()])
    product = connector.get_product(str(created.external_id))
    product.handle, product.title = "another-handle", "Mug 2"
    [updated] = connector.upsert_products([product])
    assert updated.ok, updated.error
    [(_, _, body)] = [c for c in sim_v3.api_calls if c[1].endswith("/bulk/products/update")]
    assert not {"handle", "productType"} & set(body["products"][0]["product"])


def test_every_documented_payment_status_is_mapped() -> None:
    expected = {"PENDING_MERCHANT": FinancialStatus.PENDING, "CANCELED": FinancialStatus.VOIDED,
                "DECLINED": FinancialStatus.VOIDED}
    assert {k: mapping.PAYMENT_STATUS.get(k) for k in expected} == expected


def test_v3_variant_weight_unit_is_not_read_from_the_variant() -> None:
    variant = mapping._v3_variant({"variantId": "v", "physicalProperties": {"weight": 2, "weightUnit": "KG"}})
    assert (variant.external_id, variant.weight, variant.weight_unit) == ("v", Decimal("2"), None)
