"""Shopify connector: GraphQL Admin API client, mapping, simulator."""
