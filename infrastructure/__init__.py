"""Adapters, by feature: api/ (HTTP), cli/, db/ (the store), ledger/, monitoring/, projections/, webhooks/; settings."""
