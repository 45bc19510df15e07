"""Verify (and help refresh) the WooCommerce contract fixture against a WooCommerce source checkout.

Usage: python -m wix_commerce_sync.testing.contracts.woocommerce.refresh /path/to/woocommerce [--write-commit]

For every source file named in rest_v3.json it checks that the file exists and that the snippets the
fixture's facts rest on are still there; a missing snippet means WooCommerce changed: re-read the file and
update rest_v3.json (and the simulator, which enforces it). Test-only: production code never imports this.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).with_name("rest_v3.json")

# source short name -> snippets each fact of the fixture depends on
EVIDENCE: dict[str, list[str]] = {
    "REST": ["'woocommerce_rest_batch_items_limit', 100", "'status' => 413"],
    "CRUD": ["'maximum'           => 100", "$params['modified_after']", "$params['dates_are_gmt']"],
    "PROD3": ["$product->set_attributes( $attributes );", "'yes' === get_option( 'woocommerce_manage_stock' )",
              "explode( ',', $request['sku'] )"],
    "PROD2": ["get_children()"],
    "ORD2": ["wc_get_product_id_by_sku( $posted['sku'] )"],
    "REF3": ["woocommerce_rest_cannot_create_order_refund"],
    "REF2": ["'refunded_payment'"],
    "CUST1": ["$params['role']", "'all' !== $request['role']"],
    "WEBHOOK": ["wp_hash( $this->get_id() . strtotime( 'now' ) )", "'deleted' === $event"],
    "PARAMUTIL": ["api_refund"],
}


def verify(checkout: Path) -> list[str]:
    sources = json.loads(FIXTURE.read_text())["sources"]
    problems = []
    for short, spec in sources.items():
        path, _, commit = spec.partition("@")
        file = checkout / path
        if not file.exists():
            problems.append(f"{short}: {path} is missing")
            continue
        text = file.read_text(errors="replace")
        for snippet in EVIDENCE.get(short, []):
            if snippet not in text:
                problems.append(f"{short}: {path} no longer contains {snippet!r} (pinned at {commit})")
    return problems


def last_commit(checkout: Path, path: str) -> str:
    out = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h", "--", path],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip()[:8]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    checkout = Path(argv[0])
    problems = verify(checkout)
    for problem in problems:
        print(problem)
    if "--write-commit" in argv and not problems:
        data = json.loads(FIXTURE.read_text())
        for short, spec in data["sources"].items():
            path = spec.partition("@")[0]
            data["sources"][short] = f"{path}@{last_commit(checkout, path) or spec.partition('@')[2]}"
        FIXTURE.write_text(json.dumps(data, indent=2) + "\n")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
