"""Where a contact's time goes between `POST /contacts` and reporting's window (issue 20: the
latency goal, measured a stage at a time before any stage is tuned).

Each service stamps the record it sends with its producer's clock (aiokafka's create time), on
the machine that runs the bench, so for every contact posted: its POST → its ContactReceived
(intake: the request, the claim's transaction, the send), → its Classified (triage: the fetch,
the classification, the send), → its Queued (queueing: the fetch, the transaction, the outbox
relay). Reporting's part, Queued → counted in a window, is not per contact (the bench watches
the regions' counts grow, not which contact grew them): the end-to-end figure less the rest.
"""

import json
import uuid
from dataclasses import dataclass

from bench.records import records_to_end
from schemas.topics import CONTACTS_CLASSIFIED, CONTACTS_RECEIVED, QUEUE_EVENTS, Topic

# In the contact's order: who sends it, on which topic, as which event.
STAGES: tuple[tuple[str, Topic, str], ...] = (
    ("intake", CONTACTS_RECEIVED, "ContactReceived"),
    ("triage", CONTACTS_CLASSIFIED, "Classified"),
    ("queueing", QUEUE_EVENTS, "Queued"),
)


@dataclass(frozen=True)
class Posted:
    """One contact the bench posted: its id, from intake's answer, and when (wall clock, s)."""

    contact_id: uuid.UUID
    at: float


async def stage_seconds(bootstrap: str, posted: list[Posted]) -> dict[str, list[float]]:
    """Per stage, each posted contact's seconds from the stage before (its POST, for intake) to
    the record the stage sent; contacts a stage's topic does not hold are left out."""
    if not posted:
        return {name: [] for name, _, _ in STAGES}
    since_ms = int(min(p.at for p in posted) * 1000) - 1000  # producers stamp before a linger
    wanted = {p.contact_id for p in posted}
    sent = [
        (name, await _sent_at(bootstrap, topic, event_type, since_ms, wanted))
        for name, topic, event_type in STAGES
    ]
    return between(posted, sent)


def between(
    posted: list[Posted], sent: list[tuple[str, dict[uuid.UUID, float]]]
) -> dict[str, list[float]]:
    """Per stage (in order), each contact's seconds from the stage before to its own record; a
    contact missing from a stage leaves the stages after it too."""
    before = {p.contact_id: p.at for p in posted}
    seconds: dict[str, list[float]] = {}
    for name, stamped in sent:
        seconds[name] = [stamped[c] - at for c, at in before.items() if c in stamped]
        before = {c: stamped[c] for c in before if c in stamped}
    return seconds


async def _sent_at(
    bootstrap: str, topic: Topic, event_type: str, since_ms: int, wanted: set[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """When each wanted contact's `event_type` record was stamped (s), from `since_ms` on to
    the end the topic had when the read began."""
    sent: dict[uuid.UUID, float] = {}
    async for record in records_to_end(bootstrap, topic.name, since_ms):
        event = json.loads(record.value or b"{}")
        if event.get("event_type") != event_type:
            continue
        contact = uuid.UUID(event["contact_id"])
        if contact in wanted:
            sent.setdefault(contact, record.timestamp / 1000)
    return sent
