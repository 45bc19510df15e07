"""Pure tests of the canonical -> ERPNext document builders (no frappe needed).

Plain ``unittest.TestCase`` so pytest and ``bench run-tests`` both run them.
"""

from __future__ import annotations

import random
import unittest
from decimal import Decimal

from wix_commerce_sync.erpnext.documents import (
    ErpDefaults,
    StockRow,
    customer_documents,
    expected_grand_total,
    item_documents,
    sales_order_document,
    stock_reconciliation_document,
    template_key,
)
from wix_commerce_sync.sync.errors import MappingError
from wix_commerce_sync.sync.models import (
    Address,
    ChargeLine,
    Customer,
    Discount,
    Order,
    OrderLine,
    Product,
    TaxLine,
    Variant,
    cents,
)
from wix_commerce_sync.testing.factories import T0

D = Decimal


def _line(i: int, qty, unit, discount="0", taxes=()) -> OrderLine:
    return OrderLine(external_id=f"l{i}", sku=f"SKU-{i}", title=f"Thing {i}", quantity=D(str(qty)),
                     unit_price=D(str(unit)), discount=D(str(discount)),
                     taxes=[TaxLine(t, D(str(a))) for t, a in taxes])  # fmt: skip


def _order(lines, *, included=False, shipping=(), fees=(), discounts=(), order_taxes=(), currency="USD", rate=None) -> Order:
    order = Order(external_id="1001", number="#1001", currency=currency, created_at=T0, updated_at=T0, lines=list(lines),
                  shipping_lines=list(shipping), fee_lines=list(fees), discounts=list(discounts),
                  order_taxes=list(order_taxes), taxes_included=included, exchange_rate=rate)  # fmt: skip
    order.total = order.computed_total()
    return order


def _codes(order: Order) -> dict[str, str]:
    return {line.sku: f"ITEM-{line.sku}" for line in order.lines}


