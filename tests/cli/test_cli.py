"""The ``wix-commerce-sync`` command: help, one-line errors, and previews of published payloads."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wix_commerce_sync.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, input=stdin, timeout=300)  # fmt: skip


def test_help_lists_the_commands():
    result = cli("--help")
    assert result.returncode == 0
    assert "preview" in result.stdout and "sandbox" in result.stdout
    assert "bench --site SITE commerce-sync" in result.stdout


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{not json", "is not valid JSON"), ('{"hello": "world"}', "not a shopify order payload"), ("[]", "")],
)
def test_preview_of_a_malformed_file_fails_with_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = cli("preview", "shopify", "order", str(path))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and reason in lines[0]
    assert result.stdout == ""


def test_preview_of_a_missing_file_fails_with_one_line(tmp_path):
    result = cli("preview", "woocommerce", "order", str(tmp_path / "nope.json"))
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1


def test_preview_of_shopify_orders_create_sample_matches_the_payload():
    sample = json.loads((FIXTURES / "shopify" / "webhook-orders-create-sample.json").read_text())
    result = cli("preview", "shopify", "order", str(FIXTURES / "shopify" / "webhook-orders-create-sample.json"))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    (order,) = [d for d in out["documents"] if d["doctype"] == "Sales Order"]
    lines = [(i["item_code"], i["qty"], Decimal(str(i["rate"]))) for i in order["items"]]
    assert lines == [(li["sku"], li["quantity"], Decimal(li["price"])) for li in sample["line_items"]]
    assert Decimal(str(order["grand_total"])) == Decimal(sample["total_price"])
    assert order["po_no"] == sample["name"]
    shipping = sum(Decimal(s["price"]) for s in sample["shipping_lines"])
    assert any(Decimal(str(t["tax_amount"])) == shipping for t in order["taxes"])
    assert Decimal(str(order["discount_amount"])) == Decimal(sample["total_discounts"])
    # the sample's item is previewed as a new Item, not dropped; its customer too
    assert {d["doctype"] for d in out["documents"]} >= {"Item", "Customer", "Sales Order"}
    # the sample's lines do not add up to its own totals: that is said, not hidden
    assert any("do not add up" in w for w in out["warnings"])


def test_preview_of_woocommerce_order_matches_the_payload():
    path = FIXTURES / "woocommerce" / "order-update-response.json"
    sample = json.loads(path.read_text())
    result = cli("preview", "woocommerce", "order", str(path))
    assert result.returncode == 0, result.stderr
    (order,) = [d for d in json.loads(result.stdout)["documents"] if d["doctype"] == "Sales Order"]
    assert Decimal(str(order["grand_total"])) == Decimal(sample["total"])
    assert sorted(i["qty"] for i in order["items"]) == sorted(li["quantity"] for li in sample["line_items"])


def test_preview_reads_standard_input():
    path = FIXTURES / "woocommerce" / "customer-retrieve.json"
    result = cli("preview", "woocommerce", "customer", "-", stdin=path.read_text())
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)["documents"]
    customer = json.loads(path.read_text())
    contact = next(d for d in docs if d["doctype"] == "Contact")
    assert [e["email_id"] for e in contact["email_ids"]] == [customer["email"]]


def test_preview_of_a_shopify_order_with_a_partial_refund_shows_its_credit_note_and_return(tmp_path):
    sample = json.loads((FIXTURES / "shopify" / "webhook-orders-create-sample.json").read_text())
    line = sample["line_items"][0]
    sample["refunds"] = [{  # Shopify's REST Refund shape: one unit back, restocked, its price refunded
        "id": 509562969, "order_id": sample["id"], "note": "damaged", "created_at": sample["created_at"],
        "refund_line_items": [{"line_item_id": line["id"], "quantity": 1, "restock_type": "return",
                               "line_item": {"id": line["id"], "sku": line["sku"]}, "subtotal": line["price"], "total_tax": "0.00"}],
        "transactions": [{"kind": "refund", "status": "success", "amount": line["price"]}],
    }]  # fmt: skip
    sample["fulfillments"] = [{"id": 255858046, "order_id": sample["id"], "created_at": sample["created_at"],
                               "line_items": [{"id": line["id"], "sku": line["sku"], "quantity": 1}]}]  # shipped
    path = tmp_path / "order-with-refund.json"
    path.write_text(json.dumps(sample))
    result = cli("preview", "shopify", "refund", str(path))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    (credit,) = [d for d in out["documents"] if d["doctype"] == "Sales Invoice"]
    assert credit["is_return"] == 1 and Decimal(str(credit["grand_total"])) == -Decimal(line["price"])
    assert [(i["item_code"], i["qty"]) for i in credit["items"]] == [(line["sku"], -1)]
    (back,) = [d for d in out["documents"] if d["doctype"] == "Delivery Note"]
    assert [(i["item_code"], i["qty"]) for i in back["items"]] == [(line["sku"], -1)]
    assert not [w for w in out["warnings"] if w.startswith(("Sales Invoice", "Delivery Note"))], out["warnings"]


def test_preview_of_a_refund_restocked_before_shipping_says_the_order_is_lowered(tmp_path):
    sample = json.loads((FIXTURES / "shopify" / "webhook-orders-create-sample.json").read_text())
    line = sample["line_items"][0]
    sample["refunds"] = [{"id": 7, "order_id": sample["id"], "transactions": [{"kind": "refund", "status": "success",
                                                                               "amount": line["price"]}],
                          "refund_line_items": [{"line_item_id": line["id"], "quantity": 1, "restock_type": "cancel",
                                                 "line_item": {"id": line["id"], "sku": line["sku"]}, "total_tax": "0.00"}]}]  # fmt: skip
    path = tmp_path / "unshipped.json"
    path.write_text(json.dumps(sample))
    out = json.loads(cli("preview", "shopify", "refund", str(path)).stdout)
    assert not [d for d in out["documents"] if d["doctype"] == "Delivery Note"]
    assert any(f"1 x {line['sku']} restocked before shipping" in w for w in out["warnings"]), out["warnings"]
