# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document


class CommerceSyncJob(Document):
    """One unit of sync work in the persistent queue (both directions).

    Status moves Queued -> Processing -> Done, or -> Failed (retried with backoff)
    -> Dead after the store's max retries; Superseded when a newer change for the
    same record was queued first. Claiming is atomic (see ``wix_commerce_sync.queue``).
    """


# The claim's index (persistence/job_store.py): equality on status and store, then the claim order. With it a
# ``FOR UPDATE SKIP LOCKED ... LIMIT n`` reads (and locks) only the rows it returns, whatever the history;
# without it InnoDB scans the table and, under REPEATABLE READ, locks every row it scanned.
CLAIM_INDEX = "claim_index"
CLAIM_INDEX_FIELDS = ["status", "store", "next_attempt_at", "creation"]


def on_doctype_update():
    """Frappe runs this after it syncs the DocType (install, migrate)."""
    import frappe

    frappe.db.add_index("Commerce Sync Job", CLAIM_INDEX_FIELDS, index_name=CLAIM_INDEX)
