"""Benchmarks of the harness itself (not of agents): how fast its desktops start and answer."""
