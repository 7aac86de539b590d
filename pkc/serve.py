"""Runs one service: its settings, logging, tracing, and uvicorn."""

import importlib

import uvicorn

from services.shared.logs import setup_logging
from services.shared.start_up import freeze_start_up
from services.shared.tracing import setup_tracing

_SETTINGS = {
    "intake": ("services.intake.settings", "IntakeSettings"),
    "triage": ("services.triage.settings", "TriageSettings"),
    "queueing": ("services.queueing.settings", "QueueingSettings"),
    "reporting": ("services.reporting.settings", "ReportingSettings"),
    "notify": ("services.notify.settings", "NotifySettings"),
}


def serve_service(name: str) -> None:
    if name not in _SETTINGS:
        raise LookupError(f"unknown service {name!r}; one of {', '.join(_SETTINGS)}")
    module, cls = _SETTINGS[name]
    settings = getattr(importlib.import_module(module), cls)()
    setup_logging(name, settings.log_level)
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
