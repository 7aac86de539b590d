"""Runs one service: its settings, logging, tracing, and uvicorn."""

import importlib
import logging

import uvicorn

from schemas.access import SERVICES
from services.shared.logs import setup_logging
from services.shared.settings import ServiceSettings
from services.shared.start_up import freeze_start_up, return_freed_buffers
from services.shared.tracing import setup_tracing

log = logging.getLogger(__name__)


def settings_class(name: str) -> type[ServiceSettings]:
    """A service's settings class: services/<name>/settings.py's <Name>Settings."""
    if name not in SERVICES:
        raise LookupError(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"services.{name}.settings")
    found: type[ServiceSettings] = getattr(module, f"{name.capitalize()}Settings")
    return found


def serve_service(name: str) -> None:
    freed = return_freed_buffers()  # early: a catch-up's buffers must not stay (its docstring)
    settings = settings_class(name)()  # from the environment
    setup_logging(name, settings.log_level)
    if not freed:
        log.warning("glibc's mallopt is not there: freed buffers may stay resident")
    setup_tracing(name, settings.traces_exporter, settings.otlp_endpoint)
    app = importlib.import_module(f"services.{name}.app").create_app(settings)
    freeze_start_up()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
