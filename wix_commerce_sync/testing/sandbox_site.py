"""A stand-in ERPNext site prepared for the sandbox and for ``preview``.

Never used inside a bench: it activates the stand-in, which refuses to load where a real
frappe is importable.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wix_commerce_sync.testing import activate_standin


def defaults_from_basics(basics: dict) -> Any:
    """The store defaults matching the records ``erp_fixtures.ensure_basics`` made."""
    from wix_commerce_sync.erpnext.documents import ErpDefaults

    return ErpDefaults(
        company=basics["company"], company_currency="USD", currency="USD", price_list=basics["price_list"],
        item_group="Products", stock_uom="Nos", customer_group="Individual", territory="All Territories",
        tax_account=basics["tax_account"], shipping_item=None, shipping_account=basics["shipping_account"],
        default_warehouse=basics["warehouse"], order_naming_series=None,
    )  # fmt: skip


@contextlib.contextmanager
def open_sandbox_site(site_dir: str | Path, *, fresh: bool = True, db_type: str | None = None) -> Iterator[tuple[Any, Any, dict]]:
    """Yield ``(frappe, defaults, basics)`` connected to a stand-in site in ``site_dir`` (``db_type="mariadb"``: a
    fresh site's database on the MariaDB server, dropped when the block ends)."""
    activate_standin()
    import frappe
    from frappe import standin

    from wix_commerce_sync.testing.erp_fixtures import ensure_basics

    path = Path(site_dir).resolve() / "sandbox.localhost"
    if fresh and path.exists():
        shutil.rmtree(path)
    site = standin.new_site(path, db_type=db_type) if not (path / "site_config.json").exists() else standin.Site(
        name=path.name, sites_path=str(path.parent), site_path=str(path), db_path=str(path / "site.sqlite3"))  # fmt: skip
    site.connect("Administrator")
    try:
        basics = ensure_basics()
        yield frappe, defaults_from_basics(basics), basics
    finally:
        frappe.destroy()
        if db_type == "mariadb" and fresh:
            standin.drop_site(site)
