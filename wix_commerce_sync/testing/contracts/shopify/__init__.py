"""Shopify's published Admin GraphQL schema as the referee of requests and answers (tests only).

The schemas are Shopify's own introspection results, pinned from the npm package
``@shopify/dev-mcp`` (see ``SOURCE.json``; refresh with ``make contracts-shopify``).
Production code never imports this module: the simulator and the tests do.

- ``request_errors(query, variables)``: parse + validate the document (cached by text) and
  coerce the variables against their declared input types, as Shopify does before running.
- ``shape_answer(query, variables, data)``: execute the document over the simulator's raw
  answer with graphql-core, so the answer has exactly the selected fields, each checked
  against its type (unknown enum value, null in a non-null field, wrong scalar -> errors).
- ``deprecated_usages(query)``: fields, arguments and enum values the document uses that the
  schema marks deprecated.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_client_schema,
    execute,
    parse,
    validate,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.language import OperationDefinitionNode

HERE = Path(__file__).resolve().parent
DEFAULT_VERSION = "2026-04"
_GID_TYPE = re.compile(r"^gid://shopify/([A-Za-z]+)/")
_lock = threading.Lock()


def pinned_versions() -> list[str]:
    return sorted(p.name[len("admin_"):-len(".json.gz")] for p in HERE.glob("admin_*.json.gz"))


def source() -> dict[str, Any]:
    return json.loads((HERE / "SOURCE.json").read_text())


def schema_version_for(api_version: str) -> str:
    """The pinned schema for ``api_version``: itself, else the newest pinned one not after it."""
    versions = pinned_versions()
    if api_version in versions:
        return api_version
    older = [v for v in versions if v <= api_version]
    return older[-1] if older else versions[0]


@cache
def schema(version: str = DEFAULT_VERSION) -> GraphQLSchema:
    with gzip.open(HERE / f"admin_{version}.json.gz", "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return build_client_schema(data.get("data", data), assume_valid=True)


@lru_cache(maxsize=4096)
def checked_document(query: str, version: str = DEFAULT_VERSION) -> tuple[DocumentNode | None, tuple[str, ...]]:
    """(document, errors) for one query text; parsing + validation happen once per text."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, (exc.message,)
    with _lock:  # graphql-core validation is not documented as thread-safe on a shared schema
        errors = validate(schema(version), document)
    return document, tuple(e.message for e in errors)


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1:
        raise ValueError("exactly one operation per document is expected")
    return ops[0]


def variable_errors(document: DocumentNode, variables: dict[str, Any] | None, version: str = DEFAULT_VERSION) -> list[str]:
    """Coerce ``variables`` against the operation's declared types (input objects included)."""
    operation = _operation(document)
    result = get_variable_values(schema(version), operation.variable_definitions or (), variables or {})
    return [e.message for e in result] if isinstance(result, list) else []


def request_errors(query: str, variables: dict[str, Any] | None = None, version: str = DEFAULT_VERSION) -> list[str]:
    """Every reason Shopify would refuse this request before running it (empty: valid)."""
    document, errors = checked_document(query, version)
    if document is None or errors:
        return list(errors)
    try:
        return variable_errors(document, variables, version)
    except ValueError as exc:
        return [str(exc)]


# ------------------------------------------------------------------ answers


def _resolve_field(source: Any, info: Any, **_args: Any) -> Any:
    if not isinstance(source, dict):
        return None
    key = info.path.key
    if key in source:
        return source[key]
    return source.get(info.field_name)


def _resolve_type(value: Any, info: Any, abstract_type: Any) -> str | None:
    if isinstance(value, dict):
        if value.get("__typename"):
            return value["__typename"]
        match = _GID_TYPE.match(str(value.get("id") or ""))
        if match:
            return match.group(1)
    return None


def shape_answer(query: str, variables: dict[str, Any] | None, data: dict[str, Any],
                 version: str = DEFAULT_VERSION) -> tuple[dict[str, Any] | None, list[str]]:
    """Run the document over ``data`` (the simulator's raw answer): only selected fields are
    kept, each serialised by its schema type; violations come back as messages."""
    document, errors = checked_document(query, version)
    if document is None or errors:
        return None, list(errors)
    result = execute(schema(version), document, root_value=data, variable_values=variables or {},
                     field_resolver=_resolve_field, type_resolver=_resolve_type)
    messages = [f"{'.'.join(str(p) for p in (e.path or []))}: {e.message}" for e in result.errors or []]
    return result.data, messages


# ------------------------------------------------------------------ deprecations


def deprecated_usages(query: str, version: str = DEFAULT_VERSION) -> list[str]:
    """``Type.field``, ``Type.field(arg)`` and ``Enum.VALUE`` the document uses that are deprecated."""
    document, errors = checked_document(query, version)
    if document is None or errors:
        raise ValueError(f"invalid document: {errors}")
    type_info = TypeInfo(schema(version))
    found: list[str] = []

    class Deprecations(Visitor):
        def enter_field(self, node: Any, *_: Any) -> None:
            definition, parent = type_info.get_field_def(), type_info.get_parent_type()
            if definition is not None and definition.deprecation_reason:
                found.append(f"{parent.name}.{node.name.value}: {definition.deprecation_reason}")

        def enter_argument(self, node: Any, *_: Any) -> None:
            argument = type_info.get_argument()
            if argument is not None and argument.deprecation_reason:
                found.append(f"argument {node.name.value}: {argument.deprecation_reason}")

        def enter_enum_value(self, node: Any, *_: Any) -> None:
            enum = type_info.get_input_type()
            named = getattr(enum, "of_type", enum)
            values = getattr(named, "values", None) or {}
            value = values.get(node.value)
            if value is not None and value.deprecation_reason:
                found.append(f"{named.name}.{node.value}: {value.deprecation_reason}")

    visit(document, TypeInfoVisitor(type_info, Deprecations()))
    return found


def deprecated_variable_fields(query: str, variables: dict[str, Any] | None, version: str = DEFAULT_VERSION) -> list[str]:
    """Deprecated input-object fields present in the variables sent with ``query``."""
    from graphql import type_from_ast

    document, errors = checked_document(query, version)
    if document is None or errors:
        raise ValueError(f"invalid document: {errors}")
    found: list[str] = []
    for definition in _operation(document).variable_definitions or ():
        name = definition.variable.name.value
        if variables and name in variables:
            found += _deprecated_in(type_from_ast(schema(version), definition.type), variables[name], f"${name}")
    return found


def deprecated_input_fields(type_name: str, value: Any, version: str = DEFAULT_VERSION) -> list[str]:
    """Deprecated input-object fields present in a variables value of input type ``type_name``."""
    return _deprecated_in(schema(version).get_type(type_name), value, type_name)


def _deprecated_in(gtype: Any, value: Any, path: str) -> list[str]:
    from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull

    def walk(gtype: Any, val: Any, path: str) -> list[str]:
        while isinstance(gtype, GraphQLNonNull):
            gtype = gtype.of_type
        if isinstance(gtype, GraphQLList):
            return [m for i, item in enumerate(val or []) for m in walk(gtype.of_type, item, f"{path}[{i}]")]
        if isinstance(gtype, GraphQLInputObjectType) and isinstance(val, dict):
            out = []
            for key, item in val.items():
                field = gtype.fields.get(key)
                if field is None:
                    continue
                if field.deprecation_reason:
                    out.append(f"{gtype.name}.{key} ({path}.{key}): {field.deprecation_reason}")
                out.extend(walk(field.type, item, f"{path}.{key}"))
            return out
        return []

    return walk(gtype, value, path)
