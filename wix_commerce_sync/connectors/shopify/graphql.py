"""A small GraphQL reader: parse an operation into a field tree and price it like Shopify.

Used twice:
- by the client, to estimate the requested cost of a query before sending it (so it can
  wait for the cost bucket instead of being throttled) and to size pages under the
  1,000-point single-query limit;
- by the simulator, to recognise operations by their root fields, read arguments and
  compute ``requestedQueryCost``.

Covers the subset the connector writes: one operation per document, variables,
aliases, arguments (all literal kinds), directives, inline fragments. No named fragments.

Cost rules (Shopify's published ones, platform-apis.md 1.4): scalar/enum 0, object 1,
connection (a field with ``first``/``last``) 2 + size x cost of one node, a union/inline
fragment set costs its most expensive member, a mutation field costs 10 (the simulator
adds a per-input-row charge on top, see simulator.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_QUERY_COST = 1000
MUTATION_BASE_COST = 10

_TOKEN = re.compile(
    r'(?P<ws>[\s,]+|#[^\n]*)'
    r'|(?P<block>"""(?:[^"\\]|\\.|"(?!""))*""")'
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r'|(?P<spread>\.\.\.)'
    r'|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    r'|(?P<name>[_A-Za-z][_0-9A-Za-z]*)'
    r'|(?P<punct>[{}()\[\]:$@!=|&])'
)


class GraphQLSyntaxError(ValueError):
    pass


@dataclass
class Field:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    directives: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)
    type_condition: str | None = None  # set on inline fragments (name == "...")

    @property
    def key(self) -> str:
        return self.alias or self.name

    def child(self, name: str) -> Field | None:
        for c in self.children:
            if c.name == name:
                return c
            if c.type_condition is not None:
                found = c.child(name)
                if found is not None:
                    return found
        return None

    def find(self, name: str) -> Field | None:
        """Depth-first search for a descendant field by name."""
        for c in self.children:
            if c.name == name:
                return c
            found = c.find(name)
            if found is not None:
                return found
        return None


@dataclass
class Operation:
    kind: str  # query | mutation
    name: str | None
    fields: list[Field]
    variable_defaults: dict[str, Any] = field(default_factory=dict)


class _Variable:
    def __init__(self, name: str) -> None:
        self.name = name


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise GraphQLSyntaxError(f"unexpected character {text[pos]!r} at {pos}")
            pos = m.end()
            kind = m.lastgroup or ""
            if kind != "ws":
                self.tokens.append((kind, m.group()))
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("eof", "")

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok_kind, tok = self.peek()
        if (value is not None and tok != value) or (kind is not None and tok_kind != kind):
            raise GraphQLSyntaxError(f"expected {value or kind}, got {tok!r}")
        self.i += 1
        return tok

    def operation(self) -> Operation:
        kind, name, defaults = "query", None, {}
        if self.peek()[1] in ("query", "mutation"):
            kind = self.take()
            if self.peek()[0] == "name":
                name = self.take()
            if self.peek()[1] == "(":
                defaults = self.variable_definitions()
            self.directives()
        fields = self.selection_set()
        if self.peek()[0] != "eof":
            raise GraphQLSyntaxError("only one operation per document is supported")
        return Operation(kind, name, fields, defaults)

    def variable_definitions(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        self.take("(")
        while self.peek()[1] != ")":
            self.take("$")
            var = self.take(kind="name")
            self.take(":")
            self.type_ref()
            if self.peek()[1] == "=":
                self.take("=")
                defaults[var] = self.value()
        self.take(")")
        return defaults

    def type_ref(self) -> None:
        if self.peek()[1] == "[":
            self.take("[")
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        if self.peek()[1] == "!":
            self.take("!")

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields: list[Field] = []
        while self.peek()[1] != "}":
            if self.peek()[0] == "eof":
                raise GraphQLSyntaxError("unterminated selection set")
            fields.append(self.selection())
        self.take("}")
        return fields

    def selection(self) -> Field:
        if self.peek()[0] == "spread":
            self.take()
            if self.peek()[1] != "on":
                raise GraphQLSyntaxError("named fragments are not supported")
            self.take("on")
            type_name = self.take(kind="name")
            directives = self.directives()
            return Field("...", directives=directives, children=self.selection_set(), type_condition=type_name)
        name = self.take(kind="name")
        alias = None
        if self.peek()[1] == ":":
            self.take(":")
            alias, name = name, self.take(kind="name")
        args = self.arguments() if self.peek()[1] == "(" else {}
        directives = self.directives()
        children = self.selection_set() if self.peek()[1] == "{" else []
        return Field(name, alias, args, directives, children)

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        self.take("(")
        while self.peek()[1] != ")":
            key = self.take(kind="name")
            self.take(":")
            args[key] = self.value()
        self.take(")")
        return args

    def directives(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        while self.peek()[1] == "@":
            self.take("@")
            name = self.take(kind="name")
            found[name] = self.arguments() if self.peek()[1] == "(" else {}
        return found

    def value(self) -> Any:
        kind, tok = self.peek()
        if tok == "$":
            self.take("$")
            return _Variable(self.take(kind="name"))
        if kind == "number":
            self.take()
            return float(tok) if any(c in tok for c in ".eE") else int(tok)
        if kind == "string":
            self.take()
            return _unescape(tok[1:-1])
        if kind == "block":
            self.take()
            return tok[3:-3]
        if tok == "[":
            self.take("[")
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if tok == "{":
            self.take("{")
            obj = {}
            while self.peek()[1] != "}":
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if kind == "name":
            self.take()
            return {"true": True, "false": False, "null": None}.get(tok, tok)  # enums stay strings
        raise GraphQLSyntaxError(f"unexpected {tok!r} in a value")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    import json

    return json.loads(f'"{text}"')


def _resolve(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, _Variable):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, variables) for k, v in value.items()}
    return value


def _resolve_fields(fields: list[Field], variables: dict[str, Any]) -> None:
    for f in fields:
        f.args = {k: _resolve(v, variables) for k, v in f.args.items()}
        f.directives = {k: {a: _resolve(v, variables) for a, v in d.items()} for k, d in f.directives.items()}
        _resolve_fields(f.children, variables)


def parse(query: str, variables: dict[str, Any] | None = None) -> Operation:
    """Parse one operation and substitute variables into every argument."""
    op = _Parser(query).operation()
    merged = {**op.variable_defaults, **(variables or {})}
    _resolve_fields(op.fields, merged)
    return op


# ---------------------------------------------------------------- cost


def connection_size(f: Field) -> int | None:
    size = f.args.get("first", f.args.get("last"))
    return int(size) if isinstance(size, (int, float)) else None


def node_selection(f: Field) -> list[Field]:
    """Children of one node of a connection (``nodes {..}`` or ``edges { node {..} }``)."""
    nodes = f.child("nodes")
    if nodes is not None:
        return nodes.children
    edges = f.child("edges")
    if edges is not None:
        node = edges.child("node")
        return node.children if node is not None else []
    return []


def field_cost(f: Field) -> int:
    if f.type_condition is not None:  # inline fragment: its fields, no own object
        return sum(field_cost(c) for c in f.children)
    if not f.children:
        return 0  # scalar / enum
    size = connection_size(f)
    if size is not None:
        return 2 + size * (1 + selection_cost(node_selection(f)))
    if f.name == "nodes" and isinstance(f.args.get("ids"), list):  # nodes(ids: [...])
        return len(f.args["ids"]) * (1 + selection_cost(f.children))
    if f.name == "pageInfo":
        return 0  # part of the connection's fixed 2 points
    return 1 + selection_cost(f.children)


def selection_cost(fields: list[Field]) -> int:
    fragments = [f for f in fields if f.type_condition is not None]
    plain = [f for f in fields if f.type_condition is None]
    cost = sum(field_cost(f) for f in plain)
    if fragments:  # interface/union: the most expensive possible member
        cost += max(field_cost(f) for f in fragments)
    return cost


def query_cost(op: Operation) -> int:
    if op.kind == "mutation":
        return MUTATION_BASE_COST * len(op.fields)
    return sum(field_cost(f) for f in op.fields)


def estimate_cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return query_cost(parse(query, variables))
