"""Every document and variables value the Shopify client can send is valid against Shopify's published
2026-04 Admin schema: queries, mutations, batched aliased mutations at every batch size used, the
bulk-operation inner query, and the input objects the connector builds (coerced against their types).

The session-wide transport recorder (conftest.py) checks everything actually sent during these tests;
the sandbox run below adds every request of a full sync, with faults."""

from __future__ import annotations

import pytest

from tests.shopify.conftest import invalid_sends, record_sends
from wix_commerce_sync.connectors.shopify import queries as q
from wix_commerce_sync.connectors.shopify.connector import ShopifyConnector
from wix_commerce_sync.testing.contracts import shopify as contract

DOCUMENTS = {name: value for name, value in vars(q).items()
             if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))}


def test_every_document_is_known() -> None:
    assert {"FULFILLMENT_CREATE", "REFUND_CREATE", "ORDER_CREATE", "INVENTORY_SET", "PRODUCTS", "ORDERS"} <= set(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_validates_against_2026_04(name: str) -> None:
    _, errors = contract.checked_document(DOCUMENTS[name])
    assert errors == ()


def test_bulk_operation_inner_query_validates() -> None:
    assert contract.checked_document(q.BULK_PRODUCTS_INNER)[1] == ()


@pytest.mark.parametrize(("field", "size", "input_type", "identifier"), [
    (q.PRODUCT_SET_FIELD, ShopifyConnector.capabilities.product_batch_size, "ProductSetInput", "ProductSetIdentifiers"),
    (q.CUSTOMER_SET_FIELD, ShopifyConnector.capabilities.customer_batch_size, "CustomerSetInput", "CustomerSetIdentifiers"),
])
def test_batched_mutations_validate_at_every_batch_size(field: str, size: int, input_type: str, identifier: str) -> None:
    for count in range(1, size + 1):
        assert contract.checked_document(q.batched_mutation("Batch", field, count, input_type, identifier))[1] == ()


def test_recorder_catches_one_unknown_field() -> None:
    bad = q.FULFILLMENT_CREATE.replace("userErrors { field message }", "userErrors { field message code }")
    assert invalid_sends([(q.FULFILLMENT_CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": []}}, "2026-04")]) == []
    problems = invalid_sends([(bad, {"fulfillment": {"lineItemsByFulfillmentOrder": []}}, "2026-04")])
    assert len(problems) == 1 and "code" in problems[0]


def test_recorder_catches_one_refused_variable_value() -> None:
    problems = invalid_sends([(q.ORDER_CREATE, {"order": {"currency": "USD", "discountCode": {
        "orderFixedDiscountCode": {"code": "ERP"}}}}, "2026-04")])
    assert len(problems) == 1 and "orderFixedDiscountCode" in problems[0]


def test_sandbox_sends_only_valid_requests(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wix_commerce_sync.sandbox import run_scenario

    sent: list[tuple[str, dict, str]] = []
    record_sends(monkeypatch, sent)
    (report,) = run_scenario(tmp_path, platforms=("Shopify",), faults=True, products=4, say=lambda _: None)
    assert report["problems"] == []
    names = {query.split("(")[0].split("{")[0].strip() for query, _, _ in sent}
    assert {"mutation FulfillmentCreate", "mutation InventorySet", "query Orders"} <= names
    assert invalid_sends(sent) == []
