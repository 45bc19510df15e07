"""Issue 17 on WooCommerce: a refund made on the store reaches the ERP with its lines and tax (read from
``GET /orders/{id}/refunds``: wc_create_refund's negative item copies), so its Credit Note equals it."""

from __future__ import annotations

from decimal import Decimal

from wix_commerce_sync.erpnext import documents as d

D = Decimal


def test_a_store_refund_of_one_unit_with_its_tax_reads_back_whole(sim, connector):
    sim.seed_catalog(2)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "12.00"},
                               {"sku": "SKU-000001", "quantity": 1, "price": "5.00"}], customer_email="a@x.test")  # fmt: skip
    line = placed["line_items"][0]
    rate_id = placed["tax_lines"][0]["rate_id"]
    connector._json("POST", f"/orders/{placed['id']}/refunds", json_body={  # the merchant refunds in wp-admin
        "amount": "14.40", "reason": "broken", "api_refund": False,
        "line_items": [{"id": line["id"], "quantity": 1, "refund_total": "12.00",
                        "refund_tax": [{"id": rate_id, "refund_total": "2.40"}]}]})  # fmt: skip
    order = connector.get_order(str(placed["id"]))
    (refund,) = order.refunds
    assert (refund.amount, refund.lines, refund.tax, refund.money_returned, refund.reason) == \
        (D("14.40"), [("SKU-000000", D(1))], D("2.40"), False, "broken")
    split = d.refund_split(order, refund, {"SKU-000000": "ITEM-A", "SKU-000001": "ITEM-B"})
    assert (split.goods, split.tax, split.adjustment) == ([("ITEM-A", D(1), D("12.00"))], D("2.40"), D(0))


def test_an_order_without_refunds_costs_no_extra_request(sim, connector):
    sim.seed_catalog(1)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 1}], customer_email="a@x.test")
    sim.reset_counts()
    assert connector.get_order(str(placed["id"])).refunds == []
    assert not [p for _, p in sim.requests if p.endswith("/refunds")]


def test_a_refund_sent_from_erpnext_names_its_credit_note_when_read_back(sim, connector):
    from wix_commerce_sync.sync.models import Refund

    sim.seed_catalog(1)
    placed = sim.create_order([{"sku": "SKU-000000", "quantity": 2, "price": "12.00"}], customer_email="a@x.test")
    [sent] = connector.record_refunds([Refund("ACC-SINV-RET-1", str(placed["id"]), D("12.00"), lines=[("SKU-000000", D(1))])])
    (refund,) = connector.get_order(str(placed["id"])).refunds
    assert sent.ok and (refund.external_id, refund.erp_document, refund.lines) == \
        (sent.external_id, "ACC-SINV-RET-1", [("SKU-000000", D(1))])
