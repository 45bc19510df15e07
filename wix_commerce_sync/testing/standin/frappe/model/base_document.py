"""frappe.model.base_document (re-exports from the stand-in's document module)."""

from frappe.model.document import BaseDocument, get_controller, import_controller  # noqa: F401
