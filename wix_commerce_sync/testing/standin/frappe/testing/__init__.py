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
* before discovery, every annotated module-level function of the app (whitelisted ones excepted: they are checked
  already) is wrapped in ``validate_argument_types`` (environment.py
  ``_decorate_all_methods_and_functions_with_type_checker``; ``[tool.frappe.testing.function_type_validation]``
  ``skip_namespaces`` / ``max_module_depth`` in the app's pyproject.toml are honoured), so wrong argument types
  fail in tests wherever annotations are real types (string annotations, ``from __future__ import annotations``,
  are skipped by the checker as in Frappe). The stand-in decorates the app under test only, not frappe/erpnext,
  and skips a module that needs a package a bench has but this environment lacks (``commands`` needs click).
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


def _type_validation_config(app: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10 (Frappe v16 needs 3.14 anyway)
        return {}
    pyproject = Path(frappe.get_app_source_path(app), "pyproject.toml")
    if not pyproject.is_file():
        return {}
    config = tomllib.loads(pyproject.read_text())
    return config.get("tool", {}).get("frappe", {}).get("testing", {}).get("function_type_validation", {})


def decorate_functions_with_type_checker(app: str) -> int:
    """frappe v16 testing/environment.py: wrap the app's annotated functions; returns how many were wrapped."""
    import functools
    import inspect
    import pkgutil

    from frappe.utils.typing_validations import validate_argument_types

    config = _type_validation_config(app)
    max_depth = config.get("max_module_depth", float("inf"))
    skip = tuple(config.get("skip_namespaces", []))
    wrapped = 0

    def decorate_module(module, depth: int) -> None:
        nonlocal wrapped
        if depth > max_depth:
            return
        for name in dir(module):
            obj = getattr(module, name)
            if not inspect.isfunction(obj) or not getattr(obj, "__annotations__", None):
                continue
            if obj.__module__.split(".", 1)[0] != app or obj in frappe.whitelisted:
                continue
            if hasattr(obj, "_is_decorated_for_validate_argument_types") or obj.__module__.startswith(skip or ("\0",)):
                continue
            wrapper = functools.wraps(obj)(validate_argument_types(obj))
            wrapper._is_decorated_for_validate_argument_types = True
            setattr(module, name, wrapper)
            wrapped += 1

    package = importlib.import_module(app)
    decorate_module(package, 1)
    for _, name, _ in pkgutil.walk_packages(path=package.__path__, prefix=f"{app}."):
        depth = len(name.split("."))
        if depth > max_depth or (skip and name.startswith(skip)):
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a bench-provided package (click, ...) this environment lacks
            if (exc.name or "").split(".")[0] in (app, "frappe", "erpnext"):
                raise
            continue
        decorate_module(module, depth)
    return wrapped


def run_before_tests_hooks(app: str) -> None:
    for hook in frappe.get_hooks("before_tests", app_name=app):
        frappe.get_attr(hook)()


def run_app_tests(app: str, *, verbosity: int = 1, failfast: bool = False, stream=None) -> list[CategoryRun]:
    """Run ``app``'s tests on the connected site the way the stand-in's Frappe version's runner does."""
    from frappe import standin

    stream = stream or sys.stderr
    frappe.flags.in_test = True
    loader = unittest.TestLoader()
    runner = unittest.TextTestRunner(stream=stream, verbosity=verbosity, failfast=failfast)
    if standin.frappe_version() < 16:
        modules = [importlib.import_module(name) for name in discover_test_modules(app)]
        run_before_tests_hooks(app)
        suite = unittest.TestSuite(loader.loadTestsFromModule(module) for module in modules)
        stream.write(f"Running {suite.countTestCases()} tests for {app} (Frappe v15 runner)\n")
        return [CategoryRun("all", suite.countTestCases(), runner.run(suite))]

    wrapped = decorate_functions_with_type_checker(app)
    stream.write(f"Type checker added to {wrapped} annotated functions of {app}\n")
    modules = [importlib.import_module(name) for name in discover_test_modules(app)]
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
