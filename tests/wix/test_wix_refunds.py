"""Issue 17 on Wix: a Credit Note reaches Wix through the Payments Collector published in
``@wix/auto_sdk_ecom_orders`` (refundability, then trigger-refund), its lines restocked when the refund
restocks; money moves only when the store says so; a lost answer is never re-sent."""

from __future__ import annotations

from decimal import Decimal

from wix_commerce_sync.connectors.wix.simulator import WixSimulator
from wix_commerce_sync.sync.models import Refund

D = Decimal


def test_a_partial_refund_with_restock_is_one_trigger_refund(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1, quantity=5)
    placed = sim.create_order([{"sku": skus[0], "quantity": 2, "price": "10.00"}], "r@example.com")
    connector = connect(sim, api_refund=True)
    before = sim.stock_of(skus[0])
    [result] = connector.record_refunds([Refund("CN-1", placed["id"], D("10.00"), lines=[(skus[0], D(1))], restock=True)])
    assert result.ok and result.external_id == sim.refunds[0]["id"] and result.data == {"api_refund": True}
    assert [(r["amount"], r["externalRefund"]) for r in sim.refunds] == [(D("10.00"), False)]
    assert sim.stock_of(skus[0]) == before + 1
    order = connector.get_order(placed["id"])
    (refund,) = order.refunds  # Wix's cumulative refund, with the lines' refundQuantity
    assert (refund.amount, refund.lines) == (D("10.00"), [(skus[0], D(1))])
    calls = [(m, p.rsplit("/", 1)[-1]) for m, p, _ in sim.api_calls if "payments-collector" in p]
    assert calls == [("GET", "refundability"), ("POST", "trigger-refund")]  # refundability first


def test_without_the_store_setting_the_refund_is_recorded_not_paid(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1)
    placed = sim.create_order([{"sku": skus[0], "quantity": 1, "price": "8.00"}], "q@example.com")
    [result] = connect(sim).record_refunds([Refund("CN-2", placed["id"], D("8.00"))])
    assert result.ok and [r["externalRefund"] for r in sim.refunds] == [True]


def test_a_lost_answer_is_a_final_error_and_no_second_refund(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1)
    placed = sim.create_order([{"sku": skus[0], "quantity": 1, "price": "8.00"}], "l@example.com")
    connector = connect(sim, api_refund=True)
    sim.lose_answer_of("/trigger-refund")
    [lost] = connector.record_refunds([Refund("CN-3", placed["id"], D("8.00"))])
    assert not lost.ok and not lost.retryable and "not re-sent" in lost.error
    assert len(sim.refunds) == 1  # Wix made it; nothing was sent twice
    assert sum(1 for m, p, _ in sim.api_calls if p.endswith("/trigger-refund")) == 1


def test_an_unpaid_order_is_refused_with_the_reason(sim: WixSimulator, connect) -> None:
    skus = sim.seed_catalog(1)
    placed = sim.create_order([{"sku": skus[0], "quantity": 1}], "u@example.com", payment_status="NOT_PAID")
    [result] = connect(sim, api_refund=True).record_refunds([Refund("CN-4", placed["id"], D("1.00"))])
    assert not result.ok and "cannot be refunded" in result.error and sim.refunds == []


def test_a_dashboard_refund_is_named_on_the_order_by_its_refund_id(sim: WixSimulator, connect) -> None:
    """The order (and its updated event) shows each refund's id in its activities, as the ORD SDK defines them."""
    skus = sim.seed_catalog(1, quantity=5)
    placed = sim.create_order([{"sku": skus[0], "quantity": 2, "price": "10.00"}], "d@example.com")
    first = sim.refund_order(placed["id"], lines=[{"sku": skus[0], "quantity": 1}])
    second = sim.refund_order(placed["id"], lines=[{"sku": skus[0], "quantity": 1}])
    (refund,) = connect(sim).get_order(placed["id"]).refunds
    assert refund.store_refunds == [(first["id"], D("10.00")), (second["id"], D("10.00"))]
    assert refund.amount == D("20.00")
