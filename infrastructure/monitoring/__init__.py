"""Monitoring as running processes: the observations table and the evaluation loop."""
