"""Stand-in package (see erpnext/__init__.py)."""
