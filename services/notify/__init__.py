"""Notify: turns breach events into alerts that reach on-call staff."""
