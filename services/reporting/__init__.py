"""Reporting: rolling per-region service-level windows on event time, and breach decisions."""
