"""Wix connector: eCom orders, Stores catalog V1 and V3, Contacts v4, JWT webhooks."""
