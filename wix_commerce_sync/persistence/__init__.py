"""Frappe-backed implementations of the engine ports: job queue, sync state, sync log."""
