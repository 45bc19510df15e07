"""WooCommerce connector (REST API v3): client, mapping, simulator."""
