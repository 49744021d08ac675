"""Erasure by crypto-shredding (GDPR Art. 17): people's values sealed under keys of their own, and
forgetting a person by destroying their keys, while the ledger's proofs over the stored bytes hold."""
