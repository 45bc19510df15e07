"""The contract fixture's verify/refresh script: it reports a source file or snippet that is gone."""

from __future__ import annotations

import json

from wix_commerce_sync.testing.contracts.woocommerce import refresh


def _checkout(tmp_path, drop: str | None = None):
    sources = json.loads(refresh.FIXTURE.read_text())["sources"]
    for short, spec in sources.items():
        path = tmp_path / spec.partition("@")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        snippets = [s for s in refresh.EVIDENCE.get(short, []) if s != drop]
        path.write_text("<?php\n" + "\n".join(snippets) + "\n")
    return tmp_path


def test_a_checkout_with_every_snippet_verifies(tmp_path):
    assert refresh.verify(_checkout(tmp_path)) == []


def test_a_changed_source_is_reported(tmp_path):
    problems = refresh.verify(_checkout(tmp_path, drop="wp_hash( $this->get_id() . strtotime( 'now' ) )"))
    assert len(problems) == 1 and "class-wc-webhook.php" in problems[0] and "strtotime" in problems[0]


def test_every_fact_group_has_evidence():
    sources = json.loads(refresh.FIXTURE.read_text())["sources"]
    assert set(refresh.EVIDENCE) <= set(sources)
