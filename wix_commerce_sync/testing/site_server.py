"""The stand-in site over real HTTP on 127.0.0.1: ``/api/method/...`` and the dashboard page.

Simulated stores deliver their webhooks here exactly as to a Frappe site. Webhook endpoints run
as Guest; every other method runs as Administrator (the sandbox is local and single-user), and
``/commerce-sync-dashboard`` renders the app's own www page.
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wix_commerce_sync.testing.simulator import start_loopback_server, stop_loopback_server

WEBHOOK_PREFIX = "wix_commerce_sync.api.webhooks."
PAGE = Path(__file__).resolve().parents[1] / "www" / "commerce-sync-dashboard.html"
PUBLIC = Path(__file__).resolve().parents[1] / "public"
ASSETS_PREFIX = "/assets/wix_commerce_sync/"  # where a bench serves the app's public/ folder
ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".map": "application/json"}
BASE_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.text-muted{color:#777}</style>
<link rel="icon" href="data:,"></head>
<body>{% block page_content %}{% endblock %}</body></html>"""


class SiteServer:
    def __init__(self, site: Any, port: int = 0) -> None:
        self.site = site
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self.timings: list[tuple[str, int, float]] = []  # (path, status, seconds to answer)
        self.refuse_webhooks = 0  # answer the next N webhook deliveries 503, as a site that is down would

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._server = start_loopback_server(self._serve, port=self.port, name="site-server")
        return self.url

    def stop(self) -> None:
        stop_loopback_server(self._server)
        self._server = None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        import frappe
        from frappe import standin

        started = time.perf_counter()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        if parts.path.startswith(ASSETS_PREFIX):
            self._asset(handler, parts.path)
            return
        if parts.path.startswith("/api/method/" + WEBHOOK_PREFIX) and self.refuse_webhooks > 0:
            self.refuse_webhooks -= 1
            self._answer(handler, parts.path, 503, b'{"error": "site down"}', "application/json")
            return
        with standin.connection(self.site):
            if parts.path.startswith("/api/method/"):
                method = parts.path[len("/api/method/"):]
                user = "Guest" if method.startswith(WEBHOOK_PREFIX) else "Administrator"
                result = standin.call_method(method, http_method=handler.command, body=body,
                                             headers=dict(handler.headers.items()), query=parts.query, user=user)  # fmt: skip
                status, payload, content_type = result.status, result.body, result.headers.get("Content-Type", "application/json")
            elif parts.path.rstrip("/") in ("", "/commerce-sync-dashboard"):
                frappe.set_user("Administrator")
                status, payload, content_type = 200, self._dashboard().encode(), "text/html; charset=utf-8"
            else:
                status, payload, content_type = 404, b'{"error": "not found"}', "application/json"
        self._answer(handler, parts.path, status, payload, content_type)
        self.timings.append((parts.path, status, time.perf_counter() - started))

    def _asset(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        """A static file of ``public/`` (never outside it), as ``bench build`` links it under /assets/<app>/."""
        target = (PUBLIC / path[len(ASSETS_PREFIX):]).resolve()
        if not target.is_relative_to(PUBLIC) or not target.is_file():
            self._answer(handler, path, 404, b"not found", "text/plain")
            return
        self._answer(handler, path, 200, target.read_bytes(), ASSET_TYPES.get(target.suffix, "application/octet-stream"))

    def _answer(self, handler: BaseHTTPRequestHandler, path: str, status: int, payload: bytes, content_type: str) -> None:
        self.requests.append((handler.command, path, status))
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _dashboard(self) -> str:
        import frappe
        from jinja2 import DictLoader, Environment, select_autoescape

        from wix_commerce_sync.www import commerce_sync_dashboard

        context = frappe._dict()
        commerce_sync_dashboard.get_context(context)
        env = Environment(loader=DictLoader({"templates/web.html": BASE_TEMPLATE, "page": PAGE.read_text()}),
                          autoescape=select_autoescape(default=True))  # fmt: skip
        return env.get_template("page").render(_=lambda text: text, **context)
