"""GET /sla: every region's rolling window as the worker holds it (event time)."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from schemas import Region, SlaWindow
from services.reporting.breach import Standing, standing
from services.reporting.outlook import Staffing, predicted_share, staffing
from services.reporting.service import Service
from services.reporting.stream import Reporting
from services.reporting.window import CALLBACK
from services.shared.http import caller
from services.shared.identity import Principal, Role

# Who reads the live service levels: the people of the contact centre, not adapters.
SlaReader = Annotated[Principal, caller(Role.OPERATOR, Role.SUPERVISOR, Role.ONCALL, Role.AUDITOR)]


class RegionSla(BaseModel):
    region: Region
    window: SlaWindow = Field(
        description="counts of what happened in the window: 'offered' are contacts that joined "
        "the queue in it, 'answered_*' answers given in it (their calls may have been offered "
        "earlier, so answers can exceed offers)"
    )
    state: Standing = Field(
        description="ok, breach, low_volume (too few handled calls to judge) or no_data"
    )
    in_breach: bool = Field(description="a breach episode is open (no SlaRecovered yet)")
    low_volume: bool = Field(description="fewer handled calls than the policy's minimum volume")
    breach_predicted: bool
    target: float = Field(description="the service-level policy's target share")
    predicted_share: float | None = Field(
        description="the share if every call waiting past, or about to pass, the threshold "
        "misses it (what a predicted breach is decided on); none with nothing handled or waiting"
    )
    staffing: Staffing | None = Field(
        description="operators needed now by Erlang C/A, as a reinforcement request counts "
        "them; none before a contact was offered in the window"
    )
    waiting_calls: int
    operators: int
    handling_seconds: float
    patience_seconds: float | None
    late_events: int
    orders: list[str] = []
    trend: list[float | None] = []
    by_channel: dict[str, SlaWindow] = {}
    by_category: dict[str, SlaWindow] = {}
    callbacks: SlaWindow | None = Field(
        default=None,
        description="callbacks (virtual hold) alone: requests in service hours, then how they "
        "ended; already in the share as the calls they came from (docs/queues.md)",
    )


def region_sla(reporting: Reporting, region: Region, detail: bool) -> RegionSla:
    state = reporting.view(region)
    meta = state.meta
    window = state.window()
    view = RegionSla(
        region=region,
        window=window,
        state=standing(meta.in_breach, meta.low_volume, window.share),
        in_breach=meta.in_breach,
        low_volume=meta.low_volume,
        breach_predicted=meta.predicted,
        target=reporting.rules.policy.target,
        predicted_share=predicted_share(state, reporting.rules),
        staffing=staffing(state, reporting.rules.policy),
        waiting_calls=sum(meta.waiting.values()),
        operators=len(meta.operators),
        handling_seconds=state.handling(),
        patience_seconds=meta.patience_seconds,
        late_events=meta.late,
        orders=sorted(meta.orders),
        trend=meta.trend,
    )
    if detail:
        for dimension in sorted(meta.dimensions):
            kind, _, name = dimension.partition(":")
            if dimension == CALLBACK:
                view.callbacks = state.window(dimension)
            target = {"channel": view.by_channel, "category": view.by_category}.get(kind)
            if target is not None:
                target[name] = state.window(dimension)
    return view


def every_region(reporting: Reporting) -> list[RegionSla]:
    return [region_sla(reporting, region, detail=False) for region in Region]


router = APIRouter(tags=["service level"])


# Async on purpose: the tables are the worker's in-memory state, read without any I/O.
@router.get("/sla")
async def sla(service: Service, _: SlaReader) -> list[RegionSla]:
    """Every region's rolling window, ending at its newest event (event time)."""
    return every_region(service.stream)


@router.get("/sla/{region}")
async def sla_of(region: Region, service: Service, _: SlaReader) -> RegionSla:
    """One region, with its windows per channel and per need category."""
    return region_sla(service.stream, region, detail=True)
