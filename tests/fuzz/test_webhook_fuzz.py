"""Fuzzing the three webhook endpoints (issue 16): generated deliveries, signed and unsigned, every shape.

No delivery may make the endpoint answer 5xx or raise; an unsigned, forged or replayed delivery writes no row but
the (summarised) log; an oversized body is refused from its Content-Length before it is read. The bench
(``python -m bench.bench_fuzz``) runs 10,000 per platform; here a few hundred per platform.
"""

from __future__ import annotations

from unittest import mock

import frappe
import pytest
from hypothesis import HealthCheck, given, settings

from wix_commerce_sync.testing.chaos import fuzz

EXAMPLES = 150


@pytest.fixture(scope="module")
def targets():
    from frappe import standin  # noqa: F401 - the stand-in site is connected by the session fixture

    from wix_commerce_sync import shell
    from wix_commerce_sync.testing.erp_fixtures import ensure_basics

    frappe.set_user("Administrator")
    found, sims = fuzz.make_targets(ensure_basics(), frappe.generate_hash(length=6))
    with mock.patch("frappe.enqueue"):
        yield found
    for target in found.values():
        shell.CONNECTOR_OVERRIDES.pop(target.store, None)
    for sim in sims:
        sim.stop()


def _check(target: fuzz.Target, delivery: fuzz.Delivery) -> None:
    outcome = fuzz.deliver(target, delivery)
    assert outcome.unhandled is None, outcome.unhandled
    assert outcome.status < 500, outcome.status
    if fuzz.must_write_nothing(delivery):
        assert outcome.rows_written == 0, outcome.writes
    if delivery.kind == "oversized":
        assert outcome.status == 413


@pytest.mark.parametrize("platform", fuzz.PLATFORMS)
def test_no_generated_delivery_errs_or_writes_unsigned(frappe_site, targets, platform):
    target = targets[platform]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(fuzz.deliveries(target))
    def run(delivery):
        _check(target, delivery)

    run()


@pytest.mark.parametrize("platform", fuzz.PLATFORMS)
@pytest.mark.parametrize("kind", fuzz.KINDS)
def test_every_shape_at_least_once(frappe_site, targets, platform, kind):
    target = targets[platform]

    @settings(max_examples=3, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(fuzz.deliveries(target, kinds=(kind,)))
    def run(delivery):
        _check(target, delivery)

    run()


def test_an_oversized_body_is_refused_before_it_is_read(frappe_site, targets):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from wix_commerce_sync.api import webhooks

    target = targets["Shopify"]

    class Exploding:
        read_bytes = 0

        def read(self, n=-1):
            Exploding.read_bytes += max(n, 0)
            raise AssertionError("the body was read")

    environ = EnvironBuilder(method="POST", path="/api/method/wix_commerce_sync.api.webhooks.shopify",
                             query_string=f"store={target.store}").get_environ()  # fmt: skip
    environ["CONTENT_LENGTH"] = "99999999"
    environ["wsgi.input"] = Exploding()
    frappe.local.request = Request(environ)
    try:
        response = webhooks.shopify()
    finally:
        frappe.local.request = None
    assert response.status_code == 413
    assert Exploding.read_bytes == 0


def test_a_body_without_length_is_read_at_most_cap_plus_one_bytes(frappe_site, targets):
    import io

    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from wix_commerce_sync.api import webhooks

    target = targets["WooCommerce"]
    cap = webhooks.BODY_CAPS["WooCommerce"]
    stream = io.BytesIO(b"x" * (cap * 3))
    environ = EnvironBuilder(method="POST", path="/api/method/wix_commerce_sync.api.webhooks.woocommerce",
                             query_string=f"store={target.store}").get_environ()  # fmt: skip
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = stream
    environ["wsgi.input_terminated"] = True
    frappe.local.request = Request(environ)
    try:
        response = webhooks.woocommerce()
    finally:
        frappe.local.request = None
    assert response.status_code == 413
    assert stream.tell() == cap + 1
