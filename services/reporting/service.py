"""What the composition root assembles, and how routes reach it (FastAPI dependencies).

The routers are module-level; a route names what it needs (`Service`, `Policy`) and FastAPI
hands it the parts bootstrap stored on the app. Nothing here builds or connects anything.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from domain.service_level import ServiceLevelPolicy
from services.reporting.decisions import DecisionRules
from services.reporting.monthly.consumer import MonthlyConsumer
from services.reporting.monthly.store import MonthlyStore
from services.reporting.settings import ReportingSettings
from services.reporting.stream import Reporting
from services.reporting.window import WindowConfig
from services.shared.kafka import EventProducer


@dataclass(frozen=True)
class Core:
    """The rules every entrypoint shares: settings, the service-level policy, the window."""

    settings: ReportingSettings
    policy: ServiceLevelPolicy
    config: WindowConfig
    rules: DecisionRules


@dataclass(frozen=True)
class ReportingService:
    core: Core
    stream: Reporting  # the Faust worker and its tables
    monthly_store: MonthlyStore
    monthly_producer: EventProducer  # the monthly consumer's dead letters
    monthly: MonthlyConsumer

    @property
    def policy(self) -> ServiceLevelPolicy:
        return self.core.policy


# The dependencies below are async though they do no I/O: FastAPI runs a plain `def`
# dependency in its thread pool, a hop per request that the live reads cannot afford.
def _service_of(request: Request) -> ReportingService:
    service: ReportingService = request.app.state.service
    return service


async def current_service(request: Request) -> ReportingService:
    return _service_of(request)


async def current_policy(request: Request) -> ServiceLevelPolicy:
    return _service_of(request).policy


async def current_store(request: Request) -> MonthlyStore:
    return _service_of(request).monthly_store


Service = Annotated[ReportingService, Depends(current_service)]
Policy = Annotated[ServiceLevelPolicy, Depends(current_policy)]
Store = Annotated[MonthlyStore, Depends(current_store)]
