"""Extract the Wix REST contract the connector relies on from Wix's published SDK packages.

Run: ``python scripts/refresh_wix_contract.py`` (or ``make contracts-wix``). Needs ``npm`` (``npm pack``).
Writes ``wix_commerce_sync/testing/contracts/wix/contract.json``: for each endpoint the client uses, the
verb and www.wixapis.com path (``index.js``: request builder ``method``/``protoPath`` + the
``domainToMappings["www.wixapis.com"]`` of the same file), the REST request/response types (``meta.d.ts``:
``__PublicMethodMetaInfo<verb, params, _, Request, _, Response>``) expanded into every type they reach, the
enums, ``@maxSize``/``@max`` limits, the per-request limits and required fields of the method docs
(``*.universal-*.d.ts``), application error codes and query specs (``index.typings.d.ts``).
Facts only: nothing here is written by hand except which SDK methods the client calls.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "wix_commerce_sync" / "testing" / "contracts" / "wix" / "contract.json"

# short name -> package@version (pinned by @wix/stores@1.0.918, @wix/ecom@1.0.2509, @wix/crm@1.0.1643,
# @wix/business-tools@1.0.228)
PACKAGES = {
    "P3": "@wix/auto_sdk_stores_products-v-3@1.0.226",
    "ROV": "@wix/auto_sdk_stores_read-only-variants-v-3@1.0.139",
    "INV3": "@wix/auto_sdk_stores_inventory-items-v-3@1.0.98",
    "VER": "@wix/auto_sdk_stores_catalog-versioning@1.0.81",
    "SLOC": "@wix/auto_sdk_stores_stores-locations-v-3@1.0.59",
    "P1": "@wix/auto_sdk_stores_products@1.0.108",
    "INV1": "@wix/auto_sdk_stores_inventory@1.0.81",
    "ORD": "@wix/auto_sdk_ecom_orders@1.0.298",
    "FUL": "@wix/auto_sdk_ecom_order-fulfillments@1.0.65",
    "CON": "@wix/auto_sdk_crm_contacts@1.0.1375",
    "SP": "@wix/auto_sdk_business-tools_site-properties@1.0.112",
    "SDK": "@wix/sdk@1.21.16",
}

# endpoint key -> (package short name, SDK method, verb to use when the SDK offers a POST fallback)
ENDPOINTS: dict[str, tuple[str, str, str | None]] = {
    "catalog_version": ("VER", "getCatalogVersion", None),
    "site_properties": ("SP", "getSiteProperties", None),
    "stores_locations_query": ("SLOC", "queryStoresLocations", None),
    "v3_products_query": ("P3", "queryProducts", "POST"),
    "v3_product_get": ("P3", "getProduct", None),
    "v3_products_bulk_create_with_inventory": ("P3", "bulkCreateProductsWithInventory", None),
    "v3_products_bulk_update": ("P3", "bulkUpdateProducts", None),
    "v3_variants_query": ("ROV", "queryVariants", None),
    "v3_inventory_query": ("INV3", "queryInventoryItems", "POST"),
    "v3_inventory_bulk_update": ("INV3", "bulkUpdateInventoryItems", None),
    "v1_product_create": ("P1", "createProduct", None),
    "v1_product_update": ("P1", "updateProduct", None),
    "v1_product_variants_update": ("P1", "updateProductVariants", None),
    "v1_product_get": ("P1", "getProduct", None),
    "v1_inventory_query": ("INV1", "queryInventory", None),
    "v1_inventory_update": ("INV1", "updateInventoryVariants", None),
    "orders_search": ("ORD", "searchOrders", None),
    "order_get": ("ORD", "getOrder", None),
    "order_cancel": ("ORD", "cancelOrder", None),
    "order_refundability": ("ORD", "getRefundabilityStatus", None),  # Payments Collector: may this order be refunded?
    "order_trigger_refund": ("ORD", "triggerRefund", None),  # Payments Collector: refund payments (issue 17)
    "fulfillments_list_by_ids": ("FUL", "listFulfillmentsForMultipleOrders", None),
    "fulfillment_create": ("FUL", "createFulfillment", None),
    "fulfillments_bulk_create": ("FUL", "bulkCreateFulfillments", None),
    "contacts_query": ("CON", "queryContacts", None),
    "contact_create": ("CON", "createContact", None),
    "contact_get": ("CON", "getContact", None),
    "contact_update": ("CON", "updateContact", None),
}

# Endpoints the SDK has no request builder for, with the REST types its meta.d.ts declares for them.
# V1 Query Products: docs "POST https://www.wixapis.com/stores-reader/v1/products/query"
# (dev.wix.com/docs/rest/business-solutions/stores/catalog/query-products); the SDK's reader mapping
# /stores-reader/v1/products <-> /v1/products covers it; body and answer are P1 QueryProductsRequest/Response.
EXTRA_ENDPOINTS = {
    "v1_products_query": {"package": "P1", "method": "POST", "path": "/stores-reader/v1/products/query",
                          "request": "QueryProductsRequest", "response": "QueryProductsResponse",
                          "source": "dev.wix.com/docs/rest/business-solutions/stores/catalog/query-products; "
                                    "P1 index.js reader mapping /stores-reader/v1/products"},
}

# Domain events whose envelopes the webhooks parse (package, type of the event body).
EVENT_TYPES = {"ORD": "DomainEvent", "P3": "DomainEvent", "INV3": "DomainEvent", "CON": "DomainEvent"}

PRIMITIVES = {"string", "number", "boolean", "any", "Date", "unknown", "object"}


def npm_pack(spec: str, into: Path) -> Path:
    subprocess.run(["npm", "pack", spec, "--silent"], cwd=into, check=True, stdout=subprocess.PIPE)
    name, version = spec.rsplit("@", 1)
    tgz = into / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    target = into / tgz.stem
    with tarfile.open(tgz) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


# ---------------------------------------------------------------- meta.d.ts


def _tags(comment: str) -> dict[str, Any]:
    tags: dict[str, Any] = {}
    for name, value in re.findall(r"@(\w+)[ \t]*([^\n*]*)", comment):
        value = value.strip()
        if name in ("maxSize", "max", "min", "minSize", "maxLength"):
            try:
                tags[name] = int(value)
            except ValueError:
                continue
        elif name in ("readonly", "deprecated", "immutable"):
            tags[name] = True
        elif name == "targetRemovalDate":
            tags[name] = value
    return tags


def parse_types(text: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """interfaces -> {name: {"extends": [...], "fields": {field: {...}}}}, enums -> {name: [values]}."""
    interfaces: dict[str, Any] = {}
    enums: dict[str, list[str]] = {}
    for match in re.finditer(r"^declare enum (\w+) \{\n(.*?)^\}", text, re.S | re.M):
        enums[match.group(1)] = re.findall(r'^\s+\w+ = "([^"]*)"', match.group(2), re.M)
    for match in re.finditer(r"^interface (\w+)(?: extends ([\w, ]+))? \{\n(.*?)^\}", text, re.S | re.M):
        fields: dict[str, Any] = {}
        comment = ""
        for line in match.group(3).splitlines():
            stripped = line.strip()
            if stripped.startswith("/**"):
                comment = stripped
                if not stripped.endswith("*/"):
                    continue
            elif comment and not comment.endswith("*/"):
                comment += "\n" + stripped
                continue
            found = re.match(r"^    (\w+)\??: (.+);$", line)
            if found:
                fields[found.group(1)] = {"type": _type_ref(found.group(2)), **_tags(comment)}
                comment = ""
        extends = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
        interfaces[match.group(1)] = {"extends": extends, "fields": fields}
    return interfaces, enums


def _type_ref(text: str) -> dict[str, Any]:
    parts = [p.strip() for p in text.split("|") if p.strip() not in ("null", "undefined")]
    text = parts[0] if parts else "any"
    ref: dict[str, Any] = {}
    if text.endswith("[]"):
        ref["list"] = True
        text = text[:-2]
    if text.startswith("Record<"):
        return {**ref, "name": "object"}
    if text.endswith("WithLiterals"):
        return {**ref, "enum": text[: -len("WithLiterals")]}
    if text.startswith("'"):
        return {**ref, "name": "string", "literal": [p.strip("'") for p in parts]}
    return {**ref, "name": text}


def method_types(meta: str, method: str) -> tuple[str, str, str]:
    found = re.search(rf"declare function {method}\(\): __PublicMethodMetaInfo<'(\w+)', [^,]*?, "
                      rf"[\w$]+, (\w+), [\w$]+, (\w+)>;", meta)
    if not found:
        raise SystemExit(f"{method}: no __PublicMethodMetaInfo in meta.d.ts")
    return found.group(1), found.group(2), found.group(3)


# ---------------------------------------------------------------- index.js


def www_mappings(index_js: str, resolver: str) -> list[tuple[str, str]]:
    """srcPath/destPath pairs for www.wixapis.com in one URL resolver function (reader and writer differ)."""
    body = re.search(rf"^function {resolver}\(opts\) \{{\n(.*?)^\}}\n", index_js, re.S | re.M)
    if not body:
        raise SystemExit(f"URL resolver {resolver} not found")
    pairs = []
    for block in re.findall(r'"www\.wixapis\.com": \[(.*?)\n    \]', body.group(1), re.S):
        pairs += re.findall(r'srcPath: "([^"]*)",\s*destPath: "([^"]*)"', block)
    return pairs


def method_requests(index_js: str, method: str) -> list[tuple[str, str, str]]:
    """(verb, protoPath, URL resolver) of the request builder, main request first, then any fallback."""
    public = re.search(rf"^async function {method}\(.*?const reqOpts = (?:\w+\.)?(\w+)\(payload", index_js,
                       re.S | re.M)
    builder = public.group(1) if public else method  # the builder may have another name (``read``)
    body = re.search(rf"^function {builder}\(payload\) \{{\n(.*?)^\}}\n", index_js, re.S | re.M)
    if not body:
        raise SystemExit(f"{method}: no request builder in index.js")
    return re.findall(r'method: "(\w+)",.*?url: (\w+)\(\s*\{\s*protoPath: "([^"]+)"', body.group(1), re.S)


def www_path(proto: str, mappings: list[tuple[str, str]]) -> str:
    best = max((m for m in mappings if m[1] and (proto == m[1] or proto.startswith(m[1] + "/"))),
               key=lambda m: len(m[1]), default=None)
    if best is None:
        raise SystemExit(f"no www.wixapis.com mapping for {proto}")
    return best[0] + proto[len(best[1]):]


# ---------------------------------------------------------------- universal / typings docs


def method_doc(universal: str, method: str) -> dict[str, Any]:
    found = re.search(rf"/\*\*((?:(?!/\*\*).)*?)\*/\ndeclare function {method}\(", universal, re.S)
    if not found:
        return {}
    doc = found.group(1)
    limits = {name: int(value) for name, value in re.findall(r"\+ `([\w.]+)`: (\d+)", doc)}
    required = re.findall(r"@requiredField ([\w.]+)", doc)
    result: dict[str, Any] = {}
    if limits:
        result["request_limits"] = limits
    if required:
        result["required_fields"] = [r.replace("._id", ".id").removeprefix("_") for r in required]
    return result


def application_errors(typings: str, method: str) -> list[str]:
    name = method[0].upper() + method[1:] + "ApplicationErrors"
    found = re.search(rf"^type {name} = (.*?)\}};$", typings, re.S | re.M)
    return sorted(set(re.findall(r"code\?: '(\w+)'", found.group(1)))) if found else []


def query_specs(typings: str) -> dict[str, Any]:
    specs: dict[str, Any] = {}
    for match in re.finditer(r"^interface (\w+QuerySpec) extends QuerySpec \{\n(.*?)^\}", typings, re.S | re.M):
        rules = []
        for group in re.finditer(r"fields: \[(.*?)\];\s*operators: (.*?);\s*sort: '(\w+)';", match.group(2), re.S):
            fields = [f.removeprefix("_") for f in re.findall(r"'([^']+)'", group.group(1))]
            operators = re.findall(r"'([^']+)'", group.group(2))
            rules.append({"fields": fields, "operators": operators, "sort": group.group(3)})
        specs[match.group(1)] = rules
    return specs


# ---------------------------------------------------------------- assembly


class Package:
    def __init__(self, short: str, root: Path) -> None:
        cjs = root / "build" / "cjs"
        self.short, self.root = short, root
        self.meta = (cjs / "meta.d.ts").read_text()
        self.index_js = (cjs / "index.js").read_text()
        self.typings = (cjs / "index.typings.d.ts").read_text()
        universals = sorted((cjs).glob("*.universal-*.d.ts"))
        self.universal = "\n".join(p.read_text() for p in universals) or self.typings
        self.interfaces, self.enums = parse_types(self.meta)


def collect(package: Package, root_type: str, types: dict[str, Any], enums: dict[str, Any]) -> str:
    """Copy ``root_type`` and every type it reaches into ``types`` under ``<pkg>.<name>``."""
    pending = [root_type]
    while pending:
        name = pending.pop()
        key = f"{package.short}.{name}"
        if key in types or name in PRIMITIVES:
            continue
        if name not in package.interfaces:
            if name in package.enums:
                continue
            raise SystemExit(f"{package.short}: type {name} not found")
        spec = package.interfaces[name]
        fields: dict[str, Any] = {}
        for parent in spec["extends"]:  # oneOf holders repeat their fields; merge them
            fields.update({k: v for k, v in package.interfaces.get(parent, {"fields": {}})["fields"].items()})
        fields.update(spec["fields"])
        out: dict[str, Any] = {}
        for field, info in fields.items():
            ref = dict(info["type"])
            if "enum" in ref:
                enums[f"{package.short}.{ref['enum']}"] = package.enums.get(ref["enum"], [])
                ref["enum"] = f"{package.short}.{ref['enum']}"
            elif ref.get("name") not in PRIMITIVES and "literal" not in ref:
                pending.append(ref["name"])
                ref["name"] = f"{package.short}.{ref['name']}"
            out[field] = {**ref, **{k: v for k, v in info.items() if k != "type"}}
        types[key] = out
    return f"{package.short}.{root_type}"


def build(workdir: Path) -> dict[str, Any]:
    roots = {short: npm_pack(spec, workdir) for short, spec in PACKAGES.items()}
    packages = {short: Package(short, root) for short, root in roots.items() if short != "SDK"}
    types: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    endpoints: dict[str, Any] = {}
    for key, (short, method, fallback_verb) in ENDPOINTS.items():
        package = packages[short]
        _, request_type, response_type = method_types(package.meta, method)
        requests = method_requests(package.index_js, method)
        verb, resolver, proto = next((r for r in requests if r[0] == fallback_verb), requests[0]) \
            if fallback_verb else requests[0]
        path = www_path(proto, www_mappings(package.index_js, resolver))
        entry: dict[str, Any] = {
            "package": short, "sdk_method": method, "method": verb, "path": path,
            "path_params": re.findall(r"\{([\w.]+)\}", path),
            "request": collect(package, request_type, types, enums),
            "response": collect(package, response_type, types, enums),
            **method_doc(package.universal, method),
        }
        errors = application_errors(package.typings, method)
        if errors:
            entry["application_errors"] = errors
        endpoints[key] = entry
    for key, extra in EXTRA_ENDPOINTS.items():
        package = packages[extra["package"]]
        endpoints[key] = {**extra, "path_params": re.findall(r"\{([\w.]+)\}", extra["path"]),
                          "request": collect(package, extra["request"], types, enums),
                          "response": collect(package, extra["response"], types, enums)}
    events = {short: collect(packages[short], name, types, enums) for short, name in EVENT_TYPES.items()}
    specs = {f"{short}.{name}": rules for short, package in packages.items()
             for name, rules in query_specs(package.typings).items()}
    return {
        "generated_by": "scripts/refresh_wix_contract.py",
        "packages": {short: {"name": spec.rsplit("@", 1)[0], "version": spec.rsplit("@", 1)[1]}
                     for short, spec in PACKAGES.items()},
        "auth": auth_facts(roots["SDK"]),
        "endpoints": endpoints,
        "events": events,
        "query_specs": specs,
        "types": dict(sorted(types.items())),
        "enums": dict(sorted(enums.items())),
    }


def auth_facts(sdk: Path) -> dict[str, Any]:
    """The token exchange as ``@wix/sdk`` performs it (build/auth/AppStrategy.js)."""
    text = (sdk / "build" / "auth" / "AppStrategy.js").read_text()
    found = re.search(r"fetch\('https://www\.wixapis\.com(/oauth2/token)', \{\s*method: '(\w+)'.*?"
                      r"JSON\.stringify\(\{(.*?)\}\)", text, re.S)
    if not found:
        raise SystemExit("AppStrategy.js: token exchange not found")
    fields = re.findall(r"(\w+):", found.group(3))
    reads = sorted(set(re.findall(r"tokens\.(\w+)", text)))
    return {"token": {"method": found.group(2), "path": found.group(1), "request_fields": fields,
                      "response_fields": reads, "source": "@wix/sdk build/auth/AppStrategy.js"}}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        contract = build(Path(tmp))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(contract, indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(contract['endpoints'])} endpoints, {len(contract['types'])} types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
