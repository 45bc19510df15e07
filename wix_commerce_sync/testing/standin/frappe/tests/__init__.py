"""frappe.tests: IntegrationTestCase / UnitTestCase (v16 names) as aliases of FrappeTestCase."""

from frappe.tests.utils import FrappeTestCase, change_settings, patch_hooks  # noqa: F401

IntegrationTestCase = FrappeTestCase
UnitTestCase = FrappeTestCase
