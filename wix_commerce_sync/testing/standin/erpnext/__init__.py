"""Minimal stand-in for the ``erpnext`` functions wix_commerce_sync calls (tests and sandbox only).

Same module paths and signatures as ERPNext 15 (``version-15``); each function names the ERPNext source it
mirrors. Only what the app's adapter imports exists here; everything else raises ``ImportError`` /
``AttributeError``, like a missing function would. The controllers these documents run through are in
``standin/erpnext_behaviour.py``.

Never importable by accident: ``wix_commerce_sync.testing.activate_standin()`` sets the flag checked below,
and refuses to run when a real frappe or erpnext is importable.
"""

from __future__ import annotations

import os

if os.environ.get("WIX_COMMERCE_SYNC_STANDIN") != "1":
    raise ImportError(
        "This is the wix_commerce_sync test stand-in for erpnext, not erpnext. "
        "Call wix_commerce_sync.testing.activate_standin() first (tests and sandbox only)."
    )

__version__ = "15.0.0-standin"
