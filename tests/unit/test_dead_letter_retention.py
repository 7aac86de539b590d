"""Dead letters never outlive their source records, and carry the citizen's text only into the
DLQ of a service allowed to read it; no compacted topic is keyed by a contact."""

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

from schemas import Channel, ContactReceived, Region
from schemas.topics import (
    CONSUMERS,
    DAY_MS,
    NOTIFY,
    QUEUEING,
    TOPICS,
    TRIAGE,
    Consumer,
    Topic,
    all_topics,
)
from services.shared.kafka.dead_letters import DeadLetterWriter, Headers


def test_every_dlq_keeps_records_no_longer_than_its_source_topics() -> None:
    for consumer in CONSUMERS:
        for source in consumer.topics:
            assert consumer.dead_letter.retention_ms <= source.retention_ms, consumer.group
    assert {c.dead_letter for c in CONSUMERS} <= set(all_topics())


def test_a_dlq_follows_its_shortest_lived_source() -> None:
    short = Topic("test.short", 1, "contact_id", (), retention_ms=DAY_MS)
    long = Topic("test.long", 1, "contact_id", (), retention_ms=90 * DAY_MS)
    assert Consumer("g", "test", (long, short)).dead_letter.retention_ms == DAY_MS
    assert Consumer("g", "test", (long,)).in_group("h").dead_letter.retention_ms == 90 * DAY_MS


def test_no_compacted_topic_is_keyed_by_a_contact() -> None:
    """Erasure tombstones compacted topics keyed by the contact: there is none to tombstone.
    A new one must get its tombstone in `pkc erase` (docs/retention.md) before this passes."""
    assert [t.name for t in TOPICS if t.compacted and t.key == "contact_id"] == []


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def dead_letter(consumer_spec: Consumer, value: bytes) -> tuple[bytes | None, Headers]:
    sent: list[tuple[bytes | None, Headers]] = []

    async def send(topic: str, value: bytes | None, key: bytes | None, headers: Headers) -> None:
        sent.append((value, headers))

    writer = DeadLetterWriter(consumer_spec, send)
    asyncio.run(writer.write(Record("t", 0, 7, b"k", value), "refused", 1))
    return sent[0]


def citizen_words() -> bytes:
    return ContactReceived(
        occurred_at=datetime.now(UTC),
        contact_id=uuid4(),
        region=Region.SYD,
        channel=Channel.MAIL,
        source="test",
        text="my neighbour Anna Svensson, 070-1234567",
    ).to_json()


def test_a_service_without_the_right_to_citizen_text_dead_letters_without_it() -> None:
    for consumer in (QUEUEING, NOTIFY):
        value, headers = dead_letter(consumer, citizen_words())
        assert value is not None
        assert b"Anna" not in value
        assert "text" not in json.loads(value)
        assert json.loads(value)["event_type"] == "ContactReceived", "the rest is kept"
        assert ("dlq.value", b"redacted") in headers


def test_an_unreadable_value_is_not_copied_where_the_text_is_not_allowed() -> None:
    value, headers = dead_letter(NOTIFY, b"Anna Svensson 070-1234567 (not JSON)")
    assert value is None
    assert ("dlq.value", b"removed") in headers


def test_triage_which_reads_the_text_keeps_the_record_as_it_was() -> None:
    original = citizen_words()
    value, headers = dead_letter(TRIAGE, original)
    assert value == original
    assert not any(name == "dlq.value" for name, _ in headers)
