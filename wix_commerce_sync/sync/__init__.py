"""Pure sync core: canonical models, mapping helpers, engine and queue policy. Never imports frappe."""
