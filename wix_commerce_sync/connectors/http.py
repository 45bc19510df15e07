"""Shared HTTP layer: one ``requests`` session per store, timeouts, retries, rate limiting.

- Connect/read timeouts on every call.
- ``tenacity`` retries transient failures (connection errors, timeouts, 5xx, 429)
  with exponential backoff and full jitter; a Retry-After header wins over the
  computed delay.
- A per-store token bucket keeps us under the platform's documented rate.
- Every request is counted (``stats``) so benchmarks can print API calls.
- Secrets are redacted from anything that reaches a log or an exception.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity import Retrying as _Retrying

from wix_commerce_sync.sync.errors import (
    AmbiguousWriteError,
    AuthError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    SyncError,
    TransientError,
    ValidationError,
)

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
# Methods whose repetition leaves the store as one send would (RFC 9110 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REDACTED = "***"
_SECRET_KEYS = re.compile(
    r"(token|secret|password|authorization|api[_-]?key|consumer_key|consumer_secret|signature|hmac|client_secret)",
    re.I,
)


# ---------------------------------------------------------------- redaction


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Copy of ``value`` with secret-looking keys and known secret values masked."""
    secret_list = [s for s in secrets if s and len(s) >= 4]
    if isinstance(value, dict):
        return {
            k: (REDACTED if _SECRET_KEYS.search(str(k)) else redact(v, secret_list)) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, secret_list) for v in value]
    if isinstance(value, str):
        for secret in secret_list:
            value = value.replace(secret, REDACTED)
        return value
    return value


