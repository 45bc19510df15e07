"""Every call the Wix client makes, checked against the contract extracted from Wix's published SDK.

The fixture (``wix_commerce_sync/testing/contracts/wix/contract.json``) is made by
``scripts/refresh_wix_contract.py`` from the pinned npm packages; these tests never read the simulator's
own idea of Wix, only the fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from wix_commerce_sync.connectors.wix import connector as connector_module
from wix_commerce_sync.connectors.wix import mapping
from wix_commerce_sync.connectors.wix.connector import WixConnector
from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.errors import SyncError
from wix_commerce_sync.sync.models import Customer, Fulfilment, Product, Refund, StockLevel, Variant
from wix_commerce_sync.testing.contracts.wix import WixContract, load

# Response fields the client reads, per endpoint (connector.py / mapping.py); each must exist in the contract.
RESPONSE_READS: dict[str, list[str]] = {
    "catalog_version": ["catalogVersion"],
    "site_properties": ["properties.siteDisplayName", "properties.paymentCurrency"],
    "stores_locations_query": ["storesLocations.id", "storesLocations.name", "storesLocations.defaultLocation",
                               "pagingMetadata.cursors.next", "pagingMetadata.hasNext"],
    "v3_products_query": ["products.id", "products.name", "products.plainDescription", "products.currency",
                          "products.slug", "products.handle", "products.brand.name", "products.productType",
                          "products.visible", "products.options.name", "products.updatedDate",
                          "products.revision", "pagingMetadata.cursors.next", "pagingMetadata.hasNext"],
    "v3_product_get": ["product.id", "product.plainDescription", "product.currency",
                       "product.variantsInfo.variants.id", "product.variantsInfo.variants.choices"],
    "v3_products_bulk_create_with_inventory": [
        "productResults.results.itemMetadata.originalIndex", "productResults.results.itemMetadata.success",
        "productResults.results.itemMetadata.id", "productResults.results.itemMetadata.error.code",
        "productResults.results.item.revision", "productResults.results.item.variantsInfo.variants.sku",
        "productResults.results.item.variantsInfo.variants.id"],
    "v3_products_bulk_update": ["results.itemMetadata.success", "results.itemMetadata.error.description",
                                "results.item.variantsInfo.variants.id", "results.item.revision"],
    "v3_variants_query": ["variants.variantId", "variants.sku", "variants.barcode", "variants.productData.productId",
                          "variants.optionChoices.optionChoiceNames.optionName",
                          "variants.optionChoices.optionChoiceNames.choiceName",
                          "variants.price.actualPrice.amount", "variants.price.compareAtPrice.amount",
                          "variants.physicalProperties.weight", "pagingMetadata.cursors.next"],
    "v3_inventory_query": ["inventoryItems.id", "inventoryItems.revision", "inventoryItems.variantId",
                           "inventoryItems.productId", "inventoryItems.locationId", "inventoryItems.quantity",
                           "inventoryItems.product.variantSku", "inventoryItems.updatedDate",
                           "pagingMetadata.cursors.next"],
    "v3_inventory_bulk_update": ["results.itemMetadata.success", "results.itemMetadata.error.code",
                                 "results.item.id", "results.item.revision"],
    "orders_search": ["orders.id", "orders.status", "orders.lineItems.taxInfo.taxAmount",
                      "orders.lineItems.taxInfo.taxRate", "orders.shippingInfo.cost.taxInfo.taxAmount",
                      "orders.additionalFees.taxInfo.taxAmount", "orders.priceSummary.total",
                      "metadata.cursors.next", "metadata.hasNext"],
    "order_get": ["order.status", "order.paymentStatus", "order.fulfillmentStatus"],
    "fulfillments_list_by_ids": ["ordersWithFulfillments.orderId", "ordersWithFulfillments.fulfillments.id",
                                 "ordersWithFulfillments.fulfillments.lineItems.id",
                                 "ordersWithFulfillments.fulfillments.lineItems.quantity",
                                 "ordersWithFulfillments.fulfillments.customInfo.fieldsData"],
    "fulfillment_create": ["fulfillmentId"],
    "order_refundability": ["refundabilities.paymentId", "refundabilities.refundabilityStatus",
                            "refundabilities.nonRefundableReason", "refundabilities.manuallyRefundableReason"],
    "order_trigger_refund": ["refundId"],
    "fulfillments_bulk_create": ["results.itemMetadata.success", "results.itemMetadata.originalIndex",
                                 "results.ordersWithFulfillments.fulfillments.id"],
    "contacts_query": ["contacts.id", "contacts.revision", "contacts.primaryInfo.email"],
    "contact_create": ["contact.id", "contact.revision"],
    "contact_get": ["contact.revision"],
    "contact_update": ["contact.id", "contact.revision"],
    "v1_products_query": ["products.id", "products.variants.id", "products.variants.variant.sku",
                          "products.lastUpdated", "products.priceData.currency"],
    "v1_product_get": ["product.id", "product.variants.choices"],
    "v1_product_create": ["product.id", "product.inventoryItemId", "product.variants.variant.sku"],
    "v1_product_update": ["product.id"],
    "v1_product_variants_update": ["variants.id", "variants.variant.sku"],
    "v1_inventory_query": ["inventoryItems.productId", "inventoryItems.variants.variantId",
                           "inventoryItems.variants.quantity"],
}


def contract_problems(contract: WixContract, calls: list[tuple[str, str, Any]]) -> list[str]:
    """Each call must be a contract endpoint, with a body whose every field the contract declares."""
    problems = []
    for method, path, body in calls:
        if (method, path) == (contract.data["auth"]["token"]["method"], contract.data["auth"]["token"]["path"]):
            unknown = set(body or {}) - set(contract.data["auth"]["token"]["request_fields"])
            problems += [f"{method} {path}: unknown field {f}" for f in sorted(unknown)]
            continue
        found = contract.route(method, path)
        if found is None:
            problems.append(f"{method} {path}: no such endpoint in Wix's SDK")
            continue
        problems += [f"{method} {path}: {p}" for p in
                     contract.violations(contract.endpoints[found[0]]["request"], body or {})]
    return problems


def exercise(sim: WixSimulator, connector: WixConnector) -> None:
    """Every public connector operation, once, on a site with products, stock, orders and contacts."""
    connector.check_connection()
    connector.list_locations()
    created = connector.upsert_products([
        Product(external_id=None, title="Mug", option_names=["Color"], description="Big mug", variants=[
            Variant(None, "MUG-R", Decimal("8.50"), options={"Color": "Red"}, weight=Decimal("0.3")),
            Variant(None, "MUG-B", Decimal("9.00"), options={"Color": "Blue"})])])
    assert created[0].ok, created[0].error
    product = connector.get_product(str(created[0].external_id))
    product.title = "Mug XL"
    assert connector.upsert_products([product])[0].ok
    list(connector.iter_products())
    assert all(r.ok for r in connector.set_stock([StockLevel(sku="MUG-R", quantity=Decimal(4)),
                                                   StockLevel(sku="MUG-B", quantity=Decimal(5))]))
    connector.read_stock([StockLevel(sku="MUG-R", quantity=Decimal(0))])
    one = sim.create_order([{"sku": "MUG-R", "quantity": 1}], tax_rate="0.1", shipping="5.00")
    two = sim.create_order([{"sku": "MUG-B", "quantity": 2}])
    three = sim.create_order([{"sku": "MUG-B", "quantity": 1}])
    list(connector.iter_orders())
    connector.get_order(one["id"])
    assert connector.create_fulfilments([Fulfilment(order_id=one["id"], external_id="DN-1")])[0].ok
    assert all(r.ok for r in connector.create_fulfilments([Fulfilment(order_id=two["id"]),
                                                           Fulfilment(order_id=three["id"])]))
    assert connector.cancel_orders([sim.create_order([{"sku": "MUG-R", "quantity": 1}])["id"]])[0].ok
    assert connector.record_refunds([Refund("CN-1", one["id"], Decimal("2.00"), lines=[("MUG-R", Decimal(1))], restock=True)])[0].ok
    made = connector.upsert_customers([Customer(external_id=None, email="ann@example.com", first_name="Ann")])
    assert made[0].ok
    list(connector.iter_customers())
    again = connector.get_customer(str(made[0].external_id))
    again.first_name = "Anna"
    assert connector.upsert_customers([again])[0].ok


@pytest.fixture
def exercised(sim: WixSimulator, connect: Callable[..., WixConnector]) -> list[tuple[str, str, Any]]:
    exercise(sim, connect(sim))
    return list(sim.api_calls)


def test_every_client_call_is_in_wixs_published_contract(exercised: list[tuple[str, str, Any]]) -> None:
    assert contract_problems(load(), exercised) == []


def test_the_exercise_covers_every_endpoint_the_simulator_serves(sim: WixSimulator, connect) -> None:
    exercise(sim, connect(sim))
    contract = load()
    hit = {contract.route(m, p)[0] for m, p, _ in sim.api_calls if contract.route(m, p)}
    v3 = sim.catalog_version == "V3_CATALOG"
    other_catalog = "v1_" if v3 else "v3_"
    not_used = set() if v3 else {"stores_locations_query"}  # a V1 site has one implicit location
    expected = {k for k in WixSimulator.HANDLERS if not k.startswith(other_catalog)} - not_used
    assert expected - hit == set()


@pytest.mark.parametrize("endpoint", sorted(RESPONSE_READS))
def test_every_response_field_the_client_reads_is_declared(endpoint: str) -> None:
    contract = load()
    spec = contract.endpoints[endpoint]
    missing = [f for f in RESPONSE_READS[endpoint] if contract.field(spec["response"], f) is None]
    assert missing == []


def test_a_wrong_path_in_the_client_is_caught(connect, monkeypatch) -> None:
    """The check has teeth: the client's former V1 query path is not one Wix's SDK or docs give."""
    monkeypatch.setattr(connector_module, "V1_QUERY", "/stores/v1/products/query")
    sim = WixSimulator("V1_CATALOG", rate_limit_per_minute=None)
    sim.start()
    try:
        with pytest.raises(SyncError):
            list(connect(sim, max_attempts=1).iter_products())
        assert contract_problems(load(), sim.api_calls) == [
            "POST /stores/v1/products/query: no such endpoint in Wix's SDK"]
    finally:
        sim.stop()


def test_a_wrong_field_in_the_client_is_caught(sim_v3: WixSimulator, connect, monkeypatch) -> None:
    real = mapping.product_to_v3

    def with_stray_field(product: Product, existing: dict | None = None) -> dict:
        return {**real(product, existing), "weightUnit": "KG"}  # not a V3 product field

    monkeypatch.setattr(mapping, "product_to_v3", with_stray_field)
    connector = connect(sim_v3, max_attempts=1)
    [result] = connector.upsert_products([Product(external_id=None, title="X", variants=[
        Variant(None, "X-1", Decimal("1.00"))])])
    assert not result.ok and "weightUnit" in (result.error or "")
    assert any("weightUnit: unknown field" in p for p in contract_problems(load(), sim_v3.api_calls))


def test_the_fixture_records_its_sources() -> None:
    contract = load()
    assert contract.data["packages"]["P3"] == {"name": "@wix/auto_sdk_stores_products-v-3", "version": "1.0.226"}
    assert contract.endpoints["v3_variants_query"]["path"] == "/stores/v3/products/query-variants"
    assert contract.endpoints["v3_products_bulk_create_with_inventory"]["request_limits"]["options"] == 100
    assert "CONTACT_ALREADY_CHANGED" in contract.endpoints["contact_update"]["application_errors"]
