"""ERPNext side of the sync: pure document builders (``documents``) and the frappe adapter (``adapter``)."""
