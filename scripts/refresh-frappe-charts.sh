#!/usr/bin/env bash
# Refresh the bundled frappe-charts (the chart library Frappe's desk uses) from the npm registry.
# Usage: scripts/refresh-frappe-charts.sh [VERSION]   (default: the pinned 1.6.2)
set -euo pipefail
version="${1:-1.6.2}"
dest="$(cd "$(dirname "$0")/.." && pwd)/wix_commerce_sync/public/js/vendor/frappe-charts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "frappe-charts@${version}" >/dev/null && tar xzf "frappe-charts-${version}.tgz")
mkdir -p "$dest"
cp "$work/package/dist/frappe-charts.min.esm.js" "$work/package/LICENSE" "$dest/"
echo "frappe-charts ${version} -> ${dest}"
