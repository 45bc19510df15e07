"""The sync engine: decides what changes where, for one store.

Inbound (store -> ERP): a verified webhook or a polled record becomes an inbound
job; applying it drops duplicates (queue dedupe key), stale events (ordering key
older than the last applied), echoes of our own pushes (content hash equals the
last pushed) and unchanged records, resolves both-sides-changed conflicts by the
store's policy, then calls the ERP port.

Outbound (ERP -> store): changes are queued as jobs (a newer change for the same
record supersedes the older queued one; unchanged content is never queued), then
flushed in batches by size or age through the connector's batch calls, with
per-row results; an upsert batch writes each record once, as its newest change
(a retried job next to a newer job of the same record shares its outcome).

Every failure is retried with exponential backoff up to the store's max retries,
then the job is Dead; both are logged, and administrators are alerted once a job
has failed ``alert_after_failures`` times.
"""

from __future__ import annotations

import socket
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from wix_commerce_sync.connectors.base import Connector, WebhookEvent, stock_key
from wix_commerce_sync.connectors.http import redact
from wix_commerce_sync.sync import queue as q
from wix_commerce_sync.sync.errors import RateLimitedError, SyncError
from wix_commerce_sync.sync.keys import content_hash, record_key
from wix_commerce_sync.sync.models import (
    Customer,
    DeletedRecord,
    Entity,
    Fulfilment,
    Order,
    OrderStatus,
    OrderStatusUpdate,
    Product,
    Refund,
    StockLevel,
    WriteResult,
    cents,
)
from wix_commerce_sync.sync.ports import ErpPort, LogEntry, OutboundChange, RecordState, StateStore, SyncLogger
from wix_commerce_sync.sync.serialize import dumps, loads, to_data
from wix_commerce_sync.sync.settings import ConflictWinner, StoreSettings

SUCCESS, FAILED, SKIPPED, CONFLICT, PARTIAL = "Success", "Failed", "Skipped", "Conflict", "Partial"
ORDERING_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def ordering_key_for(updated_at: datetime | None, fallback: str | None = None) -> str | None:
    """One sortable format for every source (webhook or poll): ISO UTC with microseconds."""
    if updated_at is None:
        return fallback
    return updated_at.astimezone(timezone.utc).strftime(ORDERING_FORMAT)


# ---------------------------------------------------------------- projections


def projection(entity: Entity, record: Any) -> Any:
    """The part of a record that, when equal, means 'nothing to sync' (echo and no-op detection)."""
    if entity is Entity.ITEMS and isinstance(record, Product):
        return {
            "title": record.title,
            "variants": sorted(
                (v.sku or v.external_id or "", str(cents(v.price)), sorted(v.options.items())) for v in record.variants
            ),
        }
    if entity is Entity.STOCK and isinstance(record, StockLevel):
        return str(record.quantity.normalize() if record.quantity == record.quantity.to_integral() else record.quantity)
    if entity is Entity.CUSTOMERS and isinstance(record, Customer):
        return [(record.email or "").lower(), record.first_name, record.last_name, record.phone]
    return to_data(record)  # orders and actions: the whole content


def record_identity(entity: Entity, record: Any) -> str:
    if isinstance(record, StockLevel):
        return stock_key(record)
    if isinstance(record, (Product, Customer, Order)):
        return record.external_id or (getattr(record, "email", None) or "")
    return ""


# ---------------------------------------------------------------- results


@dataclass
class RunStats:
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: RunStats) -> None:
        self.processed += other.processed
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.skipped += other.skipped
        self.errors += other.errors


@dataclass
class WebhookOutcome:
    status: str  # queued | duplicate | ping | ignored
    job: str | None = None
    event: WebhookEvent | None = None


