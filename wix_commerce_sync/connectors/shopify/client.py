"""Shopify Admin GraphQL client: auth, cost-bucket throttling, error taxonomy, bulk download.

- ``POST {shop}/admin/api/{version}/graphql.json`` with ``{"query", "variables"}``; the
  client always sends variables (the simulator reads them, never string-built queries).
- Auth: ``X-Shopify-Access-Token`` from ``credentials["access_token"]``, or the
  client-credentials grant (``client_id`` + ``client_secret``) with the token cached and
  renewed ``TOKEN_REFRESH_MARGIN`` seconds before it expires (and once on a 401).
- Throttling: a local model of the leaky bucket, fed by every
  ``extensions.cost.throttleStatus``; before sending a query of estimated cost C the
  client waits ``(C - currentlyAvailable) / restoreRate``. A THROTTLED answer (HTTP 200
  with ``errors[].extensions.code == THROTTLED``, or HTTP 429) becomes ``Throttled`` whose
  ``retry_after`` is computed the same way; ``execute`` waits and resends the same body
  (idempotency keys are reused): Shopify did not run a throttled request, so this holds for
  creates too.
- Idempotency (issue 11): queries and ``@idempotent``-keyed mutations may be resent after a lost
  answer; every other mutation is sent with ``idempotent=False`` unless its caller knows it is
  absolute, so a lost answer raises AmbiguousWriteError and the job's retry looks first.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from wix_commerce_sync.connectors.http import HttpClient
from wix_commerce_sync.connectors.shopify.graphql import estimate_cost
from wix_commerce_sync.sync.errors import (
    AuthError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    SyncError,
    TransientError,
    ValidationError,
)

DEFAULT_API_VERSION = "2026-04"
TOKEN_REFRESH_MARGIN = 300.0  # renew a client-credentials token 5 minutes before expiry
DEFAULT_TOKEN_LIFETIME = 24 * 3600.0  # client-credentials tokens live 24 h (platform-apis.md 1.2)
SAFETY_MARGIN_SECONDS = 0.02  # wake a little after the bucket has refilled, never before


MAX_THROTTLE_RETRIES = 10


class Throttled(SyncError):
    """THROTTLED answer (HTTP 200 with ``extensions.code == THROTTLED``, or 429): Shopify did not run the
    request, so ``execute`` waits exactly ``retry_after`` and resends the same body, also for a create.
    Not a RateLimitedError: the HTTP layer would take a THROTTLED HTTP 200 to a mutation for an
    answer lost after the store committed (AmbiguousWriteError), and its backoff cap would cut the wait."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


def is_idempotent(query: str) -> bool:
    """Queries are; a mutation is only when it carries Shopify's ``@idempotent(key:)`` directive
    (same key -> same result, never a second object). Callers mark absolute mutations (updates by
    id, absolute quantities) themselves; every other mutation is treated as a create."""
    text = query.lstrip()
    if not text.startswith("mutation"):
        return True
    return "@idempotent(" in text


