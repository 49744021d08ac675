"""A witness (C2SP tlog-witness): its state file, its HTTP server, and the sealer's client."""
