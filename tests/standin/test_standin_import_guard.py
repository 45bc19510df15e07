"""The stand-in can never be imported as frappe by accident, and refuses to shadow a real frappe."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from wix_commerce_sync.testing import STANDIN_ROOT

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WIX_COMMERCE_SYNC_STANDIN"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)


def test_import_without_activation_raises_import_error():
    result = _run(f"""
        import sys
        sys.path.insert(0, {str(STANDIN_ROOT)!r})
        try:
            import frappe
        except ImportError as exc:
            print("IMPORT-ERROR", exc)
        else:
            print("IMPORTED")
    """)
    assert "IMPORT-ERROR" in result.stdout, result.stdout + result.stderr
    assert "activate_standin" in result.stdout


def test_not_importable_without_path():
    result = _run("""
        import importlib.util
        print("FOUND" if importlib.util.find_spec("frappe") else "MISSING")
    """)
    assert result.stdout.strip() == "MISSING", result.stdout + result.stderr


def test_activation_refused_when_real_frappe_is_importable(tmp_path):
    fake = tmp_path / "frappe"
    fake.mkdir()
    (fake / "__init__.py").write_text("REAL = True\n")
    result = _run("""
        from wix_commerce_sync.testing import activate_standin
        try:
            activate_standin()
        except RuntimeError as exc:
            print("REFUSED", exc)
        else:
            print("ACTIVATED")
    """, {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert "REFUSED" in result.stdout, result.stdout + result.stderr


def test_activation_sets_flag_and_path():
    result = _run("""
        import os
        from wix_commerce_sync.testing import activate_standin, STANDIN_ROOT
        activate_standin()
        import frappe
        print(os.environ["WIX_COMMERCE_SYNC_STANDIN"], frappe.__file__.startswith(str(STANDIN_ROOT)))
    """)
    assert result.stdout.split() == ["1", "True"], result.stdout + result.stderr


def test_erpnext_standin_not_importable_without_activation():
    result = _run(f"""
        import sys
        sys.path.insert(0, {str(STANDIN_ROOT)!r})
        try:
            import erpnext
        except ImportError as exc:
            print("IMPORT-ERROR", exc)
        else:
            print("IMPORTED")
    """)
    assert "IMPORT-ERROR" in result.stdout, result.stdout + result.stderr
    assert "activate_standin" in result.stdout


def test_activation_refused_when_real_erpnext_is_importable(tmp_path):
    fake = tmp_path / "erpnext"
    fake.mkdir()
    (fake / "__init__.py").write_text("REAL = True\n")
    result = _run("""
        import sys
        from wix_commerce_sync.testing import activate_standin, STANDIN_ROOT
        try:
            activate_standin()
        except RuntimeError as exc:
            print("REFUSED", exc)
        else:
            print("ACTIVATED")
        print("ON-PATH" if str(STANDIN_ROOT) in sys.path else "OFF-PATH")
    """, {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert "REFUSED" in result.stdout and "real erpnext" in result.stdout, result.stdout + result.stderr
    assert "OFF-PATH" in result.stdout, result.stdout + result.stderr


def test_activation_makes_the_erpnext_standin_importable():
    result = _run("""
        from wix_commerce_sync.testing import activate_standin, STANDIN_ROOT
        activate_standin()
        import erpnext
        from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note, make_sales_invoice
        from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
        from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return
        from erpnext.controllers.sales_and_purchase_return import make_return_doc
        print(erpnext.__file__.startswith(str(STANDIN_ROOT)))
    """)
    assert result.stdout.split() == ["True"], result.stdout + result.stderr
