"""The WooCommerce contract fixture (rest_v3.json) and the checks the simulator runs with it.

Test-only: the simulator and tests read it; production code never imports it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).with_name("rest_v3.json")


@lru_cache(maxsize=1)
def contract() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def known_params(endpoint: str) -> set[str]:
    """Query params WooCommerce registers for ``endpoint`` (e.g. ``GET /products``), global ones included."""
    data = contract()
    spec = data["endpoints"][endpoint]
    names = set(data["global_params"]["params"])
    names |= set(spec.get("params") or [])
    if spec.get("inherits"):
        names |= set(data["collection_params"][spec["inherits"]]["params"])
    return names


def param_default(endpoint: str, name: str) -> Any:
    data = contract()
    spec = data["endpoints"][endpoint]
    params = spec.get("params") or {}
    if isinstance(params, dict) and name in params:
        return params[name]
    if spec.get("inherits"):
        return data["collection_params"][spec["inherits"]]["params"].get(name)
    return None


def unknown_fields(item: str, body: Any) -> list[str]:
    """Fields of one request object (``product``, ``order`` ...) that WooCommerce's schema does not know."""
    spec = contract()["request_fields"][item]
    out: list[str] = []
    if not isinstance(body, dict):
        return out
    for key, value in body.items():
        if key not in spec["fields"]:
            out.append(f"{item}.{key}")
            continue
        nested = (spec.get("nested") or {}).get(key)
        if nested is None:
            continue
        for row in value if isinstance(value, list) else [value]:
            if isinstance(row, dict):
                out += [f"{item}.{key}[].{k}" for k in row if k not in nested]
    return out


def check_request(endpoint: str, query: dict[str, Any], body: Any) -> list[str]:
    """Every param or field of a request that the contract does not know (empty: the request is valid)."""
    spec = contract()["endpoints"].get(endpoint)
    if spec is None:
        return [f"{endpoint}: not an endpoint of the contract"]
    problems = [f"{endpoint}?{name}" for name in query if name not in known_params(endpoint)]
    item = spec.get("item")
    if item and spec.get("batch") and isinstance(body, dict):
        for kind in ("create", "update"):
            for row in body.get(kind) or []:
                problems += [f"{endpoint} {kind}: {p}" for p in unknown_fields(item, row)]
        problems += [f"{endpoint}: batch key {k}" for k in body if k not in ("create", "update", "delete")]
    elif item and isinstance(body, dict):
        problems += [f"{endpoint}: {p}" for p in unknown_fields(item, body)]
    return problems
