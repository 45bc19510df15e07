"""``bench --site SITE commerce-sync ...``: the manual actions from a terminal (as Administrator)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from frappe.commands import get_site, pass_context


def _run(context, method: str, **kwargs):
    import frappe

    site = get_site(context)
    frappe.init(site=site)
    frappe.connect()
    try:
        frappe.set_user("Administrator")
        from wix_commerce_sync.api import actions

        result = getattr(actions, method)(**{k: v for k, v in kwargs.items() if v is not None})
        frappe.db.commit()
        click.echo(json.dumps(result, indent=2, default=str))
    finally:
        frappe.destroy()


@click.group("commerce-sync")
def commerce_sync():
    """Sync ERPNext with Wix, WooCommerce and Shopify stores."""


def _store_command(name: str, method: str, help_text: str):
    @commerce_sync.command(name, help=help_text)
    @click.argument("store")
    @pass_context
    def command(context, store):
        _run(context, method, store=store)

    return command


_store_command("test-connection", "test_connection", "Check the store's credentials.")
_store_command("register-webhooks", "register_webhooks", "Register (again) the store's webhooks.")
_store_command("unregister-webhooks", "unregister_webhooks", "Remove the store's webhooks.")
_store_command("webhook-status", "webhook_status", "List the store's webhooks.")
_store_command("status", "sync_status", "Sync status per entity.")


@commerce_sync.command("process-queue")
@click.argument("store")
@pass_context
def process_queue(context, store):
    """Process the store's sync queue now (in this process)."""
    _run(context, "process_queue_now", store=store, wait=1)


@commerce_sync.command("full-sync")
@click.argument("store")
@click.option("--since", help="orders since this date-time (default: the store's backfill days)")
@pass_context
def full_sync(context, store, since):
    """Queue a full sync from the store (products, customers, recent orders)."""
    _run(context, "full_sync", store=store, since=since)


@commerce_sync.command("sync-orders")
@click.argument("store")
@click.option("--status", help="store statuses, comma separated")
@click.option("--since", help="date-time (default: last 60 days)")
@click.option("--limit", type=int)
@pass_context
def sync_orders(context, store, status, since, limit):
    """Read orders from the store and apply them; prints total, synced, failed, errors."""
    _run(context, "sync_orders", store=store, status=status, since=since, limit=limit)


@commerce_sync.command("sync-product")
@click.argument("store")
@click.argument("external_id")
@pass_context
def sync_product(context, store, external_id):
    _run(context, "sync_product", store=store, external_id=external_id)


@commerce_sync.command("sync-customer")
@click.argument("store")
@click.argument("external_id")
@pass_context
def sync_customer(context, store, external_id):
    _run(context, "sync_customer", store=store, external_id=external_id)


@commerce_sync.command("process-order")
@click.argument("store")
@click.option("--order-id")
@click.option("--payload-file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def process_order(context, store, order_id, payload_file):
    """Process one order by its store id or from a platform payload file."""
    payload = Path(payload_file).read_text(encoding="utf-8") if payload_file else None
    _run(context, "process_order", store=store, order_id=order_id, payload=payload)


@commerce_sync.command("update-fulfilment")
@click.argument("store")
@click.argument("delivery_note")
@pass_context
def update_fulfilment(context, store, delivery_note):
    _run(context, "update_fulfilment", store=store, delivery_note=delivery_note)


@commerce_sync.command("push-stock")
@click.argument("store")
@click.argument("sku")
@pass_context
def push_stock(context, store, sku):
    _run(context, "push_stock", store=store, sku=sku)


@commerce_sync.command("retry-failed")
@click.argument("store", required=False)
@pass_context
def retry_failed(context, store):
    _run(context, "retry_failed", store=store)


@commerce_sync.command("find-duplicates")
@pass_context
def find_duplicates(context):
    _run(context, "find_duplicate_customers")


@commerce_sync.command("preview")
@click.argument("store")
@click.argument("entity", type=click.Choice(["order", "product", "customer"]))
@click.argument("payload_file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def preview(context, store, entity, payload_file):
    """Print the ERPNext documents a platform payload would make (writes nothing)."""
    _run(context, "preview", store=store, entity=entity, payload=Path(payload_file).read_text(encoding="utf-8"))


commands = [commerce_sync]
