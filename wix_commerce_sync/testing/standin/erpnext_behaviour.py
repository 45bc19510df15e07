"""ERPNext behaviours the app relies on, as stand-in controllers for the ERPNext DocTypes (ERPNext v15 subset).

Each behaviour is small and names the ERPNext source it mirrors. What is deliberately absent: GL / stock ledger
entries, pricing rules (the stand-in never re-prices; ``ignore_pricing_rule`` is irrelevant), batches/serials,
packed items, exchange-rate lookup, nested-set lft/rgt, accounting dimensions.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt, getdate, nowdate


class NegativeStockError(frappe.ValidationError):
    """erpnext.stock.stock_ledger.NegativeStockError"""


class ItemVariantExistsError(frappe.ValidationError):
    """erpnext.controllers.item_variant.ItemVariantExistsError"""


class InvalidItemAttributeValueError(frappe.ValidationError):
    """erpnext.controllers.item_variant.InvalidItemAttributeValueError"""


class OpeningEntryAccountError(frappe.ValidationError):
    """erpnext/stock/doctype/stock_reconciliation/stock_reconciliation.py"""


class EmptyStockReconciliationItemsError(frappe.ValidationError):
    """erpnext.stock.doctype.stock_reconciliation.stock_reconciliation.EmptyStockReconciliationItemsError"""


class WarehouseRequired(frappe.ValidationError):
    """erpnext.stock.doctype.warehouse.warehouse / selling controller"""


def get_company_currency(company: str) -> str:
    return frappe.get_cached_value("Company", company, "default_currency")


def _abbr(company: str) -> str:
    abbr = frappe.get_cached_value("Company", company, "abbr")
    if not abbr:
        frappe.throw(_("Company {0} does not exist").format(company), frappe.LinkValidationError)
    return abbr


def _is_stock_item(item_code: str) -> bool:
    return bool(cint(frappe.get_cached_value("Item", item_code, "is_stock_item")))


# ------------------------------------------------------------------------------------------------
# Masters
# ------------------------------------------------------------------------------------------------
class Item(Document):
    """erpnext/stock/doctype/item/item.py: autoname, validate (names, uoms, variants)."""

    def autoname(self):
        if frappe.db.get_single_value("Stock Settings", "item_naming_by") == "Naming Series":
            if not self.variant_of:
                from frappe.model.naming import set_name_by_naming_series

                set_name_by_naming_series(self)
                self.item_code = self.name
        self.item_code = (self.item_code or "").strip()
        self.name = self.item_code

    def validate(self):
        if not self.item_name:
            self.item_name = self.item_code
        if not self.description:
            self.description = self.item_name
        if not self.get("uoms"):
            self.append("uoms", {"uom": self.stock_uom, "conversion_factor": 1})
        if self.has_variants and self.variant_of:
            frappe.throw(_("Item {0} cannot be a variant and a template at the same time").format(self.name))
        if self.has_variants and not self.attributes:
            frappe.throw(_("Attribute table is mandatory"))
        self.validate_variant_attributes()

    def validate_variant_attributes(self):
        """erpnext/controllers/item_variant.py validate_item_variant_attributes + Item.validate_variant_attributes"""
        if not self.variant_of or self.variant_based_on not in (None, "", "Item Attribute"):
            return
        template = frappe.get_cached_doc("Item", self.variant_of)
        if not cint(template.has_variants):
            frappe.throw(_("Item {0} is not a template (Has Variants is off)").format(self.variant_of))
        template_attributes = {d.attribute for d in template.attributes}
        args = {}
        for d in self.attributes:
            if d.attribute in args:
                frappe.throw(_("Attribute {0} selected multiple times in Attributes Table").format(d.attribute))
            if d.attribute not in template_attributes:
                frappe.throw(_("Attribute {0} is not an attribute of template {1}").format(d.attribute, self.variant_of))
            args[d.attribute] = d.attribute_value
            d.variant_of = self.variant_of
        for attribute, value in args.items():
            attribute_doc = frappe.get_cached_doc("Item Attribute", attribute)
            if cint(attribute_doc.numeric_values):
                continue
            values = [v.attribute_value for v in attribute_doc.item_attribute_values]
            if value not in values:
                frappe.throw(
                    _("Value {0} for Attribute {1} does not exist in the list of valid Item Attribute Values for Item {2}").format(
                        value, attribute, self.variant_of
                    ),
                    InvalidItemAttributeValueError,
                    title=_("Invalid Attribute"),
                )
        if self.is_new():
            for other in frappe.get_all("Item", filters={"variant_of": self.variant_of}, pluck="name"):
                other_args = {
                    r.attribute: r.attribute_value
                    for r in frappe.get_all("Item Variant Attribute", filters={"parent": other, "parenttype": "Item"},
                                            fields=["attribute", "attribute_value"])
                }
                if other_args == args and other != self.name:
                    frappe.throw(
                        _("Item variant {0} exists with same attributes").format(other), ItemVariantExistsError
                    )


class Customer(Document):
    """erpnext/selling/doctype/customer/customer.py autoname (Selling Settings cust_master_name)."""

    def autoname(self):
        cust_master_name = frappe.db.get_single_value("Selling Settings", "cust_master_name") or "Customer Name"
        if cust_master_name == "Customer Name":
            self.name = self.get_customer_name()
        else:
            from frappe.model.naming import set_name_by_naming_series

            set_name_by_naming_series(self)

    def get_customer_name(self):
        if frappe.db.get_value("Customer", self.customer_name) and not frappe.flags.in_import:
            rows = frappe.db.sql(
                "select `name` from `tabCustomer` where `name` like %s", (f"%{self.customer_name} - %",)
            )
            count = max([cint(r[0].rsplit(" ", 1)[-1]) for r in rows] or [0])
            return f"{self.customer_name} - {cint(count) + 1}"
        return self.customer_name


class Company(Document):
    """erpnext/setup/doctype/company/company.py: abbr validation; on first save create the default chart subset,
    cost centers, warehouses and set the company default accounts."""

    def validate(self):
        if not self.abbr:
            self.abbr = "".join(c[0] for c in self.company_name.split()).upper()
        self.abbr = self.abbr.strip()
        if frappe.db.sql("select `abbr` from `tabCompany` where `name`!=%s and `abbr`=%s", (self.name or "", self.abbr)):
            frappe.throw(_("Abbreviation already used for another company"))

    def on_update(self):
        if not frappe.db.sql("select `name` from `tabAccount` where `company`=%s limit 1", (self.name,)):
            self.create_default_accounts()
            self.create_default_cost_center()
            self.create_default_warehouses()
            self.set_default_accounts()

    def _account(self, name, parent=None, root_type=None, report_type=None, account_type="", is_group=0):
        doc = frappe.get_doc(
            {
                "doctype": "Account", "account_name": name, "company": self.name, "is_group": is_group,
                "parent_account": parent, "root_type": root_type, "report_type": report_type,
                "account_type": account_type, "account_currency": self.default_currency,
            }
        )
        doc.flags.ignore_permissions = True
        doc.insert()
        return doc.name

    def create_default_accounts(self):
        bs, pl = "Balance Sheet", "Profit and Loss"
        assets = self._account("Application of Funds (Assets)", None, "Asset", bs, is_group=1)
        liabilities = self._account("Source of Funds (Liabilities)", None, "Liability", bs, is_group=1)
        income = self._account("Income", None, "Income", pl, is_group=1)
        expenses = self._account("Expenses", None, "Expense", pl, is_group=1)
        self._account("Equity", None, "Equity", bs, is_group=1)
        current_assets = self._account("Current Assets", assets, "Asset", bs, is_group=1)
        receivables = self._account("Accounts Receivable", current_assets, "Asset", bs, is_group=1)
        self._account("Debtors", receivables, "Asset", bs, "Receivable")
        cash_group = self._account("Cash In Hand", current_assets, "Asset", bs, "Cash", is_group=1)
        self._account("Cash", cash_group, "Asset", bs, "Cash")
        self._account("Bank Accounts", current_assets, "Asset", bs, "Bank", is_group=1)
        stock_assets = self._account("Stock Assets", current_assets, "Asset", bs, "Stock", is_group=1)
        self._account("Stock In Hand", stock_assets, "Asset", bs, "Stock")
        current_liabilities = self._account("Current Liabilities", liabilities, "Liability", bs, is_group=1)
        payables = self._account("Accounts Payable", current_liabilities, "Liability", bs, is_group=1)
        self._account("Creditors", payables, "Liability", bs, "Payable")
        duties = self._account("Duties and Taxes", current_liabilities, "Liability", bs, "Tax", is_group=1)
        self._account("VAT", duties, "Liability", bs, "Tax")
        # standard chart: Application of Funds > Temporary Accounts > Temporary Opening (account_type Temporary)
        temporary = self._account("Temporary Accounts", assets, "Asset", bs, "Temporary", is_group=1)
        self._account("Temporary Opening", temporary, "Asset", bs, "Temporary")
        stock_liabilities = self._account("Stock Liabilities", current_liabilities, "Liability", bs, is_group=1)
        self._account("Stock Received But Not Billed", stock_liabilities, "Liability", bs, "Stock Received But Not Billed")
        direct_income = self._account("Direct Income", income, "Income", pl, is_group=1)
        self._account("Sales", direct_income, "Income", pl)
        self._account("Service", direct_income, "Income", pl)
        direct_expenses = self._account("Direct Expenses", expenses, "Expense", pl, is_group=1)
        stock_expenses = self._account("Stock Expenses", direct_expenses, "Expense", pl, is_group=1)
        self._account("Cost of Goods Sold", stock_expenses, "Expense", pl, "Cost of Goods Sold")
        self._account("Stock Adjustment", stock_expenses, "Expense", pl, "Stock Adjustment")
        indirect_expenses = self._account("Indirect Expenses", expenses, "Expense", pl, is_group=1)
        self._account("Freight and Forwarding Charges", indirect_expenses, "Expense", pl, "Chargeable")
        self._account("Round Off", indirect_expenses, "Expense", pl, "Round Off")
        self._account("Write Off", indirect_expenses, "Expense", pl)
        self._account("Exchange Gain/Loss", indirect_expenses, "Expense", pl)

    def create_default_cost_center(self):
        root = frappe.get_doc(
            {"doctype": "Cost Center", "cost_center_name": self.company_name, "company": self.name, "is_group": 1}
        ).insert(ignore_permissions=True)
        frappe.get_doc(
            {"doctype": "Cost Center", "cost_center_name": "Main", "company": self.name, "is_group": 0,
             "parent_cost_center": root.name}
        ).insert(ignore_permissions=True)

    def create_default_warehouses(self):
        """erpnext/setup/doctype/company/company.py create_default_warehouses"""
        root = frappe.get_doc(
            {"doctype": "Warehouse", "warehouse_name": "All Warehouses", "is_group": 1, "company": self.name}
        ).insert(ignore_permissions=True)
        for name, wtype in (("Stores", None), ("Work In Progress", None), ("Finished Goods", None),
                            ("Goods In Transit", "Transit")):
            frappe.get_doc(
                {"doctype": "Warehouse", "warehouse_name": name, "is_group": 0, "company": self.name,
                 "parent_warehouse": root.name, "warehouse_type": wtype}
            ).insert(ignore_permissions=True)

    def set_default_accounts(self):
        abbr = self.abbr
        defaults = {
            "default_receivable_account": "Debtors", "default_payable_account": "Creditors",
            "default_income_account": "Sales", "default_expense_account": "Cost of Goods Sold",
            "default_cash_account": "Cash", "round_off_account": "Round Off", "write_off_account": "Write Off",
            "exchange_gain_loss_account": "Exchange Gain/Loss", "default_inventory_account": "Stock In Hand",
            "stock_adjustment_account": "Stock Adjustment", "stock_received_but_not_billed": "Stock Received But Not Billed",
        }
        values = {field: f"{account} - {abbr}" for field, account in defaults.items()}
        values["cost_center"] = values["round_off_cost_center"] = f"Main - {abbr}"
        values["default_in_transit_warehouse"] = f"Goods In Transit - {abbr}"
        frappe.db.set_value("Company", self.name, values)
        for key, value in values.items():
            self.__dict__[key] = value


class Account(Document):
    """erpnext/accounts/doctype/account/account.py autoname: '<number> - <name> - <abbr>'."""

    def autoname(self):
        parts = [p for p in (self.account_number, self.account_name) if p]
        self.name = f"{' - '.join(parts)} - {_abbr(self.company)}"

    def validate(self):
        if self.parent_account:
            parent = frappe.db.get_value("Account", self.parent_account, ["root_type", "report_type", "is_group"], as_dict=True)
            if parent and not parent.is_group:
                frappe.throw(_("Account {0}: Parent account {1} can not be a ledger").format(self.name, self.parent_account))
            if parent:
                self.root_type = self.root_type or parent.root_type
                self.report_type = self.report_type or parent.report_type
        if not self.account_currency:
            self.account_currency = get_company_currency(self.company)


class CostCenter(Document):
    """erpnext/accounts/doctype/cost_center/cost_center.py autoname: '<name> - <abbr>'."""

    def autoname(self):
        parts = [p for p in (self.cost_center_number, self.cost_center_name) if p]
        self.name = f"{' - '.join(parts)} - {_abbr(self.company)}"

    def validate(self):
        if not self.parent_cost_center and not self.is_group:
            frappe.throw(_("Root cannot be edited."))


class Warehouse(Document):
    """erpnext/stock/doctype/warehouse/warehouse.py autoname: '<warehouse_name> - <abbr>'."""

    def autoname(self):
        if self.company:
            suffix = " - " + _abbr(self.company)
            if not self.warehouse_name.endswith(suffix):
                self.name = self.warehouse_name + suffix
                return
        self.name = self.warehouse_name


class Bin(Document):
    """erpnext/stock/doctype/bin/bin.py: projected_qty = actual + ordered + indented + planned - reserved - ..."""

    def before_save(self):
        self.set_projected_qty()

    def set_projected_qty(self):
        self.projected_qty = (
            flt(self.actual_qty) + flt(self.ordered_qty) + flt(self.indented_qty) + flt(self.planned_qty)
            - flt(self.reserved_qty) - flt(self.reserved_qty_for_production) - flt(self.reserved_qty_for_sub_contract)
            - flt(self.reserved_qty_for_production_plan)
        )


def get_or_make_bin(item_code: str, warehouse: str) -> str:
    """erpnext/stock/utils.py get_or_make_bin"""
    name = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, "name", for_update=True)
    if name:
        return name
    doc = frappe.get_doc({"doctype": "Bin", "item_code": item_code, "warehouse": warehouse,
                          "stock_uom": frappe.get_cached_value("Item", item_code, "stock_uom")})
    doc.flags.ignore_permissions = True
    doc.insert()
    return doc.name


def update_bin(item_code, warehouse, *, actual=0.0, reserved=0.0, set_actual=None, valuation_rate=None,
               voucher=None):
    """Apply stock deltas to a Bin (ERPNext: stock ledger + update_bin_qty). Negative stock raises NegativeStockError
    unless Stock Settings allow_negative_stock (erpnext/stock/stock_ledger.py)."""
    name = get_or_make_bin(item_code, warehouse)
    current = frappe.db.get_value(
        "Bin", name, ["actual_qty", "reserved_qty", "ordered_qty", "indented_qty", "planned_qty", "valuation_rate",
                      "reserved_qty_for_production", "reserved_qty_for_sub_contract", "reserved_qty_for_production_plan"],
        as_dict=True,
    )
    new_actual = flt(set_actual) if set_actual is not None else flt(current.actual_qty) + flt(actual)
    if new_actual < 0 and not cint(frappe.db.get_single_value("Stock Settings", "allow_negative_stock")):
        frappe.throw(
            _("{0} units of {1} needed in {2} to complete this transaction.").format(
                abs(new_actual), frappe.bold(item_code), frappe.bold(warehouse)
            ) + (f" ({voucher})" if voucher else ""),
            NegativeStockError, title=_("Insufficient Stock"),
        )
    new_reserved = max(flt(current.reserved_qty) + flt(reserved), 0.0)
    rate = flt(valuation_rate) if valuation_rate is not None else flt(current.valuation_rate)
    projected = (
        new_actual + flt(current.ordered_qty) + flt(current.indented_qty) + flt(current.planned_qty) - new_reserved
        - flt(current.reserved_qty_for_production) - flt(current.reserved_qty_for_sub_contract)
        - flt(current.reserved_qty_for_production_plan)
    )
    frappe.db.set_value(
        "Bin", name,
        {"actual_qty": new_actual, "reserved_qty": new_reserved, "projected_qty": projected, "valuation_rate": rate,
         "stock_value": flt(new_actual * rate, 2)},
    )
    if voucher and (set_actual is not None or flt(actual)):
        # a stock movement leaves a Stock Ledger Entry (kept, with is_cancelled, even when its voucher is cancelled):
        # ERPNext's StockReconciliation.validate_expense_account asks whether any exists on the site
        sle = frappe.get_doc({"doctype": "Stock Ledger Entry", "item_code": item_code, "warehouse": warehouse,
                              "actual_qty": new_actual - flt(current.actual_qty), "qty_after_transaction": new_actual,
                              "valuation_rate": rate, "voucher_no": voucher})
        sle.flags.ignore_permissions = True
        sle.insert()


def get_bin_qty(item_code, warehouse) -> frappe._dict:
    return frappe.db.get_value(
        "Bin", {"item_code": item_code, "warehouse": warehouse},
        ["actual_qty", "reserved_qty", "projected_qty", "valuation_rate"], as_dict=True,
    ) or frappe._dict(actual_qty=0.0, reserved_qty=0.0, projected_qty=0.0, valuation_rate=0.0)


# ------------------------------------------------------------------------------------------------
# taxes_and_totals (erpnext/controllers/taxes_and_totals.py, subset)
# ------------------------------------------------------------------------------------------------
class calculate_taxes_and_totals:  # noqa: N801 - ERPNext's class name
    def __init__(self, doc):
        self.doc = doc
        self._items = [d for d in doc.get("items") if not d.get("is_alternative")]
        self.discount_amount_applied = False
        self.calculate()

    def calculate(self):
        if not len(self._items):
            return
        self.discount_amount_applied = False
        self._calculate()
        if self.doc.meta.get_field("discount_amount"):
            self.set_discount_amount()
            self.apply_discount_amount()
        if self.doc.doctype == "Sales Invoice":
            self.calculate_outstanding_amount()
        self._cleanup()

    def _cleanup(self):
        for tax in self.doc.get("taxes"):
            if isinstance(tax.item_wise_tax_detail, dict):
                tax.item_wise_tax_detail = json.dumps(tax.item_wise_tax_detail, separators=(",", ":"))

    def _calculate(self):
        self.validate_conversion_rate()
        self.calculate_item_values()
        self.initialize_taxes()
        self.determine_exclusive_rate()
        self.calculate_net_total()
        self.calculate_taxes()
        self.manipulate_grand_total_for_inclusive_tax()
        self.calculate_totals()

    def validate_conversion_rate(self):
        company_currency = get_company_currency(self.doc.company)
        if not self.doc.currency or self.doc.currency == company_currency:
            self.doc.currency = company_currency
            self.doc.conversion_rate = 1.0
        elif not flt(self.doc.conversion_rate):
            frappe.throw(
                _("{0} is mandatory. Maybe Currency Exchange record is not created for {1} to {2}.").format(
                    self.doc.meta.get_label("conversion_rate"), self.doc.currency, company_currency
                )
            )
        self.doc.conversion_rate = flt(self.doc.conversion_rate)

    def _set_in_company_currency(self, doc, fields):
        for f in fields:
            val = flt(flt(doc.get(f), doc.precision(f)) * self.doc.conversion_rate, doc.precision("base_" + f))
            doc.set("base_" + f, val)

    def calculate_item_values(self):
        if self.discount_amount_applied:
            return
        for item in self._items:
            self.doc.round_floats_in(item)
            if item.discount_percentage == 100:
                item.rate = 0.0
            elif item.price_list_rate and not item.rate:
                item.rate = flt(item.price_list_rate * (1.0 - (flt(item.discount_percentage) / 100.0)), item.precision("rate"))
                item.discount_amount = flt(item.price_list_rate * flt(item.discount_percentage) / 100.0, item.precision("discount_amount"))
            item.net_rate = item.rate
            item.amount = flt(item.rate * item.qty, item.precision("amount"))
            item.net_amount = item.amount
            self._set_in_company_currency(item, ["price_list_rate", "rate", "net_rate", "amount", "net_amount"])

    def initialize_taxes(self):
        for tax in self.doc.get("taxes"):
            if not self.discount_amount_applied:
                validate_taxes_and_charges(tax)
                validate_inclusive_tax(tax, self.doc)
            tax.item_wise_tax_detail = {}
            tax.tax_amount_after_discount_amount = 0.0
            tax.total = 0.0
            tax._tax_amount_for_current_item = 0.0
            tax._grand_total_for_current_item = 0.0
            tax._tax_fraction_for_current_item = 0.0
            tax._grand_total_fraction_for_current_item = 0.0
            if tax.charge_type != "Actual" and not (
                self.discount_amount_applied and self.doc.apply_discount_on == "Grand Total"
            ):
                tax.tax_amount = 0.0
            self.doc.round_floats_in(tax)

    def _load_item_tax_rate(self, item_tax_rate):
        return json.loads(item_tax_rate) if item_tax_rate else {}

    def _get_tax_rate(self, tax, item_tax_map):
        return flt(item_tax_map.get(tax.account_head, tax.rate), tax.precision("rate"))

    def determine_exclusive_rate(self):
        taxes = self.doc.get("taxes")
        if not any(cint(tax.included_in_print_rate) for tax in taxes):
            return
        for item in self._items:
            item_tax_map = self._load_item_tax_rate(item.item_tax_rate)
            cumulated_tax_fraction = 0
            for i, tax in enumerate(taxes):
                tax._tax_fraction_for_current_item = self.get_current_tax_fraction(tax, item_tax_map)
                if i == 0:
                    tax._grand_total_fraction_for_current_item = 1 + tax._tax_fraction_for_current_item
                else:
                    tax._grand_total_fraction_for_current_item = (
                        taxes[i - 1]._grand_total_fraction_for_current_item + tax._tax_fraction_for_current_item
                    )
                cumulated_tax_fraction += tax._tax_fraction_for_current_item
            if not self.discount_amount_applied and item.qty and cumulated_tax_fraction:
                item.net_amount = flt(flt(item.amount) / (1 + cumulated_tax_fraction), item.precision("net_amount"))
                item.net_rate = flt(item.net_amount / item.qty, item.precision("net_rate"))
                self._set_in_company_currency(item, ["net_rate", "net_amount"])

    def get_current_tax_fraction(self, tax, item_tax_map):
        fraction = 0.0
        if cint(tax.included_in_print_rate):
            tax_rate = self._get_tax_rate(tax, item_tax_map)
            taxes = self.doc.get("taxes")
            if tax.charge_type == "On Net Total":
                fraction = tax_rate / 100.0
            elif tax.charge_type == "On Previous Row Amount":
                fraction = (tax_rate / 100.0) * taxes[cint(tax.row_id) - 1]._tax_fraction_for_current_item
            elif tax.charge_type == "On Previous Row Total":
                fraction = (tax_rate / 100.0) * taxes[cint(tax.row_id) - 1]._grand_total_fraction_for_current_item
        return fraction

    def calculate_net_total(self):
        doc = self.doc
        doc.total_qty = doc.total = doc.base_total = doc.net_total = doc.base_net_total = 0.0
        for item in self._items:
            doc.total += item.amount
            doc.total_qty += item.qty
            doc.base_total += item.base_amount
            doc.net_total += item.net_amount
            doc.base_net_total += item.base_net_amount
        doc.round_floats_in(doc, ["total", "base_total", "net_total", "base_net_total"])

    def calculate_taxes(self):
        doc = self.doc
        taxes = doc.get("taxes")
        doc.rounding_adjustment = 0
        actual_tax_dict = {tax.idx: flt(tax.tax_amount, tax.precision("tax_amount")) for tax in taxes if tax.charge_type == "Actual"}
        for n, item in enumerate(self._items):
            item_tax_map = self._load_item_tax_rate(item.item_tax_rate)
            for i, tax in enumerate(taxes):
                current_tax_amount = self.get_current_tax_amount(item, tax, item_tax_map)
                if tax.charge_type == "Actual":
                    actual_tax_dict[tax.idx] -= current_tax_amount
                    if n == len(self._items) - 1:
                        current_tax_amount += actual_tax_dict[tax.idx]
                if tax.charge_type != "Actual" and not (
                    self.discount_amount_applied and doc.apply_discount_on == "Grand Total"
                ):
                    tax.tax_amount += current_tax_amount
                tax._tax_amount_for_current_item = current_tax_amount
                tax.tax_amount_after_discount_amount += current_tax_amount
                if i == 0:
                    tax._grand_total_for_current_item = flt(item.net_amount + current_tax_amount)
                else:
                    tax._grand_total_for_current_item = flt(taxes[i - 1]._grand_total_for_current_item + current_tax_amount)
                if n == len(self._items) - 1:
                    tax.tax_amount = flt(tax.tax_amount, tax.precision("tax_amount"))
                    tax.tax_amount_after_discount_amount = flt(
                        tax.tax_amount_after_discount_amount, tax.precision("tax_amount")
                    )
                    self._set_in_company_currency(tax, ["tax_amount", "tax_amount_after_discount_amount"])
                    if i == 0:
                        tax.total = flt(doc.net_total + tax.tax_amount_after_discount_amount, tax.precision("total"))
                    else:
                        tax.total = flt(taxes[i - 1].total + tax.tax_amount_after_discount_amount, tax.precision("total"))
                    self._set_in_company_currency(tax, ["total"])
                    if (
                        i == len(taxes) - 1 and self.discount_amount_applied and doc.discount_amount
                        and doc.apply_discount_on == "Grand Total"
                    ):
                        doc.rounding_adjustment = flt(
                            doc.grand_total - flt(doc.discount_amount) - tax.total, doc.precision("rounding_adjustment")
                        )

    def get_current_tax_amount(self, item, tax, item_tax_map):
        tax_rate = self._get_tax_rate(tax, item_tax_map)
        taxes = self.doc.get("taxes")
        amount = 0.0
        if tax.charge_type == "Actual":
            actual = flt(tax.tax_amount, tax.precision("tax_amount"))
            amount = item.net_amount * actual / self.doc.net_total if self.doc.net_total else 0.0
        elif tax.charge_type == "On Net Total":
            amount = (tax_rate / 100.0) * item.net_amount
        elif tax.charge_type == "On Previous Row Amount":
            amount = (tax_rate / 100.0) * taxes[cint(tax.row_id) - 1]._tax_amount_for_current_item
        elif tax.charge_type == "On Previous Row Total":
            amount = (tax_rate / 100.0) * taxes[cint(tax.row_id) - 1]._grand_total_for_current_item
        key = item.item_code or item.item_name
        detail = tax.item_wise_tax_detail
        if isinstance(detail, dict):
            previous = detail.get(key, [tax_rate, 0.0])
            detail[key] = [tax_rate, flt(previous[1]) + amount]
        return amount

    def manipulate_grand_total_for_inclusive_tax(self):
        taxes = self.doc.get("taxes")
        self.doc._grand_total_diff = 0.0
        if taxes and any(cint(t.included_in_print_rate) for t in taxes):
            last_tax = taxes[-1]
            non_inclusive = sum(flt(d.tax_amount_after_discount_amount) for d in taxes if not d.included_in_print_rate)
            diff = self.doc.total + non_inclusive - flt(last_tax.total, last_tax.precision("total"))
            if self.discount_amount_applied and self.doc.discount_amount:
                diff -= flt(self.doc.discount_amount)
            diff = flt(diff, self.doc.precision("rounding_adjustment"))
            if diff and abs(diff) <= (5.0 / 10 ** last_tax.precision("tax_amount")):
                self.doc._grand_total_diff = diff

    def calculate_totals(self):
        doc = self.doc
        taxes = doc.get("taxes")
        if taxes:
            doc.grand_total = flt(taxes[-1].total) + flt(doc._grand_total_diff)
        else:
            doc.grand_total = flt(doc.net_total)
        if taxes:
            doc.total_taxes_and_charges = flt(
                doc.grand_total - doc.net_total - flt(doc.rounding_adjustment), doc.precision("total_taxes_and_charges")
            )
        else:
            doc.total_taxes_and_charges = 0.0
        self._set_in_company_currency(doc, ["total_taxes_and_charges", "rounding_adjustment"])
        doc.base_grand_total = (
            flt(doc.grand_total * doc.conversion_rate, doc.precision("base_grand_total"))
            if doc.total_taxes_and_charges else doc.base_net_total
        )
        doc.round_floats_in(doc, ["grand_total", "base_grand_total"])
        self.set_rounded_total()

    def set_rounded_total(self):
        doc = self.doc
        if not doc.meta.get_field("rounded_total"):
            return
        disabled = doc.disable_rounded_total if doc.meta.get_field("disable_rounded_total") else frappe.db.get_single_value("Global Defaults", "disable_rounded_total")
        if cint(disabled):
            doc.rounded_total = doc.base_rounded_total = 0
            return
        doc.rounded_total = round_based_on_smallest_currency_fraction(doc.grand_total, doc.currency, doc.precision("rounded_total"))
        doc.rounding_adjustment = flt(doc.rounded_total - doc.grand_total, doc.precision("rounding_adjustment"))
        self._set_in_company_currency(doc, ["rounding_adjustment", "rounded_total"])

    def set_discount_amount(self):
        if self.doc.additional_discount_percentage:
            self.doc.discount_amount = flt(
                flt(self.doc.get(frappe.scrub(self.doc.apply_discount_on)))
                * self.doc.additional_discount_percentage / 100, self.doc.precision("discount_amount"),
            )

    def apply_discount_amount(self):
        doc = self.doc
        if not doc.discount_amount:
            doc.base_discount_amount = 0
            return
        if not doc.apply_discount_on:
            frappe.throw(_("Please select Apply Discount On"))
        doc.base_discount_amount = flt(doc.discount_amount * doc.conversion_rate, doc.precision("base_discount_amount"))
        total_for_discount_amount = self.get_total_for_discount_amount()
        taxes = doc.get("taxes")
        net_total = 0
        if total_for_discount_amount:
            for i, item in enumerate(self._items):
                distributed_amount = flt(doc.discount_amount) * item.net_amount / total_for_discount_amount
                item.net_amount = flt(item.net_amount - distributed_amount, item.precision("net_amount"))
                net_total += item.net_amount
                if (
                    doc.apply_discount_on == "Net Total" or not taxes or total_for_discount_amount == doc.net_total
                ) and i == len(self._items) - 1:
                    loss = flt(doc.net_total - net_total - doc.discount_amount, doc.precision("net_total"))
                    item.net_amount = flt(item.net_amount + loss, item.precision("net_amount"))
                item.net_rate = flt(item.net_amount / item.qty, item.precision("net_rate")) if item.qty else 0
                self._set_in_company_currency(item, ["net_rate", "net_amount"])
            self.discount_amount_applied = True
            self._calculate()

    def get_total_for_discount_amount(self):
        if self.doc.apply_discount_on == "Net Total":
            return self.doc.net_total
        actual_taxes = {}
        for tax in self.doc.get("taxes"):
            if tax.charge_type == "Actual":
                actual_taxes.setdefault(tax.idx, tax.tax_amount)
            elif tax.row_id and cint(tax.row_id) in actual_taxes:
                actual_taxes.setdefault(tax.idx, flt(actual_taxes.get(cint(tax.row_id), 0)) * flt(tax.rate) / 100)
        return flt(self.doc.grand_total - sum(actual_taxes.values()), self.doc.precision("grand_total"))

    def calculate_outstanding_amount(self):
        doc = self.doc
        if doc.docstatus == 0:
            total = flt(doc.rounded_total or doc.grand_total)
            doc.outstanding_amount = flt(total - flt(doc.paid_amount) - flt(doc.write_off_amount), doc.precision("outstanding_amount"))


def validate_taxes_and_charges(tax):
    """erpnext/controllers/accounts_controller.py validate_taxes_and_charges"""
    if tax.charge_type in ("Actual", "On Net Total", "On Paid Amount") and tax.row_id:
        frappe.throw(_("Can refer row only if the charge type is 'On Previous Row Amount' or 'Previous Row Total'"))
    elif tax.charge_type in ("On Previous Row Amount", "On Previous Row Total"):
        if cint(tax.idx) == 1:
            frappe.throw(_("Cannot select charge type as 'On Previous Row Amount' or 'On Previous Row Total' for first row"))
        elif not tax.row_id:
            frappe.throw(_("Please specify a valid Row ID for row {0} in table {1}").format(tax.idx, _(tax.doctype)))
        elif cint(tax.row_id) >= cint(tax.idx):
            frappe.throw(_("Cannot refer row number greater than or equal to current row number for this Charge type"))


def validate_inclusive_tax(tax, doc):
    """erpnext/controllers/accounts_controller.py validate_inclusive_tax"""

    def _on_previous_row_error(row_range):
        frappe.throw(_("To include tax in row {0} in Item rate, taxes in rows {1} must also be included").format(tax.idx, row_range))

    if cint(tax.included_in_print_rate):
        if tax.charge_type == "Actual":
            frappe.throw(_("Charge of type 'Actual' in row {0} cannot be included in Item Rate or Paid Amount").format(tax.idx))
        elif tax.charge_type == "On Previous Row Amount" and not cint(doc.get("taxes")[cint(tax.row_id) - 1].included_in_print_rate):
            _on_previous_row_error(tax.row_id)
        elif tax.charge_type == "On Previous Row Total" and not all(
            cint(t.included_in_print_rate) for t in doc.get("taxes")[: cint(tax.row_id) - 1]
        ):
            _on_previous_row_error(f"1 - {cint(tax.row_id)}")


def round_based_on_smallest_currency_fraction(value, currency, precision=2):
    """erpnext/controllers/taxes_and_totals.py (frappe.utils.round_based_on_smallest_currency_fraction)"""
    from frappe.utils.data import rounded

    smallest = flt(frappe.db.get_value("Currency", currency, "smallest_currency_fraction_value")) if currency else 0
    if smallest:
        multiplier = 10 ** cint(precision)
        remainder = flt(((value * multiplier) % (smallest * multiplier)) / multiplier, precision)
        if remainder > (smallest / 2):
            value += smallest - remainder
        else:
            value -= remainder
    else:
        value = rounded(value)
    return flt(value, precision)


# ------------------------------------------------------------------------------------------------
# Selling transactions
# ------------------------------------------------------------------------------------------------
class SellingController(Document):
    """erpnext/controllers/selling_controller.py + accounts_controller.py: set_missing_values, validations, totals."""

    def validate(self):
        self.set_missing_values()
        self.validate_items()
        if self.get("is_return"):
            self.validate_return()
        self.set_po_nos(for_validate=True)
        calculate_taxes_and_totals(self)

    def calculate_taxes_and_totals(self):
        """accounts_controller.py AccountsController.calculate_taxes_and_totals (run by the mappers)."""
        calculate_taxes_and_totals(self)

    def set_po_nos(self, for_validate=False):
        """selling_controller.py set_po_nos: an invoice / delivery note carries the customer PO numbers of the
        orders (and notes / invoices) it was made from."""
        refs = {"Sales Invoice": (("Sales Order", "sales_order"), ("Delivery Note", "delivery_note")),
                "Delivery Note": (("Sales Order", "against_sales_order"), ("Sales Invoice", "against_sales_invoice"))}
        if self.doctype not in refs or (for_validate and self.po_no):
            return
        po_nos = [self.po_no] if self.po_no else []
        for ref_doctype, ref_field in refs[self.doctype]:
            names = sorted({d.get(ref_field) for d in self.get("items") if d.get(ref_field)})
            if names:
                po_nos += [d.po_no for d in frappe.get_all(ref_doctype, fields=["po_no"], filters={"name": ["in", names]})
                           if d.get("po_no")]  # fmt: skip
        if po_nos:
            self.po_no = ", ".join(sorted({x.strip() for x in ",".join(po_nos).split(",")}))

    def set_missing_values(self):
        company_currency = get_company_currency(self.company) if self.company else None
        if not self.currency:
            self.currency = frappe.db.get_value("Customer", self.customer, "default_currency") if self.get("customer") else None
            self.currency = self.currency or company_currency
        if self.currency == company_currency:
            self.conversion_rate = 1.0
        if not self.selling_price_list:
            self.selling_price_list = (
                frappe.db.get_value("Customer", self.customer, "default_price_list") if self.get("customer") else None
            ) or frappe.db.get_single_value("Selling Settings", "selling_price_list") or "Standard Selling"
        if not self.price_list_currency:
            self.price_list_currency = frappe.db.get_value("Price List", self.selling_price_list, "currency")
        if not flt(self.plc_conversion_rate):
            if self.price_list_currency == company_currency:
                self.plc_conversion_rate = 1.0
            elif self.price_list_currency == self.currency:
                self.plc_conversion_rate = self.conversion_rate
        if self.meta.has_field("customer_group") and self.get("customer") and not self.customer_group:
            self.customer_group = frappe.db.get_value("Customer", self.customer, "customer_group")
        if self.meta.has_field("territory") and self.get("customer") and not self.territory:
            self.territory = frappe.db.get_value("Customer", self.customer, "territory")
        for item in self.get("items"):
            if item.rate is None and not item.price_list_rate:
                raise frappe.StandinStrictError(
                    f"{self.doctype} row {item.idx}: rate is not set. ERPNext would fill it from the price list / pricing "
                    "rules; the stand-in never prices, set rate explicitly."
                )
            details = frappe.db.get_value("Item", item.item_code, ["item_name", "stock_uom", "description", "item_group"], as_dict=True) if item.item_code else None
            if details:
                item.item_name = item.item_name or details.item_name
                item.stock_uom = item.stock_uom or details.stock_uom
                item.uom = item.uom or details.stock_uom
                item.description = item.description or details.description
                if item.meta.has_field("item_group"):
                    item.item_group = item.item_group or details.item_group
            item.conversion_factor = flt(item.conversion_factor) or 1.0
            item.stock_qty = flt(item.qty) * flt(item.conversion_factor)
            if item.meta.has_field("warehouse") and not item.warehouse and self.meta.has_field("set_warehouse"):
                item.warehouse = self.set_warehouse
            if item.meta.has_field("income_account") and not item.income_account and self.company:
                item.income_account = frappe.db.get_value("Company", self.company, "default_income_account")
            if item.meta.has_field("cost_center") and not item.cost_center and self.company:
                item.cost_center = frappe.db.get_value("Company", self.company, "cost_center")

    def validate_items(self):
        for item in self.get("items"):
            if not flt(item.qty) and not self.get("is_return"):
                frappe.throw(_("Row #{0}: Quantity for Item {1} cannot be zero.").format(item.idx, frappe.bold(item.item_code)),
                             title=_("Invalid Quantity"))

    def validate_return(self):
        """erpnext/controllers/sales_and_purchase_return.py validate_return (subset)"""
        # validate_returned_items: a positive quantity is refused; a row without quantity but with an item name
        # counts as returned (a value-only credit note); at least one row must be returned
        for item in self.get("items"):
            if flt(item.qty) > 0:
                frappe.throw(_("Row # {0}: Qty must be negative for a return document ({1})").format(item.idx, item.item_code))
        if not any(flt(item.qty) < 0 or (not flt(item.qty) and item.item_name) for item in self.get("items")):
            frappe.throw(_("Atleast one item should be entered with negative quantity in return document"))
        if not self.get("return_against"):
            return
        original = frappe.get_doc(self.doctype, self.return_against)
        if original.docstatus != 1:
            frappe.throw(_("{0} {1} is not submitted").format(self.doctype, self.return_against))
        if original.customer != self.customer:
            frappe.throw(_("Customer of the return must match {0}").format(self.return_against))
        sold = {}
        for row in original.get("items"):
            sold[row.item_code] = sold.get(row.item_code, 0) + flt(row.qty)
        already = {}
        for name in frappe.get_all(self.doctype, filters={"return_against": self.return_against, "docstatus": 1, "name": ["!=", self.name or ""]}, pluck="name"):
            for row in frappe.get_doc(self.doctype, name).get("items"):
                already[row.item_code] = already.get(row.item_code, 0) + abs(flt(row.qty))
        for item in self.get("items"):
            if not flt(item.qty):
                continue
            if item.item_code not in sold:
                frappe.throw(_("Row # {0}: Returned Item {1} does not exist in {2} {3}").format(item.idx, item.item_code, self.doctype, self.return_against))
            if abs(flt(item.qty)) + already.get(item.item_code, 0) > sold[item.item_code]:
                frappe.throw(_("Row # {0}: Cannot return more than {1} for Item {2}").format(
                    item.idx, sold[item.item_code] - already.get(item.item_code, 0), item.item_code))

    def validate_stock_warehouses(self, message):
        for item in self.get("items"):
            if item.item_code and _is_stock_item(item.item_code) and not item.warehouse and not cint(item.get("delivered_by_supplier")):
                frappe.throw(message.format(item.item_code), WarehouseRequired)


class SalesOrder(SellingController):
    """erpnext/selling/doctype/sales_order/sales_order.py (validate_delivery_date, warehouse, reserved qty, status)."""

    def validate(self):
        super().validate()
        self.validate_delivery_date()
        self.validate_stock_warehouses("Delivery warehouse required for stock item {0}")
        self.set_status()

    def validate_delivery_date(self):
        if self.order_type == "Sales" and not self.get("skip_delivery_note"):
            dates = [d.delivery_date for d in self.get("items") if d.delivery_date]
            max_date = max(getdate(d) for d in dates) if dates else None
            if (max_date and not self.delivery_date) or (max_date and getdate(self.delivery_date) != max_date):
                self.delivery_date = max_date
            if self.delivery_date:
                for d in self.get("items"):
                    if not d.delivery_date:
                        d.delivery_date = self.delivery_date
                    if getdate(self.transaction_date) > getdate(d.delivery_date):
                        frappe.msgprint(_("Expected Delivery Date should be after Sales Order Date"),
                                        indicator="orange", title=_("Invalid Delivery Date"), raise_exception=True)
            else:
                frappe.throw(_("Please enter Delivery Date"))

    def on_submit(self):
        self.update_reserved_qty(+1)
        self.set_status(update=True)

    def on_cancel(self):
        if self.status == "Closed":  # sales_order.py on_cancel
            frappe.throw(_("Closed order cannot be cancelled. Unclose to cancel."))
        self.update_reserved_qty(-1)
        self.set_status(update=True)

    def update_status(self, status):
        """sales_order.py update_status (Close / re-open a submitted order): status_updater.set_status(update=True,
        status=...) stores the status with db_set (no save, so no on_update_after_submit); a closed order no longer
        reserves stock (stock_balance.get_reserved_qty skips Closed orders)."""
        was_closed = self.status == "Closed"
        if status == "Closed":
            self.db_set("status", "Closed")
            if not was_closed:
                self.update_reserved_qty(-1)
        else:
            self.status = status
            self.set_status(update=True)
            if was_closed:
                self.update_reserved_qty(+1)
        self.notify_update()

    def update_reserved_qty(self, sign):
        """erpnext/stock/stock_balance.py update_bin_qty via get_reserved_qty: pending qty of stock items."""
        for d in self.get("items"):
            if d.item_code and d.warehouse and _is_stock_item(d.item_code):
                pending = flt(d.stock_qty) - flt(d.delivered_qty) * flt(d.conversion_factor or 1)
                update_bin(d.item_code, d.warehouse, reserved=sign * max(pending, 0.0))

    def set_status(self, update=False):
        per_delivered = flt(self.per_delivered)
        per_billed = flt(self.per_billed)
        if self.docstatus == 0:
            status = "Draft"
        elif self.docstatus == 2:
            status = "Cancelled"
        elif self.status in ("On Hold", "Closed"):  # status_map: On Hold / Closed stick until update_status
            status = self.status
        elif per_delivered >= 100 and per_billed >= 100:
            status = "Completed"
        elif per_delivered >= 100:
            status = "To Bill"
        elif per_billed >= 100:
            status = "To Deliver"
        else:
            status = "To Deliver and Bill"
        delivery_status = "Not Delivered" if per_delivered <= 0 else "Fully Delivered" if per_delivered >= 100 else "Partly Delivered"
        billing_status = "Not Billed" if per_billed <= 0 else "Fully Billed" if per_billed >= 100 else "Partly Billed"
        values = {"status": status, "delivery_status": delivery_status, "billing_status": billing_status}
        if update and self.docstatus != 0:
            frappe.db.set_value("Sales Order", self.name, values, update_modified=False)
        self.__dict__.update(values)


def update_sales_order_progress(sales_order: str) -> None:
    """per_delivered / per_billed from the Sales Order Item delivered_qty / billed_amt (status_updater subset)."""
    so = frappe.get_doc("Sales Order", sales_order)
    total_qty = sum(flt(d.qty) for d in so.items) or 1
    total_amt = sum(flt(d.amount) for d in so.items) or 1
    delivered = sum(min(flt(d.delivered_qty), flt(d.qty)) for d in so.items)
    billed = sum(min(flt(d.billed_amt), flt(d.amount)) for d in so.items)
    per_delivered = flt(delivered / total_qty * 100, 6)
    per_billed = flt(billed / total_amt * 100, 6)
    frappe.db.set_value("Sales Order", sales_order, {"per_delivered": per_delivered, "per_billed": per_billed},
                        update_modified=False)
    so.per_delivered, so.per_billed = per_delivered, per_billed
    so.set_status(update=True)


class DeliveryNote(SellingController):
    """erpnext/stock/doctype/delivery_note/delivery_note.py: stock out (in for returns), SO reserved/delivered."""

    def validate(self):
        super().validate()
        self.validate_stock_warehouses("Warehouse required for stock Item {0}")
        self.status = "Draft" if self.docstatus == 0 else self.status

    def on_submit(self):
        self.update_stock(+1)
        self.status = "Return" if self.is_return else "To Bill"
        frappe.db.set_value("Delivery Note", self.name, "status", self.status, update_modified=False)

    def on_cancel(self):
        self.update_stock(-1)
        frappe.db.set_value("Delivery Note", self.name, "status", "Cancelled", update_modified=False)

    def update_stock(self, sign):
        touched_orders = set()
        for d in self.get("items"):
            if not (d.item_code and d.warehouse and _is_stock_item(d.item_code)):
                continue
            reserved = 0.0
            if d.so_detail and not self.is_return:
                so_row = frappe.db.get_value(
                    "Sales Order Item", d.so_detail, ["qty", "delivered_qty", "conversion_factor", "warehouse", "parent"],
                    as_dict=True,
                )
                if so_row:
                    if sign > 0:
                        pending = max(flt(so_row.qty) - flt(so_row.delivered_qty), 0.0)
                        reserved = -min(flt(d.qty), pending) * flt(so_row.conversion_factor or 1)
                    else:
                        reserved = min(flt(d.qty), flt(so_row.delivered_qty)) * flt(so_row.conversion_factor or 1)
                    if so_row.warehouse and so_row.warehouse != d.warehouse:
                        update_bin(d.item_code, so_row.warehouse, reserved=reserved)
                        reserved = 0.0
                    frappe.db.set_value(
                        "Sales Order Item", d.so_detail, "delivered_qty", flt(so_row.delivered_qty) + sign * flt(d.qty),
                        update_modified=False,
                    )
                    touched_orders.add(so_row.parent)
            update_bin(d.item_code, d.warehouse, actual=-sign * flt(d.stock_qty), reserved=reserved, voucher=self.name)
        for so in touched_orders:
            update_sales_order_progress(so)


class SalesInvoice(SellingController):
    """erpnext/accounts/doctype/sales_invoice/sales_invoice.py: debit_to, outstanding, SO billing, returns."""

    def set_missing_values(self):
        super().set_missing_values()
        if not self.debit_to and self.company:
            self.debit_to = frappe.db.get_value("Company", self.company, "default_receivable_account")
        if not self.due_date and self.meta.has_field("due_date"):
            self.due_date = self.posting_date

    def validate(self):
        super().validate()
        if cint(self.update_stock):
            self.validate_stock_warehouses("Warehouse required for stock Item {0}")
        self.status = "Draft" if self.docstatus == 0 else self.status

    def on_submit(self):
        self.update_billing(+1)
        if cint(self.update_stock):
            self.update_stock_ledger(+1)
        self.status = "Return" if self.is_return else ("Paid" if flt(self.outstanding_amount) <= 0 else "Unpaid")
        frappe.db.set_value("Sales Invoice", self.name, "status", self.status, update_modified=False)
        if self.is_return and self.return_against:
            against = frappe.db.get_value("Sales Invoice", self.return_against, "outstanding_amount")
            frappe.db.set_value("Sales Invoice", self.return_against, "outstanding_amount",
                                flt(against) + flt(self.rounded_total or self.grand_total), update_modified=False)

    def on_cancel(self):
        self.update_billing(-1)
        if cint(self.update_stock):
            self.update_stock_ledger(-1)
        frappe.db.set_value("Sales Invoice", self.name, "status", "Cancelled", update_modified=False)

    def update_billing(self, sign):
        orders = set()
        for d in self.get("items"):
            if d.so_detail:
                billed = frappe.db.get_value("Sales Order Item", d.so_detail, ["billed_amt", "parent"], as_dict=True)
                if billed:
                    frappe.db.set_value("Sales Order Item", d.so_detail, "billed_amt",
                                        flt(billed.billed_amt) + sign * flt(d.amount), update_modified=False)
                    orders.add(billed.parent)
        for so in orders:
            update_sales_order_progress(so)

    def update_stock_ledger(self, sign):
        for d in self.get("items"):
            if d.item_code and d.warehouse and _is_stock_item(d.item_code):
                update_bin(d.item_code, d.warehouse, actual=-sign * flt(d.stock_qty), voucher=self.name)


class PaymentEntry(Document):
    """erpnext/accounts/doctype/payment_entry/payment_entry.py (subset): amounts, currencies, outstanding."""

    def validate(self):
        company_currency = get_company_currency(self.company)
        self.paid_from_account_currency = self.paid_from_account_currency or frappe.db.get_value("Account", self.paid_from, "account_currency") or company_currency
        self.paid_to_account_currency = self.paid_to_account_currency or frappe.db.get_value("Account", self.paid_to, "account_currency") or company_currency
        self.source_exchange_rate = flt(self.source_exchange_rate) or 1.0
        self.target_exchange_rate = flt(self.target_exchange_rate) or 1.0
        if not flt(self.received_amount) and self.paid_from_account_currency == self.paid_to_account_currency:
            self.received_amount = self.paid_amount
        self.base_paid_amount = flt(flt(self.paid_amount) * self.source_exchange_rate, self.precision("base_paid_amount"))
        self.base_received_amount = flt(flt(self.received_amount) * self.target_exchange_rate, self.precision("base_received_amount"))
        allocated = sum(flt(r.allocated_amount) for r in self.get("references"))
        if allocated > flt(self.paid_amount) + 0.01:
            frappe.throw(_("Total allocated amount cannot be greater than the paid amount"))
        self.total_allocated_amount = allocated
        self.unallocated_amount = flt(self.paid_amount) - allocated
        for ref in self.get("references"):
            if ref.reference_doctype == "Sales Invoice":
                outstanding = frappe.db.get_value("Sales Invoice", ref.reference_name, "outstanding_amount")
                ref.outstanding_amount = flt(outstanding)
                if flt(ref.allocated_amount) > flt(outstanding) + 0.01:
                    frappe.throw(_("Row #{0}: Allocated Amount cannot be greater than outstanding amount.").format(ref.idx))
            elif ref.reference_doctype == "Sales Order":
                order = frappe.db.get_value("Sales Order", ref.reference_name, ["docstatus", "status", "grand_total",
                                                                               "rounded_total", "advance_paid"], as_dict=True)  # fmt: skip
                if order.docstatus != 1:  # payment_entry.py validate_reference_documents
                    frappe.throw(_("{0} {1} must be submitted").format(ref.reference_doctype, ref.reference_name))
                if order.status in ("Closed", "On Hold"):
                    frappe.throw(_("{0} {1} is {2}").format(ref.reference_doctype, ref.reference_name, order.status))
                ref.outstanding_amount = flt(order.rounded_total or order.grand_total) - flt(order.advance_paid)
                if flt(ref.allocated_amount) > ref.outstanding_amount + 0.01:
                    frappe.throw(_("Row #{0}: Allocated Amount cannot be greater than outstanding amount.").format(ref.idx))

    def on_submit(self):
        self.update_outstanding(+1)

    def on_cancel(self):
        self.update_outstanding(-1)

    def update_outstanding(self, sign):
        for ref in self.get("references"):
            if ref.reference_doctype == "Sales Invoice":
                inv = frappe.db.get_value("Sales Invoice", ref.reference_name, ["outstanding_amount"], as_dict=True)
                outstanding = flt(inv.outstanding_amount) - sign * flt(ref.allocated_amount)
                status = "Paid" if outstanding <= 0 else ("Partly Paid" if sign > 0 else "Unpaid")
                frappe.db.set_value("Sales Invoice", ref.reference_name, {"outstanding_amount": outstanding, "status": status},
                                    update_modified=False)
            elif ref.reference_doctype == "Sales Order":  # accounts_controller.py set_total_advance_paid
                paid = frappe.db.get_value("Sales Order", ref.reference_name, "advance_paid")
                frappe.db.set_value("Sales Order", ref.reference_name, "advance_paid",
                                    flt(paid) + sign * flt(ref.allocated_amount), update_modified=False)


# ------------------------------------------------------------------------------------------------
# Stock transactions
# ------------------------------------------------------------------------------------------------
class StockEntry(Document):
    """erpnext/stock/doctype/stock_entry/stock_entry.py (Material Receipt / Issue / Transfer)."""

    def validate(self):
        if not self.purpose and self.stock_entry_type:
            self.purpose = frappe.db.get_value("Stock Entry Type", self.stock_entry_type, "purpose")
        for d in self.get("items"):
            if not d.s_warehouse and self.from_warehouse and self.purpose != "Material Receipt":
                d.s_warehouse = self.from_warehouse
            if not d.t_warehouse and self.to_warehouse and self.purpose != "Material Issue":
                d.t_warehouse = self.to_warehouse
            stock_uom = frappe.db.get_value("Item", d.item_code, "stock_uom")
            d.stock_uom = d.stock_uom or stock_uom
            d.uom = d.uom or stock_uom
            d.conversion_factor = flt(d.conversion_factor) or 1.0
            d.transfer_qty = flt(d.qty) * flt(d.conversion_factor)
            if not _is_stock_item(d.item_code):
                frappe.throw(_("Row #{0}: Item {1} is not a stock Item").format(d.idx, d.item_code))
            if self.purpose in ("Material Issue", "Material Transfer") and not d.s_warehouse:
                frappe.throw(_("Source warehouse is mandatory for row {0}").format(d.idx))
            if self.purpose in ("Material Receipt", "Material Transfer") and not d.t_warehouse:
                frappe.throw(_("Target warehouse is mandatory for row {0}").format(d.idx))
            if self.purpose == "Material Transfer" and d.s_warehouse == d.t_warehouse:
                frappe.throw(_("Source and target warehouse cannot be same for row {0}").format(d.idx))
            d.basic_amount = flt(flt(d.basic_rate) * d.transfer_qty, d.precision("basic_amount"))
            d.amount = d.basic_amount
            d.valuation_rate = flt(d.basic_rate)

    def on_submit(self):
        self.update_stock(+1)

    def on_cancel(self):
        self.update_stock(-1)

    def update_stock(self, sign):
        for d in self.get("items"):
            if d.s_warehouse:
                update_bin(d.item_code, d.s_warehouse, actual=-sign * d.transfer_qty, voucher=self.name)
            if d.t_warehouse:
                rate = flt(d.basic_rate) if sign > 0 and flt(d.basic_rate) else None
                update_bin(d.item_code, d.t_warehouse, actual=sign * d.transfer_qty, valuation_rate=rate, voucher=self.name)


class StockReconciliation(Document):
    """erpnext/stock/doctype/stock_reconciliation/stock_reconciliation.py: remove rows without change,
    validate_data (qty/valuation), set the Bin quantity on submit, restore it on cancel."""

    def validate(self):
        if not self.purpose:
            self.purpose = "Stock Reconciliation"
        if not self.expense_account:
            self.expense_account = frappe.db.get_value("Company", self.company, "stock_adjustment_account")
        if not self.cost_center:
            self.cost_center = frappe.db.get_value("Company", self.company, "cost_center")
        self.remove_items_with_no_change()
        self.validate_data()
        self.validate_expense_account()

    def validate_expense_account(self):
        """ERPNext 15: the first stock entry of a site (no Stock Ledger Entry at all) or an Opening Stock purpose
        is an opening entry; its difference account must not be a Profit and Loss account (the company's default,
        Stock Adjustment, is one). Perpetual inventory is on by default for a new company."""
        if not self.expense_account:
            frappe.throw(_("Please enter Expense Account"))
        elif self.purpose == "Opening Stock" or not frappe.db.sql("select name from `tabStock Ledger Entry` limit 1"):
            if frappe.db.get_value("Account", self.expense_account, "report_type") == "Profit and Loss":
                frappe.throw(
                    _("Difference Account must be a Asset/Liability type account, since this Stock Reconciliation "
                      "is an Opening Entry"),
                    OpeningEntryAccountError,
                )

    def remove_items_with_no_change(self):
        kept = []
        for item in self.get("items"):
            current = get_bin_qty(item.item_code, item.warehouse)
            item.current_qty = flt(current.actual_qty)
            item.current_valuation_rate = flt(current.valuation_rate)
            item.current_amount = flt(item.current_qty * item.current_valuation_rate, 2)
            if item.qty is None:
                item.qty = item.current_qty
            if item.valuation_rate is None or item.valuation_rate == "":
                item.valuation_rate = item.current_valuation_rate
            unchanged = flt(item.qty) == item.current_qty and flt(item.valuation_rate) == item.current_valuation_rate
            if not unchanged:
                kept.append(item)
        if len(kept) != len(self.items):
            self.items = kept
            for i, item in enumerate(self.items):
                item.idx = i + 1
        if not self.items:
            frappe.throw(_("None of the items have any change in quantity or value."), EmptyStockReconciliationItemsError)

    def validate_data(self):
        messages = []
        for row in self.items:
            if flt(row.qty) < 0:
                messages.append(_("Row #{0}:").format(row.idx) + " " + _("Negative Quantity is not allowed"))
            if flt(row.valuation_rate) < 0:
                messages.append(_("Row #{0}:").format(row.idx) + " " + _("Negative Valuation Rate is not allowed"))
            if flt(row.qty) and not flt(row.valuation_rate):
                row.valuation_rate = flt(frappe.db.get_value("Item", row.item_code, "valuation_rate"))
            if flt(row.qty) and not flt(row.valuation_rate) and not cint(row.allow_zero_valuation_rate):
                messages.append(
                    _("Valuation Rate for the Item {0}, is required to do accounting entries for {1} {2}.").format(
                        row.item_code, self.doctype, self.name
                    )
                )
            row.amount = flt(flt(row.qty) * flt(row.valuation_rate), 2)
            row.quantity_difference = flt(row.qty) - flt(row.current_qty)
            row.amount_difference = flt(row.amount) - flt(row.current_amount)
        if messages:
            for msg in messages:
                frappe.msgprint(msg)
            raise frappe.ValidationError("\n".join(messages))

    def on_submit(self):
        for row in self.items:
            update_bin(row.item_code, row.warehouse, set_actual=flt(row.qty), valuation_rate=flt(row.valuation_rate),
                       voucher=self.name)

    def on_cancel(self):
        for row in self.items:
            update_bin(row.item_code, row.warehouse, set_actual=flt(row.current_qty),
                       valuation_rate=flt(row.current_valuation_rate), voucher=self.name)


CONTROLLERS = {
    "Item": Item,
    "Customer": Customer,
    "Company": Company,
    "Account": Account,
    "Cost Center": CostCenter,
    "Warehouse": Warehouse,
    "Bin": Bin,
    "Sales Order": SalesOrder,
    "Delivery Note": DeliveryNote,
    "Sales Invoice": SalesInvoice,
    "Payment Entry": PaymentEntry,
    "Stock Entry": StockEntry,
    "Stock Reconciliation": StockReconciliation,
}


def today() -> str:
    return nowdate()
