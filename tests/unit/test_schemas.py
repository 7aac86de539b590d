"""The event contracts: generated JSON Schemas, decoding, upcasting, topics."""

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from pydantic import ValidationError

from schemas import (
    EVENT_TYPES,
    Channel,
    ContactReceived,
    Region,
    UndecodableEvent,
    codec,
    decode_event,
)
from schemas.jsonschema import stale_files
from schemas.topics import CONSUMERS, all_topics, topic_for


def contact(**overrides: object) -> ContactReceived:
    values: dict[str, object] = {
        "occurred_at": datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        "contact_id": uuid4(),
        "region": Region.STOCKHOLM,
        "channel": Channel.PHONE,
        "source": "phone-gw",
        "text": "Min cykel blev stulen",
    }
    return ContactReceived(**(values | overrides))


def test_checked_in_json_schemas_match_the_models() -> None:
    assert stale_files() == [], "run `pkc schemas generate` and commit schemas/json/"


def test_every_event_type_round_trips_through_the_wire_format() -> None:
    event = contact()
    assert decode_event(event.to_json()) == event
    assert json.loads(event.to_json())["event_type"] == "ContactReceived"
    assert set(EVENT_TYPES) >= {
        "ContactReceived",
        "Classified",
        "Queued",
        "Answered",
        "Abandoned",
        "CaseCreated",
    }


def test_timestamps_are_normalised_to_utc_and_naive_ones_refused() -> None:
    stockholm_summer = timezone(timedelta(hours=2))
    event = contact(occurred_at=datetime(2026, 6, 1, 12, 0, tzinfo=stockholm_summer))
    assert event.occurred_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        contact(occurred_at=datetime(2026, 6, 1, 12, 0))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty record value"),
        (b"\xff\xfe garbage", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"event_type": "Unheard"}', "unknown event_type"),
        (b'{"event_type": "ContactReceived", "schema_version": 9}', "unsupported schema_version"),
    ],
)
def test_undecodable_records_are_refused_with_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(UndecodableEvent, match=reason):
        decode_event(raw)


def test_validation_reasons_name_fields_but_never_echo_the_values() -> None:
    data = json.loads(contact().to_json())
    data["region"] = "atlantis-19850101-1234"
    with pytest.raises(UndecodableEvent) as caught:
        decode_event(json.dumps(data))
    assert "region" in str(caught.value)
    assert "19850101-1234" not in str(caught.value)


def test_an_old_schema_version_is_upcast_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A v0-style record (here: 'origin' instead of 'source') reads as the current model."""
    data = json.loads(contact().to_json())
    data["origin"] = data.pop("source")
    data["schema_version"] = 1

    def v1_to_v2(old: dict[str, object]) -> dict[str, object]:
        new = dict(old)
        new["source"] = new.pop("origin")
        return new

    # Pretend the current model is v2 and v1 used `origin`.
    monkeypatch.setitem(codec.UPCASTERS, ("ContactReceived", 1), v1_to_v2)
    upcast = codec.upcast("ContactReceived", data, current=2)
    assert upcast["source"] == "phone-gw"
    assert upcast["schema_version"] == 2


def test_a_record_read_as_the_current_version_with_its_own_id_is_sent_on_as_written() -> None:
    written = json.dumps(json.loads(contact().to_json()), indent=1).encode()  # not our spacing
    event, wire = codec.decode_to_send_on(written)
    assert wire is written
    assert event == decode_event(written)


def test_a_record_without_an_id_is_sent_on_as_its_event_with_the_id_it_was_given() -> None:
    """Sent as written, it would get a fresh id from every reader: none could dedupe it."""
    data = json.loads(contact().to_json())
    del data["event_id"]
    event, wire = codec.decode_to_send_on(json.dumps(data).encode())
    assert wire is None
    assert decode_event(event.to_json()).event_id == event.event_id


def test_every_event_has_a_topic_and_every_consumer_a_dead_letter_topic() -> None:
    names = {t.name for t in all_topics()}
    for model in EVENT_TYPES.values():
        event = model.model_construct(
            occurred_at=datetime.now(UTC),
            event_type=model.EVENT_TYPE,
            schema_version=model.SCHEMA_VERSION,
        )
        assert topic_for(event).name in names
    for consumer in CONSUMERS:
        assert consumer.dead_letter.name in names
        assert consumer.dead_letter.name.startswith("pkc.dlq.")


def test_region_keys_keep_one_regions_events_in_order() -> None:
    event = contact()
    assert topic_for(event).key_of(event) == str(event.contact_id).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"event_type": "Queued", "x": ' + b"1" * 5000 + b"}", "not JSON we can read"),
        (b"[" * 100_000, "not JSON we can read"),
        (
            b'{"event_type": "ContactReceived", "schema_version": 1, "occurred_at": '
            b'"9999-12-31T23:30:00-01:00"}',
            "invalid ContactReceived",
        ),
    ],
)
def test_records_that_break_the_parser_itself_are_refused_with_a_reason(
    raw: bytes, reason: str
) -> None:
    with pytest.raises(UndecodableEvent, match=reason):
        decode_event(raw)


def test_intake_s_receipt_time_is_optional_so_older_records_still_read() -> None:
    """accepted_at (intake's clock) came after the first records: one without it decodes, with
    None, and one with it keeps it in UTC beside the adapter's occurred_at."""
    old = json.loads(contact().to_json())
    del old["accepted_at"]
    decoded = decode_event(json.dumps(old).encode())
    assert isinstance(decoded, ContactReceived)
    assert decoded.accepted_at is None
    accepted = datetime(2026, 5, 4, 11, 31, tzinfo=timezone(timedelta(hours=2)))
    event = contact(accepted_at=accepted)
    assert decode_event(event.to_json()) == event
    assert event.accepted_at == datetime(2026, 5, 4, 9, 31, tzinfo=UTC)