class TestSalesOrderDocument(unittest.TestCase):
    def setUp(self):
        self.defaults = ErpDefaults.sandbox()

    def test_three_at_9_99_with_a_1_00_discount(self):
        order = _order([_line(1, 3, "9.99", discount="1.00", taxes=[("VAT", "5.79")])])
        self.assertEqual(order.total, D("34.76"))
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        self.assertEqual(doc["items"][0]["rate"], 9.99)
        self.assertEqual(doc["discount_amount"], 1.0)
        self.assertEqual(doc["taxes"], [{"charge_type": "Actual", "account_head": "VAT - SSC", "description": "VAT",
                                         "tax_amount": 5.79, "included_in_print_rate": 0,
                                         "cost_center": "Main - SSC"}])  # fmt: skip
        self.assertEqual(expected_grand_total(doc), order.total)

    def test_tax_included_rate_is_net_rounded_up_with_the_excess_as_discount(self):
        # 3 x 10.00 gross with 5.00 VAT inside: net 25.00 -> 8.34 x 3 = 25.02, 0.02 back as discount
        order = _order([_line(1, 3, "10.00", taxes=[("VAT 20%", "5.00")])], included=True)
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        self.assertEqual(doc["items"][0]["rate"], 8.34)
        self.assertEqual(doc["items"][0]["price_list_rate"], 8.34)
        self.assertEqual(doc["discount_amount"], 0.02)
        self.assertEqual(expected_grand_total(doc), D("30.00"))
        self.assertEqual(order.total, D("30.00"))

    def test_required_fields_and_flags(self):
        order = _order([_line(1, 1, "5.00")], shipping=[ChargeLine("Express", D("4.00"))])
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann", billing_address="Ann-Billing")
        self.assertEqual(doc["doctype"], "Sales Order")
        self.assertEqual((doc["ignore_pricing_rule"], doc["disable_rounded_total"], doc["apply_discount_on"]),
                         (1, 1, "Net Total"))  # fmt: skip
        self.assertEqual(doc["po_no"], "#1001")
        self.assertEqual(doc["conversion_rate"], 1.0)
        self.assertEqual(doc["transaction_date"], "2026-11-01")
        self.assertEqual(doc["delivery_date"], "2026-11-01")
        self.assertEqual(doc["items"][0]["warehouse"], "Stores - SSC")
        self.assertEqual(doc["customer_address"], "Ann-Billing")
        shipping = doc["taxes"][-1]
        self.assertEqual((shipping["account_head"], shipping["tax_amount"]), ("Freight and Forwarding Charges - SSC", 4.0))

    def test_shipping_as_item_row(self):
        self.defaults.shipping_item = "SHIPPING"
        order = _order([_line(1, 2, "7.50")], shipping=[ChargeLine("Post", D("6.00"), discount=D("1.00"))])
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        ship = doc["items"][-1]
        self.assertEqual((ship["item_code"], ship["rate"], ship["qty"]), ("SHIPPING", 5.0, 1.0))
        self.assertNotIn("warehouse", ship)
        self.assertEqual(expected_grand_total(doc), order.total)

    def test_foreign_currency_needs_the_stores_rate(self):
        order = _order([_line(1, 1, "5.00")], currency="EUR")
        with self.assertRaises(MappingError) as caught:
            sales_order_document(order, self.defaults, _codes(order), "Ann")
        self.assertIn("exchange rate", caught.exception.message)
        self.defaults.currency = "EUR"  # an EUR price list
        order = _order([_line(1, 1, "5.00")], currency="EUR", rate=D("1.0845"))
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        self.assertEqual((doc["currency"], doc["conversion_rate"], doc["plc_conversion_rate"]), ("EUR", 1.0845, 1.0845))

    def test_unknown_sku_is_a_readable_mapping_error(self):
        order = _order([_line(1, 1, "5.00")])
        with self.assertRaises(MappingError) as caught:
            sales_order_document(order, self.defaults, {}, "Ann")
        self.assertIn("unknown SKU 'SKU-1'", caught.exception.message)

    def test_merged_tax_titles_give_one_row_each(self):
        order = _order([_line(1, 1, "10.00", taxes=[("State", "0.60"), ("City", "0.20")]),
                        _line(2, 2, "3.00", taxes=[("State", "0.36")])])  # fmt: skip
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        self.assertEqual([(t["description"], t["tax_amount"]) for t in doc["taxes"]], [("State", 0.96), ("City", 0.2)])
        self.defaults.tax_accounts = {"City": "City Tax - SSC"}
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        self.assertEqual([t["account_head"] for t in doc["taxes"]], ["VAT - SSC", "City Tax - SSC"])

    def test_generated_orders_match_the_store_total_to_the_cent(self):
        rng = random.Random(20261101)
        for case in range(400):
            included = rng.random() < 0.5
            self.defaults.shipping_item = "SHIPPING" if rng.random() < 0.5 else None
            lines = []
            for i in range(rng.randint(1, 5)):
                qty = rng.choice([1, 2, 3, 7, 11, 13, D("1.5"), D("0.25")])
                unit = D(rng.randint(1, 20000)) / 100
                gross = unit * D(qty)
                discount = cents(gross * D(rng.choice([0, 0, 5, 10, 33])) / 100)
                taxes = [("VAT", cents((gross - discount) * D("0.19") / (D("1.19") if included else 1)))]
                if rng.random() < 0.3:
                    taxes.append(("Eco", cents(D(rng.randint(0, 300)) / 100)))
                lines.append(_line(i, qty, unit, discount, taxes))
            shipping = [ChargeLine("Ship", D(rng.randint(0, 2000)) / 100, taxes=[TaxLine("VAT", D("0.57"))])] \
                if rng.random() < 0.6 else []  # fmt: skip
            fees = [ChargeLine("Gift wrap", D(rng.randint(50, 500)) / 100)] if rng.random() < 0.3 else []
            discounts = [Discount("SAVE", D(rng.randint(0, 300)) / 100)] if rng.random() < 0.4 else []
            order_taxes = [TaxLine("Order levy", D(rng.randint(0, 150)) / 100)] if rng.random() < 0.2 else []
            order = _order(lines, included=included, shipping=shipping, fees=fees, discounts=discounts,
                           order_taxes=order_taxes)  # fmt: skip
            doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
            with self.subTest(case=case, included=included):
                self.assertEqual(expected_grand_total(doc), order.total)
                self.assertGreaterEqual(doc["discount_amount"], 0)
                for row in doc["items"]:
                    self.assertEqual(D(str(row["rate"])), D(str(row["rate"])).quantize(D("0.01")))
                    self.assertEqual(row["rate"], row["price_list_rate"])

    def test_expected_total_detects_a_wrong_document(self):
        order = _order([_line(1, 3, "9.99", discount="1.00")])
        doc = sales_order_document(order, self.defaults, _codes(order), "Ann")
        doc["discount_amount"] = 0
        self.assertNotEqual(expected_grand_total(doc), order.total)


