"""Typed Kafka I/O: the durable producer, the one consumer loop, its retry policy and its
dead-letter writer (used by the Faust agent too)."""

from services.shared.kafka.batching import AT_ONCE, Batching
from services.shared.kafka.consumer import BatchConsumer, Positions
from services.shared.kafka.dead_letters import DeadLetterWriter, SendRaw, dead_letter_headers
from services.shared.kafka.decoding import Record, decode
from services.shared.kafka.events import BulkHandler, EventConsumer, Gathered, Handler
from services.shared.kafka.faults import Kind, Refused, classify, describe
from services.shared.kafka.producer import EventProducer
from services.shared.kafka.retry import (
    DEFAULT_RETRY,
    Failure,
    PermanentError,
    Retrier,
    RetryPolicy,
    with_retries,
)
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity, kafka_security

__all__ = [
    "AT_ONCE",
    "DEFAULT_RETRY",
    "PLAINTEXT",
    "BatchConsumer",
    "Batching",
    "BulkHandler",
    "DeadLetterWriter",
    "EventConsumer",
    "EventProducer",
    "Failure",
    "Gathered",
    "Handler",
    "KafkaSecurity",
    "Kind",
    "PermanentError",
    "Positions",
    "Record",
    "Refused",
    "Retrier",
    "RetryPolicy",
    "SendRaw",
    "classify",
    "dead_letter_headers",
    "decode",
    "describe",
    "kafka_security",
    "with_retries",
]
