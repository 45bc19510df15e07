"""Canonical records <-> JSON, exactly (Decimal and datetime survive the round trip).

Job payloads in the persistent queue hold canonical records, so a job can be
retried days later without re-verifying or re-fetching the webhook.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from wix_commerce_sync.sync import models

RECORD_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        models.Product,
        models.Variant,
        models.StockLevel,
        models.Location,
        models.Customer,
        models.Address,
        models.Order,
        models.OrderLine,
        models.ChargeLine,
        models.TaxLine,
        models.Discount,
        models.Payment,
        models.Refund,
        models.Fulfilment,
        models.OrderStatusUpdate,
        models.DeletedRecord,
    )
}


def to_data(value: Any) -> Any:
    """JSON-able form; dataclasses carry their type name. ``raw`` payloads are dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {"__type__": type(value).__name__}
        for f in dataclasses.fields(value):
            if f.name == "raw":
                continue
            data[f.name] = to_data(getattr(value, f.name))
        return data
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    return value


def from_data(data: Any, hint: Any = None) -> Any:
    """Inverse of ``to_data``; ``hint`` is the expected type when the data carries none."""
    if isinstance(data, dict) and "__type__" in data:
        cls = RECORD_TYPES[data["__type__"]]
        hints = _hints(cls)
        kwargs = {k: from_data(v, hints.get(k)) for k, v in data.items() if k != "__type__" and k in hints}
        return cls(**kwargs)
    if isinstance(data, list) and hint is None:
        return [from_data(v) for v in data]
    if data is None or hint is None:
        return data
    return _coerce(data, hint)


def dumps(value: Any) -> str:
    return json.dumps(to_data(value), separators=(",", ":"))


def loads(text: str | None) -> Any:
    return from_data(json.loads(text)) if text else None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(data: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _coerce(data, inner[0]) if len(inner) == 1 else data
    if origin is list:
        return [from_data(v, args[0] if args else None) for v in data]
    if origin is tuple:
        return tuple(from_data(v, a) for v, a in zip(data, args))
    if origin is dict:
        return {k: from_data(v, args[1] if len(args) > 1 else None) for k, v in data.items()}
    if hint is Decimal:
        return Decimal(str(data))
    if hint is datetime:
        return models.utc(data)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    return data
