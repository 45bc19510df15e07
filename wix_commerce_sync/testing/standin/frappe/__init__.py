"""Strict stand-in for the subset of the ``frappe`` API used by wix_commerce_sync (tests and sandbox only).

Never importable by accident: ``wix_commerce_sync.testing.activate_standin()`` sets the flag checked below,
and refuses to run when a real frappe is importable.
"""

from __future__ import annotations

import os

if os.environ.get("WIX_COMMERCE_SYNC_STANDIN") != "1":
    raise ImportError(
        "This is the wix_commerce_sync test stand-in for frappe, not frappe. "
        "Call wix_commerce_sync.testing.activate_standin() first (tests and sandbox only)."
    )

import importlib
import inspect
import json
import sys
import threading
import traceback as _traceback
from pathlib import Path
from typing import Any

from frappe.exceptions import *  # noqa: F403
from frappe.exceptions import (
    AppNotInstalledError,
    DoesNotExistError,
    PermissionError,  # noqa: A004
    StandinStrictError,
    ValidationError,
)

# The Frappe major version the stand-in speaks (15 or 16): WCS_FRAPPE_VERSION, or frappe.standin.frappe_version(...).
STANDIN_VERSIONS = {15: "15.44.2-standin", 16: "16.10.7-standin"}
_major_setting = os.environ.get("WCS_FRAPPE_VERSION", "15").strip() or "15"
if not _major_setting.isdigit() or int(_major_setting) not in STANDIN_VERSIONS:
    raise ImportError(f"WCS_FRAPPE_VERSION={_major_setting!r}: the stand-in speaks Frappe {sorted(STANDIN_VERSIONS)}")
STANDIN_MAJOR_AT_IMPORT = int(_major_setting)
__title__ = "Frappe Framework (wix_commerce_sync stand-in)"
STANDARD_USERS = ("Guest", "Administrator")
UNSAFE_HTTP_METHODS = ("POST", "PUT", "DELETE", "PATCH")

STANDIN_ROOT = Path(__file__).resolve().parent.parent


class _dict(dict):  # noqa: N801 - frappe's name
    """dict with attribute access; a missing attribute is None (frappe._dict)."""

    __slots__ = ()
    __getattr__ = dict.get

    def __setattr__(self, key, value):
        self[key] = value

    def __delattr__(self, key):
        try:
            del self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc

    def __getstate__(self):
        return dict(self)

    def __setstate__(self, state):
        self.update(state)

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        return self

    def copy(self):
        return _dict(self)


class _Local(threading.local):
    """Thread-local request/job context (frappe.local is a werkzeug Local: one per thread/greenlet)."""


local = _Local()

# Registries (module level, like frappe v15: lists).
whitelisted: list = []
guest_methods: list = []
xss_safe_methods: list = []
allowed_http_methods_for_whitelisted_func: dict = {}
controllers: dict = {}

_LOCAL_PROXIES = {
    "db": None,
    "conf": None,
    "form_dict": None,
    "form": "form_dict",
    "request": None,
    "response": None,
    "session": None,
    "flags": None,
    "job": None,
    "lang": None,
    "message_log": None,
    "user": None,
}


def __getattr__(name: str):
    """Module-level proxies onto frappe.local (frappe.db, frappe.flags, frappe.session, ...)."""
    if name in _LOCAL_PROXIES:
        attr = _LOCAL_PROXIES[name] or name
        try:
            return getattr(local, attr)
        except AttributeError:
            if attr == "flags":
                local.flags = _default_flags()
                return local.flags
            if attr in ("conf", "form_dict", "response"):
                return _dict()
            if attr == "session":
                return _dict(user="Guest")
            return None
    if name == "__version__":
        from frappe import standin

        return STANDIN_VERSIONS[standin.frappe_version()]
    if name == "qb":
        from frappe.query_builder import get_query_builder

        return get_query_builder()
    raise AttributeError(f"module 'frappe' has no attribute '{name}'")


def _default_flags() -> _dict:
    return _dict(
        currently_saving=[],
        redirect_location="",
        in_install_db=False,
        in_install_app=False,
        in_import=False,
        in_test=False,
        mute_messages=False,
        ignore_links=False,
        mute_emails=False,
        has_dataurl=False,
        new_site=False,
        read_only=False,
    )


