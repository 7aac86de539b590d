"""How the platform's producers batch and compress (issue 20): one value for every producer a
service opens (EventProducer, and reporting's Faust app), set by PKC_KAFKA_LINGER_MS and
PKC_KAFKA_COMPRESSION (services/shared/settings.py).

A record waits up to `linger_ms` for others to share its request: a few ms cost little latency
(a contact crosses four producers) and save a request per record under load. A batch is
compressed once by its producer, kept compressed by the broker (topics keep the producer's
compression) and decompressed by each consumer. Measured with aiokafka's codecs on this
platform's events (CPU per record): lz4 costs 1.9 µs to write and 0.7 to read in a batch of
five, where zstd costs 3.6 and 2.4; in batches of a hundred zstd is cheaper (0.6 / 0.2 against
1.9 / 0.1) and writes 11 % of the bytes against lz4's 18 %: lz4 while batches are small. Both
work with the idempotent producer; aiokafka needs `cramjam` for them (the aiokafka[lz4,zstd]
extras), the broker ships lz4-java and zstd-jni. Consumers must be able to read a codec before
any producer writes it: roll out with `none`, then switch.

A consumer's fetch waits on the broker at most FETCH_WAIT_MS for data (see below).

Kept apart from services.shared.kafka (which loads aiokafka): every service's settings hold it.
"""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field

Compression = Literal["lz4", "zstd", "gzip", "none"]

# How long a fetch request waits on the broker when none of its partitions has new records
# (aiokafka's `fetch_max_wait_ms`; its default is 500, Faust sets 1,500). A consumer has one
# fetch in flight per broker, and it leaves out the partitions whose records it still holds:
# while the busy partitions are being handled, the fetch in flight asks only for the quiet
# ones and sits out its whole wait, and the busy partitions' next records wait behind it.
# Measured on reporting's worker, Answered events at 500/s into one region (the rest quiet),
# median delay to the window: 1.5-3 s with Faust's 1,500 ms, 0.6-1.3 s at 100 ms, 17-90 ms
# at 50 ms, 20-160 ms at 20 ms. A quiet consumer pays a fetch per wait: 20 a second at 50 ms.
FETCH_WAIT_MS = 50


@dataclass(frozen=True)
class ProducerTuning:
    linger_ms: int = 5
    compression: Compression = "lz4"

    @property
    def compression_type(self) -> str | None:
        """aiokafka's (and Faust's) name for the codec; None: uncompressed."""
        return None if self.compression == "none" else self.compression

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer."""
        return {"linger_ms": self.linger_ms, "compression_type": self.compression_type}


DEFAULT_TUNING = ProducerTuning()


class ProducerSettings(BaseModel):
    """The producers' settings, part of every service's (ServiceSettings inherits them)."""

    kafka_linger_ms: int = Field(
        default=DEFAULT_TUNING.linger_ms,
        ge=0,
        le=1000,
        validation_alias=AliasChoices("PKC_KAFKA_LINGER_MS"),
    )
    kafka_compression: Compression = Field(
        default=DEFAULT_TUNING.compression,
        validation_alias=AliasChoices("PKC_KAFKA_COMPRESSION"),
    )

    def producer_tuning(self) -> ProducerTuning:
        return ProducerTuning(self.kafka_linger_ms, self.kafka_compression)
