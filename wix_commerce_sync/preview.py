"""Preview: platform payload -> canonical records -> ERPNext documents, validated by the stand-in.

Nothing is written anywhere: the documents are inserted into a throw-away
stand-in site inside one transaction (so links between them resolve and every
check real Frappe makes runs), read back with the values ERPNext would compute,
and rolled back.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

from wix_commerce_sync.sync.models import ZERO, Customer, Entity, Order, Product, StockLevel, Variant


class CliError(Exception):
    """A user-facing, one-line error (the CLI prints it and exits non-zero)."""


ENTITY_OF = {"order": Entity.ORDERS, "product": Entity.ITEMS, "customer": Entity.CUSTOMERS, "stock": Entity.STOCK,
             "refund": Entity.ORDERS}  # a refund is read with its order (the credit note needs the order's lines)
NOISE = {"owner", "creation", "modified", "modified_by", "idx", "docstatus", "parent", "parentfield", "parenttype",
         "doctype_meta"}  # fmt: skip


def read_payload(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def parse_records(platform: str, entity: str, payload: Any) -> list[Any]:
    try:
        mapping = import_module(f"wix_commerce_sync.connectors.{platform}.mapping")
    except ModuleNotFoundError as exc:
        raise CliError(f"no {platform} connector is installed") from exc
    if not isinstance(payload, (dict, list)):
        raise CliError(f"a {platform} {entity} payload must be a JSON object")
    try:
        records = mapping.parse_payload(ENTITY_OF[entity], payload)
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"not a {platform} {entity} payload: {_one_line(exc)}") from exc
    if not records:
        raise CliError(f"the file holds no {platform} {entity}")
    return records


def build_documents(records: list[Any], defaults) -> tuple[list[dict], list[str]]:
    """Frappe-style dicts for the records, plus warnings. Unknown SKUs become new Items."""
    from wix_commerce_sync.erpnext import documents as docs

    out: list[dict] = []
    warnings: list[str] = []
    for record in records:
        if isinstance(record, Product):
            out += docs.item_documents(record, defaults)
        elif isinstance(record, Customer):
            out += docs.customer_documents(record, defaults)
        elif isinstance(record, Order):
            out += _order_documents(record, defaults, warnings)
        elif isinstance(record, StockLevel):
            out += _new_items(
                [Product(None, record.sku or "?", variants=[Variant(record.variant_id, record.sku)])], defaults, out
            )
    levels = [r for r in records if isinstance(r, StockLevel)]
    if levels:
        rows = [(r.sku, defaults.default_warehouse, r.quantity, None) for r in levels if r.sku]
        if len(rows) < len(levels):
            warnings.append(f"{len(levels) - len(rows)} stock row(s) name no SKU; the item mapping resolves them")
        if rows:
            out.append(docs.stock_reconciliation_document(rows, defaults))
    return out, warnings


def build_refund_documents(records: list[Any], defaults) -> tuple[list[dict], list[str]]:
    """An order payload with its refunds -> the order's documents, then per refund its Credit Note (against the
    order's invoice, which mirrors the Sales Order) and its return Delivery Note, amounts to the cent."""
    from wix_commerce_sync.erpnext import documents as docs
    from wix_commerce_sync.sync.errors import MappingError

    out: list[dict] = []
    warnings: list[str] = []
    for order in [r for r in records if isinstance(r, Order)]:
        codes: dict[str, str] = {}
        order_docs = _order_documents(order, defaults, warnings, codes)
        out += order_docs
        if not order.refunds:
            warnings.append(f"order {order.number}: the payload carries no refund")
        invoice = next(doc for doc in order_docs if doc["doctype"] == "Sales Order")
        shipped = _shipped(order, codes)
        for refund in order.refunds:
            try:
                made = docs.refund_documents(order, refund, defaults, codes, invoice, shipped)
                restocked = docs.refund_split(order, replace(refund, amount=ZERO), codes).goods if refund.restock else []
            except MappingError as exc:
                warnings.append(f"order {order.number}: refund {refund.external_id}: {exc}")
                continue
            out += made
            back = {row["item_code"]: -Decimal(str(row["qty"])) for doc in made if doc["doctype"] == "Delivery Note"
                    for row in doc["items"]}  # fmt: skip
            unshipped = [f"{qty - back.get(code, ZERO)} x {code}" for code, qty, _ in restocked if qty > back.get(code, ZERO)]
            if unshipped:
                warnings.append(f"refund {refund.external_id}: {', '.join(unshipped)} restocked before shipping: the "
                                "Sales Order's open quantity is lowered (Update Items), no return delivery")  # fmt: skip
            if refund.tax is None:
                warnings.append(f"refund {refund.external_id}: the store gives no tax for it; the order's taxes are "
                                "shared out in proportion")  # fmt: skip
    return out, warnings


