"""Headless Chromium for the browser tests and ``sandbox --screenshot``: Debian's ``chromium`` and
``chromium-driver`` packages (installed by ``.ci/run``) driven by Selenium. Nothing is downloaded: the
browser and the driver are given by path, so Selenium Manager never runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BROWSER_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_CANDIDATES = ("chromedriver",)
INSTALL_HINT = "install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync",
    "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--metrics-recording-only",
    "--disable-features=Translate,MediaRouter,OptimizationHints", "--password-store=basic",
)  # fmt: skip


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, from CHROMIUM_PATH / CHROMEDRIVER_PATH or the PATH; None when either is missing."""
    browser = os.environ.get("CHROMIUM_PATH") or next(filter(None, map(shutil.which, BROWSER_CANDIDATES)), None)
    driver = os.environ.get("CHROMEDRIVER_PATH") or next(filter(None, map(shutil.which, DRIVER_CANDIDATES)), None)
    return (browser, driver) if browser and driver else None


@contextlib.contextmanager
def open_browser() -> Iterator[Any]:
    """A headless Chromium WebDriver that records the page's console (``console_errors``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError(f"Chromium not found: {INSTALL_HINT}")
    browser, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    """Console messages of level SEVERE since the last call (uncaught errors, failed requests)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def wait_for(driver: Any, script: str, timeout: float = 30.0, what: str = "the page") -> Any:
    """Poll a JavaScript expression until it is truthy; raise with ``what`` and the console errors if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script("return " + script)
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}; console: {console_errors(driver)}")


def dashboard_loaded(driver: Any, timeout: float = 30.0) -> None:
    """Cards and charts drawn; frappe-charts draws empty axes first and its data after a short delay."""
    wait_for(driver, "document.querySelector('.csd') && document.querySelector('.csd').dataset.loaded === '1' && "
                     "document.querySelectorAll('.csd-chart svg').length >= 4", timeout, "the dashboard's cards and charts")  # fmt: skip
    wait_for(driver, "[...document.querySelectorAll('.csd-chart rect.bar')].some((r) => +r.getAttribute('height') > 0)",
             timeout, "the charts' bars")  # fmt: skip


def screenshot_dashboard(url: str, path: str | Path) -> Path:
    """Open the dashboard at ``url``, wait until cards and charts are drawn, save a PNG screenshot."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_browser() as driver:
        driver.get(url)
        dashboard_loaded(driver)
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, min(max(int(height) + 40, 1000), 4000))
        driver.save_screenshot(str(path))
    return path
