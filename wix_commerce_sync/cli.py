"""``wix-commerce-sync``: the app's actions without a bench.

Inside a bench the same actions are bench commands: ``bench --site SITE commerce-sync ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

PLATFORMS = ("shopify", "woocommerce", "wix")
ENTITIES = ("order", "product", "customer", "stock", "refund")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wix-commerce-sync",
        description="Keep ERPNext and Wix, WooCommerce and Shopify stores in sync. "
        "Inside a bench, use `bench --site SITE commerce-sync ...` for the same actions.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    preview = sub.add_parser(
        "preview",
        help="print the ERPNext documents a platform payload would create or update",
        description="Map a platform payload (its own REST/webhook JSON; for Wix the API object or decoded "
        "webhook data) to ERPNext documents, validated against the ERPNext schema. Prints "
        '{"documents": [...], "warnings": [...]}.',
    )
    preview.add_argument("platform", choices=PLATFORMS)
    preview.add_argument("entity", choices=ENTITIES)
    preview.add_argument("file", help="path to the JSON payload, or - for standard input")
    sandbox = sub.add_parser(
        "sandbox",
        help="run simulated stores + a stand-in ERPNext, a full sync both ways, and the dashboard",
    )
    sandbox.add_argument("--data-dir", default="sandbox-data", help="where the stand-in site lives (default: %(default)s)")
    sandbox.add_argument("--faults", action="store_true", help="switch simulator faults on during the run")
    sandbox.add_argument("--serve", type=float, default=0, metavar="SECONDS",
                         help="keep the dashboard served for this long after the sync (0: exit at once)")  # fmt: skip
    sandbox.add_argument("--port", type=int, default=8765, help="dashboard port on 127.0.0.1 (default: %(default)s)")
    sandbox.add_argument("--platform", action="append", choices=("Shopify", "WooCommerce", "Wix"),
                         help="only these platforms (repeatable; default: all three)")  # fmt: skip
    sandbox.add_argument("--report", metavar="FILE", help="write the comparison of both sides as JSON to FILE")
    sandbox.add_argument("--screenshot", metavar="FILE",
                         help="after the sync, save a PNG of the dashboard (headless Chromium) to FILE")  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from wix_commerce_sync.preview import CliError

    try:
        if args.command == "preview":
            from wix_commerce_sync.preview import preview_file

            result = preview_file(args.platform, args.entity, args.file)
            json.dump(result, sys.stdout, indent=2, default=str)
            sys.stdout.write("\n")
            return 0
        if args.command == "sandbox":
            from wix_commerce_sync.sandbox import run_sandbox

            return run_sandbox(data_dir=args.data_dir, faults=args.faults, serve_seconds=args.serve, port=args.port,
                               platforms=tuple(args.platform or ("Shopify", "WooCommerce", "Wix")),
                               report_file=args.report, screenshot=args.screenshot)  # fmt: skip
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
