"""Test helpers: platform simulators and the strict Frappe stand-in.

The stand-in lives in ``testing/standin/frappe`` (and the few ERPNext functions the app calls in
``testing/standin/erpnext``). The folder ``standin/`` has no ``__init__.py`` on purpose: the packages only
become importable as ``frappe`` / ``erpnext`` after :func:`activate_standin` put that folder on ``sys.path``,
and :func:`activate_standin` refuses to do that inside a real bench (a real frappe or erpnext importable).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

STANDIN_ROOT = Path(__file__).resolve().parent / "standin"
STANDIN_FLAG = "WIX_COMMERCE_SYNC_STANDIN"


STANDIN_PACKAGES = ("frappe", "erpnext")


def _real_package_location(package: str) -> str | None:
    """Where a ``package`` outside our stand-in folder would be imported from, if any."""
    if package in sys.modules:
        module_file = getattr(sys.modules[package], "__file__", None) or ""
        return None if _inside_standin(module_file) else module_file or f"<{package} in sys.modules>"
    spec = importlib.util.find_spec(package)
    if spec is None:
        return None
    origin = spec.origin or ""
    locations = list(spec.submodule_search_locations or [])
    if all(_inside_standin(p) for p in [origin, *locations] if p):
        return None
    return origin or (locations[0] if locations else f"<{package}>")


def _inside_standin(path: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(STANDIN_ROOT)
    except (OSError, ValueError):
        return False


def activate_standin() -> Path:
    """Make ``import frappe`` / ``import erpnext`` load the stand-ins. Refuses when a real one is importable."""
    for package in STANDIN_PACKAGES:
        real = _real_package_location(package)
        if real is not None:
            raise RuntimeError(
                f"A real {package} package is importable ({real}); the wix_commerce_sync stand-in must never shadow "
                "it. Run the app's tests with `bench run-tests` on a real site instead."
            )
    root = str(STANDIN_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    os.environ[STANDIN_FLAG] = "1"
    return STANDIN_ROOT


def standin_active() -> bool:
    return os.environ.get(STANDIN_FLAG) == "1" and str(STANDIN_ROOT) in sys.path
