"""ERPNext behaviours: naming, Company setup, totals (taxes_and_totals), Bin updates, returns."""

import uuid

import frappe
import pytest
from frappe.utils import add_days, nowdate

OPENING = "Temporary Opening - STC"  # the standard chart's balance-sheet difference account for opening entries


def _tag(prefix="T"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_item(stock=True, **kw):
    data = {"doctype": "Item", "item_code": _tag("ITEM"), "item_group": "Products", "stock_uom": "Nos",
            "is_stock_item": int(stock)}
    data.update(kw)
    return frappe.get_doc(data).insert()


def make_customer(name=None):
    return frappe.get_doc({"doctype": "Customer", "customer_name": name or _tag("Cust"), "customer_type": "Individual",
                           "customer_group": "Individual", "territory": "All Territories"}).insert()


def make_sales_order(company, items=None, taxes=None, submit=False, **kw):
    customer = kw.pop("customer", None) or make_customer().name
    so = frappe.get_doc({
        "doctype": "Sales Order", "customer": customer, "company": company.name, "transaction_date": nowdate(),
        "delivery_date": add_days(nowdate(), 3), "currency": "USD", "selling_price_list": "Standard Selling",
        "items": items or [{"item_code": make_item(stock=False).name, "qty": 1, "rate": 10}],
        "taxes": taxes or [], **kw,
    }).insert()
    if submit:
        so.submit()
    return so


def test_company_setup_creates_accounts_cost_center_warehouses(frappe_site, company):
    for account in ("Debtors - STC", "Sales - STC", "Freight and Forwarding Charges - STC", "Stock Adjustment - STC",
                    "VAT - STC"):
        assert frappe.db.exists("Account", account), account
    assert frappe.db.get_value("Warehouse", "All Warehouses - STC", "is_group") == 1
    assert frappe.db.exists("Warehouse", "Stores - STC") and frappe.db.exists("Warehouse", "Finished Goods - STC")
    assert company.default_receivable_account == "Debtors - STC"
    assert company.cost_center == "Main - STC"


def test_naming_series_for_transactions(frappe_site, company):
    year = frappe.utils.now_datetime().strftime("%Y")
    first = make_sales_order(company)
    second = make_sales_order(company)
    assert first.name.startswith(f"SAL-ORD-{year}-")
    assert int(second.name.rsplit("-", 1)[1]) == int(first.name.rsplit("-", 1)[1]) + 1


def test_customer_name_suffix_when_taken(frappe_site):
    name = _tag("Jane Doe")
    assert make_customer(name).name == name
    assert make_customer(name).name == f"{name} - 1"
    assert make_customer(name).name == f"{name} - 2"


def test_sales_order_requires_delivery_date_and_warehouse(frappe_site, company):
    with pytest.raises(frappe.ValidationError, match="Delivery Date"):
        make_sales_order(company, delivery_date=None)
    with pytest.raises(frappe.ValidationError, match="warehouse required"):
        make_sales_order(company, items=[{"item_code": make_item().name, "qty": 1, "rate": 1}])


def test_rate_must_be_set(frappe_site, company):
    with pytest.raises(frappe.StandinStrictError, match="rate"):
        make_sales_order(company, items=[{"item_code": make_item(stock=False).name, "qty": 1}])


def test_sales_order_totals_actual_tax_and_discount(frappe_site, company):
    a, b = make_item(stock=False).name, make_item(stock=False).name
    so = make_sales_order(
        company,
        items=[{"item_code": a, "qty": 2, "rate": 10}, {"item_code": b, "qty": 1, "rate": 5.55}],
        taxes=[
            {"charge_type": "Actual", "account_head": "Freight and Forwarding Charges - STC", "description": "Shipping",
             "tax_amount": 4.99},
            {"charge_type": "On Net Total", "account_head": "VAT - STC", "description": "VAT", "rate": 10},
        ],
        discount_amount=3, apply_discount_on="Grand Total",
    )
    so = frappe.get_doc("Sales Order", so.name)
    assert [i.amount for i in so.items] == [20.0, 5.55]
    assert so.total == 25.55
    assert [i.net_amount for i in so.items] == [17.87, 4.96]
    assert so.net_total == 22.83
    assert so.taxes[0].tax_amount == 4.99
    assert so.taxes[1].tax_amount == 2.56  # ERPNext keeps the pre-discount amount for Grand Total discounts
    assert so.taxes[1].tax_amount_after_discount_amount == 2.28
    assert so.grand_total == 30.10 and so.base_grand_total == 30.10
    assert so.total_taxes_and_charges == 7.27
    assert so.rounded_total == 30.10 and so.rounding_adjustment == 0


def test_inclusive_tax_and_actual_inclusive_error(frappe_site, company):
    item = make_item(stock=False).name
    so = make_sales_order(company, items=[{"item_code": item, "qty": 1, "rate": 119}], taxes=[
        {"charge_type": "On Net Total", "account_head": "VAT - STC", "description": "VAT", "rate": 19,
         "included_in_print_rate": 1}])
    assert so.net_total == 100.0 and so.grand_total == 119.0 and so.taxes[0].tax_amount == 19.0
    with pytest.raises(frappe.ValidationError, match="Actual"):
        make_sales_order(company, items=[{"item_code": item, "qty": 1, "rate": 10}], taxes=[
            {"charge_type": "Actual", "account_head": "VAT - STC", "description": "x", "tax_amount": 1,
             "included_in_print_rate": 1}])


def test_bin_after_stock_reconciliation_sales_order_and_delivery_note(frappe_site, company):
    item = make_item().name
    wh = "Stores - STC"
    # a balance-sheet difference account: on a site without stock ledger yet this is an opening entry
    frappe.get_doc({"doctype": "Stock Reconciliation", "company": company.name, "purpose": "Stock Reconciliation",
                    "expense_account": OPENING,
                    "items": [{"item_code": item, "warehouse": wh, "qty": 10, "valuation_rate": 5}]}).insert().submit()
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": wh}, ["actual_qty", "projected_qty"]) == (10.0, 10.0)

    so = make_sales_order(company, items=[{"item_code": item, "qty": 3, "rate": 20, "warehouse": wh}], submit=True)
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": wh}, ["actual_qty", "reserved_qty", "projected_qty"]) == (10.0, 3.0, 7.0)
    assert frappe.db.get_value("Sales Order", so.name, "status") == "To Deliver and Bill"

    dn = frappe.get_doc({"doctype": "Delivery Note", "customer": so.customer, "company": company.name, "currency": "USD",
                         "selling_price_list": "Standard Selling",
                         "items": [{"item_code": item, "qty": 2, "rate": 20, "warehouse": wh, "against_sales_order": so.name,
                                    "so_detail": so.items[0].name}]}).insert()
    dn.submit()
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": wh}, ["actual_qty", "reserved_qty", "projected_qty"]) == (8.0, 1.0, 7.0)
    assert round(frappe.db.get_value("Sales Order", so.name, "per_delivered"), 2) == 66.67

    dn.cancel()
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": wh}, ["actual_qty", "reserved_qty"]) == (10.0, 3.0)
    so.reload()
    so.cancel()
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": wh}, "reserved_qty") == 0.0
    assert frappe.db.get_value("Sales Order", so.name, "status") == "Cancelled"


def test_stock_reconciliation_errors(frappe_site, company):
    item = make_item().name
    wh = "Stores - STC"
    with pytest.raises(frappe.ValidationError, match="Valuation Rate"):
        frappe.get_doc({"doctype": "Stock Reconciliation", "company": company.name,
                        "items": [{"item_code": item, "warehouse": wh, "qty": 5}]}).insert()
    frappe.get_doc({"doctype": "Stock Reconciliation", "company": company.name, "expense_account": OPENING,
                    "items": [{"item_code": item, "warehouse": wh, "qty": 5, "valuation_rate": 2}]}).insert().submit()
    from erpnext_behaviour import EmptyStockReconciliationItemsError, NegativeStockError

    with pytest.raises(EmptyStockReconciliationItemsError):
        frappe.get_doc({"doctype": "Stock Reconciliation", "company": company.name,
                        "items": [{"item_code": item, "warehouse": wh, "qty": 5, "valuation_rate": 2}]}).insert()
    with pytest.raises(NegativeStockError):
        frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Issue", "company": company.name,
                        "items": [{"item_code": item, "qty": 6, "s_warehouse": wh}]}).insert().submit()