# --------------------------------------------------------------------------------------------------
# site / connection lifecycle
# --------------------------------------------------------------------------------------------------
def init(site: str, sites_path: str = ".", new_site: bool = False, force: bool = False) -> None:
    """Per-thread context for ``site`` (frappe.init)."""
    if getattr(local, "initialised", False) and not force and getattr(local, "site", None) == site:
        return
    sites_path = str(sites_path)
    local.initialised = True
    local.site = site
    local.sites_path = sites_path
    local.site_path = os.path.join(sites_path, site)
    local.flags = _default_flags()
    local.flags.new_site = new_site
    local.conf = get_site_config(sites_path=sites_path, site_path=local.site_path)
    local.form_dict = _dict()
    local.request = None
    local.response = _dict(docs=[])
    local.session = _dict(user="Guest", sid="Guest", data=_dict())
    local.message_log = []
    local.debug_log = []
    local.cache = {}
    local.document_cache = {}
    local.valid_columns = {}
    local.lang = "en"
    local.job = None
    local.dev_server = False
    local.task_id = None
    local.db = None
    local.role_permissions = {}
    local.user = None


def connect(site: str | None = None, db_name: str | None = None, set_admin_as_user: bool = True) -> None:
    from frappe.database import Database

    if site:
        init(site)
    if not getattr(local, "site", None):
        raise SiteNotSpecifiedError  # noqa: F405
    busy_timeout = float(local.conf.get("busy_timeout", 20))
    if local.conf.get("db_type") == "mariadb":
        from frappe.database_mariadb import MariaDBDatabase

        local.db = MariaDBDatabase.from_conf(local.conf, site=local.site, busy_timeout=busy_timeout)
    else:
        db_path = os.path.join(local.site_path, local.conf.get("db_file") or "site.sqlite3")
        local.db = Database(db_path, site=local.site, busy_timeout=busy_timeout)
    if set_admin_as_user:
        set_user("Administrator")


def destroy() -> None:
    db_ = getattr(local, "db", None)
    if db_ is not None:
        db_.close()
    for attr in list(vars(local)):
        delattr(local, attr)


def get_site_config(sites_path: str | None = None, site_path: str | None = None) -> _dict:
    config = _dict()
    sites_path = sites_path or getattr(local, "sites_path", None)
    site_path = site_path or getattr(local, "site_path", None)
    if sites_path:
        common = os.path.join(sites_path, "common_site_config.json")
        if os.path.exists(common):
            config.update(json.loads(Path(common).read_text()))
    if site_path:
        site_config = os.path.join(site_path, "site_config.json")
        if os.path.exists(site_config):
            config.update(json.loads(Path(site_config).read_text()))
    return config


# --------------------------------------------------------------------------------------------------
# users, roles, permissions
# --------------------------------------------------------------------------------------------------
def set_user(username: str) -> None:
    local.session = _dict(user=username, sid=username, data=_dict())
    local.role_permissions = {}
    local.user = username
    local.new_doc_templates = {}


def get_user():
    return local.session.user


def get_roles(username: str | None = None) -> list[str]:
    username = username or local.session.user
    if username == "Guest":
        return ["Guest"]
    if username == "Administrator":
        return get_all("Role", pluck="name")
    roles = get_all("Has Role", filters={"parent": username, "parenttype": "User"}, pluck="role")
    return list(dict.fromkeys([*roles, "All", "Guest"]))


def only_for(roles, message: bool = False) -> None:
    if isinstance(roles, str):
        roles = (roles,)
    if set(roles).isdisjoint(get_roles()):
        if not message:
            raise PermissionError
        throw(_("This action is only allowed for {}").format(bold(", ".join(roles))), PermissionError)


