"""Stand-in control surface (not part of real frappe): sites, captured jobs/realtime/mail, the /api/method router.

Public API (see README.md):
    new_site(path, *, apps=None, busy_timeout=20.0, setup_wizard=True) -> Site;  existing_site(path) -> Site
    Site.connect(user="Administrator") / Site.destroy() / connect(site) / connection(site) context manager
    call_method(path, *, http_method="POST", body=b"", headers=None, query=None, user="Guest") -> StandinResponse
    jobs(status=None, site=None) -> list[Job];  run_jobs(*, isolated=False, raise_on_failure=False, max_jobs=1000)
    clear_jobs();  execute_job(job)
    realtime_events (list);  emails (list);  deferred_inserts (list);  reset_captures()
    register_test_app(module_name);  set_extra_hooks(dict) / hooks(**overrides) context manager
    installed_apps();  sync_doctype(doctype);  create_tables()
    frappe_version() -> 15 | 16;  frappe_version(16) context manager (the Frappe major the stand-in speaks)
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frappe
from frappe.exceptions import StandinStrictError

APP_NAME = "wix_commerce_sync"
_lock = threading.RLock()
_test_apps: list[str] = []
_extra_hooks: dict = {}
_hooks_cache: dict = {}
_jobs: list[Job] = []
realtime_events: list = []
emails: list = []
deferred_inserts: list = []


# --------------------------------------------------------------------------------------------------
# which Frappe the stand-in speaks
# --------------------------------------------------------------------------------------------------
_version: dict[str, int] = {"major": frappe.STANDIN_MAJOR_AT_IMPORT}


class _VersionSwitch(contextlib.AbstractContextManager):
    def __init__(self, previous: int):
        self.previous = previous

    def __exit__(self, *exc) -> None:
        _version["major"] = self.previous


def frappe_version(major: int | None = None):
    """The Frappe major version (15 or 16) the stand-in speaks; ``frappe_version(16)`` switches for a ``with`` block.

    Chosen at import by ``WCS_FRAPPE_VERSION`` (default 15). Import-time surfaces (``frappe.tests`` classes) follow
    the import-time setting only: run a whole suite per version (``python -m wix_commerce_sync.testing.bench_tests``).
    """
    if major is None:
        return _version["major"]
    if major not in frappe.STANDIN_VERSIONS:
        raise StandinStrictError(f"the stand-in speaks Frappe {sorted(frappe.STANDIN_VERSIONS)}, not {major}")
    switch = _VersionSwitch(_version["major"])
    _version["major"] = major
    return switch


# --------------------------------------------------------------------------------------------------
# apps, hooks, controllers
# --------------------------------------------------------------------------------------------------
def installed_apps() -> list[str]:
    return ["frappe", "erpnext", APP_NAME, *_test_apps]


def register_test_app(module_name: str) -> None:
    """Allow frappe.get_attr/call_method/enqueue to resolve dotted paths in a test helper module."""
    if module_name not in _test_apps:
        _test_apps.append(module_name)


def load_app_hooks(app: str):
    if app in ("frappe", "erpnext") or app in _test_apps:
        return None
    if app not in _hooks_cache:
        try:
            spec = importlib.util.find_spec(f"{app}.hooks")
        except ModuleNotFoundError:
            spec = None
        _hooks_cache[app] = importlib.import_module(f"{app}.hooks") if spec else None
    return _hooks_cache[app]


def reload_hooks() -> None:
    _hooks_cache.clear()


def extra_hooks() -> dict:
    return _extra_hooks


def set_extra_hooks(hooks_dict: dict) -> None:
    _extra_hooks.clear()
    _extra_hooks.update(hooks_dict)


@contextlib.contextmanager
def hooks(**overrides):
    """Temporarily add hooks (merged like another installed app's hooks.py)."""
    saved = dict(_extra_hooks)
    _extra_hooks.update(overrides)
    try:
        yield
    finally:
        _extra_hooks.clear()
        _extra_hooks.update(saved)


def module_app(module: str) -> str:
    for app in installed_apps():
        if app in ("frappe", "erpnext"):
            continue
        try:
            path = Path(frappe.get_app_path(app, "modules.txt"))
        except ModuleNotFoundError:
            continue
        if path.exists() and module in [m.strip() for m in path.read_text().splitlines()]:
            return app
    return APP_NAME


def builtin_controller(doctype: str):
    """Controllers the stand-in ships: ERPNext behaviours and a few Frappe core DocTypes."""
    from frappe.custom.doctype.custom_field.custom_field import CustomField

    if doctype == "Custom Field":
        return CustomField
    behaviour = _erpnext_behaviour()
    return behaviour.CONTROLLERS.get(doctype)


def _erpnext_behaviour():
    if "erpnext_behaviour" not in sys.modules:
        importlib.import_module("erpnext_behaviour")
    return sys.modules["erpnext_behaviour"]


# --------------------------------------------------------------------------------------------------
# captures
# --------------------------------------------------------------------------------------------------
def record_realtime(event) -> None:
    with _lock:
        realtime_events.append(event)


def record_email(mail: dict) -> None:
    with _lock:
        emails.append(frappe._dict(mail))


def record_deferred_insert(doc) -> None:
    with _lock:
        deferred_inserts.append(doc)


def reset_captures() -> None:
    with _lock:
        realtime_events.clear()
        emails.clear()
        deferred_inserts.clear()
        _jobs.clear()


# --------------------------------------------------------------------------------------------------
# jobs
# --------------------------------------------------------------------------------------------------
@dataclass
class Job:
    id: str
    job_id: str | None
    site: str
    method: Any
    method_name: str
    queue: str
    timeout: int
    kwargs: dict
    user: str
    at_front: bool = False
    job_name: str | None = None
    status: str = "queued"
    result: Any = None
    exc_info: str | None = None
    exception: BaseException | None = None
    enqueued_at: float = field(default_factory=time.time)
    sites_path: str | None = None

    def get_status(self) -> str:
        return self.status


def add_job(method, queue, timeout, kwargs, job_id=None, at_front=False, event=None, job_name=None) -> Job:
    site = frappe.local.site
    method_name = method if isinstance(method, str) else f"{method.__module__}.{method.__qualname__}"
    job = Job(
        id=f"{site}::{job_id or uuid.uuid4()}", job_id=job_id, site=site, method=method, method_name=method_name,
        queue=queue, timeout=timeout, kwargs=dict(kwargs), user=frappe.session.user, at_front=at_front,
        job_name=job_name or method_name, sites_path=frappe.local.sites_path,
    )
    with _lock:
        if at_front:
            _jobs.insert(0, job)
        else:
            _jobs.append(job)
    return job


def find_job(job_id: str) -> Job | None:
    full = f"{frappe.local.site}::{job_id}"
    with _lock:
        for job in reversed(_jobs):
            if job.id == full:
                return job
    return None


def delete_job(job: Job) -> None:
    with _lock:
        if job in _jobs:
            _jobs.remove(job)


def jobs(status: str | None = None, site: str | None = None) -> list[Job]:
    with _lock:
        return [j for j in _jobs if (status is None or j.status == status) and (site is None or j.site == site)]


def clear_jobs() -> None:
    with _lock:
        _jobs.clear()


def _next_queued(site: str) -> Job | None:
    with _lock:
        for job in _jobs:
            if job.status == "queued" and job.site == site:
                job.status = "started"
                return job
    return None


def run_jobs(*, isolated: bool = False, raise_on_failure: bool = False, max_jobs: int = 1000) -> list[Job]:
    """Run queued jobs of the current site (FIFO, at_front first) like frappe's execute_job.

    Default: inline in the current thread and connection (commit the caller's data first if the job must see it;
    the job's commit/rollback applies to that connection). ``isolated=True`` runs each job in a fresh thread with
    its own connection, like a real worker (it only sees committed data).
    """
    site = frappe.local.site
    ran: list[Job] = []
    while len(ran) < max_jobs:
        job = _next_queued(site)
        if job is None:
            break
        if isolated:
            _run_isolated(job)
        else:
            execute_job(job)
        ran.append(job)
        if raise_on_failure and job.status == "failed":
            raise job.exception
    return ran


def _run_isolated(job: Job) -> None:
    def worker():
        frappe.init(job.site, sites_path=job.sites_path)
        frappe.connect(set_admin_as_user=False)
        frappe.local.flags.in_test = True
        try:
            execute_job(job)
        finally:
            frappe.destroy()

    thread = threading.Thread(target=worker, name=f"standin-worker-{job.id}")
    thread.start()
    thread.join()


def execute_job(job: Job) -> None:
    """frappe.utils.background_jobs.execute_job: run as the enqueuing user, commit on success; on failure
    rollback, log_error(title=<method name>), commit the Error Log, mark failed."""
    job.status = "started"
    saved = {
        name: getattr(frappe.local, name, None)
        for name in ("session", "flags", "form_dict", "job", "request", "message_log", "response", "role_permissions")
    }
    in_test = bool(saved["flags"] and saved["flags"].get("in_test"))
    frappe.local.flags = frappe._default_flags()
    frappe.local.flags.in_test = in_test
    frappe.local.form_dict = frappe._dict()
    frappe.local.request = None
    frappe.local.message_log = []
    frappe.local.response = frappe._dict(docs=[])
    frappe.set_user(job.user)
    frappe.local.job = frappe._dict(
        site=job.site, method=job.method_name, job_name=job.job_name, kwargs=job.kwargs, user=job.user,
        after_job=None,
    )
    method_name = job.method_name
    try:
        method = frappe.get_attr(job.method) if isinstance(job.method, str) else job.method
        for before_job in frappe.get_hooks("before_job"):
            frappe.call(before_job, method=method_name, kwargs=job.kwargs, transaction_type="job")
        job.result = method(**job.kwargs)
        frappe.db.commit()
        job.status = "finished"
    except Exception as exc:
        frappe.db.rollback()
        frappe.log_error(title=method_name)
        frappe.db.commit()
        job.status = "failed"
        job.exception = exc
        job.exc_info = traceback.format_exc()
    finally:
        for after_job in frappe.get_hooks("after_job"):
            with contextlib.suppress(Exception):
                frappe.call(after_job, method=method_name, kwargs=job.kwargs, result=job.result)
        for name, value in saved.items():
            setattr(frappe.local, name, value)


# --------------------------------------------------------------------------------------------------
# sites
# --------------------------------------------------------------------------------------------------
@dataclass
class Site:
    name: str
    sites_path: str
    site_path: str
    db_path: str

    def connect(self, user: str = "Administrator") -> Site:
        frappe.init(self.name, sites_path=self.sites_path, force=True)
        frappe.connect(set_admin_as_user=False)
        frappe.local.flags.in_test = True
        frappe.set_user(user)
        return self

    def destroy(self) -> None:
        frappe.destroy()

    @property
    def conf(self) -> dict:
        return json.loads(Path(self.site_path, "site_config.json").read_text())


def drop_site(site: Site) -> None:
    """Remove a site's MariaDB database (a SQLite site lives in its folder: delete the folder)."""
    conf = site.conf
    if conf.get("db_type") == "mariadb":
        from frappe.database_mariadb import drop_database, server_settings

        drop_database(server_settings(conf), conf["db_name"])


def connect(site: Site, user: str = "Administrator") -> Site:
    return site.connect(user)


@contextlib.contextmanager
def connection(site: Site, user: str = "Administrator"):
    """A fresh connection for the current thread (restores nothing; use in worker threads)."""
    site.connect(user)
    try:
        yield frappe.local.db
    finally:
        frappe.destroy()


def new_site(
    path, *, apps: list[str] | None = None, busy_timeout: float = 20.0, setup_wizard: bool = True,
    db_type: str | None = None,
) -> Site:
    """Create a site folder ``path`` (its name is the site name) with a database table for every known DocType,
    install the app (Module Def, DocType rows, after_install hook) and the fixtures a fresh ERPNext site has.

    ``setup_wizard=False``: a site as ``bench new-site`` + ``install-app`` leave it for ``bench run-tests``:
    ERPNext's setup wizard has not run (no Warehouse Type "Transit", no root groups, ...) until a
    ``before_tests`` hook runs ``erpnext.setup.utils.before_tests``.
    ``db_type``: "sqlite" (embedded, one file in the site folder; the default) or "mariadb" (a new database
    on the server ``WCS_DB_HOST``/``WCS_DB_PORT``, see scripts/mariadb.sh; ``drop_site`` removes it)."""
    from cryptography.fernet import Fernet

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    site = Site(name=path.name, sites_path=str(path.parent), site_path=str(path), db_path=str(path / "site.sqlite3"))
    config = {
        "db_name": path.name, "db_file": "site.sqlite3", "encryption_key": Fernet.generate_key().decode(),
        "allow_tests": True, "busy_timeout": busy_timeout, "host_name": f"http://{path.name}",
        "admin_password": "admin",
    }
    if (db_type or "sqlite") == "mariadb":
        from frappe.database_mariadb import create_database, server_settings

        settings = server_settings()
        config.update({"db_type": "mariadb", "db_name": f"wcs_{frappe.generate_hash(length=12)}",
                       "db_host": settings["host"], "db_port": settings["port"], "db_user": settings["user"],
                       "db_password": settings["password"]})  # fmt: skip
        create_database(settings, config["db_name"])
    elif db_type not in (None, "sqlite"):
        raise StandinStrictError(f"unknown db_type {db_type!r}: use 'sqlite' or 'mariadb'")
    (path / "site_config.json").write_text(json.dumps(config, indent=1))

    previous_state = _save_thread_state()
    try:
        site.connect()
        frappe.local.flags.in_install = APP_NAME
        create_tables()
        from site_fixtures import install_base_fixtures, install_fixtures

        install_fixtures() if setup_wizard else install_base_fixtures()
        frappe.db.commit()
        _install_app(APP_NAME)
        frappe.local.flags.in_install = False
        frappe.db.commit()
    finally:
        frappe.destroy()
        _restore_thread_state(previous_state)
    return site


def existing_site(path) -> Site:
    """A site ``new_site`` made earlier (kept between test runs, with everything they committed)."""
    path = Path(path)
    if not (path / "site_config.json").exists():
        raise StandinStrictError(f"no stand-in site at {path} (make one with new_site)")
    return Site(name=path.name, sites_path=str(path.parent), site_path=str(path), db_path=str(path / "site.sqlite3"))


def _save_thread_state() -> dict:
    return dict(vars(frappe.local))


def _restore_thread_state(state: dict) -> None:
    for key, value in state.items():
        setattr(frappe.local, key, value)


def _install_app(app: str) -> None:
    from frappe.model.meta import registry

    modules_file = Path(frappe.get_app_path(app, "modules.txt"))
    modules = [m.strip() for m in modules_file.read_text().splitlines() if m.strip()] if modules_file.exists() else []
    for module in modules:
        if not frappe.db.exists("Module Def", module):
            frappe.get_doc({"doctype": "Module Def", "module_name": module, "app_name": app}).insert(ignore_permissions=True)
    hooks_module = load_app_hooks(app)
    for method in _as_list(getattr(hooks_module, "before_install", None)):
        if frappe.get_attr(method)() is False:
            raise StandinStrictError(f"before_install {method} returned False")
    registry.ensure_app(app)
    frappe.db.commit()
    for method in _as_list(getattr(hooks_module, "after_install", None)):
        frappe.get_attr(method)()
    for method in _as_list(getattr(hooks_module, "after_app_install", None)):
        frappe.get_attr(method)(app)
    frappe.db.commit()
    sync_module_records(app)


# Standard records a module ships as JSON, in the order a real install/migrate imports them:
# frappe.model.sync.sync_for (Dashboard Chart Source, ..., Workspace) and frappe.utils.dashboard.sync_dashboards
# (Dashboard Chart, Number Card). Link targets come first here so every Link is checked.
MODULE_RECORD_FOLDERS = (
    ("page", "Page"),
    ("dashboard_chart_source", "Dashboard Chart Source"),
    ("number_card", "Number Card"),
    ("dashboard_chart", "Dashboard Chart"),
    ("workspace", "Workspace"),
)


def sync_module_records(app: str = APP_NAME) -> list[tuple[str, str]]:
    """Import ``<app>/<module>/<folder>/<name>/<name>.json`` like frappe.modules.import_file.import_file_by_path:
    a record whose ``modified`` is unchanged is left alone, a changed one is replaced. Returns what was imported."""
    modules_file = Path(frappe.get_app_path(app, "modules.txt"))
    modules = [m.strip() for m in modules_file.read_text().splitlines() if m.strip()] if modules_file.exists() else []
    imported = []
    for module in modules:
        module_path = Path(frappe.get_app_path(app, frappe.scrub(module)))
        for folder, doctype in MODULE_RECORD_FOLDERS:
            for path in sorted((module_path / folder).glob("*/*.json")):
                if path.stem != path.parent.name:
                    continue
                record = json.loads(path.read_text())
                if record.get("doctype") != doctype:
                    raise StandinStrictError(f"{path}: doctype {record.get('doctype')!r}, expected {doctype!r}")
                if _import_record(record):
                    imported.append((doctype, record["name"]))
    frappe.db.commit()
    return imported


def _import_record(record: dict) -> bool:
    doctype, name = record["doctype"], record["name"]
    current = frappe.db.get_value(doctype, name, "modified")
    if current and str(current) == str(frappe.utils.get_datetime(record["modified"])):
        return False
    if current:
        frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
    doc = frappe.get_doc({k: v for k, v in record.items() if k not in ("creation", "modified", "modified_by", "owner")})
    doc.flags.ignore_permissions = True
    doc.insert(set_name=name)
    frappe.db.set_value(doctype, name, "modified", frappe.utils.get_datetime(record["modified"]), update_modified=False)
    return True


def _as_list(value) -> list:
    if not value:
        return []
    return value if isinstance(value, (list, tuple)) else [value]


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------
def create_tables() -> None:
    from frappe.model.meta import registry

    frappe.db.create_system_tables()
    sync_doctype("DocType")
    for doctype in registry.names():
        sync_doctype(doctype)


def sync_doctype(doctype: str) -> None:
    """CREATE TABLE (or ADD the missing columns) for a DocType, with its unique and search indexes."""
    from frappe.model.meta import get_meta

    meta = get_meta(doctype, cached=False)
    if not meta.issingle:
        data_fields = [df for df in meta.fields if df.fieldname in meta.get_valid_columns()]
        frappe.db.sync_table(meta, data_fields)
    _register_doctype_row(meta)
    if not meta.issingle:
        _run_on_doctype_update(meta)


def _run_on_doctype_update(meta) -> None:
    """frappe DocType.on_update -> run_module_method("on_doctype_update"): the controller module's index hook."""
    if meta.app in (None, "erpnext", "handwritten", "frappe"):
        return
    module_name = f"{meta.app}.{frappe.scrub(meta.module)}.doctype.{frappe.scrub(meta.name)}.{frappe.scrub(meta.name)}"
    try:
        module = frappe.get_module(module_name)
    except ImportError:
        return
    hook = getattr(module, "on_doctype_update", None)
    if hook is not None:
        hook()


def _register_doctype_row(meta) -> None:
    db = frappe.db
    if not db.table_exists("DocType"):
        return
    now = frappe.utils.now()
    db.register_doctype_row({
        "name": meta.name, "module": meta.module or "Core", "istable": meta.istable, "issingle": meta.issingle,
        "is_submittable": meta.is_submittable, "is_tree": meta.is_tree, "custom": meta.custom,
        "autoname": meta.autoname, "docstatus": 0, "idx": 0, "creation": now, "modified": now,
        "owner": "Administrator", "modified_by": "Administrator",
    })  # fmt: skip


def sync_custom_field_columns(doctype: str) -> None:
    """Custom Field saved: like MariaDB DDL, commit the transaction, then add the column."""
    from frappe.model.meta import clear_meta_cache

    frappe.db.commit()
    clear_meta_cache()
    sync_doctype(doctype)
    frappe.clear_document_cache(doctype)
    frappe.local.valid_columns = {}


# --------------------------------------------------------------------------------------------------
# /api/method router
# --------------------------------------------------------------------------------------------------
@dataclass
class StandinResponse:
    status: int
    json: Any
    body: bytes
    headers: dict
    exception: BaseException | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def call_method(
    path: str, *, http_method: str = "POST", body: bytes | str | dict | list = b"", headers: dict | None = None,
    query: dict | str | None = None, user: str = "Guest",
) -> StandinResponse:
    """Run ``/api/method/<path>`` like frappe.app.application + frappe.handler on the current thread's site.

    ``body`` may be bytes/str (sent as is) or a dict/list (JSON-encoded, Content-Type application/json unless given).
    """
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request, Response

    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode()
    builder = EnvironBuilder(
        path=f"/api/method/{path}", method=http_method.upper(), data=body or None, headers=headers,
        query_string=query, base_url=f"http://{frappe.local.site}",
    )
    request = Request(builder.get_environ())

    saved = {
        name: getattr(frappe.local, name, None)
        for name in ("session", "flags", "form_dict", "request", "message_log", "response", "role_permissions")
    }
    in_test = bool(saved["flags"] and saved["flags"].get("in_test"))
    frappe.local.flags = frappe._default_flags()
    frappe.local.flags.in_test = in_test
    frappe.local.request = request
    frappe.local.response = frappe._dict(docs=[])
    frappe.local.message_log = []
    frappe.local.form_dict = frappe._dict()
    frappe.set_user(user)
    try:
        try:
            _make_form_dict(request)
            _validate_auth(request)
            frappe.local.form_dict.cmd = path.split("/", 1)[0]
            result = _execute_cmd(frappe.local.form_dict.cmd)
            if isinstance(result, Response):
                response = _from_werkzeug(result)
            else:
                if result is not None:
                    frappe.local.response["message"] = result
                response = _json_response(frappe.local.response.pop("http_status_code", None) or 200)
            if request.method in frappe.UNSAFE_HTTP_METHODS or frappe.local.flags.commit:
                frappe.db.commit()
            else:
                frappe.db.rollback()
            return response
        except Exception as exc:
            response = _error_response(exc)
            frappe.db.rollback()
            return response
    finally:
        for name, value in saved.items():
            setattr(frappe.local, name, value)


def _make_form_dict(request) -> None:
    request_data = request.get_data(as_text=True)
    if request_data and request.is_json:
        args = json.loads(request_data)
    else:
        args = {}
        args.update(request.args or {})
        args.update(request.form or {})
    if isinstance(args, dict):
        frappe.local.form_dict = frappe._dict(args)
    elif isinstance(args, list):
        frappe.local.form_dict = frappe._dict(data=args)
    else:
        frappe.throw(frappe._("Invalid request arguments"))
    frappe.local.form_dict.pop("_", None)


def _validate_auth(request) -> None:
    authorization = request.headers.get("Authorization")
    if not authorization or len(authorization.split(" ")) != 2:
        return
    scheme, token = authorization.split(" ")
    user = _user_from_api_credentials(scheme, token)
    if user:
        frappe.set_user(user)
    if frappe.session.user in ("", "Guest"):
        raise frappe.AuthenticationError


def _user_from_api_credentials(scheme: str, token: str):
    import base64

    from frappe.utils.password import get_decrypted_password

    scheme = scheme.lower()
    if scheme == "basic":
        try:
            token = base64.b64decode(token).decode()
        except Exception:
            return None
    elif scheme != "token":
        return None
    if ":" not in token:
        return None
    api_key, api_secret = token.split(":", 1)
    user = frappe.db.get_value("User", {"api_key": api_key}, "name")
    if not user:
        return None
    if get_decrypted_password("User", user, "api_secret", raise_exception=False) != api_secret:
        return None
    return user


@frappe.whitelist(allow_guest=True)
def ping() -> str:
    """frappe/handler.py: ``/api/method/ping``, the cheapest whitelisted method (a baseline for load tests)."""
    return "pong"


_HANDLER_METHODS = {"ping": ping}  # frappe.handler.get_attr: a name without a dot is one of the handler's own


def _execute_cmd(cmd: str):
    for hook in reversed(frappe.get_hooks("override_whitelisted_methods", {}).get(cmd, [])):
        cmd = hook
        break
    try:
        method = _HANDLER_METHODS[cmd] if "." not in cmd and cmd in _HANDLER_METHODS else frappe.get_attr(cmd)
    except Exception as exc:
        frappe.throw(frappe._("Failed to get method for command {0} with {1}").format(cmd, exc))
    frappe.is_whitelisted(method)
    allowed = frappe.allowed_http_methods_for_whitelisted_func.get(method, [])
    if frappe.local.request.method not in allowed:
        frappe.throw(frappe._("Not permitted"), frappe.PermissionError)
    return frappe.call(method, **frappe.form_dict)


def _from_werkzeug(result) -> StandinResponse:
    body = result.get_data()
    parsed = None
    if result.mimetype == "application/json" or result.mimetype.endswith("+json"):
        with contextlib.suppress(ValueError):
            parsed = json.loads(body)
    return StandinResponse(status=result.status_code, json=parsed, body=body, headers=dict(result.headers))


def _json_response(status: int) -> StandinResponse:
    payload = dict(frappe.local.response)
    if payload.get("docs") == []:
        payload.pop("docs")
    if frappe.local.message_log:
        payload["_server_messages"] = json.dumps([json.dumps(m, default=str) for m in frappe.local.message_log])
    body = frappe.as_json(payload, indent=None, separators=(",", ":")).encode()
    return StandinResponse(status=status, json=json.loads(body), body=body,
                           headers={"Content-Type": "application/json"})


def _error_response(exc: Exception) -> StandinResponse:
    status = getattr(exc, "http_status_code", None) or getattr(exc, "code", None) or 500
    if isinstance(exc, frappe.StandinStrictError):
        status = 500
    frappe.local.response = frappe._dict(
        exc_type=type(exc).__name__, exception=f"{type(exc).__module__}.{type(exc).__name__}: {exc}",
        exc=json.dumps([traceback.format_exc()]),
    )
    response = _json_response(int(status))
    response.exception = exc
    return response


def site_path_of(site: Site) -> str:
    return os.path.join(site.sites_path, site.name)
