"""Permissions (issue 16): every whitelisted method of the app, found from the code, refuses Guest and a user
without the Commerce Sync Manager role over the real request path (``/api/method/...``, both verbs); the only
guest methods are the three webhook endpoints, which accept POST only and signed bodies only.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path
from unittest import mock

import frappe
import pytest

import wix_commerce_sync
from wix_commerce_sync.testing.chaos import fuzz

APP_DIR = Path(wix_commerce_sync.__file__).resolve().parent
SKIP = ("wix_commerce_sync.testing", "wix_commerce_sync.tests")  # test-only code: never served
CLI = ("wix_commerce_sync.commands",)  # bench CLI (click, only inside a bench); the source count below covers it
DECORATOR = re.compile(r"^\s*@frappe\.whitelist\(", re.MULTILINE)
PLAIN = "commerce-plain-fuzz@example.com"
WEBHOOKS = {"wix_commerce_sync.api.webhooks.shopify", "wix_commerce_sync.api.webhooks.woocommerce",
            "wix_commerce_sync.api.webhooks.wix"}  # fmt: skip


def app_whitelisted() -> dict[str, object]:
    """Import every module of the app, then read what ``frappe.whitelist`` registered: {dotted path: function}."""
    for info in pkgutil.walk_packages([str(APP_DIR)], prefix="wix_commerce_sync."):
        if not info.name.startswith(SKIP + CLI):
            importlib.import_module(info.name)
    found = {}
    for fn in frappe.whitelisted:
        module = getattr(fn, "__module__", "") or ""
        if module.startswith("wix_commerce_sync.") and not module.startswith(SKIP):
            found[f"{module}.{fn.__qualname__}"] = fn
    return found


def decorators_in_source() -> int:
    return sum(len(DECORATOR.findall(p.read_text())) for p in APP_DIR.rglob("*.py")
               if not any(part in ("testing", "tests") for part in p.relative_to(APP_DIR).parts))  # fmt: skip


def _args(fn, store: str) -> dict:
    target = inspect.unwrap(fn)
    return {name: (store if name == "store" else "x") for name, p in inspect.signature(target).parameters.items()
            if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD}  # fmt: skip


@pytest.fixture(scope="module")
def setup():
    from wix_commerce_sync import shell
    from wix_commerce_sync.testing.erp_fixtures import ensure_basics

    frappe.set_user("Administrator")
    if not frappe.db.exists("User", PLAIN):
        frappe.get_doc({"doctype": "User", "email": PLAIN, "first_name": "Plain", "send_welcome_email": 0}).insert(
            ignore_permissions=True)
    targets, sims = fuzz.make_targets(ensure_basics(), "perm-" + frappe.generate_hash(length=6))
    frappe.db.commit()
    with mock.patch("frappe.enqueue"):
        yield targets
    for target in targets.values():
        shell.CONNECTOR_OVERRIDES.pop(target.store, None)
    for sim in sims:
        sim.stop()


def test_every_whitelisted_method_is_found_from_the_code(frappe_site):
    found = app_whitelisted()
    assert len(found) == decorators_in_source(), sorted(found)
    assert {p for p, fn in found.items() if fn in frappe.guest_methods} == WEBHOOKS


def test_every_method_refuses_guest_and_users_without_the_role(frappe_site, standin, setup):
    store = setup["Shopify"].store
    refused = []
    for path, fn in sorted(app_whitelisted().items()):
        if path in WEBHOOKS:
            continue
        for user in ("Guest", PLAIN):
            for verb in ("GET", "POST"):
                args = _args(fn, store)
                response = (standin.call_method(path, http_method=verb, query=args, user=user) if verb == "GET" else
                            standin.call_method(path, http_method=verb, body=args, user=user))  # fmt: skip
                if response.status != 403:
                    refused.append(f"{path} as {user} by {verb}: {response.status} {response.body[:200]!r}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("platform", fuzz.PLATFORMS)
def test_webhook_endpoints_accept_post_only_and_signed_only(frappe_site, standin, setup, platform):
    target = setup[platform]
    path = f"wix_commerce_sync.api.webhooks.{target.endpoint}"
    assert frappe.allowed_http_methods_for_whitelisted_func[getattr(
        importlib.import_module("wix_commerce_sync.api.webhooks"), target.endpoint)] == ["POST"]  # fmt: skip
    body = json.dumps({"id": 1}).encode()
    jobs = frappe.db.count("Commerce Sync Job")
    for verb in ("GET", "PUT", "DELETE"):
        assert standin.call_method(path, http_method=verb, query={"store": target.store}).status == 403
    unsigned = standin.call_method(path, body=body, query={"store": target.store},
                                   headers={**target.topic_headers(1), "Content-Type": "application/json"})  # fmt: skip
    assert unsigned.status == 401
    signed = fuzz.Delivery("valid", body, target.sign(body, target.topic_headers(2)), signed=True)
    if platform == "Wix":
        signed.body = target.wix_body({"id": "e1", "entityFqdn": "wix.contacts.v4.contact", "slug": "updated",
                                       "entityId": "c-1", "updatedEvent": {"currentEntity": {"id": "c-1"}}},
                                      event_type="wix.contacts.v4.contact_updated")  # fmt: skip
    content_type = "text/plain" if platform == "Wix" else "application/json"  # as each platform sends them
    accepted = standin.call_method(path, body=signed.body, query={"store": target.store},
                                   headers={**signed.headers, "Content-Type": content_type})  # fmt: skip
    assert accepted.status < 500
    assert frappe.db.count("Commerce Sync Job") - jobs <= 1  # only the signed one may queue work
