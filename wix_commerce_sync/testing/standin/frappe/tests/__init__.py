"""frappe.tests: what the stand-in's Frappe version exports.

v16 (frappe ``version-16`` ``frappe/tests/__init__.py``): ``IntegrationTestCase``, ``UnitTestCase``,
``MockedRequestTestCase``, ``change_settings``, ``patch_hooks``. v15 exports none of these (its test base class is
``frappe.tests.utils.FrappeTestCase``): ``from frappe.tests import IntegrationTestCase`` is an ImportError there.
Chosen at import time by ``WCS_FRAPPE_VERSION``.
"""

import frappe

if frappe.STANDIN_MAJOR_AT_IMPORT >= 16:
    from frappe.tests.classes import IntegrationTestCase, MockedRequestTestCase, UnitTestCase  # noqa: F401
    from frappe.tests.utils import _change_settings as change_settings  # noqa: F401
    from frappe.tests.utils import patch_hooks  # noqa: F401
