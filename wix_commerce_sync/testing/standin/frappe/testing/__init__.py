"""How ``bench --site S run-tests --app APP`` runs an app's tests, per Frappe version (stand-in; unittest, not pytest).

v15 (frappe ``version-15`` ``frappe/test_runner.py``): the app's ``before_tests`` hooks run once, then every
``test_*.py`` module of the app runs in ONE suite.

v16 (frappe ``version-16`` ``frappe/testing/discovery.py``, ``runner.py``, ``environment.py``):
* every test is filed in a category: ``integration`` (an ``IntegrationTestCase``), ``unit`` (a ``UnitTestCase``),
  else ``old-frappe-test-class-category`` when ``FrappeTestCase`` is a DIRECT base of its class, else
  ``unspecified-category``;
* categories run as separate suites, by priority (unit 1, integration 2, functional 3, any other last, in the order
  first discovered);
* the app's ``before_tests`` hooks run only when preparing the ``integration`` and the
  ``old-frappe-test-class-category`` suites (once for each), never for ``unit`` or ``unspecified-category``.
Modules are discovered in sorted path order (os.walk order on a real bench depends on the file system).
"""

from __future__ import annotations

import importlib
import os
import sys
import unittest
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import frappe

CATEGORY_PRIORITIES = {"unit": 1, "integration": 2, "functional": 3}
PREPARED_CATEGORIES = ("integration", "old-frappe-test-class-category")


@dataclass
class CategoryRun:
    category: str
    tests: int
    result: unittest.TestResult


def discover_test_modules(app: str) -> list[str]:
    app_path = Path(frappe.get_app_path(app))
    found = []
    for path, folders, files in os.walk(app_path):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in ("node_modules", "locals", "public", "__pycache__"))
        for filename in sorted(files):
            if filename.startswith("test_") and filename.endswith(".py") and filename != "test_runner.py":
                file = Path(path, filename)
                found.append(".".join((*file.relative_to(app_path.parent).parent.parts, file.stem)))
    return found


def iterate_suite(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from iterate_suite(test)
        else:
            yield test


def category_of(test: unittest.TestCase) -> str:
    """frappe v16 discovery.py ``_add_module_tests``."""
    import frappe.tests

    integration = getattr(frappe.tests, "IntegrationTestCase", None)
    unit = getattr(frappe.tests, "UnitTestCase", None)
    if integration is not None and isinstance(test, integration):
        return "integration"
    if unit is not None and isinstance(test, unit):
        return "unit"
    if any(base.__name__ == "FrappeTestCase" for base in type(test).__bases__):
        return "old-frappe-test-class-category"
    return "unspecified-category"


def run_before_tests_hooks(app: str) -> None:
    for hook in frappe.get_hooks("before_tests", app_name=app):
        frappe.get_attr(hook)()


def run_app_tests(app: str, *, verbosity: int = 1, failfast: bool = False, stream=None) -> list[CategoryRun]:
    """Run ``app``'s tests on the connected site the way the stand-in's Frappe version's runner does."""
    from frappe import standin

    stream = stream or sys.stderr
    frappe.flags.in_test = True
    loader = unittest.TestLoader()
    modules = [importlib.import_module(name) for name in discover_test_modules(app)]
    runner = unittest.TextTestRunner(stream=stream, verbosity=verbosity, failfast=failfast)
    if standin.frappe_version() < 16:
        run_before_tests_hooks(app)
        suite = unittest.TestSuite(loader.loadTestsFromModule(module) for module in modules)
        stream.write(f"Running {suite.countTestCases()} tests for {app} (Frappe v15 runner)\n")
        return [CategoryRun("all", suite.countTestCases(), runner.run(suite))]

    categories: dict[str, unittest.TestSuite] = {}
    for module in modules:
        for test in iterate_suite(loader.loadTestsFromModule(module)):
            categories.setdefault(category_of(test), unittest.TestSuite()).addTest(test)
    runs = []
    for category, suite in sorted(categories.items(), key=lambda item: CATEGORY_PRIORITIES.get(item[0], float("inf"))):
        if category in PREPARED_CATEGORIES:
            run_before_tests_hooks(app)
        stream.write(f"Running {suite.countTestCases()} {category} tests for {app} (Frappe v16 runner)\n")
        runs.append(CategoryRun(category, suite.countTestCases(), runner.run(suite)))
        if failfast and not runs[-1].result.wasSuccessful():
            break
    return runs
