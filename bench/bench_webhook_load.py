"""Webhook answers under load through a real HTTP server on MariaDB, beside a trivial whitelisted method.

The stand-in site server (``wix_commerce_sync.testing.site_server``: one thread and one new database connection per
request, as a Frappe web worker opens one per request) receives signed Shopify ``orders/create`` deliveries (the
project's sample, a new id each) at a fixed rate from a separate load process: each delivery is sent on its own
connection at its scheduled time, whether or not earlier ones were answered (Shopify does not wait). The answer time
counts from that scheduled time, so a server that falls behind shows it. Baseline: Frappe's ``/api/method/ping``
at the top rate. Target: webhook p99 <= 100 ms at 100/s.
Options: --quick (2 s per rate instead of 6).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.bench_queue import ensure_database
from bench.harness import report
from wix_commerce_sync.connectors.http import percentile

SECRET = "bench-load-secret"  # noqa: S105 - a throwaway store of a throwaway site
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "shopify" / "webhook-orders-create-sample.json"
RATES = (20, 50, 100)


def _delivery(n: int) -> tuple[bytes, dict]:
    payload = json.loads(SAMPLE.read_text())
    payload["id"] = 7_000_000_000 + n
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/create",
                  "X-Shopify-Webhook-Id": f"bench-{n}", "Content-Type": "application/json"}  # fmt: skip


def _load(url: str, path: str, rate: int, seconds: float, first_id: int, out) -> None:
    """Open-loop load: request i is sent at start + i/rate on its own connection; returns answer times."""
    import http.client
    from urllib.parse import urlsplit

    host = urlsplit(url)
    count = int(rate * seconds)
    bodies = [_delivery(first_id + i) if path != "/api/method/ping" else (b"", {}) for i in range(count)]

    def send(i: int) -> tuple[float, int]:
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        body, headers = bodies[i]
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        try:
            conn.request("POST" if body else "GET", path, body=body or None, headers=headers)
            status = conn.getresponse().status
        finally:
            conn.close()
        return time.perf_counter() - due, status

    with ThreadPoolExecutor(max_workers=min(count, 256)) as pool:
        start = time.perf_counter() + 0.2
        results = list(pool.map(send, range(count)))
    out.put(results)


def _run_rate(url: str, path: str, rate: int, seconds: float, first_id: int) -> tuple[list[float], int]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_load, args=(url, path, rate, seconds, first_id, out))
    proc.start()
    results = out.get(timeout=600)
    proc.join(timeout=60)
    return [r[0] for r in results], sum(1 for r in results if r[1] != 200)


def _figures(prefix: str, latencies: list[float], errors: int) -> dict[str, object]:
    return {f"{prefix}_p50_ms": round(percentile(latencies, 50) * 1000, 1),
            f"{prefix}_p99_ms": round(percentile(latencies, 99) * 1000, 1), f"{prefix}_non_200": errors}  # fmt: skip


def run(seconds: float = 6.0) -> dict[str, object]:
    backend = ensure_database()
    from wix_commerce_sync.testing import activate_standin

    activate_standin()
    import frappe
    from frappe import standin

    from wix_commerce_sync import shell
    from wix_commerce_sync.testing.site_server import SiteServer
    from wix_commerce_sync.tests import fixtures as fx

    figures: dict[str, object] = {"backend": backend, "seconds_per_rate": seconds}
    with tempfile.TemporaryDirectory(prefix="wcs-bench-load-") as tmp:
        site = standin.new_site(Path(tmp) / "bench-load.localhost", db_type=backend)
        server = None
        try:
            site.connect()
            store, _ = fx.make_store(fx.ensure_basics(), "Bench Load Shop", webhook_secret=SECRET)
            shell.CONNECTOR_OVERRIDES.pop(store, None)  # the real Shopify connector verifies and parses
            frappe.db.commit()
            server = SiteServer(site)
            url = server.start()
            path = f"/api/method/wix_commerce_sync.api.webhooks.shopify?store={store.replace(' ', '%20')}"
            _run_rate(url, path, 10, 1.0, 0)  # warm-up: imports, the per-store cache
            latencies, errors = _run_rate(url, "/api/method/ping", max(RATES), seconds, 0)
            figures.update(_figures(f"ping_{max(RATES)}", latencies, errors))
            first = 1000
            for rate in RATES:
                latencies, errors = _run_rate(url, path, rate, seconds, first)
                first += int(rate * seconds) + 1
                figures.update(_figures(f"webhook_{rate}", latencies, errors))
            frappe.db.rollback()
            figures["jobs_made"] = frappe.db.count("Commerce Sync Job", {"store": store})
        finally:
            if server is not None:
                server.stop()
            frappe.destroy()
            standin.drop_site(site)
    return figures


def main() -> None:
    report("webhook answers under load (site server)", run(2.0 if "--quick" in sys.argv else 6.0))


if __name__ == "__main__":
    main()
