"""The monthly follow-up per region: figures kept in reporting's database, not in Faust tables
(windows of a replayed month would expire at once), fed by a batch consumer of its own.

The composition root (services/reporting/app.py) opens the store, runs the consumer in its
lifespan and mounts the router; `pkc report monthly` reads the same store.
"""

from schemas.topics import REPORTING_MONTHLY, Consumer
from services.reporting.monthly.aggregation import Aggregation
from services.reporting.monthly.api import build_monthly_router
from services.reporting.monthly.consumer import MonthlyConsumer
from services.reporting.monthly.query import monthly_report
from services.reporting.monthly.report import MonthlyReport
from services.reporting.monthly.store import MonthlyStore
from services.reporting.settings import ReportingSettings
from services.shared.db import make_engine
from services.shared.kafka import EventProducer

# The registry's entry (schemas/topics.py), where its topics and dead-letter topic are declared.
MONTHLY = REPORTING_MONTHLY
TOPICS = MONTHLY.topics


def monthly_spec(settings: ReportingSettings) -> Consumer:
    """The registry's monthly consumer in the settings' group (PKC_REPORTING_MONTHLY_GROUP)."""
    return MONTHLY.in_group(settings.monthly_group)


def monthly_database_url(settings: ReportingSettings) -> str:
    """DATABASE_URL when set, else SQLite under the state directory."""
    return settings.database_url or settings.default_database_url("reporting")


def open_monthly_store(
    settings: ReportingSettings, database_url: str | None = None
) -> MonthlyStore:
    # One consumer and the report readers: a small pool, as up to 7 replicas share the server.
    return MonthlyStore(make_engine(database_url or monthly_database_url(settings), pool_size=5))


def build_monthly_consumer(
    settings: ReportingSettings,
    store: MonthlyStore,
    producer: EventProducer,
) -> MonthlyConsumer:
    """The consumer to run in the reporting process's lifespan (`producer` dead-letters)."""
    return MonthlyConsumer(
        monthly_spec(settings),
        settings.kafka_bootstrap_servers,
        store,
        Aggregation(settings.service_level().short_abandon_seconds),
        producer,
    )


__all__ = [
    "MONTHLY",
    "MonthlyConsumer",
    "MonthlyReport",
    "MonthlyStore",
    "build_monthly_consumer",
    "build_monthly_router",
    "monthly_database_url",
    "monthly_report",
    "monthly_spec",
    "open_monthly_store",
]
