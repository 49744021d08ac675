"""Read models: the runner that applies projections, their queries, and how writers wake it."""