class TestItemDocuments(unittest.TestCase):
    def setUp(self):
        self.defaults = ErpDefaults.sandbox()

    def _tee(self) -> Product:
        return Product(external_id="p9", title="Tee", handle="tee", option_names=["Size", "Color"], variants=[
            Variant("v1", "TEE-S-RED", D("12.00"), options={"Size": "S", "Color": "Red"}, barcode="400000000001"),
            Variant("v2", "TEE-M-RED", D("12.50"), options={"Size": "M", "Color": "Red"}),
            Variant("v3", None, D("13.00"), options={"Size": "M", "Color": "Blue"}),
        ])  # fmt: skip

    def test_template_variants_attributes_prices_and_barcodes(self):
        docs = item_documents(self._tee(), self.defaults)
        by_type = {}
        for doc in docs:
            by_type.setdefault(doc["doctype"], []).append(doc)
        attrs = {a["attribute_name"]: [v["attribute_value"] for v in a["item_attribute_values"]] for a in by_type["Item Attribute"]}
        self.assertEqual(attrs, {"Size": ["S", "M"], "Color": ["Red", "Blue"]})
        template, *variants = by_type["Item"]
        self.assertEqual((template["item_code"], template["has_variants"]), ("TEE", 1))
        self.assertEqual(template["attributes"], [{"attribute": "Size"}, {"attribute": "Color"}])
        self.assertEqual([v["item_code"] for v in variants], ["TEE-S-RED", "TEE-M-RED", "TEE-M-BLUE"])
        self.assertTrue(all(v["variant_of"] == "TEE" for v in variants))
        self.assertEqual(variants[0]["attributes"], [{"attribute": "Size", "attribute_value": "S"},
                                                     {"attribute": "Color", "attribute_value": "Red"}])  # fmt: skip
        self.assertEqual(variants[0]["barcodes"], [{"barcode": "400000000001"}])
        prices = {p["item_code"]: p["price_list_rate"] for p in by_type["Item Price"]}
        self.assertEqual(prices, {"TEE-S-RED": 12.0, "TEE-M-RED": 12.5, "TEE-M-BLUE": 13.0})
        self.assertTrue(all(p["price_list"] == "Standard Selling" for p in by_type["Item Price"]))

    def test_existing_links_are_reused_and_unmapped_variants_still_created(self):
        codes = {template_key(self._tee()): "OLD-TEE", "variant:v2": "LEGACY-42"}
        items = [d for d in item_documents(self._tee(), self.defaults, codes) if d["doctype"] == "Item"]
        self.assertEqual([d["item_code"] for d in items], ["OLD-TEE", "TEE-S-RED", "LEGACY-42", "OLD-TEE-M-BLUE"])

    def test_single_item_product(self):
        product = Product("p1", "Mug", variants=[Variant("v", "MUG-1", D("8.00"), weight=D("350"), weight_unit="g")])
        docs = item_documents(product, self.defaults)
        self.assertEqual([d["doctype"] for d in docs], ["Item", "Item Price"])
        self.assertEqual((docs[0]["item_code"], docs[0]["weight_per_unit"], docs[0]["weight_uom"]), ("MUG-1", 350.0, "Gram"))
        self.assertNotIn("has_variants", docs[0])


class TestCustomerAndStockDocuments(unittest.TestCase):
    def test_customer_addresses_and_contact(self):
        customer = Customer("c1", "ann@example.com", "Ann", "Lee", phone="+15550100", addresses=[
            Address(line1="1 Main St", city="Springfield", postcode="12345", country="United States", kind="Billing"),
            Address(line1="2 Dock Rd", city="Shelbyville", country="United States", kind="Shipping"),
            Address(kind="Shipping"),
        ])  # fmt: skip
        docs = customer_documents(customer, ErpDefaults.sandbox(), customer_name="CUST-0001")
        self.assertEqual([d["doctype"] for d in docs], ["Customer", "Address", "Address", "Contact"])
        self.assertEqual((docs[0]["customer_name"], docs[0]["customer_type"]), ("Ann Lee", "Individual"))
        self.assertEqual((docs[1]["address_type"], docs[1]["pincode"], docs[1]["is_primary_address"]), ("Billing", "12345", 1))
        self.assertEqual(docs[2]["is_shipping_address"], 1)
        self.assertEqual(docs[1]["links"], [{"link_doctype": "Customer", "link_name": "CUST-0001"}])
        self.assertEqual(docs[3]["email_ids"], [{"email_id": "ann@example.com", "is_primary": 1}])
        self.assertEqual(docs[3]["phone_nos"][0]["phone"], "+15550100")

    def test_stock_reconciliation_valuation_is_never_zero(self):
        defaults = ErpDefaults.sandbox()
        doc = stock_reconciliation_document([
            StockRow("A", "Stores - SSC", D("5"), valuation_rate=D("0"), standard_rate=D("3.10")),
            StockRow("B", "Stores - SSC", D("0"), price=D("9.99")),
        ], defaults)  # fmt: skip
        self.assertEqual([(r["item_code"], r["qty"], r["valuation_rate"]) for r in doc["items"]],
                         [("A", 5.0, 3.1), ("B", 0.0, 9.99)])  # fmt: skip
        with self.assertRaises(MappingError):
            stock_reconciliation_document([StockRow("C", "Stores - SSC", D("1"))], defaults)


if __name__ == "__main__":
    unittest.main()
