"""Plumbing every service shares: settings, clock, logging, tracing, Kafka I/O."""
