"""Stock of a variable product pushed from ERPNext goes to its variations (chaos finding, issue 16).

A product the app created on the store is mapped, per variant, with the store's product id; a stock row of one of its
variants may then carry the variable parent's id and its sku but no variation id. WooCommerce accepts stock on a
variable parent (VAR3 then answers ``manage_stock: "parent"`` for variations that do not manage their own), so a row
written there "succeeds" while the variation itself shows no stock of its own.
"""

from __future__ import annotations

from decimal import Decimal

from wix_commerce_sync.sync.models import Product, StockLevel, Variant

D = Decimal


def _tee(sizes: tuple[str, ...] = ("S", "M"), *, stock_items: bool = True) -> Product:
    return Product(external_id=None, title="Tee", option_names=["Size"], variants=[
        Variant(external_id=None, sku=f"TEE-{size}", price=D("10.00"), options={"Size": size}, manage_stock=stock_items)
        for size in sizes])


def test_new_variations_and_simple_products_of_stock_items_are_stock_managed_from_their_create(sim, connector):
    """Left unmanaged, WooCommerce sells them without limit until the stock push; managed, they are out of stock
    until ERPNext's quantity arrives. The variable parent keeps no stock; a non-stock item is left unmanaged."""
    simple = Product(external_id=None, title="Mug", variants=[Variant(external_id=None, sku="MUG", price=D("5.00"))])
    service = Product(external_id=None, title="Gift wrap",
                      variants=[Variant(external_id=None, sku="WRAP", price=D("1.00"), manage_stock=False)])
    results = connector.upsert_products([_tee(), simple, service])
    assert all(r.ok for r in results), [r.error for r in results]
    shown = {sku: sim.product_by_sku(sku) for sku in ("TEE-S", "TEE-M", "MUG", "WRAP")}
    assert {sku: (p["manage_stock"], p["stock_status"]) for sku, p in shown.items()} == {
        "TEE-S": (True, "outofstock"), "TEE-M": (True, "outofstock"), "MUG": (True, "outofstock"),
        "WRAP": (False, "instock")}
    assert sim.products[int(results[0].external_id)]["manage_stock"] is False


def test_a_variant_row_with_only_the_parent_id_and_its_sku_writes_the_variation(sim, make_connector):
    made = make_connector().upsert_products([_tee()])[0]
    assert made.ok, made.error
    parent = made.external_id
    variation = {v["sku"]: v["variant_id"] for v in made.data["variants"]}["TEE-M"]
    # a later job: a new connector (nothing cached), the row as the mapping of a pushed product holds it
    (result,) = make_connector().set_stock([StockLevel(sku="TEE-M", quantity=D(29), product_id=parent, variant_id=None)])
    assert result.ok, result.error
    assert (result.external_id, result.data["variant_id"], result.data["product_id"]) == (variation, variation, parent)
    assert sim.stock_of("TEE-M") == 29 and sim.stock_of("TEE-S") is None
    assert sim.products[int(parent)]["manage_stock"] is False  # the variable parent keeps no stock of its own


def test_a_row_naming_a_variable_product_by_id_alone_is_refused_not_written_to_the_parent(sim, make_connector):
    parent = make_connector().upsert_products([_tee()])[0].external_id
    (result,) = make_connector().set_stock([StockLevel(sku=None, quantity=D(5), product_id=parent)])
    assert not result.ok and "no WooCommerce product or variation" in result.error
    assert sim.products[int(parent)]["manage_stock"] is False


def test_read_stock_of_a_variant_row_with_only_the_parent_id_reads_the_variation(sim, make_connector):
    parent = make_connector().upsert_products([_tee()])[0].external_id
    make_connector().set_stock([StockLevel(sku="TEE-S", quantity=D(7), product_id=parent)])
    (level,) = make_connector().read_stock([StockLevel(sku="TEE-S", quantity=D(0), product_id=parent)])
    assert (level.quantity, level.product_id) == (D(7), parent) and level.variant_id != parent


def test_a_variation_without_its_own_stock_under_a_stock_managing_parent_answers_parent(sim, make_connector):
    """VAR3 answers ``manage_stock => managing_stock()`` and ``get_stock_quantity()``: for a variation that keeps no
    stock of its own they are the parent's ("parent" and its quantity); the app counts only its own stock."""
    connector = make_connector()
    made = connector.upsert_products([_tee(stock_items=False)])[0]
    parent = int(made.external_id)
    variation = {v["sku"]: v["variant_id"] for v in made.data["variants"]}["TEE-M"]
    connector._batch("/products/batch", update=[{"id": parent, "manage_stock": True, "stock_quantity": 12}])
    shown = connector._json("GET", f"/products/{parent}/variations/{variation}")
    assert (shown["manage_stock"], shown["stock_quantity"]) == ("parent", 12)
    assert sim.stock_of("TEE-M") == 12  # what the shop shows for the sku
    assert make_connector().read_stock([StockLevel(sku="TEE-M", quantity=D(0))]) == []  # not the variation's own


