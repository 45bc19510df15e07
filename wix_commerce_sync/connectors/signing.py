"""Signature helpers shared by the HMAC platforms (Shopify, WooCommerce)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from wix_commerce_sync.sync.errors import WebhookVerificationError


def hmac_sha256_b64(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def verify_hmac_b64(secret: str | None, body: bytes, signature: str | None, *, header: str) -> None:
    """Constant-time check of a base64 HMAC-SHA256 signature of the raw body."""
    if not secret:
        raise WebhookVerificationError("no webhook secret is configured for this store")
    if not signature:
        raise WebhookVerificationError(f"missing {header} header")
    expected = hmac_sha256_b64(secret, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookVerificationError(f"{header} does not match the body")
