"""Forward look: nothing the client sends is deprecated in 2026-04 (a deprecated field is one a next
version removes), and every document also validates against the pinned 2026-07 schema. The README's
Shopify notes state the result."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.shopify.conftest import SENT
from tests.shopify.test_shopify_contract import DOCUMENTS
from wix_commerce_sync.connectors.shopify import mapping as m
from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.connectors.shopify.simulator import ShopifySimulator
from wix_commerce_sync.sync.models import Address, Customer, Discount, Order, OrderLine, Product, Variant
from wix_commerce_sync.testing.contracts import shopify as contract

EVERY_DOCUMENT = {
    **DOCUMENTS,
    "BULK_PRODUCTS_INNER": q.BULK_PRODUCTS_INNER,
    "PRODUCT_SET_BATCH": q.batched_mutation("B", q.PRODUCT_SET_FIELD, 2, "ProductSetInput", "ProductSetIdentifiers"),
    "CUSTOMER_SET_BATCH": q.batched_mutation("B", q.CUSTOMER_SET_FIELD, 2, "CustomerSetInput", "CustomerSetIdentifiers"),
}


@pytest.mark.parametrize("name", sorted(EVERY_DOCUMENT))
def test_no_deprecated_field_argument_or_enum_value_is_used(name: str) -> None:
    assert contract.deprecated_usages(EVERY_DOCUMENT[name]) == []


@pytest.mark.parametrize("name", sorted(EVERY_DOCUMENT))
def test_document_validates_against_2026_07(name: str) -> None:
    assert contract.checked_document(EVERY_DOCUMENT[name], "2026-07")[1] == ()


def test_deprecation_check_sees_a_deprecated_field() -> None:
    assert contract.deprecated_usages("query { shop { plan { displayName } } }") == [
        "ShopPlan.displayName: Use `publicDisplayName` instead."]


def test_input_objects_use_no_deprecated_input_field(conn: ShopifyConnector, sim: ShopifySimulator) -> None:
    product = Product(external_id=None, title="T", option_names=["Size"],
                      variants=[Variant(external_id=None, sku="A", price=Decimal(1), options={"Size": "S"})])
    customer = Customer(external_id=None, email="a@example.com", phone="+15555550100", first_name="A",
                        addresses=[Address(line1="1 Road", city="Paris", country_code="FR")])
    order = Order(external_id="SO-F", number="SO-F", currency="USD", created_at=None, updated_at=None,
                  lines=[OrderLine(external_id=None, sku="A", title="A", quantity=Decimal(1), unit_price=Decimal(5))],
                  discounts=[Discount(code=None, amount=Decimal(1))],
                  shipping_address=Address(line1="1 Road", city="Paris", country_code="FR"))
    inputs = [("ProductSetInput", m.product_set_input(product)), ("CustomerSetInput", m.customer_set_input(customer)),
              ("OrderCreateOrderInput", conn._order_input(order, "erp-SO-F"))]
    for type_name, value in inputs:
        assert contract.deprecated_input_fields(type_name, value) == [], type_name
        assert contract.deprecated_input_fields(type_name, value, "2026-07") == [], type_name


def test_everything_recorded_so_far_validates_against_2026_07() -> None:
    """Whatever the other Shopify tests sent before this one (the session recorder), also on 2026-07."""
    problems = sorted({str(errors) for query, variables, _ in SENT
                       if (errors := contract.request_errors(query, variables, "2026-07"))})
    assert problems == []
    deprecated = sorted({found for query, variables, _ in SENT for found in contract.deprecated_variable_fields(query, variables)})
    assert deprecated == []


def test_deprecated_input_fields_are_seen_in_variables() -> None:
    query = "mutation W($s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: $s) { userErrors { message } } }"
    found = contract.deprecated_variable_fields(query, {"s": {"callbackUrl": "https://example.com/hook"}})
    assert len(found) == 1 and "callbackUrl" in found[0]
