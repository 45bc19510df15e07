# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document

from wix_commerce_sync.sync.keys import record_key


class CommerceCustomerMapping(Document):
    """Links one ERPNext Customer to one store customer; ``customer_key`` is unique in the database."""

    def validate(self):
        self.customer_key = record_key(self.store, self.external_customer_id)
