# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document

from wix_commerce_sync.sync.keys import record_key


class CommerceSyncState(Document):
    """Per-record sync state (newest update applied, content hashes); one row per store record."""

    def validate(self):
        self.state_key = record_key(self.store, self.entity, self.record)
