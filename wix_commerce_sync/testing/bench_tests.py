"""``bench run-tests --app wix_commerce_sync`` on the stand-in: one site that persists between runs, v15 or v16 runner.

    python -m wix_commerce_sync.testing.bench_tests --site sandbox-data/test-sites/v16 --frappe-version 16 [--new-site]

``--new-site`` (or a missing site) makes a fresh site the way a bench does before ``run-tests``: new-site +
install-app, ERPNext's setup wizard NOT run (the app's ``before_tests`` hook must do it). Without it the existing
site is reused, with everything earlier runs committed: run it twice to show the tests pass twice on one site.
The tests run under ``unittest`` with the chosen version's runner semantics (``frappe.testing`` in the stand-in).
Exit status 0 only when every category passed and at least one test ran.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from wix_commerce_sync.testing import activate_standin

APP = "wix_commerce_sync"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True, help="site folder (its name is the site name); kept between runs")
    parser.add_argument("--frappe-version", choices=["15", "16"], default=os.environ.get("WCS_FRAPPE_VERSION", "15"))
    parser.add_argument("--new-site", action="store_true", help="drop the site first and make a fresh one")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--failfast", action="store_true")
    args = parser.parse_args(argv)

    os.environ["WCS_FRAPPE_VERSION"] = args.frappe_version  # read when the stand-in is imported, below
    activate_standin()
    import frappe
    from frappe import standin
    from frappe.testing import run_app_tests

    site_path = Path(args.site).resolve()
    if args.new_site and site_path.exists():
        shutil.rmtree(site_path)
    if not (site_path / "site_config.json").exists():
        print(f"new site {site_path} (Frappe v{args.frappe_version} stand-in, setup wizard not run)", file=sys.stderr)
        site = standin.new_site(site_path, setup_wizard=False)
    else:
        print(f"reusing site {site_path} (Frappe v{args.frappe_version} stand-in)", file=sys.stderr)
        site = standin.existing_site(site_path)
    site.connect("Administrator")
    try:
        runs = run_app_tests(APP, verbosity=2 if args.verbose else 1, failfast=args.failfast)
        frappe.db.commit()  # frappe/testing/environment.py _cleanup_after_tests: "this commit ends the transaction"
    finally:
        frappe.destroy()
    ran = sum(run.result.testsRun for run in runs)
    ok = ran > 0 and all(run.result.wasSuccessful() for run in runs)
    summary = ", ".join(f"{run.category}: {run.result.testsRun} ran, {len(run.result.failures)} failed, "
                        f"{len(run.result.errors)} errors" for run in runs)  # fmt: skip
    print(f"frappe_version={args.frappe_version} site={site_path.name} ran={ran} ok={ok} ({summary})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
