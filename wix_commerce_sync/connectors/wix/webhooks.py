"""Wix webhooks: the whole body is an RS256 JWT; the payload inside is JSON nested in strings.

Verification pins the algorithm twice: the unverified header must say RS256 before
anything is decoded (so ``alg: none`` and HS256-with-the-public-key never reach a
verifier), and ``jwt.decode`` is called with ``algorithms=["RS256"]`` only. The
loaded public key object is cached by the caller so a delivery costs one RSA
verify (well under Wix's 1.25 s answer budget).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from wix_commerce_sync.connectors.base import WebhookEvent
from wix_commerce_sync.connectors.wix import mapping
from wix_commerce_sync.sync.errors import WebhookVerificationError
from wix_commerce_sync.sync.models import DeletedRecord, Entity, utc
from wix_commerce_sync.sync.status_map import StatusMap

ALGORITHM = "RS256"
MAX_BODY = 5_000_000

# standard (FQDN) events -> entity
FQDN_ENTITIES = {
    "wix.ecom.v1.order": Entity.ORDERS,
    "wix.stores.catalog.v3.product": Entity.ITEMS,
    "wix.stores.catalog.v3.inventory_item": Entity.STOCK,  # INV3 index.js entityFqdn
    "wix.contacts.v4.contact": Entity.CUSTOMERS,
}
# slugs of domain events that delete the entity (the order one is an action event)
DELETED_SLUGS = {"deleted", "imported_order_deleted"}
# legacy catalog V1 / inventory events (non-standard body)
V1_EVENTS = {
    "com.wix.ecommerce.catalog.api.v1.ProductCreated": (Entity.ITEMS, "created"),
    "com.wix.ecommerce.catalog.api.v1.ProductChanged": (Entity.ITEMS, "updated"),
    "com.wix.ecommerce.catalog.api.v1.ProductDeleted": (Entity.ITEMS, "deleted"),
    "com.wix.ecommerce.catalog.api.v1.VariantsChanged": (Entity.ITEMS, "updated"),
    "com.wix.ecommerce.inventory.api.v1.InventoryItemChanged": (Entity.STOCK, "updated"),
    "com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged": (Entity.STOCK, "updated"),
}


def load_public_key(pem: str | None) -> RSAPublicKey:
    if not pem:
        raise WebhookVerificationError("no Wix webhook public key is configured for this store")
    try:
        key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise WebhookVerificationError("the configured Wix webhook public key is not a PEM public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise WebhookVerificationError("the configured Wix webhook public key is not an RSA key")
    return key


def decode_jwt(body: bytes, key: RSAPublicKey) -> dict[str, Any]:
    """Verify the RS256 JWT body and return its claims; WebhookVerificationError otherwise."""
    if not body:
        raise WebhookVerificationError("empty webhook body")
    if len(body) > MAX_BODY:
        raise WebhookVerificationError("webhook body too large")
    try:
        token = body.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise WebhookVerificationError("webhook body is not a JWT") from exc
    if token.count(".") != 2:
        raise WebhookVerificationError("webhook body is not a JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise WebhookVerificationError("webhook JWT header is malformed") from exc
    if header.get("alg") != ALGORITHM:
        raise WebhookVerificationError(f"webhook JWT algorithm {header.get('alg')!r} is not {ALGORITHM}")
    try:
        return jwt.decode(token, key=key, algorithms=[ALGORITHM], options={"require": ["data"]})
    except jwt.ExpiredSignatureError as exc:
        raise WebhookVerificationError("webhook JWT has expired") from exc
    except jwt.PyJWTError as exc:
        raise WebhookVerificationError(f"webhook JWT does not verify: {type(exc).__name__}") from exc


@dataclass
class Envelope:
    event_type: str
    instance_id: str | None
    event: dict[str, Any]  # parsed data.data
    identity: dict[str, Any] | None
    raw_data: str  # data.data as delivered (for V1 dedupe)
    issued_at: datetime | None


def open_envelope(claims: dict[str, Any]) -> Envelope:
    """Claims {data} -> parsed envelope; ``data`` and ``data.data``/``data.identity`` may be JSON strings.

    Both published shapes are accepted: claims ``{"data": "<json of {eventType, instanceId, data, identity}>"}``
    (third-party guides) and ``{"data": {eventType, ...}}`` (Wix docs' decoded view).
    """
    try:
        outer = mapping.maybe_json(claims.get("data"))
        if isinstance(outer, dict) and "eventType" not in outer and "data" in outer:
            outer = mapping.maybe_json(outer["data"])  # {"data": {eventType, ...}} wrapped once more
        if not isinstance(outer, dict):
            raise ValueError("data is not an object")
        raw_inner = outer.get("data")
        event = mapping.maybe_json(raw_inner)
        identity = mapping.maybe_json(outer.get("identity")) if outer.get("identity") else None
    except ValueError as exc:
        raise ValueError(f"Wix webhook envelope is malformed: {exc}") from exc
    if not isinstance(event, dict):
        raise ValueError("Wix webhook data.data is not an object")
    raw_text = raw_inner if isinstance(raw_inner, str) else json.dumps(raw_inner, sort_keys=True)
    return Envelope(
        event_type=str(outer.get("eventType") or ""),
        instance_id=outer.get("instanceId"),
        event=event,
        identity=identity if isinstance(identity, dict) else None,
        raw_data=raw_text,
        issued_at=utc(claims["iat"]) if isinstance(claims.get("iat"), (int, float)) else None,
    )


def sequence_key(value: Any) -> str:
    """Zero-padded so text order equals numeric order."""
    return str(int(value)).zfill(20)


def iso_key(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def event_from_envelope(envelope: Envelope, status_map: StatusMap | None = None) -> WebhookEvent:
    if envelope.event_type in V1_EVENTS:
        return _v1_event(envelope)
    return _standard_event(envelope, status_map)


def _standard_event(envelope: Envelope, status_map: StatusMap | None) -> WebhookEvent:
    event = envelope.event
    fqdn = event.get("entityFqdn") or envelope.event_type.rsplit("_", 1)[0]
    slug = event.get("slug") or ""
    entity = FQDN_ENTITIES.get(fqdn)
    topic = envelope.event_type or f"{fqdn}_{slug}"
    dedupe = str(event.get("id") or _digest(envelope))
    occurred = utc(event.get("eventTime"))
    sequence = event.get("entityEventSequence")
    if entity is None:  # subscribed to something we do not sync: answer 200, do nothing
        return WebhookEvent(topic=topic, entity=Entity.ITEMS, action="ignored", external_id=_entity_id(event),
                            dedupe_key=dedupe, ordering_key=sequence_key(sequence) if sequence else iso_key(occurred),
                            occurred_at=occurred, payload=event, is_ping=True)
    if "deletedEvent" in event or slug in DELETED_SLUGS:
        return _deleted_event(envelope, entity, topic, dedupe, sequence, occurred)
    record_json = mapping.event_entity(event)
    action = {"canceled": "cancelled"}.get(slug, slug or "updated")
    record: Any = None
    updated_at = None
    if isinstance(record_json, dict) and "deletedEvent" not in event:
        if entity is Entity.ORDERS and (record_json.get("status") or "").upper() == "INITIALIZED":
            return WebhookEvent(topic=topic, entity=entity, action="ignored", external_id=_entity_id(event),
                                dedupe_key=dedupe, occurred_at=occurred, payload=event, is_ping=True)
        record = mapping.parse_payload(entity, record_json, status_map)
        record = record if entity is Entity.STOCK else (record[0] if record else None)
        updated_at = utc(record_json.get("updatedDate"))
    if entity is Entity.ORDERS and record is not None and record.store_status == "FULLY_REFUNDED":
        action = "refunded"
    ordering = sequence_key(sequence) if sequence not in (None, "") else iso_key(updated_at or occurred)
    return WebhookEvent(topic=topic, entity=entity, action=action, external_id=_entity_id(event),
                        dedupe_key=dedupe, ordering_key=ordering, occurred_at=occurred, record=record,
                        payload=event)


def _entity_id(event: dict[str, Any]) -> str | None:
    """``entityId`` is a GUID string; anything else (a number, an object) is refused, not stored as is."""
    value = event.get("entityId")
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"entityId is a {type(value).__name__}, not a string")


def _deleted_event(envelope: Envelope, entity: Entity, topic: str, dedupe: str, sequence: Any,
                   occurred: datetime | None) -> WebhookEvent:
    """A deleted record: only its id is reliable (``deletedEvent`` may carry no entity at all)."""
    event = envelope.event
    external_id = event.get("entityId")
    if not external_id:  # imported_order_deleted is an action event whose body holds the order
        body = mapping.event_entity(event)
        external_id = body.get("id") if isinstance(body, dict) else None
    if not external_id:
        raise ValueError("Wix deleted event carries no entity id")
    record = DeletedRecord(entity=entity, external_id=str(external_id), deleted_at=occurred)
    ordering = sequence_key(sequence) if sequence not in (None, "") else iso_key(occurred)
    return WebhookEvent(topic=topic, entity=entity, action="deleted", external_id=str(external_id),
                        dedupe_key=dedupe, ordering_key=ordering, occurred_at=occurred, record=record, payload=event)


def _v1_event(envelope: Envelope) -> WebhookEvent:
    """Legacy events carry ids only (products) or variant quantities (inventory); no event id or sequence.

    Dedupe: hash of event type + instance + the data text + the JWT ``iat``: a redelivered body is
    recognised, and two real changes with identical data (``ProductChanged`` twice) are not merged.
    Were Wix to re-sign a retry, the copy would pass as new: harmless, since these events are
    re-read triggers (products) or absolute quantities (inventory).
    Ordering: the JWT ``iat`` (signing time), the only clock these events have.
    """
    entity, action = V1_EVENTS[envelope.event_type]
    data = envelope.event
    record: Any = None
    if entity is Entity.STOCK:
        record = mapping.stock_from_v1_item(data)
    elif action == "deleted":
        if not data.get("productId"):
            raise ValueError("Wix ProductDeleted event carries no productId")
        record = DeletedRecord(entity=entity, external_id=str(data["productId"]), deleted_at=envelope.issued_at)
    return WebhookEvent(
        topic=envelope.event_type, entity=entity, action=action, external_id=data.get("productId"),
        dedupe_key=_digest(envelope, with_time=True), ordering_key=iso_key(envelope.issued_at), occurred_at=envelope.issued_at,
        record=record, payload=data,
    )


def _digest(envelope: Envelope, with_time: bool = False) -> str:
    text = f"{envelope.event_type}|{envelope.instance_id}|{envelope.raw_data}"
    if with_time:
        text += f"|{iso_key(envelope.issued_at)}"
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
