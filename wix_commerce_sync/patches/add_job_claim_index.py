"""Sites installed before the claim index: add it (the DocType's on_doctype_update runs only when its JSON is
re-imported). Idempotent: ``frappe.db.add_index`` does nothing when the index exists."""

from wix_commerce_sync.wix_commerce_sync.doctype.commerce_sync_job.commerce_sync_job import on_doctype_update


def execute():
    on_doctype_update()
