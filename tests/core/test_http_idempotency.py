"""The shared HTTP layer never re-sends a non-idempotent write blindly."""

from __future__ import annotations

import pytest

from wix_commerce_sync.connectors.http import HttpClient
from wix_commerce_sync.sync.errors import AmbiguousWriteError, RateLimitedError, TransientError
from wix_commerce_sync.testing.simulator import SimRequest, SimResponse, SimulatorServer


class CountingStore(SimulatorServer):
    name = "counting-store"

    def __init__(self) -> None:
        super().__init__()
        self.created = 0

    def route(self, request: SimRequest) -> SimResponse:
        if request.method == "POST":
            self.created += 1
            return SimResponse(201, {"id": self.created})
        return SimResponse(200, {"created": self.created})


@pytest.fixture()
def store():
    with CountingStore() as server:
        yield server


def client(store: CountingStore) -> HttpClient:
    return HttpClient(store.base_url, timeout=(1.0, 0.5), backoff_initial=0.001, backoff_max=0.01)


@pytest.mark.parametrize("lost", [None, 500, 502])
def test_create_whose_answer_is_lost_is_not_resent(store: CountingStore, lost: int | None) -> None:
    store.faults.lose_answer_next(1, lost)
    http = client(store)
    with pytest.raises(AmbiguousWriteError):
        http.request("POST", "/orders", json={"n": 1})
    assert store.created == 1, "the lost attempt committed; a blind retry would make a second order"
    assert store.call_count("/orders") == 1


def test_create_that_timed_out_after_sending_is_not_resent(store: CountingStore) -> None:
    store.faults.timeout_next(1, 1.5)
    http = client(store)
    with pytest.raises(AmbiguousWriteError):
        http.request("POST", "/orders", json={"n": 1})
    assert store.call_count("/orders") == 1


def test_create_refused_with_429_is_retried(store: CountingStore) -> None:
    store.faults.fail_next(2, 429, {"Retry-After": "0"})
    http = client(store)
    assert http.request("POST", "/orders", json={"n": 1}).json() == {"id": 1}
    assert store.created == 1 and store.call_count("/orders") == 3


def test_create_to_a_refused_connection_is_retried() -> None:
    http = HttpClient("http://127.0.0.1:9", timeout=(0.2, 0.2), max_attempts=3, backoff_initial=0.001,
                      backoff_max=0.01)  # fmt: skip
    with pytest.raises(TransientError) as caught:
        http.request("POST", "/orders", json={})
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert http.stats.calls == 3


def test_reads_and_declared_idempotent_writes_retry_as_before(store: CountingStore) -> None:
    store.faults.fail_next(1, 500)
    http = client(store)
    assert http.request("GET", "/orders").json() == {"created": 0}
    store.faults.lose_answer_next(1, 500)
    assert http.request("POST", "/orders", json={}, idempotent=True).json() == {"id": 2}
    assert store.created == 2  # the caller said repeating it is harmless (e.g. an absolute stock set)


def test_ambiguous_is_still_transient_for_the_engine() -> None:
    error = AmbiguousWriteError("lost")
    assert isinstance(error, TransientError) and error.retryable
    assert not isinstance(error, RateLimitedError)
