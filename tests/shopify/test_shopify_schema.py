"""The simulator is refereed by Shopify's published Admin schema (2026-04), not by our own reading."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import Fulfilment, Refund
from wix_commerce_sync.testing.contracts import shopify as contract


def test_pinned_schema_records_its_source() -> None:
    assert {"2026-04", "2026-07"} <= set(contract.pinned_versions())
    assert contract.source()["package"] == "@shopify/dev-mcp" and contract.source()["version"]


def test_fulfillment_create_selecting_user_error_code_is_refused(conn: ShopifyConnector, sim: ShopifySimulator,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 sends_invalid_on_purpose: None) -> None:
    sim.seed_catalog(1)
    order = str(sim.create_order([{"sku": "SKU-000000", "quantity": 1}])["id"])
    monkeypatch.setattr(q, "FULFILLMENT_CREATE", q.FULFILLMENT_CREATE.replace("userErrors { field message }",
                                                                              "userErrors { field message code }"))
    result = conn.create_fulfilments([Fulfilment(order_id=order)])[0]
    assert not result.ok and "Cannot query field 'code' on type 'UserError'" in result.error
    assert sim.fulfilments_of(order) == []


def test_fulfilment_and_refund_pass_on_the_schema_checked_simulator(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    sim.seed_catalog(1)
    order = str(sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "10.00"}])["id"])
    assert conn.create_fulfilments([Fulfilment(order_id=order, tracking_number="1Z", tracking_company="UPS")])[0].ok
    refund = Refund(external_id="CN-1", order_id=order, amount=Decimal("10.00"), lines=[("SKU-000000", Decimal(1))],
                    restock=True)
    assert conn.record_refunds([refund])[0].ok
    assert sim.schema_violations == []


def test_invalid_variables_are_refused_like_shopify(sim: ShopifySimulator, conn: ShopifyConnector,
                                                   sends_invalid_on_purpose: None) -> None:
    errors = contract.request_errors(q.ORDER_CREATE, {"order": {"currency": "USD", "lineItems": [],
                                                                "discountCode": {"orderFixedDiscountCode": {"code": "X"}}}})
    assert errors and "orderFixedDiscountCode" in errors[0]
    with pytest.raises(Exception, match="orderFixedDiscountCode"):
        conn.client.execute(q.ORDER_CREATE, {"order": {"currency": "USD",
                                                       "discountCode": {"orderFixedDiscountCode": {"code": "X"}}}})


def test_simulator_answers_are_shaped_and_checked_by_the_schema(sim: ShopifySimulator, conn: ShopifyConnector) -> None:
    data = conn.client.execute("query { shop { name } }")
    assert data == {"shop": {"name": data["shop"]["name"]}}  # only what was selected
    shaped, problems = contract.shape_answer("query { shop { currencyCode } }", {}, {"shop": {"currencyCode": "EURO"}})
    assert problems and "CurrencyCode" in problems[0]


def test_bulk_inner_query_is_validated_by_the_simulator(conn: ShopifyConnector, sim: ShopifySimulator,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(q, "BULK_PRODUCTS_INNER", q.BULK_PRODUCTS_INNER.replace("descriptionHtml", "descriptionHtmlz"))
    with pytest.raises(Exception, match="descriptionHtmlz"):
        list(conn.import_products())
