"""Canonical records survive the queue; the core never needs frappe."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from wix_commerce_sync.sync.models import Order, StockLevel, ext_id, money, utc
from wix_commerce_sync.sync.serialize import dumps, loads
from wix_commerce_sync.testing.factories import make_order

ROOT = Path(__file__).resolve().parents[2]


def test_order_round_trips_exactly():
    order = make_order()
    order.lines[0].unit_price = Decimal("19.995")
    back = loads(dumps(order))
    assert isinstance(back, Order)
    assert back == order
    assert back.lines[0].unit_price == Decimal("19.995") and back.updated_at.tzinfo is not None


def test_list_of_stock_levels_round_trips():
    levels = [StockLevel("A", Decimal("3"), location_id="1", inventory_item_id="271878346596884015")]
    assert loads(dumps(levels)) == levels


def test_money_and_ids_never_go_through_float():
    assert money(0.1) == Decimal("0.1")
    assert money("19.99") + money("0.01") == Decimal("20.00")
    assert ext_id(271878346596884015) == "271878346596884015"
    assert utc("2026-11-01T10:00:00-05:00").hour == 15


def test_core_imports_with_frappe_blocked():
    """Every module of sync/ and connectors/ imports while ``import frappe`` is impossible."""
    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['frappe'] = None\nsys.modules['erpnext'] = None\n"
        "import wix_commerce_sync.sync as s, wix_commerce_sync.connectors as c\n"
        "names = []\n"
        "for pkg in (s, c):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name); names.append(m.name)\n"
        "print(len(names))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 10


def test_deleted_record_survives_the_job_payload() -> None:
    from datetime import datetime, timezone

    from wix_commerce_sync.sync.models import DeletedRecord, Entity
    from wix_commerce_sync.sync.serialize import dumps, loads

    record = DeletedRecord(Entity.CUSTOMERS, "42", datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc))
    assert loads(dumps(record)) == record
