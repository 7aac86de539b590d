"""Reporting's HTTP entrypoint (`pkc serve reporting`): the app the composition root builds."""

from services.reporting.bootstrap import create_app

__all__ = ["create_app"]
