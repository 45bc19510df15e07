"""The stand-in's `bench run-tests` semantics per Frappe version (each case in a fresh interpreter: the version
decides what ``frappe.tests`` exports at import time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent('''
    import json, sys, tempfile, unittest
    from pathlib import Path
    from wix_commerce_sync.testing import activate_standin
    activate_standin()
    import frappe, frappe.tests
    from frappe import standin, testing
    from frappe.tests.utils import FrappeTestCase

    out = {"exports": sorted(n for n in ("IntegrationTestCase", "UnitTestCase", "change_settings") if hasattr(frappe.tests, n))}
    site = standin.new_site(Path(tempfile.mkdtemp()) / "runner.localhost", setup_wizard=False)
    site.connect()
    events = []

    class AppBase(FrappeTestCase):  # an app's own base: FrappeTestCase is not a direct base of its subclasses
        pass

    class Child(AppBase):
        def test_x(self): events.append(("run", "child", bool(frappe.db.exists("Warehouse Type", "Transit"))))

    class Direct(FrappeTestCase):
        def test_x(self): events.append(("run", "direct", bool(frappe.db.exists("Warehouse Type", "Transit"))))

    class Plain(unittest.TestCase):
        def test_x(self): events.append(("run", "plain", None))

    classes = [Child, Direct, Plain]
    if hasattr(frappe.tests, "IntegrationTestCase"):
        class Integration(frappe.tests.IntegrationTestCase):
            def test_x(self): events.append(("run", "integration", bool(frappe.db.exists("Warehouse Type", "Transit"))))
        class Unit(frappe.tests.UnitTestCase):
            def test_x(self): events.append(("run", "unit", None))
        classes += [Integration, Unit]
    module = type(sys)("fake_tests")
    for cls in classes:
        setattr(module, cls.__name__, cls)
    out["categories"] = {cls.__name__: testing.category_of(cls("test_x")) for cls in classes}
    testing.discover_test_modules = lambda app: ["fake_tests"]
    sys.modules["fake_tests"] = module
    testing.run_before_tests_hooks = lambda app: (events.append(("before_tests",)),
                                                  __import__("erpnext.setup.utils").setup.utils.before_tests())
    runs = testing.run_app_tests("wix_commerce_sync", stream=open("/dev/null", "w"))
    out["runs"] = [(r.category, r.tests) for r in runs]
    out["events"] = events
    print(json.dumps(out))
''')


def _run(version: str) -> dict:
    env = {**os.environ, "WCS_FRAPPE_VERSION": version}
    env.pop("WIX_COMMERCE_SYNC_STANDIN", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_v15_runner_prepares_the_site_once_before_every_test():
    out = _run("15")
    assert out["exports"] == []  # no IntegrationTestCase / UnitTestCase / change_settings in frappe.tests on v15
    assert out["runs"] == [["all", 3]]
    assert out["events"][0] == ["before_tests"]
    assert [e for e in out["events"] if e[0] == "run" and e[2] is not None] == [["run", "child", True], ["run", "direct", True]]


def test_v16_runner_categories_and_before_tests_only_for_integration_and_old_style():
    out = _run("16")
    assert out["exports"] == ["IntegrationTestCase", "UnitTestCase", "change_settings"]
    assert out["categories"] == {"Child": "unspecified-category", "Direct": "old-frappe-test-class-category",
                                 "Plain": "unspecified-category", "Integration": "integration", "Unit": "unit"}  # fmt: skip
    # unit first, then integration; the rest in discovery order (Child was discovered first)
    assert [r[0] for r in out["runs"]] == ["unit", "integration", "unspecified-category", "old-frappe-test-class-category"]
    events = out["events"]
    assert events.index(["before_tests"]) == events.index(["run", "unit", None]) + 1  # not before the unit suite
    assert ["run", "integration", True] in events
    assert events.count(["before_tests"]) == 2  # integration and old-style, each once
