# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document

from wix_commerce_sync.sync.keys import record_key


class CommerceItemMapping(Document):
    """Links one ERPNext Item to one store variant.

    ``variant_key`` and ``item_key`` are unique columns, so the database itself
    refuses a second mapping for the same store variant or the same item.
    """

    def validate(self):
        self.item_key = record_key(self.store, self.item_code)
        self.variant_key = record_key(self.store, self.external_variant_id) if self.external_variant_id else None
