"""The tamper-evident ledger wired to the store: tables, keys, sealing, proofs, bundles."""
