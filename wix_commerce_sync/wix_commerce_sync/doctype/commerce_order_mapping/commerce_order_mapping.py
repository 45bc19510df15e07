# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document

from wix_commerce_sync.sync.keys import record_key


class CommerceOrderMapping(Document):
    """The identity of a store order in ERPNext.

    It is inserted in the same transaction as the Sales Order, and ``order_key``
    is a unique column: a second Sales Order for the same store order cannot be
    committed, even when two workers handle the same webhook at once.
    """

    def validate(self):
        self.order_key = record_key(self.store, self.external_order_id)
