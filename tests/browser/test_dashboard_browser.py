"""The dashboard in a real browser: headless Debian Chromium + chromedriver (installed by .ci/run), Selenium.

A sandbox (two simulated stores, a stand-in ERPNext, a full sync) runs in a subprocess and serves the page over
HTTP; the tests drive the page like an administrator and read the sandbox's database for the effects.
Screenshots land in ``artifacts/browser/`` (or ``$ARTIFACTS_DIR``). Outside CI the tests skip when Chromium is
not installed; in CI (``CI=true``) they must run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from wix_commerce_sync.testing.browser import (
    INSTALL_HINT,
    console_errors,
    dashboard_loaded,
    find_chromium,
    open_browser,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "artifacts") / "browser"
STORES = ("Sandbox Shopify", "Sandbox WooCommerce")

if find_chromium() is None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"Chromium not found: {INSTALL_HINT}", allow_module_level=True)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A served sandbox: (dashboard URL, its site folder). Stopped at the end of the module."""
    data = tmp_path_factory.mktemp("browser-sandbox")
    cmd = [sys.executable, "-m", "wix_commerce_sync.cli", "sandbox", "--port", "0", "--serve", "900",
           "--data-dir", str(data), "--platform", STORES[0].split()[1], "--platform", STORES[1].split()[1]]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        lines.append(line)
        found = re.search(r"serving the dashboard for \d+ s at (http://\S+)", line)
        if found:
            url = found.group(1)
            break
        if time.monotonic() > deadline:
            break
    if url is None:
        proc.kill()
        pytest.fail("the sandbox never served its dashboard:\n" + "".join(lines[-40:]))
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep the pipe drained
    yield url, data / "sandbox.localhost"  # the line names the dashboard page itself
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with open_browser() as driver:
        yield driver


@pytest.fixture
def page(browser, sandbox, request):
    """The dashboard, loaded; after the test: a screenshot artifact, and no console error may have happened."""
    url, _site = sandbox
    browser.get(url)
    dashboard_loaded(browser)
    yield browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{request.node.name}.png"))
    assert console_errors(browser) == []


def on_sandbox_site(site_path: Path, work):
    """Run ``work()`` against the sandbox's database, in a thread of its own (frappe.local is per thread)."""
    out: dict = {}

    def run():
        from frappe import standin

        site = standin.Site(name=site_path.name, sites_path=str(site_path.parent), site_path=str(site_path),
                            db_path=str(site_path / "site.sqlite3"))  # fmt: skip
        try:
            with standin.connection(site):
                out["value"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if "error" in out:
        raise out["error"]
    return out.get("value")


def refreshed_without_error(driver) -> None:
    """The last refresh drew everything: its time stamp is shown (a failed refresh shows its error there)."""
    wait_for(driver, "document.getElementById('cs-updated').textContent.startsWith('updated ')", what="a clean refresh")


def bars(driver) -> int:
    return driver.execute_script("return [...document.querySelectorAll('.csd-chart rect.bar')]"
                                 ".filter((r) => +r.getAttribute('height') > 0).length")  # fmt: skip


def cards(driver) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('.cs-card')].map((c) => c.dataset.store)")


def test_dashboard_renders_a_card_per_store_and_its_charts(page):
    assert sorted(cards(page)) == sorted(STORES)
    assert page.execute_script("return document.querySelectorAll('.csd-chart svg').length") == 4
    assert bars(page) > 0, "the charts show the sandbox's operations and orders"
    refreshed_without_error(page)
    assert page.execute_script("return document.querySelectorAll('.csd-total').length") == 7
    rows = page.execute_script("return document.querySelectorAll('#cs-activity tbody tr').length")
    assert 0 < rows <= 20, "activity is paginated"
    assert "refreshes every 30 s" in page.find_element("id", "cs-updated").text


def test_the_store_filter_shows_only_that_store(page, sandbox):
    from selenium.webdriver.support.ui import Select

    Select(page.find_element("id", "cs-store")).select_by_value(STORES[1])
    wait_for(page, f"document.querySelectorAll('.cs-card').length === 1 && "
                   f"document.querySelector('.cs-card').dataset.store === {STORES[1]!r}", what="the filtered cards")  # fmt: skip
    refreshed_without_error(page)
    wait_for(page, "[...document.querySelectorAll('.csd-chart rect.bar')].some((r) => +r.getAttribute('height') > 0)",
             what="the filtered charts' bars")  # fmt: skip
    assert "store=Sandbox+WooCommerce" in page.current_url
    stores = page.execute_script("return [...document.querySelectorAll('#cs-activity tbody tr td:nth-child(2)')].map((t) => t.textContent)")
    assert stores and set(stores) == {STORES[1]}


def test_retry_requeues_a_failed_job(browser, sandbox):
    url, site = sandbox

    def make_dead_job():
        import frappe

        doc = frappe.get_doc({"doctype": "Commerce Sync Job", "store": STORES[0], "entity": "orders", "direction": "Inbound",
                              "action": "upsert", "status": "Dead", "attempts": 5, "external_id": "browser-1",
                              "last_error": "HTTP 503 from the store", "dedupe_key": f"browser-{time.time_ns()}",
                              "record_key": "browser-1", "payload": "{}"}).insert(ignore_permissions=True)  # fmt: skip
        frappe.db.commit()
        return doc.name

    job = on_sandbox_site(site, make_dead_job)
    browser.get(url)
    dashboard_loaded(browser)
    wait_for(browser, f"document.querySelector('.cs-retry[data-job=\"{job}\"]')", what="the dead job's Retry button")
    browser.find_element("css selector", f'.cs-retry[data-job="{job}"]').click()
    wait_for(browser, "document.getElementById('cs-action-result').textContent.includes('queued again')", what="the answer")
    assert "1 job(s) queued again" in browser.find_element("id", "cs-action-result").text
    wait_for(browser, f"!document.querySelector('.cs-retry[data-job=\"{job}\"]')", what="the job to leave the failed list")
    status = on_sandbox_site(site, lambda: __import__("frappe").db.get_value("Commerce Sync Job", job, "status"))
    assert status == "Queued"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "test_retry_requeues_a_failed_job.png"))
    assert console_errors(browser) == []
