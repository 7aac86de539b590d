"""Runs one service: its settings, logging, tracing, and uvicorn."""

import gc
import importlib

import uvicorn

from pkc.processes import SERVICES
from services.shared.logs import setup_logging
from services.shared.tracing import setup_tracing

_SETTINGS = {
    "intake": ("services.intake.settings", "IntakeSettings"),
    "triage": ("services.triage.settings", "TriageSettings"),
    "queueing": ("services.queueing.settings", "QueueingSettings"),
    "reporting": ("services.reporting.settings", "ReportingSettings"),
    "notify": ("services.notify.settings", "NotifySettings"),
}


def serve_service(name: str) -> None:
    if name not in SERVICES:
        raise LookupError(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    module, cls = _SETTINGS[name]
    settings = getattr(importlib.import_module(module), cls)()
    setup_logging(name, settings.log_level)
    setup_tracing(name, settings.traces_exporter, settings.otlp_endpoint)
    app = importlib.import_module(f"services.{name}.app").create_app(settings)
    # Every object made so far (the modules, their classes and functions, the app: about
    # 150,000 that the collector tracks) lives as long as the process. Frozen, the collector
    # no longer walks them. A full collection follows once enough objects have outlived two
    # young ones, and under load intake's requests and batches get there every second or two:
    # each walked all those objects, about 120 ms, 4.2 s of intake's 27.7 s of CPU over two
    # pipeline runs of bench/system.py, each a pause of its event loop. Frozen: about 8 ms
    # each, 0.3 s in all.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
