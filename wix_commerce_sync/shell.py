"""Glue between the Commerce Store record and the pure core: config, settings, engine.

Secrets are read with ``doc.get_password`` only here, are handed to the connector, and are never logged.

Per-store cache: a store's config (decrypted secrets included) and settings are built once per process and kept in
this process's memory only (secrets never go to Redis). Redis holds a version token per store; saving or deleting
the store (doc_events, after the commit) or the Commerce Sync Settings drops the token, and every process rebuilds
on its next use. So a webhook costs no store read, no password decryption, no settings read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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

CONFIG_VERSIONS = "wix_commerce_sync:store_config_version"  # redis hash: store -> version token
LAST_WEBHOOK = "wix_commerce_sync:last_webhook_at"  # redis hash: store -> time of the last accepted delivery


@dataclass(frozen=True)
class StoreEntry:
    """What the accept path and the engine need of a store, built from one read of the document."""

    name: str
    platform: str
    enabled: bool
    config: StoreConfig
    settings: StoreSettings
    debug_logging: bool
    version: str


_ENTRIES: dict[tuple[str, str], StoreEntry] = {}  # (site, store) -> entry; this process only


def store_entry(store_name: str) -> StoreEntry | None:
    """The store's cached config and settings (None when there is no such store)."""
    key = (frappe.local.site, store_name)
    cache = frappe.cache()
    version = cache.hget(CONFIG_VERSIONS, store_name)
    entry = _ENTRIES.get(key)
    if entry is not None and version is not None and entry.version == version:
        return entry
    if version is None:  # a token first, then the read: a save committed after this read drops the token
        version = frappe.generate_hash(length=12)
        cache.hset(CONFIG_VERSIONS, store_name, version)
    if not frappe.db.exists(STORE, store_name):
        _ENTRIES.pop(key, None)
        return None
    doc = frappe.get_doc(STORE, store_name)
    entry = StoreEntry(name=doc.name, platform=doc.platform, enabled=bool(doc.enabled), config=store_config(doc),
                       settings=store_settings(doc), version=version,
                       debug_logging=bool(frappe.db.get_single_value("Commerce Sync Settings", "debug_logging")))  # fmt: skip
    _ENTRIES[key] = entry
    return entry


def invalidate_store_cache(doc, method=None) -> None:
    """doc_events of Commerce Store (on_update, on_trash) and Commerce Sync Settings (on_update)."""
    site = frappe.local.site
    store = doc.name if doc.doctype == STORE else None

    def drop() -> None:
        for key in [k for k in _ENTRIES if k[0] == site and (store is None or k[1] == store)]:
            _ENTRIES.pop(key, None)
        if store is None:
            frappe.cache().delete_value(CONFIG_VERSIONS)
        else:
            frappe.cache().hdel(CONFIG_VERSIONS, store)

    drop()  # this process sees its own uncommitted change at once
    frappe.db.after_commit.add(drop)  # every process, once the change is visible to them
    frappe.db.after_rollback.add(drop)  # an entry built from the rolled-back change is gone too


def note_webhook(store_name: str) -> None:
    """Remember the last accepted delivery in the cache: no write to the store's row, which every
    concurrent delivery to that store would otherwise queue on."""
    frappe.cache().hset(LAST_WEBHOOK, store_name, frappe.utils.now_datetime())


def last_webhook_at(store_name: str, stored: datetime | None = None) -> datetime | None:
    """The last accepted delivery (the cache), else what the store row kept from before (``stored``: the row's
    ``last_webhook_at`` when the caller already has it)."""
    cached = frappe.cache().hget(LAST_WEBHOOK, store_name)
    if cached:
        return cached
    return stored if stored is not None else frappe.db.get_value(STORE, store_name, "last_webhook_at")


def persist_last_webhook_times() -> int:
    """Copy each store's last-delivery time from the cache to its row (hourly: the accept path never writes the
    shared store row, so deliveries do not queue on its lock); the row survives a cache flush. Returns rows updated."""
    updated = 0
    for row in frappe.get_all(STORE, fields=["name", "last_webhook_at"]):
        cached = frappe.cache().hget(LAST_WEBHOOK, row.name)
        if cached and (not row.last_webhook_at or frappe.utils.get_datetime(cached) > frappe.utils.get_datetime(row.last_webhook_at)):
            frappe.db.set_value(STORE, row.name, "last_webhook_at", cached, update_modified=False)
            updated += 1
    return updated


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
    entry = store_entry(store_name)
    if entry is None:
        raise frappe.DoesNotExistError(f"{STORE} {store_name} not found")
    connector = CONNECTOR_OVERRIDES.get(store_name) or make_connector(entry.config)
    secrets = connector.config.secret_values() + entry.config.secret_values()
    return SyncEngine(
        entry.settings, connector, adapter or ErpNextAdapter(), FrappeJobStore(),
        FrappeStateStore(), FrappeSyncLogger(secrets, debug=entry.debug_logging),
        worker=f"{frappe.local.site or 'site'}:{frappe.generate_hash(length=8)}",
    )  # fmt: skip


def store_secrets(store_name: str) -> list[str]:
    """Every secret value of a store (for redaction only)."""
    entry = store_entry(store_name)
    return entry.config.secret_values() if entry else []