def has_permission(
    doctype=None, ptype="read", doc=None, user=None, throw=False, *, parent_doctype=None, debug=False,  # noqa: A002
    ignore_share_permissions=False,
) -> bool:
    import frappe.permissions

    if not doctype and doc:
        doctype = doc.doctype
    out = frappe.permissions.has_permission(doctype, ptype, doc=doc, user=user, parent_doctype=parent_doctype)
    if throw and not out:
        document_label = f"{_(doctype)} {doc if isinstance(doc, str) else getattr(doc, 'name', '')}" if doc else _(doctype)
        frappe.throw(
            _("No permission for {0}").format(document_label), PermissionError
        )
    return out


# --------------------------------------------------------------------------------------------------
# whitelisting and calls
# --------------------------------------------------------------------------------------------------
def whitelist(allow_guest: bool = False, xss_safe: bool = False, methods: list[str] | None = None, force_types=None):
    """v16 adds ``force_types`` (default: the app's ``require_type_annotated_api_methods`` hook): every argument
    must then be annotated. v15 has no such parameter (the stand-in refuses it in v15 mode)."""
    from frappe import standin

    if force_types is not None and standin.frappe_version() < 16:
        raise TypeError("whitelist() got an unexpected keyword argument 'force_types' (Frappe v15)")
    if not methods:
        methods = ["GET", "POST", "PUT", "DELETE"]

    def innerfn(fn):
        from frappe.utils.typing_validations import validate_argument_types

        def in_request_or_test():
            return getattr(local, "request", None) or getattr(local, "flags", _dict()).get("in_test")

        method = None
        if hasattr(fn, "__func__"):
            method = validate_argument_types(fn, apply_condition=in_request_or_test, force_types=force_types)
            fn = method.__func__
        else:
            fn = validate_argument_types(fn, apply_condition=in_request_or_test, force_types=force_types)

        whitelisted.append(fn)
        allowed_http_methods_for_whitelisted_func[fn] = methods
        if allow_guest:
            guest_methods.append(fn)
            if xss_safe:
                xss_safe_methods.append(fn)
        return method or fn

    return innerfn


def is_whitelisted(method) -> None:
    from frappe.utils import sanitize_html

    is_guest = local.session.user == "Guest"
    if method not in whitelisted or (is_guest and method not in guest_methods):
        summary = _("You are not permitted to access this resource.")
        detail = _("Function {0} is not whitelisted.").format(
            bold(f"{getattr(method, '__module__', '')}.{getattr(method, '__name__', method)}")
        )
        throw(f"<details><summary>{summary}</summary>{detail}</details>", PermissionError, title=_("Method Not Allowed"))

    if is_guest and method not in xss_safe_methods:
        fd = local.form_dict
        for key, value in list(fd.items()):
            if isinstance(value, str):
                fd[key] = sanitize_html(value)


def read_only():
    def innfn(fn):
        return fn

    return innfn


def get_newargs(fn, kwargs: dict) -> dict:
    varkw_exist = False
    if hasattr(fn, "fnargs"):
        fnargs = fn.fnargs
    else:
        signature = inspect.signature(fn)
        fnargs = list(signature.parameters)
        for param_name, parameter in signature.parameters.items():
            if parameter.kind == inspect.Parameter.VAR_KEYWORD:
                varkw_exist = True
                fnargs.remove(param_name)
                break
    newargs = {a: kwargs.get(a) for a in kwargs if (a in fnargs) or varkw_exist}
    newargs.pop("ignore_permissions", None)
    newargs.pop("flags", None)
    return newargs


def call(fn, *args, **kwargs):
    if isinstance(fn, str):
        fn = get_attr(fn)
    newargs = get_newargs(fn, kwargs)
    return fn(*args, **newargs)


def get_installed_apps(*args, **kwargs) -> list[str]:
    from frappe import standin

    return standin.installed_apps()


def get_module(modulename: str):
    return importlib.import_module(modulename)


def get_attr(method_string: str):
    app_name = method_string.split(".", 1)[0]
    if not local.flags.in_uninstall and app_name not in get_installed_apps():
        throw(_("App {0} is not installed").format(app_name), AppNotInstalledError)
    modulename = ".".join(method_string.split(".")[:-1])
    methodname = method_string.split(".")[-1]
    return getattr(get_module(modulename), methodname)


def get_app_path(app_name: str, *joins: str) -> str:
    return get_pymodule_path(app_name, *joins)


