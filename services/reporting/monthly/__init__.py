"""The monthly follow-up per region: figures kept in reporting's database, not in Faust tables
(windows of a replayed month would expire at once), fed by a batch consumer of its own.

The composition root (services/reporting/bootstrap.py) opens the store, runs the consumer in
the app's lifespan and mounts the router (monthly/api.py); `pkc report monthly` reads the same
store through the same root.
"""

import asyncio

from domain.service_level import ServiceLevelPolicy
from schemas.topics import REPORTING_MONTHLY, Consumer
from services.reporting.monthly.aggregation import Aggregation
from services.reporting.monthly.consumer import MonthlyConsumer
from services.reporting.monthly.query import monthly_report
from services.reporting.monthly.report import MonthlyReport
from services.reporting.monthly.store import MonthlyStore
from services.reporting.settings import ReportingSettings
from services.shared.db import make_engine
from services.shared.kafka import EventProducer, Positions, kafka_security
from services.shared.kafka.lag import LagProbe

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


def written_threshold_seconds(settings: ReportingSettings) -> float:
    """The written channels' target (PKC_REPORTING_WRITTEN_TARGET_HOURS), in seconds."""
    return settings.written_target_hours * 3600


def build_monthly_consumer(
    settings: ReportingSettings,
    policy: ServiceLevelPolicy,
    store: MonthlyStore,
    producer: EventProducer,
) -> MonthlyConsumer:
    """The consumer to run in the reporting process's lifespan (`producer` dead-letters)."""
    return MonthlyConsumer(
        monthly_spec(settings),
        settings.kafka_bootstrap_servers,
        store,
        Aggregation(policy, written_threshold_seconds(settings)),
        producer,
        replication_factor=settings.topic_replication_factor,
    )


def monthly_lag(settings: ReportingSettings, store: MonthlyStore) -> LagProbe:
    """How far `store` has counted the monthly topics: its own positions (where the consumer
    resumes), not the group's committed offsets, so a new database shows all still to count."""

    async def counted_to() -> Positions:
        return await asyncio.to_thread(store.positions)

    return LagProbe(
        settings.kafka_bootstrap_servers,
        settings.monthly_group,
        (topic.name for topic in TOPICS),
        kafka_security(settings),
        positions=counted_to,
    )


__all__ = [
    "MONTHLY",
    "MonthlyConsumer",
    "MonthlyReport",
    "MonthlyStore",
    "build_monthly_consumer",
    "monthly_database_url",
    "monthly_lag",
    "monthly_report",
    "monthly_spec",
    "open_monthly_store",
    "written_threshold_seconds",
]
