"""Every shell test class that uses a site derives from ``fixtures.ShellTestCase``.

Frappe v16's runner runs ``before_tests`` only for integration and old-style classes and runs the others first;
a class that bypasses the shared base would then meet a site without ERPNext's setup on v16 (see fixtures.py).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import frappe.tests
import frappe.tests.utils

import wix_commerce_sync.tests as app_tests
from wix_commerce_sync.tests.fixtures import ShellTestCase

# Frappe's site test classes of the running version (pure document-building tests derive from unittest alone)
SITE_TEST_CLASSES = tuple(
    cls for cls in (getattr(frappe.tests, "IntegrationTestCase", None), frappe.tests.utils.FrappeTestCase) if cls
)


class TestEveryShellTestUsesTheSharedBase(ShellTestCase):
    def test_every_test_class_derives_from_shell_test_case(self):
        outside = []
        for module_info in pkgutil.iter_modules(app_tests.__path__):
            if not module_info.name.startswith("test_"):
                continue
            module = importlib.import_module(f"{app_tests.__name__}.{module_info.name}")
            for name, obj in inspect.getmembers(module, inspect.isclass):
                if obj.__module__ == module.__name__ and issubclass(obj, SITE_TEST_CLASSES):
                    if not issubclass(obj, ShellTestCase):
                        outside.append(f"{module_info.name}.{name}")
        self.assertEqual(outside, [], "shell test classes must derive from fixtures.ShellTestCase")
