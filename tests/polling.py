"""Waiting in tests: the product's one poll-with-deadline helper (pkc/polling.py)."""

from pkc.polling import poll, poll_async

__all__ = ["poll", "poll_async"]
