"""The wire format written by orjson is the one pydantic writes, byte for byte, and the codec's
shortcut (straight into the model the record names) decodes what the long way decodes."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from schemas import (
    Answered,
    Channel,
    Classified,
    ContactReceived,
    DonorLoan,
    MatterType,
    NeedCategory,
    Region,
    ReinforcementRequested,
    Route,
    UndecodableEvent,
    decode_event,
)
from schemas.envelope import Event
from schemas.events import SlaWindow
from services.shared.kafka.decoding import Headers, decode_value

AT = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)  # the night clocks go forward
STOCKHOLM = ZoneInfo("Europe/Stockholm")
_ANSWERED = ("event_type", b"Answered")


def received(text: str = "Min cykel blev stulen i förra veckan, vad gör jag nu? 🚲") -> Event:
    return ContactReceived(
        occurred_at=AT,
        contact_id=uuid4(),
        region=Region.STOCKHOLM,
        channel=Channel.SOCIAL_MEDIA,
        source="chat-adapter",
        text=text,
        accepted_at=AT.astimezone(STOCKHOLM),  # kept in its zone: not normalised to UTC
    )


def classified() -> Event:
    return Classified(
        occurred_at=AT,
        contact_id=uuid4(),
        region=Region.VAST,
        channel=Channel.PHONE,
        received_at=AT.replace(microsecond=0) - timedelta(seconds=3),
        category=NeedCategory.CASE_HELP,
        matter=MatterType.THEFT,
        priority=3,
        route=Route.OPERATOR,
        rule_id="case-theft-past",
        rules_version="v12",
        matched=("stulen", "cykel"),
        decided_by="model",
        model_version="m3",
        probabilities={c: 1 / 3 for c in list(NeedCategory)[:3]},
        weighed_words=("cykel", "stulen"),
    )


def answered() -> Event:
    return Answered(
        occurred_at=AT,
        contact_id=uuid4(),
        region=Region.SYD,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        received_at=AT.astimezone(timezone(timedelta(hours=-3, minutes=-30))),
        wait_seconds=1e-7,
        operator_id="op-17",
        operator_region=Region.SYD,
    )


def reinforcement(operators: int = 4) -> Event:
    window = SlaWindow(start=AT - timedelta(hours=1), end=AT, answered_within=9, share=0.1 + 0.2)
    return ReinforcementRequested(
        occurred_at=AT,
        region=Region.SYD,
        episode_id=uuid4(),
        window=window,
        arrivals_per_hour=120.5,
        handling_seconds=300,
        operators_needed_erlang_c=14,
        operators_present=10,
        shortfall=4,
        donors=(DonorLoan(region=Region.VAST, operators=operators),),
        until=AT + timedelta(hours=2),
    )


EVENTS: dict[str, Callable[[], Event]] = {
    "received": received,
    "classified": classified,
    "answered": answered,
    "reinforcement": reinforcement,
}


@pytest.mark.parametrize("make", EVENTS.values(), ids=list(EVENTS))
def test_the_wire_bytes_are_those_pydantic_writes(make: Callable[[], Event]) -> None:
    event = make()
    assert event.to_json() == event.model_dump_json().encode()
    decoded = decode_event(event.to_json())  # and again after a read: pydantic's own time zones
    assert decoded == event
    assert decoded.to_json() == decoded.model_dump_json().encode()


def test_what_orjson_cannot_write_pydantic_writes() -> None:
    event = reinforcement(operators=2**70)  # past 64 bits
    assert decode_event(event.to_json()) == event


def test_the_type_is_read_from_the_record_itself_not_from_its_text() -> None:
    """The type named in the citizen's words (escaped inside the text) is not the record's, and
    a record may put its type anywhere."""
    event = received(text='"event_type": "Answered", \\"event_type\\": \\"Answered\\"')
    data = json.loads(event.to_json())
    reordered = {key: data[key] for key in sorted(data, key=lambda k: k == "event_type")}
    assert decode_event(json.dumps(reordered)) == event
    assert decode_event(json.dumps(reordered).encode()) == event


def test_a_wrong_header_costs_time_not_the_event() -> None:
    event = answered()
    assert decode_event(event.to_json(), named="Classified") == event
    assert decode_event(event.to_json(), named="Unheard") == event


@pytest.mark.parametrize(
    "headers",
    [
        # As aiokafka hands them to Faust's messages and the shared consumers: a tuple of pairs.
        (("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), _ANSWERED),
        {"event_type": b"Answered"},  # as a Faust event holds them
        [("event_type", b"Classified")],  # wrong: the value says otherwise
        [("event_type", b"\xff")],
        {"event_type": b"Classified"},
        (("event_type", None),),  # Kafka allows a header without a value
        {"event_type": None},
        (),
        {},
        None,
    ],
)
def test_a_record_s_headers_name_its_type_or_leave_it_to_the_value(headers: Headers) -> None:
    event = answered()
    assert decode_value(event.to_json(), headers) == event


@pytest.mark.usefixtures("values_unsearched")
def test_a_record_whose_header_names_its_type_is_not_searched_for_it() -> None:
    event = answered()
    assert decode_value(event.to_json(), ((_ANSWERED),)) == event
    with pytest.raises(AssertionError, match="searched"):
        decode_value(event.to_json(), (("event_type", None),))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"event_type": "Answered", "schema_version": 1}', "invalid Answered: "),
        (b'{"event_type": "Answered", "schema_version": 1, ', "not JSON: JSONDecodeError"),
        (b'{"event_type": "Queued", "wait": 1e999}', "not JSON we can read: number is infinity"),
    ],
)
def test_a_record_the_shortcut_refuses_gets_the_long_way_s_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UndecodableEvent) as refused:
        decode_event(raw)
    assert str(refused.value).startswith(reason)
