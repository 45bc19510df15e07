app_name = "wix_commerce_sync"
app_title = "Wix Commerce Sync"
app_publisher = "wix_commerce_sync developers"
app_description = "Keeps ERPNext and Wix, WooCommerce and Shopify stores in sync, both ways, for many stores"
app_email = "dev@wix-commerce-sync.invalid"
app_license = "MIT"

# ERPNext 15 or 16 on Frappe 15 or 16 (pyproject.toml [tool.bench.frappe-dependencies]: >=15,<17; README
# "Supported versions" says how each is tested). org/repo form, so install-app never looks it up online.
required_apps = ["frappe/erpnext"]

after_install = "wix_commerce_sync.install.after_install"
after_migrate = "wix_commerce_sync.install.after_migrate"
# `bench run-tests --app wix_commerce_sync` runs only this app's before_tests hooks (frappe.get_hooks(..., app_name=app)),
# so ERPNext's own (setup wizard, fiscal year, root groups) never runs unless we ask for it. v15's runner calls it
# once before all tests; v16's only before its "integration" and old-style suites, so the shell tests' base class
# (tests/fixtures.py ShellTestCase) calls it too (it is idempotent).
before_tests = "wix_commerce_sync.install.before_tests"

# Every handler only enqueues a background job after commit; no store is called inside a save.
_STOCK_TRANSACTION = "wix_commerce_sync.tasks.events.on_stock_transaction"
_ORDER_DOCUMENT = "wix_commerce_sync.tasks.events.on_order_document"
doc_events = {
    # the per-store config cache (shell.store_entry) is rebuilt after a change
    "Commerce Store": {
        "on_update": "wix_commerce_sync.shell.invalidate_store_cache",
        "on_trash": "wix_commerce_sync.shell.invalidate_store_cache",
    },
    "Commerce Sync Settings": {"on_update": "wix_commerce_sync.shell.invalidate_store_cache"},
    "Item": {"on_update": "wix_commerce_sync.tasks.events.on_item_change"},
    "Item Price": {
        "on_update": "wix_commerce_sync.tasks.events.on_item_change",
        "after_delete": "wix_commerce_sync.tasks.events.on_item_change",
    },
    ("Stock Entry", "Stock Reconciliation", "Purchase Receipt"): {
        "on_submit": _STOCK_TRANSACTION,
        "on_cancel": _STOCK_TRANSACTION,
    },
    "Delivery Note": {
        "on_submit": [_STOCK_TRANSACTION, _ORDER_DOCUMENT],
        "on_cancel": _STOCK_TRANSACTION,
    },
    "Sales Invoice": {
        "on_submit": [_STOCK_TRANSACTION, _ORDER_DOCUMENT],
        "on_cancel": _STOCK_TRANSACTION,
    },
    "Purchase Invoice": {  # moves stock itself when "Update Stock" is ticked
        "on_submit": _STOCK_TRANSACTION,
        "on_cancel": _STOCK_TRANSACTION,
    },
    "Sales Order": {
        # reserved quantity changes what a store may sell
        "on_submit": [_ORDER_DOCUMENT, _STOCK_TRANSACTION],
        "on_cancel": [_ORDER_DOCUMENT, _STOCK_TRANSACTION],
        "on_update_after_submit": _ORDER_DOCUMENT,
    },
    "Customer": {"on_update": "wix_commerce_sync.tasks.events.on_customer_change"},
    "Address": {"on_update": "wix_commerce_sync.tasks.events.on_customer_change"},
}

scheduler_events = {
    "cron": {
        "* * * * *": ["wix_commerce_sync.tasks.scheduler.commerce_sync_tick"],
    },
    "hourly_long": ["wix_commerce_sync.tasks.scheduler.commerce_sync_hourly_reconcile"],
    "daily": ["wix_commerce_sync.tasks.scheduler.commerce_sync_daily_cleanup"],
}