def get_pymodule_path(modulename: str, *joins: str) -> str:
    if "public" not in joins:
        joins = [scrub(part) for part in joins]
    module = importlib.import_module(modulename)
    return os.path.join(os.path.dirname(module.__file__), *joins)


def get_app_source_path(app_name: str, *joins: str) -> str:
    return os.path.join(os.path.dirname(get_app_path(app_name)), *joins)


def get_module_path(module: str, *joins: str) -> str:
    from frappe import standin

    app = standin.module_app(module)
    return get_pymodule_path(f"{app}.{scrub(module)}", *joins)


# --------------------------------------------------------------------------------------------------
# hooks
# --------------------------------------------------------------------------------------------------
def append_hook(target: dict, key: str, value) -> None:
    if isinstance(value, dict):
        target.setdefault(key, {})
        for inkey in value:
            append_hook(target[key], inkey, value[inkey])
    else:
        target.setdefault(key, [])
        if not isinstance(value, list):
            value = [value]
        target[key].extend(value)


def get_hooks(hook: str | None = None, default: Any = "_KEEP_DEFAULT_LIST", app_name: str | None = None):
    from frappe import standin

    hooks = _dict()
    apps = [app_name] if app_name else get_installed_apps()
    for app in apps:
        module = standin.load_app_hooks(app)
        if module is None:
            continue
        for key in dir(module):
            if not key.startswith("_"):
                value = getattr(module, key)
                if inspect.ismodule(value) or inspect.isfunction(value) or inspect.isclass(value):
                    continue
                append_hook(hooks, key, value)
    for key, value in standin.extra_hooks().items():
        append_hook(hooks, key, value)
    if hook:
        if default == "_KEEP_DEFAULT_LIST":
            default = []
        return hooks.get(hook, default)
    return hooks


def get_doc_hooks() -> dict:
    out: dict = {}
    for doctype, handlers in (get_hooks("doc_events", {}) or {}).items():
        targets = doctype if isinstance(doctype, tuple) else (doctype,)
        for dt in targets:
            for event, functions in handlers.items():
                out.setdefault(dt, {}).setdefault(event, []).extend(functions)
    return out


# --------------------------------------------------------------------------------------------------
# documents
# --------------------------------------------------------------------------------------------------
def get_meta(doctype: str, cached: bool = True):
    from frappe.model.meta import get_meta as _get_meta

    return _get_meta(doctype, cached=cached)


def get_doc(*args, **kwargs):
    from frappe.model.document import get_doc as _get_doc

    doc = _get_doc(*args, **kwargs)
    if args and len(args) > 1 and isinstance(args[1], str):
        key = get_document_cache_key(doc.doctype, doc.name)
        if key in local.document_cache or cache.get_value(key) is not None:  # noqa: F405
            _set_document_in_cache(key, doc)
    return doc


def new_doc(doctype: str, *, parent_doc=None, parentfield=None, as_dict: bool = False, **kwargs):
    from frappe.model.create_new import get_new_doc

    if parentfield:
        kwargs["parentfield"] = parentfield
    return get_new_doc(doctype, parent_doc=parent_doc, as_dict=as_dict, **kwargs)


def get_single(doctype: str):
    return get_doc(doctype, doctype)


def get_document_cache_key(doctype: str, name) -> str:
    return f"document_cache::{doctype}::{name}"


def _set_document_in_cache(key: str, doc) -> None:
    local.document_cache[key] = doc
    cache.set_value(key, doc)  # noqa: F405


def get_cached_doc(*args, **kwargs):
    if (key := _cache_key_from_args(args, kwargs)) is not None:
        if (doc := local.document_cache.get(key)) is not None:
            return doc
        if (doc := cache.get_value(key)) is not None:  # noqa: F405
            local.document_cache[key] = doc
            return doc
    doc = get_doc(*args, **kwargs)
    _set_document_in_cache(get_document_cache_key(doc.doctype, doc.name), doc)
    return doc


def _cache_key_from_args(args, kwargs):
    if args and isinstance(args[0], str):
        doctype = args[0]
        name = doctype if len(args) == 1 else args[1]
        if isinstance(name, str):
            return get_document_cache_key(doctype, name)
    return None


