"""The store's database: opening it, its schema, recorders with receipts, append-only triggers."""
