"""Refresh the pinned Shopify Admin GraphQL schemas from Shopify's npm package.

Shopify publishes the Admin API introspection result per API version inside
``@shopify/dev-mcp`` (``dist/data/admin_<version>.json.gz``). This script fetches the
package with ``npm pack``, copies the wanted versions into
``wix_commerce_sync/testing/contracts/shopify/`` and records the package version in
``SOURCE.json``. Usage: ``python scripts/refresh_shopify_schema.py [--package-version 1.16.0]
[--api-version 2026-04 --api-version 2026-07]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@shopify/dev-mcp"
DEFAULT_PACKAGE_VERSION = "1.16.0"
DEFAULT_API_VERSIONS = ["2026-04", "2026-07"]
TARGET = Path(__file__).resolve().parents[1] / "wix_commerce_sync" / "testing" / "contracts" / "shopify"


def refresh(package_version: str, api_versions: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", f"{PACKAGE}@{package_version}", "--silent"], cwd=tmp,
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        files = {}
        with tarfile.open(Path(tmp) / out) as tar:
            for version in api_versions:
                member = f"package/dist/data/admin_{version}.json.gz"
                source = tar.extractfile(member)
                if source is None:
                    raise SystemExit(f"{member} is not in {PACKAGE}@{package_version}")
                with source, open(TARGET / f"admin_{version}.json.gz", "wb") as target:
                    shutil.copyfileobj(source, target)
                files[f"admin_{version}.json.gz"] = member.removeprefix("package/")
    record = {"package": PACKAGE, "version": package_version, "files": files, "licence": "ISC",
              "refresh": "make contracts-shopify (scripts/refresh_shopify_schema.py)"}
    (TARGET / "SOURCE.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package-version", default=DEFAULT_PACKAGE_VERSION)
    parser.add_argument("--api-version", action="append", dest="api_versions")
    args = parser.parse_args()
    record = refresh(args.package_version, args.api_versions or DEFAULT_API_VERSIONS)
    print(f"pinned {', '.join(record['files'])} from {PACKAGE}@{record['version']}")


if __name__ == "__main__":
    main()
