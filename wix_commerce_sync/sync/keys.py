"""Composite keys used as unique database columns and as queue dedupe/record keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any

SEPARATOR = "::"
MAX_KEY_LENGTH = 240  # the unique Data columns are declared with length 240


def record_key(*parts: object) -> str:
    """``store::entity::id`` style key; long ones are shortened with a stable hash suffix."""
    key = SEPARATOR.join("" if p is None else str(p) for p in parts)
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return key[: MAX_KEY_LENGTH - 34] + SEPARATOR + digest


def content_hash(value: Any) -> str:
    """Stable hash of a JSON-able value, used for change detection and echo suppression."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]
