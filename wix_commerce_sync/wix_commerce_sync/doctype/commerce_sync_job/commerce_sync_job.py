# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document


class CommerceSyncJob(Document):
    """One unit of sync work in the persistent queue (both directions).

    Status moves Queued -> Processing -> Done, or -> Failed (retried with backoff)
    -> Dead after the store's max retries; Superseded when a newer change for the
    same record was queued first. Claiming is atomic (see ``wix_commerce_sync.queue``).
    """
