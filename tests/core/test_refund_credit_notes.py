"""Issue 17: a store refund -> its Credit Note, to the cent (pure builders; property-based over generated
orders and refunds). The return document stands for ERPNext's make_sales_return of the order's invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wix_commerce_sync.erpnext import documents as d
from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.models import ZERO, ChargeLine, Discount, Order, OrderLine, Refund, TaxLine, cents
from wix_commerce_sync.testing.factories import T0

D = Decimal
CENTS = st.integers(min_value=1, max_value=50_000).map(lambda n: D(n) / 100)


@st.composite
def orders(draw) -> Order:
    included = draw(st.booleans())
    lines = []
    for i in range(draw(st.integers(1, 4))):
        qty = D(draw(st.integers(1, 9)))
        unit = draw(CENTS)
        gross = unit * qty
        discount = cents(gross * D(draw(st.sampled_from([0, 0, 5, 10, 33]))) / 100)
        rate = D(draw(st.sampled_from(["0", "0.07", "0.19", "0.2"])))
        tax = cents((gross - discount) * rate / ((1 + rate) if included else 1))
        lines.append(OrderLine(f"l{i}", f"SKU-{i}", f"Thing {i}", qty, unit, discount, taxes=[TaxLine("VAT", tax)] if tax else []))
    shipping = []
    if draw(st.booleans()):
        amount = draw(st.integers(0, 2_000).map(lambda n: D(n) / 100))
        shipping = [ChargeLine("Ship", amount, taxes=[TaxLine("VAT", cents(amount * D("0.1")))] if draw(st.booleans()) else [])]
    discounts = [Discount("SAVE", draw(st.integers(0, 300).map(lambda n: D(n) / 100)))] if draw(st.booleans()) else []
    order = Order("1001", "#1001", "USD", T0, T0, lines=lines, shipping_lines=shipping, discounts=discounts, taxes_included=included)
    order.total = order.computed_total()
    return order


def _codes(order: Order) -> dict[str, str]:
    return {ln.sku: f"ITEM-{ln.sku}" for ln in order.lines}


def _credit(order: Order, refund: Refund, defaults: d.ErpDefaults) -> tuple[d.RefundSplit, dict]:
    invoice = d.sales_order_document(order, defaults, _codes(order), "Ann")
    assume_store_total = d.expected_grand_total(invoice)
    assert assume_store_total == order.total
    split = d.refund_split(order, refund, _codes(order))
    return split, d.credit_note_document(d.full_return_of(invoice), split, defaults)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders(), st.data(), st.booleans())
def test_generated_refunds_give_credit_notes_equal_to_the_store_refund(order: Order, data, shipping_item: bool) -> None:
    defaults = d.ErpDefaults.sandbox()
    defaults.shipping_item = "SHIPPING" if shipping_item else None
    defaults.fee_account = "Refund Adjustments - SSC"
    lines = [(ln.sku, D(data.draw(st.integers(1, int(ln.quantity))))) for ln in order.lines if data.draw(st.booleans())]
    ship_net = sum((c.amount - (c.tax_total if order.taxes_included else ZERO) for c in order.shipping_lines), ZERO)
    shipping = data.draw(st.sampled_from([ZERO, ship_net, cents(ship_net / 2)])) if ship_net > 0 else ZERO
    tax = data.draw(st.one_of(st.none(), st.integers(0, 500).map(lambda n: D(n) / 100)))
    goodwill = data.draw(st.sampled_from([ZERO, ZERO, D("0.01"), D("4.99")]))
    split0 = d.refund_split(order, Refund("r1", "1001", ZERO, lines=lines, shipping=shipping, tax=tax), _codes(order))
    amount = split0.goods_net + shipping + split0.tax + goodwill
    if amount <= 0:
        return
    refund = Refund("r1", "1001", amount, lines=lines, shipping=shipping, tax=tax)
    split, credit = _credit(order, refund, defaults)
    assert d.expected_grand_total(credit) == -amount  # the store's refund, to the cent
    returned = {}
    for row in credit["items"]:
        assert row["qty"] <= 0
        returned[row["item_code"]] = returned.get(row["item_code"], ZERO) + D(str(-row["qty"]))
    for sku, qty in lines:
        assert returned[f"ITEM-{sku}"] == qty
    taxes = {r["description"]: D(str(r["tax_amount"])) for r in credit["taxes"]}
    assert sum((v for k, v in taxes.items() if k == "VAT" or k == "Tax"), ZERO) == -split.tax
    assert taxes.get("Store refund adjustment", ZERO) == -split.adjustment


@settings(max_examples=200, deadline=None)
@given(orders())
def test_a_full_refund_by_lines_and_shipping_credits_the_whole_invoice_with_no_adjustment(order: Order) -> None:
    defaults = d.ErpDefaults.sandbox()
    ship_net = sum((c.amount - (c.tax_total if order.taxes_included else ZERO) for c in order.shipping_lines), ZERO)
    refund = Refund("all", "1001", order.total, lines=[(ln.sku, ln.quantity) for ln in order.lines], shipping=ship_net)
    split, credit = _credit(order, refund, defaults)
    assert split.adjustment == 0 and split.tax == sum((t.amount for t in order.all_tax_lines()), ZERO)
    assert d.expected_grand_total(credit) == -order.total


def test_one_unit_of_two_with_its_tax() -> None:
    order = Order("1001", "#1001", "USD", T0, T0, lines=[OrderLine("l0", "A", "Lamp", D(2), D("12.50"), taxes=[TaxLine("VAT", D("2.00"))])],
                  shipping_lines=[ChargeLine("Courier", D("5.00"))])  # fmt: skip
    order.total = order.computed_total()
    split, credit = _credit(order, Refund("r", "1001", D("13.50"), lines=[("A", D(1))]), d.ErpDefaults.sandbox())
    assert (split.goods, split.tax, split.adjustment) == ([("ITEM-A", D(1), D("12.50"))], D("1.00"), ZERO)
    assert [(r["item_code"], r["qty"]) for r in credit["items"]] == [("ITEM-A", -1.0)]
    assert [(r["description"], r["tax_amount"]) for r in credit["taxes"]] == [("VAT", -1.0)]


def test_an_unknown_line_or_too_many_units_is_a_readable_error() -> None:
    order = Order("1001", "#1001", "USD", T0, T0, lines=[OrderLine("l0", "A", "Lamp", D(2), D("12.50"))])
    order.total = order.computed_total()
    with pytest.raises(MappingError, match="not on the order"):
        d.refund_split(order, Refund("r", "1001", D(1), lines=[("B", D(1))]), _codes(order))
    with pytest.raises(MappingError, match="takes back 3"):
        d.refund_split(order, Refund("r", "1001", D(1), lines=[("A", D(3))]), _codes(order))


def test_goodwill_without_an_account_for_it_is_refused() -> None:
    order = Order("1001", "#1001", "USD", T0, T0, lines=[OrderLine("l0", "A", "Lamp", D(1), D("10"))])
    order.total = order.computed_total()
    defaults = d.ErpDefaults.sandbox()
    defaults.shipping_account = None
    with pytest.raises(MappingError, match="goodwill"):
        _credit(order, Refund("r", "1001", D("2.00"), tax=ZERO), defaults)
