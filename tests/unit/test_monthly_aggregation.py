"""What each event adds to the monthly figures, and the report built from them (no Kafka, no
database: the counts are folded in memory as the store would add them)."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.service_level import NATIONAL
from schemas import (
    Channel,
    Classified,
    DonorLoan,
    MatterType,
    NeedCategory,
    RedirectedTo112,
    Region,
    ReinforcementEnded,
    ReinforcementOrdered,
    Route,
)
from schemas.envelope import Event
from services.reporting.monthly.aggregation import (
    Aggregation,
    EventKey,
    OrderFact,
    effective,
    parse_donors,
)
from services.reporting.monthly.figures import OrderSpan
from services.reporting.monthly.report import MonthlyReport, build_report
from tests.contact_events import abandoned, answered, queued

NORD = Region.NORD
# Tuesday 7 May 2024, 10:00 in Stockholm (CEST).
AT = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def classified(
    received: datetime,
    channel: Channel = Channel.PHONE,
    category: NeedCategory = NeedCategory.CASE_HELP,
    capable: bool = False,
    region: Region = NORD,
) -> Classified:
    return Classified(
        occurred_at=received + timedelta(seconds=2),
        contact_id=uuid.uuid4(),
        region=region,
        channel=channel,
        received_at=received,
        category=category,
        matter=MatterType.THEFT if capable else MatterType.TIP,
        priority=3,
        route=Route.OPERATOR,
        e_service_capable=capable,
        rule_id="r",
        rules_version="1",
    )


def report_of(events: Iterable[Event], month: str = "2024-05") -> MonthlyReport:
    """Folds effects the way the store does: counts summed once per event id, order facts
    merged whatever order they come in."""
    counts: dict[str, dict[str, dict[tuple[str, str], int]]] = {}
    facts: dict[uuid.UUID, dict[str, object]] = {}
    for effect in effective(Aggregation(), events).values():
        for (region, m, metric, key), amount in effect.counts:
            cells = counts.setdefault(m, {}).setdefault(region, {})
            cells[(metric, key)] = cells.get((metric, key), 0) + amount
        if effect.order is not None:
            known = facts.setdefault(effect.order.order_id, {"region": effect.order.region})
            for name in ("donors", "started", "until", "ended"):
                if getattr(effect.order, name) is not None:
                    known[name] = getattr(effect.order, name)
    spans = [
        OrderSpan(
            f["region"],  # type: ignore[arg-type]
            parse_donors(f["donors"]),  # type: ignore[arg-type]
            f["started"],  # type: ignore[arg-type]
            f["until"],  # type: ignore[arg-type]
            f.get("ended"),  # type: ignore[arg-type]
        )
        for f in facts.values()
        if "started" in f
    ]
    return build_report(month, counts, spans, NATIONAL)


def nord(report: MonthlyReport) -> dict[str, object]:
    found = next(c for c in report.regions if c.region == NORD.value)
    return found.this_month.model_dump()


def test_the_share_counts_phone_calls_in_service_hours_with_the_default_formula() -> None:
    events: list[Event] = []
    for i in range(10):
        events.append(queued(AT + timedelta(minutes=i)))
    events += [answered(AT, 30.0 + i) for i in range(6)]  # within 10 min
    events += [answered(AT, 600.0)]  # exactly 600 s is within
    events += [answered(AT, 900.0)]  # late
    events += [abandoned(AT, 3.0)]  # short abandon: in neither part
    events += [abandoned(AT, 700.0)]  # counts against
    figures = nord(report_of(events))
    assert figures["offered"] == 10
    assert figures["answered"] == 8
    assert figures["answered_within"] == 7
    assert figures["abandoned"] == 2
    assert figures["abandoned_short"] == 1
    assert figures["share"] == pytest.approx(7 / 9)
    waits = [30.0 + i for i in range(6)] + [600.0, 900.0]
    assert figures["mean_wait_seconds"] == pytest.approx(sum(waits) / len(waits), abs=1e-3)


def test_other_channels_and_hours_outside_07_20_are_not_in_the_share() -> None:
    evening = datetime(2024, 5, 7, 18, 30, tzinfo=UTC)  # 20:30 in Stockholm
    events: list[Event] = [
        queued(AT, channel=Channel.SOCIAL_MEDIA),
        queued(evening),
        answered(evening, 900.0),
        answered(AT, 10.0),
    ]
    figures = nord(report_of(events))
    assert figures["offered"] == 0
    assert figures["outside_hours"] == 1
    assert figures["answered"] == 1
    assert figures["share"] == 1.0


def test_service_hours_follow_daylight_saving_on_the_day_it_changes() -> None:
    # Sunday 31 March 2024: clocks go forward at 02:00. 05:30 UTC is 07:30 CEST (in hours),
    # though it would be 06:30 in winter time; 18:30 UTC is 20:30 CEST (outside).
    morning = datetime(2024, 3, 31, 5, 30, tzinfo=UTC)
    evening = datetime(2024, 3, 31, 18, 30, tzinfo=UTC)
    figures = nord(report_of([queued(morning), queued(evening)], month="2024-03"))
    assert figures["offered"] == 1
    assert figures["outside_hours"] == 1


def test_a_late_event_counts_in_the_month_the_contact_was_received() -> None:
    # Received at 19:50 on 31 May (Stockholm), answered after two hours: its Answered event
    # occurs in June and may arrive days later; the figures are May's.
    received = datetime(2024, 5, 31, 17, 50, tzinfo=UTC)
    late = answered(received, 7200.0)
    later = late.model_copy(update={"occurred_at": datetime(2024, 6, 3, 9, tzinfo=UTC)})
    report = report_of([queued(received), later])
    figures = nord(report)
    assert figures["answered"] == 1
    assert figures["answered_within"] == 0
    assert nord(report_of([queued(received), later], month="2024-06"))["answered"] == 0


def test_the_same_event_twice_counts_once() -> None:
    event = answered(AT, 10.0)
    assert nord(report_of([event, event, event]))["answered"] == 1


def test_a_counted_event_is_remembered_by_its_contact_s_receipt_hour_or_hour_0() -> None:
    # The consumer takes the key with the effect (the receipt's hour found once); the store
    # and its tests know the key as EventKey.of: both must name the same event the same way.
    aggregation = Aggregation()
    stockholm_evening = datetime(2024, 5, 31, 23, 59, 59, tzinfo=ZoneInfo("Europe/Stockholm"))
    contact_events: list[Event] = [
        classified(AT),
        classified(stockholm_evening),
        queued(AT),
        answered(AT, 700.0),
        abandoned(AT + timedelta(minutes=5), 30.0),
    ]
    for event in contact_events:
        counted = aggregation.counted(event)
        assert counted is not None
        assert counted[0] == EventKey.of(event)
        assert counted[0].hour == int(event.received_at.timestamp()) // 3600  # type: ignore[attr-defined]
        assert counted[1] == aggregation.effect(event)
    order = ReinforcementEnded(
        occurred_at=AT,
        order_id=uuid.uuid4(),
        region=Region.STOCKHOLM,
        reason="ended_early",
        ended_by="supervisor",
    )
    assert aggregation.counted(order) == (EventKey(0, order.event_id), aggregation.effect(order))
    assert EventKey.of(order) == EventKey(0, order.event_id)


def test_volumes_per_channel_and_category_and_e_service_potential() -> None:
    night = datetime(2024, 5, 7, 1, 0, tzinfo=UTC)  # any hour counts for volumes
    events: list[Event] = [
        classified(AT, capable=True),
        classified(night, capable=True),
        classified(AT),
        classified(AT, channel=Channel.E_SERVICE, capable=True),
        classified(AT, channel=Channel.RECEPTION, category=NeedCategory.INFORMATION),
        RedirectedTo112(
            occurred_at=AT,
            contact_id=uuid.uuid4(),
            region=NORD,
            channel=Channel.PHONE,
            received_at=AT,
            redirect_seconds=1.0,
        ),
    ]
    figures = nord(report_of(events))
    assert figures["contacts"] == 5
    assert figures["by_channel"]["phone"] == 3  # type: ignore[index]
    assert figures["by_channel"]["e_service"] == 1  # type: ignore[index]
    assert figures["by_category"]["information"] == 1  # type: ignore[index]
    assert figures["by_category"]["case_help"] == 4  # type: ignore[index]
    assert figures["e_service_capable"] == 2
    assert figures["e_service_potential"] == pytest.approx(2 / 3)
    assert figures["redirected_112"] == 1


def test_reinforcement_hours_from_order_events_in_any_order() -> None:
    order_id = uuid.uuid4()
    ordered = ReinforcementOrdered(
        occurred_at=AT,
        order_id=order_id,
        region=Region.STOCKHOLM,
        donors=(DonorLoan(region=Region.SYD, operators=3), DonorLoan(region=NORD, operators=2)),
        until=AT + timedelta(hours=2),
        ordered_by="reporting",
    )
    ended = ReinforcementEnded(
        occurred_at=AT + timedelta(minutes=90),
        order_id=order_id,
        region=Region.STOCKHOLM,
        reason="ended_early",
        ended_by="supervisor",
    )
    for events in ([ordered, ended], [ended, ordered]):
        report = report_of(events)
        assert nord(report)["reinforcement_hours_given"] == pytest.approx(3.0)
        stockholm = next(c for c in report.regions if c.region == "stockholm").this_month
        assert stockholm.reinforcement_hours_received == pytest.approx(7.5)
        assert report.national.this_month.reinforcement_hours_given == pytest.approx(7.5)
    fact = Aggregation().effect(ended)
    assert fact is not None
    assert fact.order == OrderFact(order_id, "stockholm", ended=ended.occurred_at)


def test_year_over_year_comparison_like_the_domain_table() -> None:
    before = datetime(2023, 5, 9, 8, 0, tzinfo=UTC)
    events: list[Event] = []
    # May 2023: 493 of 1000 within 10 minutes (Nord 49.3 %); May 2024: 708 of 1000 (70.8 %).
    for at, within in ((before, 493), (AT, 708)):
        events += [answered(at, 60.0) for _ in range(within)]
        events += [answered(at, 900.0) for _ in range(1000 - within)]
    report = report_of(events)
    assert report.compared_with == "2023-05"
    comparison = next(c for c in report.regions if c.region == NORD.value)
    assert comparison.this_month.share == pytest.approx(0.708)
    assert comparison.year_before is not None
    assert comparison.year_before.share == pytest.approx(0.493)
    assert comparison.share_change_points == pytest.approx(21.5)
    assert comparison.meets_target is False
    assert report.national.this_month.answered == 1000
    # A region with nothing recorded a year before has no comparison, not zeros.
    syd = next(c for c in report.regions if c.region == "syd")
    assert syd.year_before is None
    assert syd.this_month.share is None
    assert syd.share_change_points is None
