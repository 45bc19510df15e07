"""Base of the platform simulators: a real HTTP server on 127.0.0.1 with switchable faults.

Each platform's simulator (``connectors/<platform>/simulator.py``) subclasses
``SimulatorServer`` and implements ``route()``. Faults are injected here, the
same way for every platform, so client tests exercise real sockets:

- ``latency``: seconds added to every answer;
- ``fail_next(n, status)``: the next n requests answer ``status`` (5xx, 429, 403...);
- ``timeout_next(n, seconds)``: the next n requests stall before answering;
- ``reset_next(n)``: the next n connections are closed without an answer;
- ``lose_answer_next(n, status=None)``: the next n requests are carried out (the
  store commits), then the connection is reset, or answered ``status`` (e.g. 500):
  the client cannot know its write landed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class SimRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Faults:
    latency: float = 0.0
    queue: deque = field(default_factory=deque)  # items: ("status", code, headers) | ("stall", s) | ("reset",)

    def fail_next(self, n: int, status: int = 500, headers: dict[str, str] | None = None) -> None:
        self.queue.extend([("status", status, headers or {})] * n)

    def timeout_next(self, n: int, seconds: float = 2.0) -> None:
        self.queue.extend([("stall", seconds)] * n)

    def reset_next(self, n: int) -> None:
        self.queue.extend([("reset",)] * n)

    def lose_answer_next(self, n: int, status: int | None = None) -> None:
        self.queue.extend([("commit_then_lose", status)] * n)

    def clear(self) -> None:
        self.latency = 0.0
        self.queue.clear()


class SimulatorServer:
    """Threaded HTTP server; subclasses implement ``route(request) -> SimResponse``."""

    name = "simulator"

    def __init__(self) -> None:
        self.faults = Faults()
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []  # (method, path) log, for call counting
        self._server: ThreadingHTTPServer | None = None

    # lifecycle --------------------------------------------------------------
    def start(self) -> str:
        self._server = start_loopback_server(self._serve, name=self.name)
        return self.base_url

    def stop(self) -> None:
        stop_loopback_server(self._server)
        self._server = None

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "simulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def call_count(self, path_contains: str = "") -> int:
        with self.lock:
            return sum(1 for _, path in self.requests if path_contains in path)

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()

    # serving ----------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        request = SimRequest(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self.lock:
            self.requests.append((request.method, request.path))
            fault = self.faults.queue.popleft() if self.faults.queue else None
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if fault is not None:
            kind = fault[0]
            if kind == "reset":
                self._reset(handler)
                return
            if kind == "commit_then_lose":
                self._commit_then_lose(handler, request, fault[1])
                return
            if kind == "stall":
                time.sleep(fault[1])
            elif kind == "status":
                self._send(handler, SimResponse(fault[1], {"errors": "simulated fault"}, dict(fault[2])))
                return
        try:
            response = self.route(request)
        except Exception as exc:  # a simulator bug must show up as a 500, not a hang
            response = SimResponse(500, {"errors": f"simulator error: {exc!r}"})
        self._send(handler, response)

    def _send(self, handler: BaseHTTPRequestHandler, response: SimResponse) -> None:
        payload = response.encoded()
        try:
            # headers and body leave in two writes; without TCP_NODELAY Nagle + delayed ACK add ~40 ms a call
            handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            handler.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _commit_then_lose(self, handler: BaseHTTPRequestHandler, request: SimRequest, status: int | None) -> None:
        try:
            self.route(request)
        except Exception:  # noqa: S110 - the answer is lost either way
            pass
        if status is None:
            self._reset(handler)
        else:
            self._send(handler, SimResponse(status, {"errors": "simulated fault after commit"}))

    @staticmethod
    def _reset(handler: BaseHTTPRequestHandler) -> None:
        try:
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.connection.close()
        except OSError:
            pass
        handler.close_connection = True

    def route(self, request: SimRequest) -> SimResponse:  # pragma: no cover - abstract
        raise NotImplementedError


class _LoopbackServer(ThreadingHTTPServer):
    request_queue_size = 256  # listen backlog: a burst of deliveries waits, as on gunicorn, instead of being reset


def start_loopback_server(serve: Callable[[BaseHTTPRequestHandler], None], *, port: int = 0,
                          name: str = "loopback-server") -> ThreadingHTTPServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 handing every request to ``serve(handler)``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _handle(self) -> None:
            serve(self)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815 - http.server API

    server = _LoopbackServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    # a short poll interval: stop returns at once instead of after the default 0.5 s
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True).start()
    return server


def stop_loopback_server(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


def post_webhook(url: str, body: bytes, headers: dict[str, str], timeout: float = 5.0) -> int:
    """Deliver one webhook the way platforms do; returns the HTTP status (0 on network error)."""
    try:
        return requests.post(url, data=body, headers=headers, timeout=timeout).status_code
    except requests.RequestException:
        return 0
