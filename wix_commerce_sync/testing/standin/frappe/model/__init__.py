"""Field-type constants from frappe/model/__init__.py (v15)."""

data_fieldtypes = (
    "Currency", "Int", "Long Int", "Float", "Percent", "Check", "Small Text", "Long Text", "Code", "Text Editor",
    "Markdown Editor", "HTML Editor", "Date", "Datetime", "Time", "Text", "Data", "Link", "Dynamic Link", "Password",
    "Select", "Rating", "Read Only", "Attach", "Attach Image", "Signature", "Color", "Barcode", "Geolocation",
    "Duration", "Icon", "Phone", "Autocomplete", "JSON",
)
float_like_fields = ("Float", "Currency", "Percent")
datetime_fields = ("Datetime", "Date", "Time")
attachment_fieldtypes = ("Attach", "Attach Image")
no_value_fields = (
    "Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect", "Button", "Image", "Fold",
    "Heading",
)
display_fieldtypes = ("Section Break", "Column Break", "Tab Break", "HTML", "Button", "Image", "Fold", "Heading")
numeric_fieldtypes = ("Currency", "Int", "Long Int", "Float", "Percent", "Check")
data_field_options = ("Email", "Name", "Phone", "URL", "Barcode")
default_fields = ("doctype", "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
child_table_fields = ("parent", "parentfield", "parenttype")
optional_fields = ("_user_tags", "_comments", "_assign", "_liked_by", "_seen")
table_fields = ("Table", "Table MultiSelect")
log_types = (
    "Version", "Error Log", "Scheduled Job Log", "Event Sync Log", "Event Update Log", "Access Log", "View Log",
    "Activity Log", "Energy Point Log", "Notification Log", "Email Queue", "DocShare", "Document Follow", "Console Log",
)
# Column types (MariaDB type_map, frappe/database/mariadb/database.py): varchar(140) ones are length-checked.
varchar_fieldtypes = ("Data", "Link", "Dynamic Link", "Select", "Read Only", "Color", "Icon", "Phone", "Autocomplete")
int_fieldtypes = ("Int", "Check", "Long Int")


def get_permitted_fields(doctype, parenttype=None, user=None, permission_type=None, *, ignore_virtual=False):
    import frappe

    meta = frappe.get_meta(doctype)
    return list(meta.get_valid_columns())