def _shipped(order: Order, codes: dict[str, str]) -> dict[str, Decimal]:
    """Units shipped per item code, from the order's fulfilments (one naming no lines ships everything)."""
    from wix_commerce_sync.erpnext import documents as docs

    out: dict[str, Decimal] = {}
    for fulfilment in order.fulfilments:
        for line in order.lines:
            qty = line.quantity if not fulfilment.lines else sum(
                (q for ref, q in fulfilment.lines if ref in (line.external_id, line.sku)), ZERO)
            if qty:
                code = docs.item_code_for_line(line, codes, order)
                out[code] = min(out.get(code, ZERO) + qty, line.quantity)
    return out


def _order_documents(order: Order, defaults, warnings: list[str], codes: dict[str, str] | None = None) -> list[dict]:
    from wix_commerce_sync.erpnext import documents as docs

    out: list[dict] = []
    codes = {} if codes is None else codes
    for line in order.lines:  # every line's item is previewed as a new Item (no mapping knows it yet)
        product = Product(None, line.title, variants=[Variant(line.variant_id, line.sku, price=line.unit_price)])
        code = next(d["item_code"] for d in docs.item_documents(product, defaults) if d["doctype"] == "Item")
        out += _new_items([product], defaults, out)
        for key in (line.variant_id and f"variant:{line.variant_id}", line.sku,
                    line.product_id and f"product:{line.product_id}"):  # fmt: skip
            if key:
                codes[key] = code
    customer_name = "Walk-in Customer"
    if order.customer or order.email:
        customer = order.customer or Customer(None, order.email)
        if order.billing_address and not customer.addresses:
            customer.addresses = [a for a in (order.billing_address, order.shipping_address) if a]
        customer_docs = docs.customer_documents(customer, defaults)
        out += customer_docs
        customer_name = next(d.get("customer_name") for d in customer_docs if d["doctype"] == "Customer")
    out.append(docs.sales_order_document(order, defaults, codes, customer_name))
    if order.computed_total() != order.total:
        warnings.append(f"order {order.number}: its parts add up to {order.computed_total()}, the store says {order.total}")
    for charge in order.fee_lines:
        if charge.code and ("unitemised" in charge.code or "adjustment" in charge.code):
            warnings.append(f"order {order.number}: the payload's lines do not add up to its own totals; "
                            f"{charge.amount} is booked as the charge '{charge.title}'")  # fmt: skip
    missing = [line.title for line in order.lines if not line.sku]
    if missing:
        warnings.append(f"lines without SKU become items named after their title: {', '.join(missing)}")
    return out


def _new_items(products: list[Product], defaults, already: list[dict]) -> list[dict]:
    """Item (and Item Price) documents for products not yet previewed."""
    from wix_commerce_sync.erpnext import documents as docs

    known = {(d.get("doctype"), d.get("item_code")) for d in already}
    out: list[dict] = []
    for product in products:
        for doc in docs.item_documents(product, defaults):
            key = (doc.get("doctype"), doc.get("item_code"))
            if doc.get("item_code") and key in known:
                continue
            known.add(key)
            out.append(doc)
    return out


def validate_documents(frappe, documents: list[dict]) -> tuple[list[dict], list[str]]:
    """Insert into the throw-away site inside one transaction, read back, roll back."""
    checked: list[dict] = []
    problems: list[str] = []
    for data in documents:
        try:
            doc = frappe.get_doc(dict(data)).insert(ignore_permissions=True)
            checked.append(_clean(doc.as_dict()))
        except Exception as exc:  # every document is reported, valid or not
            problems.append(f"{data.get('doctype')} {data.get('item_code') or data.get('customer_name') or ''}: "
                            f"{type(exc).__name__}: {_one_line(exc)}".replace("  ", " "))  # fmt: skip
            checked.append(_clean(data))
    frappe.db.rollback()
    return checked, problems


def preview_file(platform: str, entity: str, path: str) -> dict[str, Any]:
    payload = read_payload(path)
    records = parse_records(platform, entity, payload)
    from wix_commerce_sync.testing.sandbox_site import open_sandbox_site

    with tempfile.TemporaryDirectory(prefix="wcs-preview-") as site_dir, open_sandbox_site(site_dir) as (
        frappe,
        defaults,
        _,
    ):
        if entity == "refund":
            defaults.fee_account = defaults.fee_account or defaults.shipping_account
            documents, warnings = build_refund_documents(records, defaults)
        else:
            documents, warnings = build_documents(records, defaults)
        checked, problems = validate_documents(frappe, documents)
    return {"documents": checked, "warnings": warnings + problems}


def _clean(value: Any) -> Any:
    """Drop framework noise and empty values so the preview reads like the form."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in NOISE and v not in (None, "", [], 0, 0.0)}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
