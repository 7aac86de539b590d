"""The topic registry: every topic, its partitions and key, and each consumer with its DLQ.

Kubernetes KafkaTopic resources and `pkc topics create` are both generated from this module, so
there is one place to change a topic.
"""

from dataclasses import dataclass, field

from schemas import events as e
from schemas.callbacks import CALLBACK_EVENTS
from schemas.cases import CaseClosed, CaseUpdated
from schemas.codec import EVENT_TYPES
from schemas.envelope import Event
from schemas.ratings import ContactRated
from schemas.submissions import ADAPTER_CLIENTS
from schemas.transfers import Transferred

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str  # the event field whose value is the record key: what ordering is kept by
    events: tuple[type[Event], ...]
    retention_ms: int = 14 * DAY_MS
    compacted: bool = False
    # The broker stamps each record with its own clock (message.timestamp.type=LogAppendTime),
    # so a reader can trust when a record arrived whoever wrote it.
    append_time: bool = False

    def key_of(self, event: Event) -> bytes:
        return str(getattr(event, self.key)).encode()


@dataclass(frozen=True)
class Consumer:
    group: str
    service: str
    topics: tuple[Topic, ...]
    dead_letter: Topic = field(init=False)

    def __post_init__(self) -> None:
        # A dead letter is a copy of a source record: kept no longer than the shortest-lived
        # of the topics it may come from, so a copy never outlives its original.
        retention_ms = min(topic.retention_ms for topic in self.topics)
        dlq = Topic(
            f"pkc.dlq.{self.group}",
            partitions=1,
            key="event_id",
            events=(),
            retention_ms=retention_ms,
        )
        object.__setattr__(self, "dead_letter", dlq)

    def in_group(self, group: str) -> "Consumer":
        """The same consumer under another group (and so another DLQ topic): a deployment's
        setting, or a test's fresh group that reads the topics from the beginning."""
        return Consumer(group, self.service, self.topics)


CONTACTS_RECEIVED = Topic("pkc.contacts.received", 6, "contact_id", (e.ContactReceived,))
# Region keys keep one region's contact life-cycle in order for queueing and reporting.
CONTACTS_CLASSIFIED = Topic(
    "pkc.contacts.classified", 7, "region", (e.Classified, e.RedirectedTo112)
)
# Everything reporting counts travels on one region-keyed topic, so per region it is in order.
QUEUE_EVENTS = Topic(
    "pkc.queue.events",
    7,
    "region",
    (
        e.Queued,
        e.Answered,
        e.Abandoned,
        e.ContactResolved,
        e.OperatorPresenceChanged,
        e.ReinforcementOrdered,
        e.ReinforcementEnded,
        Transferred,
        *CALLBACK_EVENTS,
    ),
)
# A case's whole life, keyed by case: created (queueing's operators, triage's e-services), then
# updated and closed (queueing, docs/cases.md). One topic, so a case's events stay in order; the
# name is from when it carried CaseCreated alone.
CASES = Topic(
    "pkc.cases.created",
    3,
    "case_id",
    (e.CaseCreated, CaseUpdated, CaseClosed),
    retention_ms=90 * DAY_MS,
)
SLA_EVENTS = Topic(
    "pkc.sla.events",
    7,
    "region",
    (e.SlaStatus, e.SlaBreached, e.SlaBreachPredicted, e.SlaRecovered, e.ReinforcementRequested),
)
# Each region's queue as it stands (schemas/queue_state.py): for operator UIs and wallboards,
# docs/queue-state.md. Compacted: a reader needs only the newest snapshot of each region.
QUEUE_STATE = Topic("pkc.queue.state", 7, "region", (), compacted=True)
# Citizens' ratings of their contacts (schemas/ratings.py): intake writes, reporting counts.
RATINGS = Topic("pkc.contacts.rated", 7, "region", (ContactRated,))
ALERTS = Topic(
    "pkc.alerts.log",
    1,
    "region",
    (e.AlertDelivered, e.AlertEscalated, e.AlertAcknowledged),
    retention_ms=90 * DAY_MS,
)


def _submissions(client: str) -> Topic:
    """A channel adapter's own topic of ContactSubmission JSON (schemas/submissions.py), read
    by intake alone (docs/adapters.md, "Publishing straight to Kafka"). One topic per adapter
    principal: which adapter submitted a record is which topic it is on, and only that
    adapter's principal may write there (schemas/access.py), so none can submit as another.

    Keyed by the idempotency key: a retry lands on the partition of its first attempt, behind
    it, so one intake consumer sees both in order (a region key would keep nothing in order
    that matters: contacts.received is keyed by contact). Kept 3 days: the records hold the
    citizen's text, which intake needs only until it has accepted them, and they must expire
    before intake's idempotency keys (PKC_INTAKE_KEY_RETENTION_DAYS, 7), or a record read again
    after its key was purged would be a contact accepted twice. The broker's append time lets
    intake judge `received_at` by when the record arrived, not by when intake read it."""
    return Topic(
        f"pkc.contacts.submitted.{client}",
        3,
        "idempotency_key",
        (),
        retention_ms=3 * DAY_MS,
        append_time=True,
    )


