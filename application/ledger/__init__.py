"""The tamper-evident ledger: a Merkle log over every stored event, signed tree heads, proofs, verification."""
