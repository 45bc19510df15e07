"""Wix's REST contract as extracted from its published SDK packages (``contract.json``).

Made by ``scripts/refresh_wix_contract.py``; read by the Wix simulator and the contract tests, never by
production code. Types are keyed ``<package>.<TypeName>``; a field is ``{"name" | "enum", "list"?, tags}``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CONTRACT_FILE = Path(__file__).with_name("contract.json")
PRIMITIVES = {"string", "number", "boolean", "any", "Date", "unknown", "object"}


class WixContract:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.endpoints: dict[str, dict[str, Any]] = data["endpoints"]
        self.types: dict[str, dict[str, Any]] = data["types"]
        self.enums: dict[str, list[str]] = data["enums"]
        self._routes = sorted(
            ((key, spec["method"], _path_pattern(spec["path"])) for key, spec in self.endpoints.items()),
            key=lambda r: ("{" in self.endpoints[r[0]]["path"], r[0]))  # literal paths before templated ones

    def route(self, method: str, path: str) -> tuple[str, list[str]] | None:
        """The endpoint serving ``method path`` and its path parameters, or None (Wix would answer 404)."""
        for key, verb, pattern in self._routes:
            found = pattern.match(path)
            if found and verb == method:
                return key, list(found.groups())
        return None

    # ------------------------------------------------------------ fields
    def field(self, type_key: str, dotted: str) -> dict[str, Any] | None:
        """The field spec at ``a.b.c`` below ``type_key`` (lists are transparent), or None."""
        spec: dict[str, Any] | None = {"name": type_key}
        for part in dotted.split("."):
            name = (spec or {}).get("name")
            if name not in self.types:
                return None
            spec = self.types[name].get(part)
            if spec is None:
                return None
        return spec

    def violations(self, type_key: str, value: Any, prefix: str = "") -> list[str]:
        """Fields of ``value`` the type does not declare and enum values it does not allow."""
        found: list[str] = []
        if not isinstance(value, dict) or type_key not in self.types:
            return found
        fields = self.types[type_key]
        for key, item in value.items():
            where = f"{prefix}{key}"
            spec = fields.get(key)
            if spec is None:
                found.append(f"{where}: unknown field")
                continue
            if spec.get("list") and isinstance(item, list) and len(item) > spec.get("maxSize", len(item)):
                found.append(f"{where}: at most {spec['maxSize']} items, got {len(item)}")
            for element in (item if spec.get("list") and isinstance(item, list) else [item]):
                found += self._value_violations(spec, element, where)
        return found

    def _value_violations(self, spec: dict[str, Any], value: Any, where: str) -> list[str]:
        if value is None:
            return []
        if spec.get("name") == "number" and "max" in spec and isinstance(value, (int, float)) \
                and value > spec["max"]:
            return [f"{where}: at most {spec['max']}, got {value}"]
        if "enum" in spec:
            allowed = self.enums.get(spec["enum"]) or []
            return [f"{where}: {value!r} is not one of {spec['enum']}"] if allowed and value not in allowed else []
        if spec.get("literal"):
            return [] if value in spec["literal"] else [f"{where}: {value!r} is not one of {spec['literal']}"]
        if spec.get("name") in self.types:
            if not isinstance(value, dict):
                return [f"{where}: expected an object"]
            return self.violations(spec["name"], value, where + ".")
        return []

    def prune(self, type_key: str, value: Any, *, drop_deprecated: bool = True) -> Any:
        """``value`` reduced to what the type declares (deprecated fields dropped: past their removal)."""
        if not isinstance(value, dict) or type_key not in self.types:
            return value
        fields = self.types[type_key]
        out: dict[str, Any] = {}
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None or (drop_deprecated and spec.get("deprecated")):
                continue
            name = spec.get("name")
            if name in self.types:
                item = [self.prune(name, v, drop_deprecated=drop_deprecated) for v in item] \
                    if isinstance(item, list) else self.prune(name, item, drop_deprecated=drop_deprecated)
            out[key] = item
        return out

    # ------------------------------------------------------------ query specs
    def query_rule(self, spec: str, field: str) -> dict[str, Any] | None:
        for rule in self.data["query_specs"].get(spec, []):
            if field in rule["fields"]:
                return rule
        return None


def _path_pattern(path: str) -> re.Pattern[str]:
    """``/v1/products/{product.id}`` -> a pattern with one group per path parameter."""
    parts = re.split(r"\{[\w.]+\}", path)
    return re.compile("([^/]+)".join(re.escape(p) for p in parts) + "$")


@lru_cache(maxsize=1)
def load() -> WixContract:
    return WixContract(json.loads(CONTRACT_FILE.read_text()))
