"""One failing case per strictness check; each asserts the exact exception class."""

import datetime
import uuid

import frappe
import pytest
from frappe.exceptions import MissingSchemaError, StrictTypeError, UnknownFieldError


def _tag(prefix="T"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _item(**kw):
    data = {"doctype": "Item", "item_code": _tag("ITEM"), "item_group": "Products", "stock_uom": "Nos"}
    data.update(kw)
    return frappe.get_doc(data)


def test_valid_item_inserts(frappe_site):
    item = _item(item_name="Widget").insert()
    assert item.name == item.item_code
    assert frappe.db.get_value("Item", item.name, "item_name") == "Widget"


def test_unknown_field_in_get_doc(frappe_site):
    with pytest.raises(UnknownFieldError, match="item_colour"):
        _item(item_colour="red")


def test_unknown_field_in_set_and_db_set_value(frappe_site):
    item = _item().insert()
    with pytest.raises(UnknownFieldError):
        item.set("no_such_field", 1)
    with pytest.raises(UnknownFieldError):
        frappe.db.set_value("Item", item.name, "no_such_field", 1)


def test_unknown_field_in_get_all(frappe_site):
    with pytest.raises(UnknownFieldError):
        frappe.get_all("Item", fields=["name", "nope"])
    with pytest.raises(UnknownFieldError):
        frappe.get_all("Item", filters={"nope": 1})


@pytest.mark.parametrize(
    ("field", "value"),
    [("opening_stock", "lots"), ("shelf_life_in_days", "abc"), ("is_stock_item", 2), ("valuation_rate", "1.2.3"),
     ("end_of_life", "31/12/2099")],
)
def test_wrong_types_raise(frappe_site, field, value):
    with pytest.raises(StrictTypeError, match=field):
        _item(**{field: value}).insert()


def test_aware_datetime_rejected(frappe_site):
    log = frappe.get_doc({"doctype": "Comment", "comment_type": "Comment", "content": "x"})
    log.insert(ignore_permissions=True)
    with pytest.raises(StrictTypeError, match="timezone-aware"):
        frappe.db.set_value("Comment", log.name, "modified", datetime.datetime.now(datetime.timezone.utc))
    with pytest.raises(StrictTypeError):
        frappe.get_doc({"doctype": "Sales Invoice Timesheet", "from_time": datetime.datetime.now(datetime.timezone.utc),
                        "parent": "x", "parenttype": "Sales Invoice", "parentfield": "timesheets"}).db_insert()


def test_numbers_are_coerced_like_frappe(frappe_site):
    item = _item(opening_stock="12.5", shelf_life_in_days="7", is_stock_item=True).insert()
    row = frappe.db.get_value("Item", item.name, ["opening_stock", "shelf_life_in_days", "is_stock_item"], as_dict=True)
    assert row == {"opening_stock": 12.5, "shelf_life_in_days": 7, "is_stock_item": 1}


def test_broken_link(frappe_site):
    with pytest.raises(frappe.LinkValidationError, match="Item Group"):
        _item(item_group="No Such Group").insert()


def test_broken_dynamic_link(frappe_site):
    with pytest.raises(frappe.LinkValidationError):
        frappe.get_doc({"doctype": "Comment", "comment_type": "Comment", "reference_doctype": "Item",
                        "reference_name": "missing-item", "content": "x"}).insert(ignore_permissions=True)


def test_link_to_doctype_without_schema(frappe_site):
    with pytest.raises(MissingSchemaError, match="Asset Category"):
        _item(asset_category="Laptops").insert()


def test_missing_mandatory(frappe_site):
    with pytest.raises(frappe.MandatoryError, match="item_group"):
        frappe.get_doc({"doctype": "Item", "item_code": _tag(), "stock_uom": "Nos"}).insert()


def test_duplicate_name(frappe_site):
    code = _tag()
    _item(item_code=code).insert()
    with pytest.raises(frappe.DuplicateEntryError):
        _item(item_code=code).insert()


def test_duplicate_unique_field(frappe_site):
    username = _tag("user")
    frappe.get_doc({"doctype": "User", "email": f"{_tag()}@example.com", "first_name": "A", "username": username,
                    "send_welcome_email": 0}).insert()
    with pytest.raises(frappe.UniqueValidationError):
        frappe.get_doc({"doctype": "User", "email": f"{_tag()}@example.com", "first_name": "B", "username": username,
                        "send_welcome_email": 0}).insert()


def test_bad_select_option(frappe_site):
    with pytest.raises(frappe.ValidationError, match="cannot be") as info:
        frappe.get_doc({"doctype": "Customer", "customer_name": _tag(), "customer_type": "Alien"}).insert()
    assert type(info.value) is frappe.ValidationError


def test_value_longer_than_140(frappe_site):
    with pytest.raises(frappe.CharacterLengthExceededError):
        _item(item_name="x" * 141).insert()


def test_error_log_title_longer_than_140(frappe_site):
    with pytest.raises(frappe.CharacterLengthExceededError):
        frappe.log_error(title="t" * 141, message="m")


def test_edit_after_submit(frappe_site, company):
    from test_standin_erpnext import make_sales_order

    so = make_sales_order(company)
    so.submit()
    so.reload()
    so.customer_address = None
    so.po_no = "changed"  # allow_on_submit field: allowed
    so.save()
    so.reload()
    so.order_type = "Maintenance"
    with pytest.raises(frappe.UpdateAfterSubmitError):
        so.save()


def test_cancel_of_draft(frappe_site, company):
    from test_standin_erpnext import make_sales_order

    so = make_sales_order(company)
    with pytest.raises(frappe.DocstatusTransitionError):
        so.cancel()


def test_submit_of_non_submittable(frappe_site):
    item = _item().insert()
    with pytest.raises(frappe.DocstatusTransitionError):
        item.submit()


def test_timestamp_mismatch(frappe_site):
    item = _item().insert()
    first = frappe.get_doc("Item", item.name)
    second = frappe.get_doc("Item", item.name)
    first.item_name = "first"
    first.save()
    second.item_name = "second"
    with pytest.raises(frappe.TimestampMismatchError):
        second.save()


def test_permissions_for_guest(frappe_site):
    frappe.set_user("Guest")
    try:
        with pytest.raises(frappe.PermissionError):
            _item().insert()
        with pytest.raises(frappe.PermissionError):
            frappe.get_list("Item")
        assert isinstance(frappe.get_all("Item", limit=1), list)
        _item().insert(ignore_permissions=True)
    finally:
        frappe.set_user("Administrator")