def test_first_stock_reconciliation_of_a_site_is_an_opening_entry(frappe_site, company):
    """ERPNext 15 StockReconciliation.validate_expense_account: with no Stock Ledger Entry on the site, the default
    difference account (Stock Adjustment, Profit and Loss) raises OpeningEntryAccountError."""
    from erpnext_behaviour import OpeningEntryAccountError

    item = make_item().name
    wh = "Stores - STC"

    def reco(qty, **kw):
        return frappe.get_doc({"doctype": "Stock Reconciliation", "company": company.name, **kw,
                               "items": [{"item_code": item, "warehouse": wh, "qty": qty, "valuation_rate": 3}]})

    frappe.db.delete("Stock Ledger Entry")  # a site whose stock ledger is still empty (rolled back below)
    try:
        with pytest.raises(OpeningEntryAccountError):
            reco(4).insert()
        first = reco(4, expense_account=OPENING).insert()
        first.submit()
        assert frappe.db.get_value("Stock Ledger Entry", {"voucher_no": first.name}, "actual_qty") == 4.0
        later = reco(6).insert()  # the ledger has entries now: the default Stock Adjustment account is fine
        assert later.expense_account == "Stock Adjustment - STC"
        with pytest.raises(OpeningEntryAccountError):
            reco(7, purpose="Opening Stock", expense_account="Stock Adjustment - STC").insert()
    finally:
        frappe.db.rollback()


