"""Whitelisted methods: webhook endpoints (guest, signature-checked) and desk/API actions (role-checked)."""