def clear_document_cache(doctype: str, name=None) -> None:
    prefix = f"document_cache::{doctype}::"
    if name is None:
        for key in [k for k in local.document_cache if k.startswith(prefix)]:
            del local.document_cache[key]
        cache.delete_keys(prefix)  # noqa: F405
        return
    key = get_document_cache_key(doctype, name)
    local.document_cache.pop(key, None)
    cache.delete_value(key)  # noqa: F405


def get_cached_value(doctype: str, name, fieldname="name", as_dict: bool = False):
    try:
        doc = get_cached_doc(doctype, name)
    except DoesNotExistError:
        clear_last_message()
        return None
    if isinstance(fieldname, str):
        if as_dict:
            throw("Cannot make dict for single fieldname")
        return doc.get(fieldname)
    values = [doc.get(f) for f in fieldname]
    if as_dict:
        return _dict(zip(fieldname, values, strict=False))
    return values


def get_last_doc(doctype: str, filters=None, order_by: str = "creation desc", *, for_update: bool = False):
    names = get_all(doctype, filters=filters, limit_page_length=1, order_by=order_by, pluck="name")
    if names:
        return get_doc(doctype, names[0], for_update=for_update)
    raise DoesNotExistError(doctype=doctype)


def delete_doc(
    doctype=None, name=None, force=0, ignore_doctypes=None, for_reload=False, ignore_permissions=False, flags=None,
    ignore_on_trash=False, ignore_missing=True, delete_permanently=False,
):
    from frappe.model.delete_doc import delete_doc as _delete_doc

    return _delete_doc(
        doctype, name, force, ignore_doctypes, for_reload, ignore_permissions, flags, ignore_on_trash, ignore_missing,
        delete_permanently,
    )


def copy_doc(doc, ignore_no_copy: bool = True):
    from frappe.model.document import copy_doc as _copy_doc

    return _copy_doc(doc, ignore_no_copy)


def get_list(doctype: str, *args, **kwargs):
    from frappe.model.db_query import DatabaseQuery

    return DatabaseQuery(doctype).execute(*args, **kwargs)


def get_all(doctype: str, *args, **kwargs):
    kwargs["ignore_permissions"] = True
    if "limit_page_length" not in kwargs and "limit" not in kwargs and "page_length" not in kwargs:
        kwargs["limit_page_length"] = 0
    return get_list(doctype, *args, **kwargs)


def get_value(*args, **kwargs):
    return local.db.get_value(*args, **kwargs)


def rename_doc(*args, **kwargs):
    raise StandinStrictError("frappe.rename_doc is not provided by the stand-in")


# --------------------------------------------------------------------------------------------------
# messages and errors
# --------------------------------------------------------------------------------------------------
def _(msg, lang=None, context=None) -> str:
    return msg if isinstance(msg, str) else str(msg)


def _lt(msg, lang=None, context=None):
    return _(msg)


def bold(text) -> str:
    return f"<strong>{text}</strong>"


def as_unicode(text, encoding: str = "utf-8") -> str:
    from frappe.utils import cstr  # same conversion, as in real Frappe

    return cstr(text, encoding)


safe_decode = as_unicode


def msgprint(
    msg, title=None, raise_exception=False, as_table=False, as_list=False, indicator=None, alert=False,
    primary_action=None, is_minimizable=False, wide=False, *, realtime=False,
):
    def _raise_exception():
        if raise_exception:
            if inspect.isclass(raise_exception) and issubclass(raise_exception, BaseException):
                exc = raise_exception(msg)
            elif isinstance(raise_exception, BaseException):
                exc = raise_exception
                if not exc.args:
                    exc.args = (msg,)
            else:
                exc = ValidationError(msg)
            raise exc

    flags_ = getattr(local, "flags", None) or _dict()
    if flags_.mute_messages:
        _raise_exception()
        return
    out = _dict(message=msg)
    if title:
        out.title = title
    if indicator or raise_exception:
        out.indicator = indicator or "red"
    if alert:
        out.alert = 1
    if raise_exception:
        out.raise_exception = 1
    if primary_action:
        out.primary_action = primary_action
    if not hasattr(local, "message_log"):
        local.message_log = []
    local.message_log.append(out)
    _raise_exception()


