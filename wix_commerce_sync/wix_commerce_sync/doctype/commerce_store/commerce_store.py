# Copyright (c) 2026, wix_commerce_sync developers
# License: MIT. See LICENSE

import frappe
from frappe import _
from frappe.model.document import Document

from wix_commerce_sync.connectors.http import validate_store_url
from wix_commerce_sync.sync.errors import ConfigurationError
from wix_commerce_sync.sync.models import Platform
from wix_commerce_sync.sync.status_map import DEFAULT_STATUS_ROWS

REQUIRED_CREDENTIALS = {
    "Shopify": (("access_token",), ("client_id", "client_secret")),
    "WooCommerce": (("consumer_key", "consumer_secret"),),
    "Wix": (("api_key", "wix_site_id"), ("app_id", "app_secret", "instance_id")),
}


class CommerceStore(Document):
    def validate(self):
        self.validate_url()
        self.prefill_status_mappings()
        self.validate_warehouses()

    def validate_url(self):
        url = self.store_url or ""
        if self.platform == "Shopify" and "://" not in url:
            url = "https://" + url
        try:
            self.store_url = validate_store_url(url, allow_insecure_loopback=bool(self.allow_insecure_http))
        except ConfigurationError as exc:
            hint = ""
            if "https" in exc.message and _is_loopback(url):
                hint = " " + _("For a test store on this machine, tick 'Test store on this machine' (developer mode).")
            frappe.throw(exc.message[:1].upper() + exc.message[1:] + "." + hint, title=_("Invalid Store URL"))

    def prefill_status_mappings(self):
        """Fill the status table with the platform's defaults the first time (editable after)."""
        if self.status_mappings or not self.platform:
            return
        for store_status, erp_status, direction in DEFAULT_STATUS_ROWS[Platform(self.platform)]:
            self.append(
                "status_mappings",
                {"store_status": store_status, "erp_status": erp_status.value, "direction": direction},
            )

    def validate_warehouses(self):
        seen = set()
        for row in self.warehouse_mappings:
            key = (row.warehouse, row.location_id or "")
            if key in seen:
                frappe.throw(_("Row {0}: warehouse {1} is mapped to the same location twice").format(row.idx, row.warehouse))
            seen.add(key)

    def has_credentials(self) -> bool:
        """True when one complete credential set for the platform is filled in."""
        for fields in REQUIRED_CREDENTIALS.get(self.platform, ()):
            if all(self.get(f) for f in fields):
                return True
        return False


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")
