"""Read models built from the event log: each projection turns events into SQL statements."""