def throw(
    msg, exc=ValidationError, title=None, is_minimizable=False, wide=False, as_list=False, primary_action=None,
) -> None:
    msgprint(
        msg, raise_exception=exc, title=title, indicator="red", is_minimizable=is_minimizable, wide=wide,
        as_list=as_list, primary_action=primary_action,
    )


def clear_last_message() -> None:
    if getattr(local, "message_log", None):
        local.message_log = local.message_log[:-1]


def clear_messages() -> None:
    local.message_log = []


def get_message_log() -> list:
    return list(getattr(local, "message_log", []))


def get_traceback(with_context: bool = False) -> str:
    exc_type, exc_value, exc_tb = sys.exc_info()
    if not any([exc_type, exc_value, exc_tb]):
        return ""
    return "".join(_traceback.format_exception(exc_type, exc_value, exc_tb))


def errprint(msg: str) -> None:
    print(msg, file=sys.stderr)


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def logger(module=None, with_more_info=False, allow_site=True, filter=None, max_size=100_000, file_count=20):  # noqa: A002
    import logging

    return logging.getLogger(f"frappe.{module or 'default'}")


def get_request_header(key: str, default=None):
    request = getattr(local, "request", None)
    if request is None:
        return default
    return request.headers.get(key, default)


# --------------------------------------------------------------------------------------------------
# json helpers
# --------------------------------------------------------------------------------------------------
def as_json(obj, indent: int = 1, separators=None, ensure_ascii: bool = True) -> str:
    from frappe.utils.response import json_handler

    if separators is None:
        separators = (",", ": ")
    try:
        return json.dumps(obj, indent=indent, sort_keys=True, default=json_handler, separators=separators, ensure_ascii=ensure_ascii)
    except TypeError:
        return json.dumps(obj, indent=indent, default=json_handler, separators=separators, ensure_ascii=ensure_ascii)


def parse_json(val):
    if isinstance(val, str):
        val = json.loads(val)
    if isinstance(val, dict):
        val = _dict(val)
    return val


def scrub(txt: str) -> str:
    return (txt or "").replace(" ", "_").replace("-", "_").lower()


def unscrub(txt: str) -> str:
    return (txt or "").replace("_", " ").replace("-", " ").title()


def generate_hash(txt: str | None = None, length: int = 56) -> str:
    from frappe.utils.data import generate_hash as _generate_hash

    return _generate_hash(txt, length)


# --------------------------------------------------------------------------------------------------
# background jobs, realtime, mail
# --------------------------------------------------------------------------------------------------
def enqueue(*args, **kwargs):
    from frappe.utils.background_jobs import enqueue as _enqueue

    return _enqueue(*args, **kwargs)


def enqueue_doc(*args, **kwargs):
    from frappe.utils.background_jobs import enqueue_doc as _enqueue_doc

    return _enqueue_doc(*args, **kwargs)


def publish_realtime(*args, **kwargs):
    from frappe.realtime import publish_realtime as _publish_realtime

    return _publish_realtime(*args, **kwargs)


def publish_progress(*args, **kwargs):
    from frappe.realtime import publish_progress as _publish_progress

    return _publish_progress(*args, **kwargs)


def sendmail(recipients=None, sender="", subject="No Subject", message="No Message", **kwargs) -> None:
    from frappe import standin

    standin.record_email(dict(recipients=recipients, sender=sender, subject=subject, message=message, **kwargs))


def get_system_settings(key: str):
    return local.db.get_single_value("System Settings", key)


def get_url(uri=None, full_address=False):
    from frappe.utils import get_url as _get_url

    return _get_url(uri, full_address)


# Imported last: they import frappe themselves.
from frappe.utils.redis_wrapper import RedisWrapper  # noqa: E402

cache = RedisWrapper()

import frappe.model.document  # noqa: E402, F401
import frappe.standin  # noqa: E402, F401
import frappe.utils  # noqa: E402, F401
from frappe.utils.error import log_error  # noqa: E402, F401