SUBMISSIONS: dict[str, Topic] = {client: _submissions(client) for client in ADAPTER_CLIENTS}

TOPICS: tuple[Topic, ...] = (
    CONTACTS_RECEIVED,
    CONTACTS_CLASSIFIED,
    QUEUE_EVENTS,
    CASES,
    SLA_EVENTS,
    ALERTS,
    QUEUE_STATE,
    RATINGS,
    *SUBMISSIONS.values(),
)

TRIAGE = Consumer("triage", "triage", (CONTACTS_RECEIVED,))
# Queueing also follows reporting's reinforcement requests, to turn them into orders, and every
# CaseCreated, to keep the cases citizens follow (services/queueing/cases).
QUEUEING = Consumer("queueing", "queueing", (CONTACTS_CLASSIFIED, SLA_EVENTS, CASES))
# Reporting's Faust agent: its windows also count the contacts triage redirected to 112.
REPORTING = Consumer("reporting", "reporting", (QUEUE_EVENTS, CONTACTS_CLASSIFIED))
# Reporting's monthly follow-up: a group of its own (PKC_REPORTING_MONTHLY_GROUP) that reads
# the topics from the beginning on first start, beside the Faust agent.
REPORTING_MONTHLY = Consumer(
    "reporting-monthly", "reporting", (QUEUE_EVENTS, CONTACTS_CLASSIFIED, RATINGS)
)
# Notify also reads every classified contact, for the written ones on-call must read at once.
NOTIFY = Consumer("notify", "notify", (SLA_EVENTS, CONTACTS_CLASSIFIED))

CONSUMERS: tuple[Consumer, ...] = (TRIAGE, QUEUEING, REPORTING, REPORTING_MONTHLY, NOTIFY)
# Intake follows what becomes of the contacts it accepted, for their adapters (docs/adapters.md).
INTAKE = Consumer("intake", "intake", (CONTACTS_CLASSIFIED, QUEUE_EVENTS, CASES))
# Intake takes the contacts adapters submit straight to Kafka, a group of its own: its DLQ
# (whose copies expire with the submissions) holds what it refuses, with the reason.
INTAKE_SUBMISSIONS = Consumer("intake-submissions", "intake", tuple(SUBMISSIONS.values()))
CONSUMERS += (INTAKE, INTAKE_SUBMISSIONS)


@dataclass(frozen=True)
class Producer:
    """The topics one service writes (besides its consumers' dead letters): with CONSUMERS,
    the one declaration each service's Kafka ACLs are derived from (schemas/access.py)."""

    service: str
    topics: tuple[Topic, ...]


# Only intake writes the citizen's text (contacts.received); only triage reads it (TRIAGE).
PRODUCERS: tuple[Producer, ...] = (
    # ... and the citizens' ratings (never a comment's text: schemas/ratings.py).
    Producer("intake", (CONTACTS_RECEIVED, RATINGS)),
    # Classified and RedirectedTo112, and the cases an e-service takes without an operator.
    Producer("triage", (CONTACTS_CLASSIFIED, CASES)),
    # The outbox relay: the contacts' life-cycle, presence, reinforcement orders, and cases;
    # and the queue-state snapshots.
    Producer("queueing", (QUEUE_EVENTS, CASES, QUEUE_STATE)),
    Producer("reporting", (SLA_EVENTS,)),
    Producer("notify", (ALERTS,)),
    # Each channel adapter its own submission topic, and nothing else (not contacts.received).
    *(Producer(client, (topic,)) for client, topic in SUBMISSIONS.items()),
)


def all_topics() -> tuple[Topic, ...]:
    """Every topic the platform needs, dead-letter topics included."""
    return TOPICS + tuple(c.dead_letter for c in CONSUMERS)


def topic_for(event: Event) -> Topic:
    for topic in TOPICS:
        if type(event) in topic.events:
            return topic
    raise LookupError(f"no topic carries {event.EVENT_TYPE}")


def _check_every_event_has_a_topic() -> None:
    carried = {e for t in TOPICS for e in t.events}
    missing = set(EVENT_TYPES.values()) - carried
    assert not missing, f"events without a topic: {missing}"
    unwritten = set(TOPICS) - {t for p in PRODUCERS for t in p.topics}
    assert not unwritten, f"topics no service writes: {[t.name for t in unwritten]}"


_check_every_event_has_a_topic()
