"""Test helpers: platform simulators and the strict Frappe stand-in.

The stand-in lives in ``testing/standin/frappe``. The folder ``standin/`` has no ``__init__.py`` on
purpose: the package only becomes importable as ``frappe`` after :func:`activate_standin` put that
folder on ``sys.path``, and :func:`activate_standin` refuses to do that inside a real bench.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

STANDIN_ROOT = Path(__file__).resolve().parent / "standin"
STANDIN_FLAG = "WIX_COMMERCE_SYNC_STANDIN"


def _real_frappe_location() -> str | None:
    """Where a frappe package outside our stand-in folder would be imported from, if any."""
    if "frappe" in sys.modules:
        module_file = getattr(sys.modules["frappe"], "__file__", None) or ""
        return None if _inside_standin(module_file) else module_file or "<frappe in sys.modules>"
    spec = importlib.util.find_spec("frappe")
    if spec is None:
        return None
    origin = spec.origin or ""
    locations = list(spec.submodule_search_locations or [])
    if all(_inside_standin(p) for p in [origin, *locations] if p):
        return None
    return origin or (locations[0] if locations else "<frappe>")


def _inside_standin(path: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(STANDIN_ROOT)
    except (OSError, ValueError):
        return False


def activate_standin() -> Path:
    """Make ``import frappe`` load the stand-in. Refuses when a real frappe is importable."""
    real = _real_frappe_location()
    if real is not None:
        raise RuntimeError(
            f"A real frappe package is importable ({real}); the wix_commerce_sync stand-in must never shadow it. "
            "Run the app's tests with `bench run-tests` on a real site instead."
        )
    root = str(STANDIN_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    os.environ[STANDIN_FLAG] = "1"
    return STANDIN_ROOT


def standin_active() -> bool:
    return os.environ.get(STANDIN_FLAG) == "1" and str(STANDIN_ROOT) in sys.path
