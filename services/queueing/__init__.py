"""Queueing: per-region operator queues, operators taking and answering contacts."""
