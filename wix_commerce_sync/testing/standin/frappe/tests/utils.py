"""frappe.tests.utils: FrappeTestCase and helpers, runnable under pytest unchanged.

v15: the test base class. v16: a deprecated compat copy of it (frappe/deprecation_dumpster.py): still a plain
``unittest.TestCase`` subclass, NOT an ``IntegrationTestCase``, so v16's runner files a class whose direct base is
FrappeTestCase under "old-frappe-test-class-category" and any other subclass under "unspecified-category".
"""

from __future__ import annotations

import copy
import datetime
import unittest
import warnings
from contextlib import contextmanager
from unittest.mock import patch

import frappe


def _rollback_db():
    frappe.db.value_cache = {}
    frappe.db.rollback()


def _restore_thread_locals(flags):
    frappe.local.flags = flags
    frappe.local.message_log = []
    frappe.local.debug_log = []
    frappe.local.cache = {}
    frappe.local.document_cache = {}
    frappe.local.lang = "en"
    frappe.local.role_permissions = {}


def _deprecated(what: str, instead: str) -> None:
    from frappe import standin

    if standin.frappe_version() >= 16:
        warnings.warn(f"{what} is deprecated and will be removed in v17: use {instead}", DeprecationWarning, stacklevel=3)


class FrappeTestCase(unittest.TestCase):
    TEST_SITE = "test_site"
    SHOW_TRANSACTION_COMMIT_WARNINGS = False
    maxDiff = 10_000

    @classmethod
    def setUpClass(cls) -> None:
        _deprecated("frappe.tests.utils.FrappeTestCase", "frappe.tests.IntegrationTestCase / UnitTestCase")
        if getattr(frappe.local, "db", None) is None:
            raise RuntimeError(
                "FrappeTestCase needs a connected stand-in site: run under the project's conftest "
                "(frappe_site fixture) or call frappe.standin.new_site(...).connect() first"
            )
        cls.TEST_SITE = getattr(frappe.local, "site", None) or cls.TEST_SITE
        cls.ADMIN_PASSWORD = frappe.get_site_config().get("admin_password")
        frappe.db.commit()
        cls.addClassCleanup(_restore_thread_locals, copy.deepcopy(frappe.local.flags))
        cls.addClassCleanup(_rollback_db)
        cls._primary_connection = frappe.local.db
        cls._secondary_connection = None
        return super().setUpClass()

    # -- assertions ---------------------------------------------------------------------------------
    def assertSequenceSubset(self, larger, smaller, msg=None):  # noqa: N802 - frappe's name
        missing = [item for item in smaller if item not in larger]
        if missing:
            self.fail(msg or f"{missing} not found in {larger}")

    def assertDocumentEqual(self, expected, actual):  # noqa: N802 - frappe's name
        expected = expected.as_dict() if hasattr(expected, "as_dict") else expected
        for field, value in expected.items():
            if isinstance(value, list):
                actual_rows = actual.get(field)
                self.assertEqual(len(value), len(actual_rows), f"row count of {field}")
                for exp_row, act_row in zip(value, actual_rows, strict=False):
                    self.assertDocumentEqual(exp_row, act_row)
            else:
                self._compare_field(value, actual.get(field), field)

    def _compare_field(self, expected, actual, field):
        msg = f"{field} should be {expected!r} but is {actual!r}"
        if isinstance(expected, float) or isinstance(actual, float):
            self.assertAlmostEqual(float(expected or 0), float(actual or 0), places=6, msg=msg)
        elif isinstance(expected, datetime.date) or isinstance(actual, datetime.date):
            self.assertEqual(str(expected), str(actual), msg=msg)
        else:
            self.assertEqual(expected, actual, msg=msg)

    @contextmanager
    def assertQueryCount(self, count):  # noqa: N802 - frappe's name
        queries = []
        original = frappe.db.sql

        def counting_sql(*args, **kwargs):
            queries.append(args[0] if args else kwargs.get("query"))
            return original(*args, **kwargs)

        with patch.object(frappe.db, "sql", counting_sql):
            yield
        self.assertLessEqual(len(queries), count, "\n".join(str(q) for q in queries))

    # -- context helpers ---------------------------------------------------------------------------
    @contextmanager
    def set_user(self, user: str):
        old_user = frappe.session.user
        try:
            frappe.set_user(user)
            yield
        finally:
            frappe.set_user(old_user)

    @contextmanager
    def primary_connection(self):
        current = frappe.local.db
        try:
            frappe.local.db = self._primary_connection
            yield
        finally:
            frappe.local.db = current

    @contextmanager
    def secondary_connection(self):
        current = frappe.local.db
        if self._secondary_connection is None:
            primary = self._primary_connection
            type(self)._secondary_connection = primary.new_connection()
            self.addCleanup(self._rollback_connections)
        try:
            frappe.local.db = self._secondary_connection
            yield
        finally:
            frappe.local.db = current

    def _rollback_connections(self):
        if self._secondary_connection is not None:
            self._secondary_connection.rollback()
            self._secondary_connection.close()
            type(self)._secondary_connection = None
        self._primary_connection.rollback()

    @contextmanager
    def switch_site(self, site: str):
        raise frappe.StandinStrictError("switch_site is not supported by the stand-in")

    @contextmanager
    def freeze_time(self, time_to_freeze, is_utc=False, *args, **kwargs):
        with freeze_time(time_to_freeze, is_utc=is_utc):
            yield


class MockedRequestTestCase(FrappeTestCase):
    pass


@contextmanager
def freeze_time(time_to_freeze, is_utc: bool = False):
    """Freeze frappe.utils.now_datetime (and now/nowdate/today/getdate() built on it)."""
    import frappe.utils.data as data

    frozen = frappe.utils.get_datetime(time_to_freeze)
    if is_utc:
        frozen = data.convert_utc_to_system_timezone(frozen).replace(tzinfo=None)
    with patch.object(data, "now_datetime", lambda: frozen), patch.object(frappe.utils, "now_datetime", lambda: frozen):
        yield


def change_settings(doctype, settings_dict=None, /, commit=False, **settings):
    """v15: frappe.tests.utils.change_settings; v16: deprecated here, frappe.tests.change_settings is the new home."""
    _deprecated("frappe.tests.utils.change_settings", "frappe.tests.change_settings or cls.change_settings")
    return _change_settings(doctype, settings_dict, commit=commit, **settings)


@contextmanager
def _change_settings(doctype, settings_dict=None, /, commit=False, **settings):
    if settings_dict is None:
        settings_dict = settings
    previous_settings = {}
    try:
        doc = frappe.get_doc(doctype)
        for key in settings_dict:
            previous_settings[key] = doc.get(key)
        for key, value in settings_dict.items():
            doc.set(key, value)
        doc.save(ignore_permissions=True)
        frappe.db.value_cache.pop(doctype, None)
        if commit:
            frappe.db.commit()
        yield
    finally:
        doc = frappe.get_doc(doctype)
        for key, value in previous_settings.items():
            doc.set(key, value)
        doc.save(ignore_permissions=True)
        if commit:
            frappe.db.commit()


@contextmanager
def patch_hooks(overridden_hooks: dict):
    get_hooks = frappe.get_hooks

    def patched_hooks(hook=None, default="_KEEP_DEFAULT_LIST", app_name=None):
        if hook in overridden_hooks:
            return overridden_hooks[hook]
        return get_hooks(hook, default, app_name)

    with patch.object(frappe, "get_hooks", patched_hooks):
        yield


def timeout(seconds=30, error_message="Test timed out."):
    def decorator(func):
        return func

    return decorator


def make_test_records(*args, **kwargs):
    return None
