"""Root pytest configuration: the strict Frappe stand-in, activated and given a site only when needed.

A temp site is created once per session, in the main thread, only if a collected test needs it:
tests under ``wix_commerce_sync/`` (FrappeTestCase-style app tests), FrappeTestCase subclasses anywhere, or tests
using the ``frappe_site`` / ``standin`` fixtures. Pure-core tests in ``tests/`` never touch frappe.
The site's database is SQLite, or MariaDB with ``WCS_DB=mariadb`` (``make test`` starts one: scripts/mariadb.sh).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
APP_TESTS = ROOT / "wix_commerce_sync"
_STATE: dict = {"site": None, "tmpdir": None, "available": None, "error": None}


def _activate() -> bool:
    if _STATE["available"] is None:
        from wix_commerce_sync.testing import activate_standin

        try:
            activate_standin()
            _STATE["available"] = True
        except RuntimeError as exc:  # a real frappe is importable: never shadow it
            _STATE["available"] = False
            _STATE["error"] = str(exc)
    return _STATE["available"]


def pytest_configure(config):
    config.addinivalue_line("markers", "frappe_site: the test needs the stand-in Frappe site")
    _activate()


def _needs_site(item) -> bool:
    if "frappe_site" in getattr(item, "fixturenames", ()) or "standin" in getattr(item, "fixturenames", ()):
        return True
    if item.get_closest_marker("frappe_site"):
        return True
    path = Path(str(item.fspath)).resolve()
    if path.is_relative_to(APP_TESTS):
        return True
    cls = getattr(item, "cls", None)
    return bool(cls and any(base.__name__ == "FrappeTestCase" for base in cls.__mro__))


def _create_site():
    import frappe
    from frappe import standin

    tmpdir = tempfile.mkdtemp(prefix="wcs-standin-")
    site = standin.new_site(Path(tmpdir) / "test.localhost", db_type=os.environ.get("WCS_DB") or "sqlite")
    site.connect("Administrator")
    frappe.flags.in_test = True
    _STATE["site"], _STATE["tmpdir"] = site, tmpdir
    return site


def pytest_collection_modifyitems(session, config, items):
    if not any(_needs_site(item) for item in items):
        return
    if not _activate():
        skip = pytest.mark.skip(reason=f"stand-in disabled: {_STATE['error']}")
        for item in items:
            if _needs_site(item):
                item.add_marker(skip)
        return
    _create_site()


def pytest_unconfigure(config):
    if _STATE["site"] is not None:
        import frappe
        from frappe import standin

        try:
            frappe.destroy()
            standin.drop_site(_STATE["site"])
        finally:
            shutil.rmtree(_STATE["tmpdir"], ignore_errors=True)
            _STATE["site"] = None


@pytest.fixture(autouse=True)
def _standin_thread_state(request):
    """Every site-using test starts as Administrator with in_test set and no open transaction of a previous test."""
    if _STATE["site"] is None or not _needs_site(request.node):
        yield
        return
    import frappe

    if getattr(frappe.local, "db", None) is None:
        _STATE["site"].connect("Administrator")
    frappe.set_user("Administrator")
    frappe.local.flags.in_test = True
    yield
    if getattr(frappe.local, "db", None) is None:
        _STATE["site"].connect("Administrator")
    frappe.set_user("Administrator")


@pytest.fixture
def frappe_site():
    """The session's stand-in site (connected in the main thread). Uncommitted writes are rolled back after the test."""
    if _STATE["site"] is None:
        pytest.skip("stand-in site not available")
    import frappe

    yield _STATE["site"]
    frappe.db.rollback()


@pytest.fixture
def standin(frappe_site):
    """The ``frappe.standin`` control module, with captured jobs/realtime/mail reset before the test."""
    from frappe import standin as standin_module

    standin_module.reset_captures()
    yield standin_module
    standin_module.reset_captures()
