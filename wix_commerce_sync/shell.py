"""Glue between the Commerce Store record and the pure core: config, settings, engine.

Secrets are read with ``doc.get_password`` only here, are handed to the connector, and are never logged.
"""

from __future__ import annotations

from datetime import timedelta

import frappe

from wix_commerce_sync.connectors.base import Connector, StoreConfig
from wix_commerce_sync.connectors.registry import make_connector
from wix_commerce_sync.erpnext.adapter import ErpNextAdapter
from wix_commerce_sync.persistence.job_store import FrappeJobStore
from wix_commerce_sync.persistence.state import FrappeStateStore, FrappeSyncLogger
from wix_commerce_sync.sync.engine import SyncEngine
from wix_commerce_sync.sync.models import Direction, Entity, OrderStatus, Platform
from wix_commerce_sync.sync.settings import StoreSettings
from wix_commerce_sync.sync.status_map import StatusMap, StatusRow

STORE = "Commerce Store"
SECRET_FIELDS = ("access_token", "client_secret", "consumer_key", "consumer_secret", "api_key", "app_secret", "webhook_secret")
PLAIN_CREDENTIALS = ("client_id", "app_id", "instance_id")

# Tests and the sandbox inject connectors here, keyed by Commerce Store name.
CONNECTOR_OVERRIDES: dict[str, Connector] = {}


def _password(doc, field: str) -> str | None:
    try:
        return doc.get_password(field, raise_exception=False) or None
    except Exception:  # an unset password field
        return None


def store_config(store_doc) -> StoreConfig:
    credentials = {f: _password(store_doc, f) for f in SECRET_FIELDS if f != "webhook_secret"}
    credentials.update({f: store_doc.get(f) for f in PLAIN_CREDENTIALS})
    credentials = {k: v for k, v in credentials.items() if v}
    platform = Platform(store_doc.platform)
    webhook_secret = _password(store_doc, "webhook_secret")
    if platform is Platform.WIX:
        webhook_secret = store_doc.wix_public_key or webhook_secret
    elif platform is Platform.SHOPIFY and not webhook_secret:
        webhook_secret = credentials.get("client_secret")  # Shopify signs app webhooks with the app secret
    options: dict = {"api_refund": bool(store_doc.refund_money_on_store)}  # WooCommerce: move money or only record
    if store_doc.get("stock_conflict_policy") == "Skip and report a conflict":  # Shopify stale changeFromQuantity
        options["stale_stock_policy"] = "skip"
    locations = [row.location_id for row in store_doc.get("warehouse_mappings") or [] if row.location_id]
    if locations:
        options["location_id"] = locations[0]
    return StoreConfig(
        name=store_doc.name, platform=platform, base_url=store_doc.store_url, credentials=credentials,
        webhook_secret=webhook_secret, api_version=store_doc.api_version, site_id=store_doc.wix_site_id,
        currency=store_doc.currency, options=options, allow_insecure_http=bool(store_doc.allow_insecure_http),
    )  # fmt: skip


def store_settings(store_doc) -> StoreSettings:
    directions = {
        Entity.ITEMS: Direction(store_doc.items_direction or Direction.BIDIRECTIONAL.value),
        Entity.STOCK: Direction(store_doc.stock_direction or Direction.ERP_TO_STORE.value),
        Entity.ORDERS: Direction(store_doc.orders_direction or Direction.BIDIRECTIONAL.value),
        Entity.CUSTOMERS: Direction(store_doc.customers_direction or Direction.STORE_TO_ERP.value),
    }
    if not store_doc.enabled:
        directions = dict.fromkeys(directions, Direction.DISABLED)
    rows = [StatusRow(r.store_status, OrderStatus(r.erp_status), r.direction or "both")
            for r in store_doc.get("status_mappings") or []]  # fmt: skip
    alert_after = frappe.db.get_single_value("Commerce Sync Settings", "alert_after_failures") or 3
    return StoreSettings(
        name=store_doc.name, platform=Platform(store_doc.platform), directions=directions,
        conflict_winner=store_doc.conflict_winner or "ERPNext", max_retries=int(store_doc.max_retries or 5),
        batch_size=int(store_doc.outbox_batch_size or 100), flush_max_age=timedelta(seconds=60),
        status_map=StatusMap(rows) if rows else None, alert_after_failures=int(alert_after),
        disable_items_deleted_on_store=bool(store_doc.get("disable_items_deleted_on_store")),
    )  # fmt: skip


def get_connector(store_doc) -> Connector:
    override = CONNECTOR_OVERRIDES.get(store_doc.name)
    if override is not None:
        return override
    return make_connector(store_config(store_doc))


def get_engine(store_name: str, *, adapter: ErpNextAdapter | None = None) -> SyncEngine:
    store_doc = frappe.get_doc(STORE, store_name)
    connector = get_connector(store_doc)
    secrets = connector.config.secret_values() + store_config(store_doc).secret_values()
    return SyncEngine(
        store_settings(store_doc), connector, adapter or ErpNextAdapter(), FrappeJobStore(),
        FrappeStateStore(), FrappeSyncLogger(secrets),
        worker=f"{frappe.local.site or 'site'}:{frappe.generate_hash(length=8)}",
    )  # fmt: skip


def store_secrets(store_name: str) -> list[str]:
    """Every secret value of a store (for redaction only)."""
    return store_config(frappe.get_doc(STORE, store_name)).secret_values()
