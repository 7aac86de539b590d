"""Benchmarks: `make bench` (python -m bench) prints figures next to their goals."""