class CostBucket:
    """Client-side model of Shopify's per app+store leaky bucket."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.maximum: float | None = None
        self.available: float | None = None
        self.restore_rate: float | None = None
        self._stamp = clock()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.waited = 0.0
        self.requested_total = 0.0  # sum of requested costs sent (benchmarks report it)

    def _current(self, now: float) -> float | None:
        if self.available is None or self.restore_rate is None:
            return None
        value = self.available + (now - self._stamp) * self.restore_rate
        return min(self.maximum, value) if self.maximum is not None else value

    def wait_for(self, cost: float) -> float:
        """Block until ``cost`` points are (predicted to be) available, then reserve them."""
        with self._lock:
            now = self._clock()
            current = self._current(now)
            delay = 0.0
            if current is not None and self.restore_rate and cost > current:
                delay = (cost - current) / self.restore_rate + SAFETY_MARGIN_SECONDS
            if current is not None:
                # reserve the points as of the moment we will send (now + delay)
                self.available = current + delay * (self.restore_rate or 0) - cost
                self._stamp = now + delay
            self.requested_total += cost
        if delay > 0:
            self._sleep(delay)
            self.waited += delay
        return delay

    def update(self, throttle_status: dict[str, Any]) -> None:
        with self._lock:
            self.maximum = float(throttle_status.get("maximumAvailable") or 0) or self.maximum
            self.available = float(throttle_status.get("currentlyAvailable") or 0)
            self.restore_rate = float(throttle_status.get("restoreRate") or 0) or self.restore_rate
            self._stamp = self._clock()

    def seconds_until(self, cost: float, status: dict[str, Any]) -> float:
        rate = float(status.get("restoreRate") or 0) or (self.restore_rate or 50.0)
        available = float(status.get("currentlyAvailable") or 0)
        return max(0.0, (cost - available) / rate) + SAFETY_MARGIN_SECONDS


class ShopifyGraphQL:
    """One store's GraphQL endpoint. ``http`` is the shared HttpClient (counting, retries)."""

    def __init__(
        self,
        shop_url: str,
        credentials: dict[str, str],
        *,
        api_version: str = DEFAULT_API_VERSION,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 5,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        secrets: list[str] | None = None,
    ) -> None:
        self.shop_url = shop_url.rstrip("/")
        self.api_version = api_version
        self.credentials = credentials
        if not credentials.get("access_token") and not (credentials.get("client_id") and credentials.get("client_secret")):
            raise ConfigurationError("Shopify needs credentials access_token, or client_id and client_secret")
        self.bucket = CostBucket()
        self.http = HttpClient(
            self.shop_url,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            secrets=secrets or [],
            error_hook=self._error_hook,
        )
        self.http.session.headers["Content-Type"] = "application/json"
        self._token: str | None = credentials.get("access_token") or None
        self._token_expires_at: float | None = None  # None: static token that does not expire
        self._token_lock = threading.Lock()
        self.last_cost: dict[str, Any] | None = None
        self._learned_cost: dict[str, float] = {}  # operation name -> last requestedQueryCost

    @property
    def endpoint(self) -> str:
        return f"{self.shop_url}/admin/api/{self.api_version}/graphql.json"

    # ------------------------------------------------------------- auth
    def token(self) -> str:
        with self._token_lock:
            static = self.credentials.get("access_token")
            if static:
                return static
            now = time.time()
            if self._token and self._token_expires_at and now < self._token_expires_at - TOKEN_REFRESH_MARGIN:
                return self._token
            self._token, self._token_expires_at = self._client_credentials_grant()
            return self._token

    def _client_credentials_grant(self) -> tuple[str, float]:
        response = self.http.request(
            "POST",
            f"{self.shop_url}/admin/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            idempotent=True,  # a second token grant is harmless
        )
        body = response.json()
        token = body.get("access_token")
        if not token:
            raise AuthError("Shopify token endpoint returned no access_token")
        self.http.secrets.append(token)
        lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        return token, time.time() + lifetime

    def invalidate_token(self) -> None:
        with self._token_lock:
            self._token_expires_at = 0.0

    # ------------------------------------------------------------- errors
    def _error_hook(self, response: requests.Response) -> SyncError | None:
        """THROTTLED (HTTP 200 or 429) and GraphQL-level errors -> the error taxonomy."""
        if not response.request or not response.request.url or not response.request.url.endswith("graphql.json"):
            return None
        if response.status_code not in (200, 429):
            return None
        try:
            body = response.json(parse_float=str)
        except ValueError:
            return None if response.status_code == 200 else RateLimitedError("Shopify: HTTP 429", status=429)
        response._shopify_body = body  # parsed once; execute() reuses it
        cost = (body.get("extensions") or {}).get("cost") or {}
        if cost.get("throttleStatus"):
            self.bucket.update(cost["throttleStatus"])
        errors = body.get("errors") or []
        codes = {((e or {}).get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes or response.status_code == 429:
            requested = float(cost.get("requestedQueryCost") or 0)
            retry_after = self.bucket.seconds_until(requested, cost.get("throttleStatus") or {}) if cost else None
            self.http.stats.throttled += 1
            return Throttled("Shopify: throttled", retry_after=retry_after, status=response.status_code)
        if errors and not body.get("data"):
            return self._graphql_error(errors, codes)
        return None

    @staticmethod
    def _graphql_error(errors: list[Any], codes: set[Any]) -> SyncError:
        messages = "; ".join(str(e.get("message") if isinstance(e, dict) else e) for e in errors)[:500]
        if codes & {"ACCESS_DENIED", "UNAUTHORIZED"}:
            return AuthError(f"Shopify: {messages}")
        if codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}:
            return TransientError(f"Shopify: {messages}")
        if "NOT_FOUND" in codes:
            return NotFoundError(f"Shopify: {messages}")
        return ValidationError(f"Shopify GraphQL error: {messages}", details=errors)

    # ------------------------------------------------------------- execute
    def execute(self, query: str, variables: dict[str, Any] | None = None, *, operation: str | None = None,
                idempotent: bool | None = None) -> dict[str, Any]:
        """Run one operation; returns ``data``. Waits for the cost bucket first.

        ``idempotent``: whether sending the request twice is harmless (see ``is_idempotent``); a
        request that is not is never resent blindly after its answer was lost: the HTTP layer
        raises AmbiguousWriteError and the job's retry looks first for what the lost attempt made.
        """
        variables = variables or {}
        if idempotent is None:
            idempotent = is_idempotent(query)
        name = operation or query.split("(", 1)[0].split("{", 1)[0].strip()
        estimate = max(self._estimate(query, variables), self._learned_cost.get(name, 0.0))
        self.bucket.wait_for(estimate)
        response = self._post_until_admitted(query, variables, idempotent)
        body = getattr(response, "_shopify_body", None)
        if body is None:
            body = response.json(parse_float=str)
        cost = (body.get("extensions") or {}).get("cost") or {}
        self.last_cost = cost
        if cost.get("requestedQueryCost") is not None:
            self._learned_cost[name] = float(cost["requestedQueryCost"])
        if body.get("errors") and body.get("data") is None:
            raise self._graphql_error(body["errors"], set())
        return body.get("data") or {}

    def _post_until_admitted(self, query: str, variables: dict[str, Any], idempotent: bool = True) -> requests.Response:
        """Send; on THROTTLED wait what the bucket says and resend the identical body (a THROTTLED
        request was not run, so this is safe for every mutation)."""
        refreshed = False
        for _ in range(MAX_THROTTLE_RETRIES):
            try:
                return self._post(query, variables, idempotent=idempotent)
            except Throttled as exc:
                delay = exc.retry_after if exc.retry_after is not None else 1.0
                self.bucket.waited += delay
                time.sleep(delay)
            except AuthError:
                if self.credentials.get("access_token") or refreshed:
                    raise
                refreshed = True
                self.invalidate_token()  # expired client-credentials token: one fresh grant
        raise RateLimitedError("Shopify: still throttled after retries", retry_after=1.0)

    def _post(self, query: str, variables: dict[str, Any], idempotent: bool = True) -> requests.Response:
        return self.http.request(
            "POST",
            self.endpoint,
            data=json.dumps({"query": query, "variables": variables}),
            headers={"X-Shopify-Access-Token": self.token()},
            idempotent=idempotent,
        )

    @staticmethod
    def _estimate(query: str, variables: dict[str, Any]) -> float:
        try:
            return float(estimate_cost(query, variables))
        except ValueError:
            return 10.0

    # ------------------------------------------------------------- bulk download
    def stream_lines(self, url: str) -> Iterator[dict[str, Any]]:
        """Stream a bulk-operation JSONL file line by line (never loaded whole).

        The URL is a pre-signed storage URL: the access token is not sent to it.
        Integers are kept as int and decimals as str (ids beyond 2**53 stay exact).
        """
        started = time.perf_counter()
        try:
            response = requests.get(url, stream=True, timeout=self.http.timeout)
        except requests.RequestException as exc:
            raise TransientError("bulk operation download failed") from exc
        finally:
            self.http.stats.record(time.perf_counter() - started)
        with response:
            if response.status_code >= 400:
                raise TransientError(f"bulk operation download: HTTP {response.status_code}")
            for raw in response.iter_lines(chunk_size=64 * 1024):
                if raw:
                    yield json.loads(raw, parse_float=str)

    def close(self) -> None:
        self.http.close()
