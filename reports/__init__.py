"""Audit reports rendered with Jinja2 from read models, replays and the ledger (see issue: audit reports)."""
