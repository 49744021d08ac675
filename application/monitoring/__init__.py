"""Monitoring: observations judged against the targets in force, fairness, cost, the game plan."""