def test_a_row_whose_sku_changed_on_the_store_still_writes_its_simple_product_but_never_a_variable_one(sim, make_connector):
    simple, tee = make_connector().upsert_products(
        [Product(external_id=None, title="Mug", variants=[Variant(external_id=None, sku="MUG", price=D("5.00"))]), _tee()])
    make_connector()._batch("/products/batch", update=[{"id": int(simple.external_id), "sku": "MUG-NEW"}])
    make_connector()._batch(f"/products/{tee.external_id}/variations/batch",
                            update=[{"id": int(v["variant_id"]), "sku": f"{v['sku']}-NEW"} for v in tee.data["variants"]])
    mug, shirt = make_connector().set_stock([StockLevel(sku="MUG", quantity=D(3), product_id=simple.external_id),
                                             StockLevel(sku="TEE-S", quantity=D(4), product_id=tee.external_id)])
    assert mug.ok and sim.stock_of("MUG-NEW") == 3
    assert not shirt.ok and "'TEE-S'" in shirt.error and sim.products[int(tee.external_id)]["manage_stock"] is False


def test_a_variant_linked_to_a_variation_the_product_does_not_have_is_found_again_by_sku(sim, make_connector):
    """Chaos finding: a product push kept failing with "woocommerce_rest_product_variation_invalid_id: Invalid ID."
    until its job went Dead: the linked variation id was not one of the product's, and every retry sent it again.
    The connector finds the variation again by SKU and writes it there; a SKU the product lacks gets a new
    variation. The result carries the right ids, so the mapping is corrected."""
    made = make_connector().upsert_products([_tee(("S", "M", "L"))])[0]
    ids = {v["sku"]: v["variant_id"] for v in made.data["variants"]}
    other = make_connector().upsert_products([Product(external_id=None, title="Cap", variants=[
        Variant(external_id=None, sku="CAP", price=D("3.00"))])])[0].external_id
    # S linked to another product's id, L and XL to ids the store never had (XL not on the store at all)
    linked = {"S": other, "M": ids["TEE-M"], "L": "999999", "XL": "999998"}
    product = Product(external_id=made.external_id, title="Tee", option_names=["Size"], variants=[
        Variant(external_id=linked[size], sku=f"TEE-{size}", price=D("12.00"), options={"Size": size})
        for size in ("S", "M", "L", "XL")])
    (result,) = make_connector().upsert_products([product])
    assert result.ok, result.error
    now = {v["sku"]: v["variant_id"] for v in result.data["variants"]}
    assert {sku: now[sku] for sku in ("TEE-S", "TEE-M", "TEE-L")} == ids
    assert now["TEE-XL"] not in (None, "999998") and sim.product_by_sku("TEE-XL")["parent_id"] == int(made.external_id)
    assert all(sim.product_by_sku(f"TEE-{size}")["regular_price"] == "12.00" for size in ("S", "M", "L", "XL"))
    assert sim.product_by_sku("CAP")["regular_price"] == "3.00"  # the other product's variation was never touched


def test_a_create_retried_after_its_first_variation_failed_finds_the_product_by_another_sku(sim, make_connector):
    """A variable product's create landed with only some of its variations (a partial batch failure), its answer
    was lost, and the retry looked for the product by its first SKU alone: the store has no such SKU, so a second
    parent was made. Any of its SKUs on the store names the product."""
    first = make_connector().upsert_products([_tee(("M",))])[0]  # what the lost attempt left: the parent and TEE-M
    (retry,) = make_connector().upsert_products([_tee(("S", "M"))])
    assert retry.ok, retry.error
    assert retry.external_id == first.external_id
    assert [p["name"] for p in sim.products.values() if p.get("type") == "variable"] == ["Tee"]
    assert sim.product_by_sku("TEE-S")["parent_id"] == int(first.external_id)


def test_a_product_write_answers_with_the_time_its_first_webhook_carries(sim, connector, receiver):
    """A variable product is written as its parent, then its variations (another call): each fires its own
    product.updated with its own modified time. The answer's store time is the parent's, the push's first write:
    any event older than it describes a version the push replaced whole (the engine skips it as stale); an event
    between the two calls may be a store edit of the parent's fields the push left, so the time is not the last."""
    made = connector.upsert_products([_tee()])[0]
    connector.config.webhook_secret = "times-secret"
    connector.register_webhooks(receiver.url, ["product.updated"])
    sim.deliver_webhooks()  # pings
    receiver.deliveries.clear()
    tee = _tee()
    tee.external_id, tee.title = made.external_id, "Tee, renamed"
    for variant in tee.variants:
        variant.external_id, variant.price = {v["sku"]: v["variant_id"] for v in made.data["variants"]}[variant.sku], D("14.00")
    updated = connector.upsert_products([tee])[0]
    assert updated.ok, updated.error
    assert made.store_updated_at is not None and updated.store_updated_at > made.store_updated_at
    sim.deliver_webhooks()
    events = [connector.parse_webhook(body, headers).record for headers, body in receiver.deliveries]
    assert len(events) == 3  # the parent and two variations
    parent = next(e for e in events if e.product_type == "variable")
    assert parent.updated_at == updated.store_updated_at == min(e.updated_at for e in events)
    assert max(e.updated_at for e in events) > updated.store_updated_at
