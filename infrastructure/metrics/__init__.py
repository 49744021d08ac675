"""Prometheus metrics: counters kept by each API process, gauges read from the store at scrape."""