class SyncEngine:
    def __init__(
        self,
        settings: StoreSettings,
        connector: Connector,
        erp: ErpPort,
        jobs: q.JobStore,
        state: StateStore,
        logger: SyncLogger,
        *,
        clock: Callable[[], datetime] = utcnow,
        retry_policy: q.RetryPolicy | None = None,
        worker: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = settings.name
        self.connector = connector
        self.erp = erp
        self.jobs = jobs
        self.state = state
        self.logger = logger
        self.clock = clock
        self.retry_policy = retry_policy or q.RetryPolicy()
        self.worker = worker or f"{socket.gethostname()}:{id(self):x}"

    # ================================================================ inbound

    def accept_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        """Verify, parse and queue one delivery. Raises WebhookVerificationError (-> 401)."""
        self.connector.verify_webhook(body, headers)
        event = self.connector.parse_webhook(body, headers)
        if event.is_ping:
            return WebhookOutcome("ping", event=event)
        if not self.settings.direction(event.entity).inbound:
            self._log(event.entity, q.INBOUND, f"webhook {event.topic}", SKIPPED,
                      message=f"{event.entity.value} sync from the store is disabled for this store")  # fmt: skip
            return WebhookOutcome("ignored", event=event)
        job = self.enqueue_inbound(event)
        return WebhookOutcome("queued" if job else "duplicate", job=job.name if job else None, event=event)

    def enqueue_inbound(self, event: WebhookEvent) -> q.Job | None:
        ordering = ordering_key_for(getattr(event.record, "updated_at", None), event.ordering_key)
        return self.jobs.enqueue(
            q.NewJob(
                store=self.store,
                entity=event.entity.value,
                direction=q.INBOUND,
                action=event.action,
                dedupe_key=record_key(self.store, "in", event.dedupe_key),
                record_key=record_key(self.store, event.entity.value, event.external_id or event.dedupe_key),
                payload=dumps(event.record),
                external_id=event.external_id,
                ordering_key=ordering,
                topic=event.topic,
            ),
            self.clock(),
        )

    def run_inbound_jobs(self, limit: int = 100, entity: Entity | None = None) -> RunStats:
        stats = RunStats()
        for job in self.jobs.claim(self.worker, self.clock(), limit, store=self.store,
                                   entity=entity.value if entity else None, direction=q.INBOUND):  # fmt: skip
            stats.processed += 1
            try:
                outcome = self.apply_inbound(
                    Entity(job.entity), loads(job.payload), ordering_key=job.ordering_key, action=job.action, job=job.name,
                    external_id=job.external_id,
                )
            except Exception as exc:  # every failure is retried and logged, never swallowed
                stats.failed += 1
                stats.errors.append(self._job_failed(job, exc))
                continue
            self.jobs.complete(job, self.clock())
            if outcome == SUCCESS:
                stats.succeeded += 1
            else:
                stats.skipped += 1
        return stats

    def apply_inbound(self, entity: Entity, record: Any, *, ordering_key: str | None = None,
                      action: str = "upsert", job: str | None = None, external_id: str | None = None) -> str:  # fmt: skip
        """Apply one store record to the ERP; returns Success, Skipped or Conflict."""
        if not self.settings.direction(entity).inbound:
            return self._skip(entity, "direction", f"{entity.value} sync from the store is disabled", job)
        if action == "deleted" or isinstance(record, DeletedRecord):
            return self._in_deleted(entity, self._deleted_record(entity, record, external_id), ordering_key, job)
        if entity is Entity.ORDERS and isinstance(record, Refund):
            # a refund delivery is applied as its order's current state, read here in the worker (never while the
            # platform waits for the webhook's answer)
            record = self.connector.get_order(record.order_id)
        handler = {
            Entity.ITEMS: self._in_product,
            Entity.STOCK: self._in_stock,
            Entity.CUSTOMERS: self._in_customer,
            Entity.ORDERS: self._in_order,
        }[entity]
        self._applying_since = time.perf_counter()  # the log rows of this record carry its duration
        try:
            return handler(record, ordering_key, action, job)
        finally:
            self._applying_since = None

    # ---------------------------------------------------------------- deleted on the store

    @staticmethod
    def _deleted_record(entity: Entity, record: Any, external_id: str | None) -> DeletedRecord | None:
        """The deletion as a DeletedRecord, also from older jobs that carried a full record or nothing."""
        if isinstance(record, DeletedRecord):
            return record
        ident = getattr(record, "external_id", None) or external_id
        return DeletedRecord(entity=entity, external_id=str(ident)) if ident else None

    def _in_deleted(self, entity: Entity, deleted: DeletedRecord | None, ordering_key: str | None, job: str | None) -> str:
        """A record deleted or trashed on the store: unlink and tell, never delete or cancel anything in ERPNext."""
        if deleted is None:
            return self._skip(entity, "deleted", "a deletion without a record id: nothing to unlink", job)
        handler = {
            Entity.ITEMS: self._deleted_product,
            Entity.CUSTOMERS: self._deleted_customer,
            Entity.ORDERS: self._deleted_order,
        }.get(entity)
        if handler is None:  # stock levels have no deletion of their own
            return self._skip(entity, "deleted", f"{deleted.external_id}: {entity.value} has no deletion to apply", job)
        outcome = handler(deleted, job)
        self._remember_pulled(entity, deleted.external_id, None, ordering_key)  # older updates are now stale
        return outcome

    def _deleted_product(self, deleted: DeletedRecord, job: str | None) -> str:
        disable = self.settings.disable_items_deleted_on_store
        result = self.erp.delete_product(self.store, deleted.external_id, disable_items=disable)
        if result is None:
            return self._skip(Entity.ITEMS, "deleted", f"product {deleted.external_id} deleted on the store: no mapped item", job)
        self._log(Entity.ITEMS, q.INBOUND, "product deleted on store", SUCCESS, job=job, reference=result,
                  message=f"product {deleted.external_id} deleted on the store: {result.message}")  # fmt: skip
        return SUCCESS

    def _deleted_customer(self, deleted: DeletedRecord, job: str | None) -> str:
        result = self.erp.delete_customer(self.store, deleted.external_id)
        if result is None:
            return self._skip(Entity.CUSTOMERS, "deleted",
                              f"customer {deleted.external_id} deleted on the store: no mapped customer", job)
        self._log(Entity.CUSTOMERS, q.INBOUND, "customer deleted on store", SUCCESS, job=job, reference=result,
                  message=f"customer {deleted.external_id} deleted on the store: {result.message}")  # fmt: skip
        return SUCCESS

    def _deleted_order(self, deleted: DeletedRecord, job: str | None) -> str:
        result = self.erp.order_deleted(self.store, deleted.external_id)
        if result is None:
            return self._skip(Entity.ORDERS, "deleted", f"order {deleted.external_id} deleted on the store: "
                                                        "it has no Sales Order", job)
        if not result.changed:  # already completed, closed or cancelled: nothing for anyone to do
            self._log(Entity.ORDERS, q.INBOUND, "order deleted on store", SKIPPED, job=job, reference=result,
                      message=f"order {deleted.external_id} deleted on the store: {result.message}")  # fmt: skip
            return SKIPPED
        # still open in ERPNext: flagged for a person, never cancelled silently
        self._log(Entity.ORDERS, q.INBOUND, "order deleted on store", CONFLICT, job=job, reference=result,
                  message=f"order {deleted.external_id} was deleted on the store but {result.name} is still open "
                          f"in ERPNext: review it (it was not cancelled). {result.message or ''}".strip())  # fmt: skip
        return CONFLICT

    # ---------------------------------------------------------------- upserts

    def _in_product(self, product: Product, ordering_key, action, job) -> str:
        key = product.external_id or ""
        if not product.variants:  # a WooCommerce variable product before its variations exist (our own create's
            # first event among them): nothing sellable to map yet; the event that adds variants brings them
            return self._skip(Entity.ITEMS, "empty", f"{key}: {product.title!r} has no variants yet; nothing to sync", job)
        gate = self._gate(Entity.ITEMS, key, ordering_key, product, job, product.updated_at)
        if gate:
            return gate
        results = self.erp.upsert_product(self.store, product)
        self._remember_pulled(Entity.ITEMS, key, product, ordering_key)
        self._log(Entity.ITEMS, q.INBOUND, "upsert product", SUCCESS, records=len(results), job=job,
                  reference=results[0] if results else None,
                  message=f"{product.title}: {sum(r.created for r in results)} created, "
                          f"{sum(r.changed and not r.created for r in results)} updated")  # fmt: skip
        return SUCCESS

    def _in_stock(self, levels: StockLevel | Sequence[StockLevel], ordering_key, action, job) -> str:
        applied = 0
        for level in [levels] if isinstance(levels, StockLevel) else levels:
            key = stock_key(level)
            if self._gate(Entity.STOCK, key, ordering_key_for(level.updated_at, ordering_key), level, job, level.updated_at):
                continue
            result = self.erp.set_stock(self.store, level)
            self._remember_pulled(Entity.STOCK, key, level, ordering_key_for(level.updated_at, ordering_key))
            self._log(Entity.STOCK, q.INBOUND, "set stock", SUCCESS, job=job, reference=result,
                      message=f"{level.sku or key}: {level.quantity}")  # fmt: skip
            applied += 1
        return SUCCESS if applied else SKIPPED

    def _in_customer(self, customer: Customer, ordering_key, action, job) -> str:
        key = customer.external_id or (customer.email or "").lower()
        gate = self._gate(Entity.CUSTOMERS, key, ordering_key, customer, job, customer.updated_at)
        if gate:
            return gate
        result = self.erp.upsert_customer(self.store, customer)
        self._remember_pulled(Entity.CUSTOMERS, key, customer, ordering_key)
        self._log(Entity.CUSTOMERS, q.INBOUND, "upsert customer", SUCCESS, job=job, reference=result,
                  message=customer.display_name)  # fmt: skip
        return SUCCESS

    def _in_order(self, order: Order, ordering_key, action, job) -> str:
        key = order.external_id
        current = self.state.get(self.store, Entity.ORDERS.value, key, for_update=True)
        if ordering_key and current.applied_ordering_key and ordering_key < current.applied_ordering_key:
            return self._skip(Entity.ORDERS, "stale", f"order {order.number or key}: an older update than one applied", job)
        if content_hash(projection(Entity.ORDERS, order)) == current.pulled_hash:
            return self._skip(Entity.ORDERS, "unchanged", f"order {order.number or key}: no change since the last sync", job)
        existing = self.erp.find_order(self.store, key)
        if existing is None and (order.status is OrderStatus.CANCELLED or order.cancelled_at):
            self._remember_pulled(Entity.ORDERS, key, order, ordering_key)
            self._store_moved_stock(order)
            return self._skip(Entity.ORDERS, "cancelled", f"order {order.number or key} was cancelled before it reached ERPNext", job)
        if existing is None:
            result = self.erp.create_order(self.store, order)
            operation = "create order"
        elif order.status is OrderStatus.CANCELLED or order.cancelled_at:
            result = self.erp.cancel_order(self.store, order)
            operation = "cancel order"
        else:
            result = self.erp.update_order(self.store, order)
            operation = "update order"
        if result.conflict:  # the store's version could not be applied: shown to a person, not remembered as pulled
            self._log(Entity.ORDERS, q.INBOUND, operation, CONFLICT, job=job, reference=result, message=result.conflict)
            return CONFLICT
        if not (order.status is OrderStatus.CANCELLED or order.cancelled_at):
            for fulfilment in order.fulfilments:
                self.erp.record_fulfilment(self.store, order, fulfilment)
        restocked = False  # a refund the store restocked puts units back on its shelf, as a cancel does
        for refund in order.refunds:  # each applied once: the adapter dedupes on the store's refund id
            applied = self.erp.record_refund(self.store, order, refund)
            restocked = restocked or (applied.created and refund.restock)
            if applied.created:
                self._log(Entity.ORDERS, q.INBOUND, "record refund", SUCCESS, job=job, reference=applied,
                          message=f"order {order.number or key}: refund {refund.external_id} of {refund.amount}: {applied.message}")  # fmt: skip
        self._remember_pulled(Entity.ORDERS, key, order, ordering_key)
        if operation in ("create order", "cancel order") or result.changed or restocked:
            self._store_moved_stock(order)  # a new order or a status move: the store's shelf may have moved too
        self._log(Entity.ORDERS, q.INBOUND, operation, SUCCESS, job=job, reference=result,
                  message=f"order {order.number or key}: {order.total} {order.currency}")  # fmt: skip
        return SUCCESS

    def _store_moved_stock(self, order: Order) -> int:
        """The store moves its own stock with its orders: it takes a new order's units off its shelf and puts a
        cancelled order's back (WooCommerce wc_maybe_reduce/increase_stock_levels on a status change to processing,
        cancelled or pending; Shopify and Wix restock on cancel; a refund with restock). What it last got from us
        then no longer says what it shows, and ERPNext's level may not have moved (an order cancelled before ERPNext
        saw it reserved nothing; a reservation past 0 still shows 0), so ERPNext's levels of the order's SKUs go out
        again even when equal to the last push."""
        skus = sorted({line.sku for line in order.lines if line.sku})
        return self.plan_stock_push(skus=skus, store_moved=True) if skus else 0

    def _gate(self, entity: Entity, key: str, ordering_key: str | None, record: Any, job: str | None,
              updated_at: datetime | None) -> str | None:  # fmt: skip
        """Why an inbound record must not be applied (stale, echo, unchanged, conflict), or None. The record's state
        is held from here to the commit: another worker applying or pushing it waits, then sees this one's result."""
        current = self.state.get(self.store, entity.value, key, for_update=True)
        if ordering_key and current.applied_ordering_key and ordering_key < current.applied_ordering_key:
            return self._skip(entity, "stale", f"{key}: older than the update already applied", job)
        digest = content_hash(projection(entity, record))
        if digest in current.earlier_pushed and ordering_key and ordering_key == current.applied_ordering_key:
            # store times have whole seconds: an echo of an earlier push of the same second as our last push
            return self._skip(entity, "stale", f"{key}: a late echo of an earlier push, replaced by the last one", job)
        if digest == current.pushed_hash:
            self._store_shows_our_push(entity, key, ordering_key)
            # ERPNext changed since that push (an edit still on its way, or a store change applied meanwhile that
            # our push then overwrote on the store): ERPNext's version goes out again, so both sides end equal
            self._correct_store(entity, key, record, force=True, unless=(current.pushed_hash,))
            return self._skip(entity, "echo", f"{key}: the store echoes our own change", job)
        if digest == current.pulled_hash:
            return self._skip(entity, "unchanged", f"{key}: no change since the last sync", job)
        winner = self._conflict_winner(entity, key, current, updated_at)
        if winner == ConflictWinner.ERP:
            self._log(entity, q.INBOUND, "conflict", CONFLICT, job=job,
                      message=f"{key}: changed in ERPNext and on the store since the last sync; ERPNext wins")  # fmt: skip
            self._correct_store(entity, key, record, force=True)  # the loser side shows the winner's version
            return CONFLICT
        if winner == ConflictWinner.STORE:
            self._log(entity, q.INBOUND, "conflict", CONFLICT, job=job,
                      message=f"{key}: changed in ERPNext and on the store since the last sync; the store wins")  # fmt: skip
        return None

    def _store_shows_our_push(self, entity: Entity, key: str, ordering_key: str | None) -> None:
        """The store's record at ``ordering_key`` is what we pushed: a store event older than that was overwritten on
        the store by our push, so it is stale (applying it would leave ERPNext with a version the store no longer
        shows)."""
        current = self.state.get(self.store, entity.value, key, for_update=True)
        if ordering_key and (not current.applied_ordering_key or ordering_key > current.applied_ordering_key):
            current.applied_ordering_key = ordering_key
            self.state.put(self.store, entity.value, key, current)

    def _correct_store(self, entity: Entity, key: str, record: Any, *, force: bool = False,
                       unless: Sequence[str | None] = ()) -> None:  # fmt: skip
        """The store shows ``record``; when ERPNext's current version of it differs (and is none of ``unless``'s
        hashes), queue ERPNext's version for the store. ``force``: even when the store last sent or got it (what
        the store shows now is known to be something else). A record unchanged since the last sync needs no look:
        an ERPNext change since then queued its own push."""
        if entity is not Entity.ITEMS or not self.settings.direction(entity).outbound:
            return
        change = self.erp.product_for_store(self.store, key)
        if change is None:
            return
        digest = content_hash(projection(entity, change.payload))
        if digest == content_hash(projection(entity, record)) or digest in unless:
            return
        self.queue_outbound(change, store_has_it=not force)

    def _conflict_winner(self, entity: Entity, key: str, current: RecordState, updated_at: datetime | None) -> str | None:
        if current.synced_at is None or not self.settings.direction(entity).outbound:
            return None
        erp_changed = self.erp.record_modified_at(self.store, entity.value, key)
        if erp_changed is None or erp_changed <= current.synced_at:
            return None
        if updated_at is not None and updated_at <= current.synced_at:
            # the store's version is older than our last sync with it and ERPNext changed since: ERPNext's is the
            # newer (applying this one put ERPNext back to, say, what another store last got; chaos run, issue 16)
            return ConflictWinner.ERP
        winner = self.settings.conflict_winner
        if winner == ConflictWinner.NEWEST:
            return ConflictWinner.STORE if updated_at and updated_at > erp_changed else ConflictWinner.ERP
        return winner

    def _remember_pulled(self, entity: Entity, key: str, record: Any, ordering_key: str | None) -> None:
        current = self.state.get(self.store, entity.value, key, for_update=True)
        if record is not None:
            current.pulled_hash = content_hash(projection(entity, record))
        if ordering_key and (not current.applied_ordering_key or ordering_key > current.applied_ordering_key):
            current.applied_ordering_key = ordering_key
        current.synced_at = self.clock()
        self.state.put(self.store, entity.value, key, current)

    # ================================================================ reconciliation

    def poll(self, entity: Entity, *, since: datetime | None = None, statuses: Sequence[str] | None = None,
             limit: int | None = None, full: bool = False) -> RunStats:  # fmt: skip
        """Read records changed since the cursor (minus an overlap window) and apply them.

        ``full`` reads everything the store has (products through the platform's bulk export where it has
        one). A record that fails is queued as an inbound job, so the normal retry/backoff path takes over.
        The cursor moves only forward, over what was read (not after a status-filtered read).
        """
        stats = RunStats()
        if not self.settings.direction(entity).inbound:
            return stats
        explicit = since is not None or full
        cursor = self.state.get_cursor(self.store, entity.value)
        if since is None and cursor is not None and not full:
            since = cursor - self.settings.poll_overlap
        newest = cursor
        if full and entity is Entity.ITEMS:
            records = self.connector.import_products()
        else:
            records = self._read(entity, since, statuses, limit)
        for record in records:
            stats.processed += 1
            updated = getattr(record, "updated_at", None)
            try:
                outcome = self.apply_inbound(entity, record, ordering_key=ordering_key_for(updated))
            except Exception as exc:
                stats.failed += 1
                stats.errors.append(self._queue_failed_record(entity, record, exc))
            else:
                stats.succeeded += outcome == SUCCESS
                stats.skipped += outcome != SUCCESS
            if updated and (newest is None or updated > newest):
                newest = updated
            # each record kept as it is applied: a poll of every order (the desk's "Sync Orders", a backfill) held
            # all their Sales Orders and mappings locked to its end, and the webhook jobs of those orders failed on
            # them ("Document has been modified") until they went Dead (chaos run, issue 16)
            self.jobs.keep_progress()
        # a status-filtered read skipped the other statuses' records: the cursor must not pass them (an order whose
        # webhook was dropped would then escape every later reconciliation poll)
        if statuses:
            return stats
        if newest is not None and (cursor is None or newest > cursor) and not (explicit and cursor and newest < cursor):
            self.state.set_cursor(self.store, entity.value, newest)
        return stats

    def _read(self, entity: Entity, since: datetime | None, statuses, limit) -> Iterable[Any]:
        if entity is Entity.ORDERS:
            return self.connector.iter_orders(since, statuses=statuses, limit=limit)
        if entity is Entity.ITEMS:
            return self.connector.iter_products(since)
        if entity is Entity.CUSTOMERS:
            return self.connector.iter_customers(since)
        raise ValueError("stock is not polled from the store; use plan_stock_push for ERPNext -> store")

    def _queue_failed_record(self, entity: Entity, record: Any, exc: Exception) -> str:
        ident = record_identity(entity, record)
        updated = ordering_key_for(getattr(record, "updated_at", None))
        job = self.jobs.enqueue(
            q.NewJob(
                store=self.store, entity=entity.value, direction=q.INBOUND, action="upsert",
                dedupe_key=record_key(self.store, "poll", entity.value, ident, updated or self.clock().isoformat()),
                record_key=record_key(self.store, entity.value, ident), payload=dumps(record),
                external_id=ident, ordering_key=updated, topic="poll",
            ),
            self.clock(),
        )  # fmt: skip
        if job is None:
            return f"{ident}: {self._error_text(exc)} (already queued)"
        return self._job_failed(job, exc)  # counts as its first attempt; the retry path takes over

    # ================================================================ outbound

    def queue_outbound(self, change: OutboundChange, *, store_has_it: bool = True) -> q.Job | None:
        """Queue an ERP-side change for the store, unless it changes nothing there. ``store_has_it=False``: what the
        store last got (or sent) is known to be gone from it, so the change goes out even when equal to that."""
        entity = Entity(change.entity)
        if not self.settings.direction(entity).outbound:
            return None
        digest = content_hash(projection(entity, change.payload))
        if change.action == "upsert" and store_has_it:
            current = self.state.get(self.store, entity.value, change.key)
            if digest in (current.pushed_hash, current.pulled_hash):
                return None  # already there, or it just came from there (echo)
        now = self.clock()
        payload, queued_key = dumps(change.payload), record_key(self.store, entity.value, change.key, change.action)
        if self.jobs.queued_payload(queued_key) == payload:
            return None  # the very same change already waits for the next flush (a periodic re-plan finds it again)
        return self.jobs.enqueue(
            q.NewJob(
                store=self.store, entity=entity.value, direction=q.OUTBOUND, action=change.action,
                dedupe_key=record_key(self.store, "out", entity.value, change.key, change.action, digest,
                                      now.strftime(ORDERING_FORMAT)),
                record_key=queued_key,
                payload=payload, external_id=change.key, ordering_key=now.strftime(ORDERING_FORMAT),
                reference_doctype=change.reference_doctype, reference_name=change.reference_name,
            ),
            now,
        )  # fmt: skip

    def plan_stock_push(self, skus: Sequence[str] | None = None, changed_since: datetime | None = None, *,
                        store_moved: bool = False) -> int:
        """Queue absolute quantities that differ from what the store last got from us; ``store_moved``: the store
        changed these levels itself (an order's units taken off or put back), so they go out even when equal to the
        last push."""
        if not self.settings.direction(Entity.STOCK).outbound:
            return 0
        queued = 0
        for level in self.erp.stock_levels(self.store, skus, changed_since):
            change = OutboundChange(Entity.STOCK.value, stock_key(level), level)
            queued += self.queue_outbound(change, store_has_it=not store_moved) is not None
        return queued

    def outbound_due(self) -> bool:
        """Any outbound job a flush would push now (fresh, a failed one whose retry time has come, or orphaned)."""
        return self.jobs.due_count(self.store, q.OUTBOUND, self.clock()) > 0

    def flush_due(self, entity: Entity) -> bool:
        """A part batch waits for more rows until its oldest row is ``flush_max_age`` old."""
        oldest = self.jobs.oldest_queued_at(self.store, entity.value, q.OUTBOUND)
        if oldest is None:
            return False
        waiting = self.jobs.queued_count(self.store, entity.value, q.OUTBOUND)
        return waiting >= self.settings.batch_size or self.clock() - oldest >= self.settings.flush_max_age

    def flush_outbound(self, entity: Entity, *, force: bool = True) -> RunStats:
        """Send queued outbound jobs of one entity in batches; one WriteResult per job."""
        stats = RunStats()
        if not force and not self.flush_due(entity):
            return stats
        while True:
            batch = self.jobs.claim(self.worker, self.clock(), self.rows_per_call(entity), store=self.store,
                                    entity=entity.value, direction=q.OUTBOUND)  # fmt: skip
            if not batch:
                return stats
            by_action: dict[str, list[q.Job]] = defaultdict(list)
            for job in batch:
                by_action[job.action].append(job)
            for action, jobs in by_action.items():
                stats.add(self._push(entity, action, jobs))

    def rows_per_call(self, entity: Entity) -> int:
        """As many rows per API call as the platform's batch endpoint takes (Shopify stock: 250)."""
        caps = self.connector.capabilities
        declared = {
            Entity.ITEMS: caps.product_batch_size, Entity.STOCK: caps.stock_batch_size,
            Entity.CUSTOMERS: caps.customer_batch_size, Entity.ORDERS: caps.order_batch_size,
        }[entity]  # fmt: skip
        return declared or self.settings.batch_size

    def _push(self, entity: Entity, action: str, jobs: list[q.Job]) -> RunStats:
        stats = RunStats(processed=len(jobs))
        payloads = [loads(job.payload) for job in jobs]
        # a record queued twice (a retried job next to a newer change of it) is written once, as its newest change:
        # two creates of one new record in one call would make two store records
        sent = _newest_per_record(jobs) if action == "upsert" else list(range(len(jobs)))
        unique = sorted(set(sent))
        started = time.perf_counter()
        try:
            if entity is Entity.STOCK and action == "upsert":
                payloads = self._current_levels(payloads)
            if entity is Entity.ITEMS and action == "upsert":
                payloads = self._current_products(jobs, payloads)
            records = [payloads[i] for i in sent]
            written = self._send(entity, action, [payloads[i] for i in unique])
            if len(written) != len(unique):
                raise SyncError(f"connector returned {len(written)} results for {len(unique)} rows")
            position = {index: n for n, index in enumerate(unique)}
            results = [written[position[i]] for i in sent]
        except Exception as exc:
            for job in jobs:
                stats.errors.append(self._job_failed(job, exc))
            stats.failed = len(jobs)
            return stats
        elapsed = (time.perf_counter() - started) * 1000
        for job, record, result in zip(jobs, records, results):
            if result.ok:
                self.jobs.complete(job, self.clock())
                self._remember_pushed(entity, job, record, result)
                stats.succeeded += 1
            else:
                stats.failed += 1
                stats.errors.append(self._job_failed(job, SyncError(result.error or "rejected by the store")))
        status = SUCCESS if not stats.failed else (PARTIAL if stats.succeeded else FAILED)
        self._log(entity, q.OUTBOUND, f"{action} {entity.value}", status, records=len(jobs),
                  failed=stats.failed, duration_ms=elapsed,
                  message="; ".join(stats.errors[:5]) or None)  # fmt: skip
        if entity is Entity.ITEMS and action == "upsert":
            self._stock_for_pushed([record for record, result in zip(records, results) if result.ok])
        return stats

    def _current_levels(self, levels: list[Any]) -> list[Any]:
        """Stock is pushed as ERPNext's level NOW, not the one the job was queued with: a job that waited (its
        worker killed mid-push and the claim lease passed, or a Failed retry) would otherwise put an older level
        over a newer one already pushed, and be remembered as pushed, so no later comparison corrects it."""
        skus = sorted({lv.sku for lv in levels if isinstance(lv, StockLevel) and lv.sku})
        if not skus:
            return levels
        now = {(lv.sku, lv.location_id): lv.quantity for lv in self.erp.stock_levels(self.store, skus)}
        return [replace(lv, quantity=now[(lv.sku, lv.location_id)])
                if isinstance(lv, StockLevel) and (lv.sku, lv.location_id) in now else lv for lv in levels]

    def _current_products(self, jobs: list[q.Job], products: list[Any]) -> list[Any]:
        """A product job that waited while a newer version of its record went out or came in (its worker killed
        mid-push and the claim lease passed, a Failed job retried late, a store edit applied meanwhile) would put an
        older version over the store's newer one: such a job sends ERPNext's version NOW. A job queued after the
        record's last sync is sent as is."""
        current = list(products)
        for index, (job, product) in enumerate(zip(jobs, products)):
            queued_at = _ordering_time(job.ordering_key)
            if not isinstance(product, Product) or not product.external_id or queued_at is None:
                continue  # a create: nothing newer can be on the store
            # the record's last push (keyed by its ERPNext code) or last pull (keyed by the store's id)
            synced = [self.state.get(self.store, Entity.ITEMS.value, key).synced_at
                      for key in {job.external_id or "", product.external_id}]  # fmt: skip
            if all(at is None or at <= queued_at for at in synced):
                continue
            change = self.erp.product_for_store(self.store, product.external_id)
            if change is not None:
                current[index] = change.payload
        return current

    def _stock_for_pushed(self, products: Sequence[Any]) -> None:
        """Products the store now has (maybe just made) get ERPNext's stock with the same flush, not at the next
        stock change or reconciliation: a product made for an item whose stock did not move would show no stock
        for up to an hour. Only levels that differ from the last push are queued."""
        skus = sorted({v.sku for p in products if isinstance(p, Product) for v in p.variants if v.sku})
        if not skus:
            return
        try:
            self.plan_stock_push(skus=skus)
        except Exception as exc:  # noqa: BLE001 - the product push stands; the reconciliation plans it again
            self._log(Entity.STOCK, q.OUTBOUND, "plan stock push", FAILED, records=len(skus),
                      message=f"stock of pushed products not queued: {self._error_text(exc)}")

    def _send(self, entity: Entity, action: str, records: list[Any]) -> list[WriteResult]:
        c = self.connector
        if entity is Entity.ITEMS:
            return c.upsert_products(records)
        if entity is Entity.STOCK:
            return c.set_stock(records)
        if entity is Entity.CUSTOMERS:
            return c.upsert_customers(records)
        if action == "status":
            return c.update_order_status([r for r in records if isinstance(r, OrderStatusUpdate)])
        if action == "fulfil":
            return c.create_fulfilments([r for r in records if isinstance(r, Fulfilment)])
        if action == "cancel":
            return c.cancel_orders([r.order_id if isinstance(r, OrderStatusUpdate) else r for r in records])
        if action == "refund":
            return c.record_refunds([r for r in records if isinstance(r, Refund)])
        if action == "create":
            return c.create_orders([r for r in records if isinstance(r, Order)])
        raise SyncError(f"unknown outbound action {action!r} for {entity.value}")

    def _remember_pushed(self, entity: Entity, job: q.Job, record: Any, result: WriteResult) -> None:
        key = job.external_id or ""
        if job.action == "upsert":
            digest, now = content_hash(projection(entity, record)), self.clock()
            # the store's events of this record arrive keyed by the store's id: from the store's time of this
            # write on, an older event describes a version this write replaced (a late echo of an earlier push)
            remote_key = result.external_id if entity in (Entity.ITEMS, Entity.CUSTOMERS) else None
            targets: dict[str, str | None] = {key: None}
            if remote_key:
                targets[remote_key] = ordering_key_for(result.store_updated_at)
            for state_key, store_time in targets.items():
                state = self.state.get(self.store, entity.value, state_key, for_update=True)
                self.state.put(self.store, entity.value, state_key, _pushed(state, digest, now, store_time))
        self.erp.link_pushed(self.store, entity.value, key, record, result)
        if entity is Entity.ITEMS and isinstance(record, Product) and not record.external_id and result.external_id:
            # a product new to this store starts with no stock there: ERPNext's levels of its SKUs go out now, not
            # at the item's next stock change (which may never come)
            skus = [v.sku for v in record.variants if v.sku]
            if skus:
                self.plan_stock_push(skus=skus, store_moved=True)

    # ================================================================ failures

    def _job_failed(self, job: q.Job, exc: Exception) -> str:
        error = self._error_text(exc)
        attempt = job.attempts + 1
        now = self.clock()
        retry_at: datetime | None = None
        if attempt < self.settings.max_retries:
            delay = self.retry_policy.delay(attempt)
            if isinstance(exc, RateLimitedError) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            retry_at = now + timedelta(seconds=delay)
        self.jobs.fail(job, error, now, retry_at)
        dead = retry_at is None
        self._log(Entity(job.entity), job.direction, f"{job.action} {job.entity}", FAILED, job=job.name,
                  message=(f"Dead after {attempt} attempts: " if dead else f"attempt {attempt} failed, retry at "
                           f"{retry_at:%Y-%m-%d %H:%M:%S} UTC: ") + error)  # fmt: skip
        if attempt >= self.settings.alert_after_failures and not job.alerted:
            self.logger.alert(self.store, job.name, f"{job.entity} {job.direction.lower()} job failed {attempt} times: {error}")
            self.jobs.mark_alerted(job)
        return f"{job.external_id or job.name}: {error}"

    def _error_text(self, exc: Exception) -> str:
        text = exc.message if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
        return redact(text, self.connector.config.secret_values())[:1000]

    def retry(self, job_names: Sequence[str]) -> int:
        return self.jobs.requeue(job_names, self.clock())

    # ================================================================ logging

    def _skip(self, entity: Entity, reason: str, message: str, job: str | None) -> str:
        self._log(entity, q.INBOUND, reason, SKIPPED, message=message, job=job)
        return SKIPPED

    def _log(self, entity: Entity, direction: str, operation: str, status: str, *, records: int = 1,
             failed: int = 0, message: str | None = None, job: str | None = None, reference: Any = None,
             duration_ms: float | None = None) -> None:  # fmt: skip
        started = getattr(self, "_applying_since", None)
        if duration_ms is None and started is not None:
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
        self.logger.log(
            LogEntry(
                store=self.store, entity=entity.value, direction=direction, operation=operation, status=status,
                records=records, failed_records=failed, message=message, job=job, duration_ms=duration_ms,
                reference_doctype=getattr(reference, "doctype", None), reference_name=getattr(reference, "name", None),
            )
        )  # fmt: skip


EARLIER_PUSHES_KEPT = 4


def _pushed(state: RecordState, digest: str, at: datetime, store_time: str | None) -> RecordState:
    """``state`` after a push of ``digest`` that the store stamped ``store_time``."""
    if state.pushed_hash and state.pushed_hash != digest:
        earlier = [state.pushed_hash, *(h for h in state.earlier_pushed if h not in (digest, state.pushed_hash))]
        state.earlier_pushed = tuple(earlier[:EARLIER_PUSHES_KEPT])
    state.pushed_hash, state.synced_at = digest, at
    if store_time and (not state.applied_ordering_key or store_time > state.applied_ordering_key):
        state.applied_ordering_key = store_time
    return state


def _ordering_time(ordering_key: str | None) -> datetime | None:
    """The moment an outbound job was queued (its ordering key, written by ``queue_outbound``)."""
    try:
        return datetime.strptime(ordering_key or "", ORDERING_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _newest_per_record(jobs: Sequence[q.Job]) -> list[int]:
    """For each job, the position of the newest job of its record in ``jobs`` (itself when it is the newest)."""
    newest: dict[str, int] = {}
    for index, job in enumerate(jobs):
        best = newest.get(job.record_key)
        if job.record_key and (best is None or (job.ordering_key or "") >= (jobs[best].ordering_key or "")):
            newest[job.record_key] = index
    return [newest.get(job.record_key, index) for index, job in enumerate(jobs)]
