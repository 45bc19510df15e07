"""Platform connectors behind one interface (``base.Connector``). Never imports frappe."""