def test_stock_entry_receipt_and_transfer(frappe_site, company):
    item = make_item().name
    frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": company.name,
                    "items": [{"item_code": item, "qty": 4, "t_warehouse": "Stores - STC", "basic_rate": 3}]}).insert().submit()
    frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Transfer", "company": company.name,
                    "items": [{"item_code": item, "qty": 1, "s_warehouse": "Stores - STC",
                               "t_warehouse": "Finished Goods - STC"}]}).insert().submit()
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": "Stores - STC"}, "actual_qty") == 3.0
    assert frappe.db.get_value("Bin", {"item_code": item, "warehouse": "Finished Goods - STC"}, "actual_qty") == 1.0


def test_sales_invoice_and_return(frappe_site, company):
    item = make_item(stock=False).name
    customer = make_customer().name
    si = frappe.get_doc({"doctype": "Sales Invoice", "customer": customer, "company": company.name, "currency": "USD",
                         "items": [{"item_code": item, "qty": 2, "rate": 7.5}]}).insert()
    assert si.debit_to == "Debtors - STC" and si.items[0].income_account == "Sales - STC"
    assert si.outstanding_amount == 15.0
    si.submit()
    with pytest.raises(frappe.ValidationError, match="negative"):
        frappe.get_doc({"doctype": "Sales Invoice", "customer": customer, "company": company.name, "is_return": 1,
                        "return_against": si.name, "items": [{"item_code": item, "qty": 1, "rate": 7.5}]}).insert()
    ret = frappe.get_doc({"doctype": "Sales Invoice", "customer": customer, "company": company.name, "is_return": 1,
                          "return_against": si.name, "items": [{"item_code": item, "qty": -1, "rate": 7.5}]}).insert()
    assert ret.grand_total == -7.5
    ret.submit()
    assert frappe.db.get_value("Sales Invoice", si.name, "outstanding_amount") == 7.5
    with pytest.raises(frappe.ValidationError, match="Cannot return more"):
        frappe.get_doc({"doctype": "Sales Invoice", "customer": customer, "company": company.name, "is_return": 1,
                        "return_against": si.name, "items": [{"item_code": item, "qty": -2, "rate": 7.5}]}).insert()


def test_item_variants(frappe_site):
    attr = _tag("Size")
    frappe.get_doc({"doctype": "Item Attribute", "attribute_name": attr, "item_attribute_values": [
        {"attribute_value": "Small", "abbr": "S"}, {"attribute_value": "Large", "abbr": "L"}]}).insert()
    template = make_item(stock=False, has_variants=1, attributes=[{"attribute": attr}])
    variant = make_item(stock=False, variant_of=template.name, attributes=[{"attribute": attr, "attribute_value": "Small"}])
    assert variant.variant_of == template.name
    from erpnext_behaviour import InvalidItemAttributeValueError, ItemVariantExistsError

    with pytest.raises(InvalidItemAttributeValueError):
        make_item(stock=False, variant_of=template.name, attributes=[{"attribute": attr, "attribute_value": "Huge"}])
    with pytest.raises(ItemVariantExistsError):
        make_item(stock=False, variant_of=template.name, attributes=[{"attribute": attr, "attribute_value": "Small"}])
