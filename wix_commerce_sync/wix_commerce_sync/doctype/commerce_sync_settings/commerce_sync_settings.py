# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

from frappe.model.document import Document


class CommerceSyncSettings(Document):
    pass