def excerpt(value: Any, secrets: Iterable[str] = (), limit: int = 2000) -> str:
    """Short, redacted text of a request/response body for a sync log."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    text = value if isinstance(value, str) else json.dumps(redact(value, secrets), default=str)
    text = redact(text, secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- URL checks


def validate_store_url(url: str, *, allow_insecure_loopback: bool = False) -> str:
    """Return the normalised base URL, or raise ConfigurationError.

    HTTPS only; plain HTTP only to a loopback host and only when explicitly
    allowed (the sandbox). No credentials, query or fragment in the URL.
    """
    if not url or not isinstance(url, str):
        raise ConfigurationError("store URL is empty")
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"store URL {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ConfigurationError("store URL must not contain credentials")
    if parts.query or parts.fragment:
        raise ConfigurationError("store URL must not contain a query or fragment")
    if parts.scheme == "http" and not (allow_insecure_loopback and is_loopback(parts.hostname)):
        raise ConfigurationError(f"store URL {url!r} must use https")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- rate limiting


class TokenBucket:
    """Thread-safe token bucket: ``rate`` tokens per second, ``capacity`` burst."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self, tokens: float = 1.0) -> float:
        """Block until ``tokens`` are available; returns seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
                self._last = now
                if self.tokens >= tokens - 1e-9:  # float remainders must not spin forever
                    self.tokens -= tokens
                    self.waited += waited
                    return waited
                delay = (tokens - self.tokens) / self.rate
            self._sleep(delay)
            waited += delay

    def pause(self, seconds: float) -> None:
        """Drain the bucket so the next caller waits ``seconds`` (server said slow down)."""
        with self._lock:
            self.tokens = min(self.tokens, -seconds * self.rate)


# ---------------------------------------------------------------- client


@dataclass
class HttpStats:
    calls: int = 0
    retries: int = 0
    throttled: int = 0
    latencies: list[float] = field(default_factory=list)

    def record(self, seconds: float) -> None:
        self.calls += 1
        if len(self.latencies) < 100_000:
            self.latencies.append(seconds)


def _retry_after_seconds(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _wait_with_retry_after(base: Callable[[RetryCallState], float], cap: float) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return min(cap, exc.retry_after)
        return base(state)

    return wait


class HttpClient:
    """One per store. Translates HTTP outcomes into the error taxonomy and retries."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        rate_limiter: TokenBucket | None = None,
        secrets: Iterable[str] = (),
        error_hook: Callable[[requests.Response], SyncError | None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "wix_commerce_sync", "Accept": "application/json"})
        if headers:
            self.session.headers.update(headers)
        self.session.auth = auth
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.rate_limiter = rate_limiter
        self.secrets = [s for s in secrets if s]
        self.error_hook = error_hook
        self.stats = HttpStats()

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, retry: bool = True, idempotent: bool | None = None,
                **kwargs: Any) -> requests.Response:  # fmt: skip
        """Send with retries; return the successful response or raise a SyncError.

        ``idempotent`` says whether sending the request twice is harmless; it defaults to
        the method's own semantics (POST and PATCH are not). A non-idempotent request is
        retried only when the failure proves the store never processed it (a refused
        connection, a connect timeout, 429); any other failure raises AmbiguousWriteError
        at once, so the caller looks for what the lost attempt made before creating again.
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        if not idempotent:
            kwargs["_ambiguous_is_final"] = True
        retrying = _Retrying(
            stop=stop_after_attempt(self.max_attempts if retry else 1),
            wait=_wait_with_retry_after(
                wait_random_exponential(multiplier=self.backoff_initial, max=self.backoff_max), self.backoff_max
            ),
            retry=retry_if_exception(_retry_in_place),
            reraise=True,
            before_sleep=self._count_retry,
        )
        return retrying(self._send_once, method, path, **kwargs)

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1

    def _send_once(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        ambiguous_is_final = kwargs.pop("_ambiguous_is_final", False)
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        kwargs.setdefault("timeout", self.timeout)
        url = self.url(path)
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            error: SyncError = TransientError(f"{method} {self._safe(url)} {_network_failure(exc)}")
            if ambiguous_is_final and not _never_sent(exc):
                error = _ambiguous(error)
            raise error from exc
        finally:
            self.stats.record(time.perf_counter() - started)
        error = self.classify(response, method, url)
        if error is not None:
            if ambiguous_is_final and error.retryable and not isinstance(error, RateLimitedError):
                error = _ambiguous(error)
            elif ambiguous_is_final and isinstance(error, RateLimitedError) and response.status_code != 429:
                error = _ambiguous(error)  # a 503 may come from a proxy after the store committed
            raise error
        return response

    def classify(self, response: requests.Response, method: str, url: str) -> SyncError | None:
        """Map a response to an error of the taxonomy, or None when it succeeded."""
        if self.error_hook is not None:
            hooked = self.error_hook(response)
            if hooked is not None:
                if isinstance(hooked, RateLimitedError):
                    self.stats.throttled += 1
                return hooked
        status = response.status_code
        if status < 400:
            return None
        where = f"{method} {self._safe(url)}"
        body = excerpt(response.text, self.secrets, limit=300)
        if status == 429:
            self.stats.throttled += 1
            retry_after = _retry_after_seconds(response)
            if self.rate_limiter is not None and retry_after:
                self.rate_limiter.pause(retry_after)
            return RateLimitedError(f"{where}: rate limited", retry_after=retry_after, status=status)
        if status in (401, 403):
            return AuthError(f"{where}: HTTP {status} {body}", status=status)
        if status == 404:
            return NotFoundError(f"{where}: not found", status=status)
        if status == 503:
            return RateLimitedError(f"{where}: unavailable", retry_after=_retry_after_seconds(response), status=status)
        if status >= 500:
            return TransientError(f"{where}: HTTP {status} {body}", status=status)
        return ValidationError(f"{where}: HTTP {status} {body}", status=status, details=_json_or_none(response))

    def _safe(self, url: str) -> str:
        return redact(url.split("?", 1)[0], self.secrets)

    # convenience -----------------------------------------------------------
    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post_json(self, path: str, payload: Any, **kwargs: Any) -> Any:
        return self.request("POST", path, json=payload, **kwargs).json()


def _retry_in_place(exc: BaseException) -> bool:
    return isinstance(exc, SyncError) and exc.retryable and not isinstance(exc, AmbiguousWriteError)


def _network_failure(exc: Exception) -> str:
    return "timed out" if isinstance(exc, requests.Timeout) else "failed: connection error"


def _never_sent(exc: Exception) -> bool:
    """True when the request provably never reached the server (so repeating it is safe)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc.args[0] if exc.args else exc)
        return "NewConnectionError" in text or "Connection refused" in text or "NameResolutionError" in text
    return False


def _ambiguous(error: SyncError) -> AmbiguousWriteError:
    return AmbiguousWriteError(
        f"{error.message}; the store may have applied it, so it is not re-sent blindly",
        status=error.status,
        details=error.details,
    )


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
