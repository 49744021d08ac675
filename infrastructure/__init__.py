"""Adapters: settings, persistence (SQLite, PostgreSQL), append-only triggers, keys and the CLI."""
