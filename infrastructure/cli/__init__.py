"""The `modelgov` command line: one module per group of commands, one way to fail."""
