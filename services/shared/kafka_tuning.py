"""How the platform's producers batch and compress (issue 20): one value for every producer a
service opens (EventProducer, and reporting's Faust app), set by PKC_KAFKA_LINGER_MS and
PKC_KAFKA_COMPRESSION (services/shared/settings.py).

A record waits up to `linger_ms` for others to share its request: a few ms cost little latency
(a contact crosses four producers) and save a request per record under load. A batch is
compressed once by its producer, kept compressed by the broker (topics keep the producer's
compression) and decompressed by each consumer. Measured with aiokafka's codecs on this
platform's events (CPU per record): lz4 costs 1.9 µs to write and 0.7 to read in a batch of
five, where zstd costs 3.6 and 2.4; in batches of a hundred zstd is cheaper (0.6 / 0.2 against
1.9 / 0.1) and writes 11 % of the bytes against lz4's 18 %: lz4 while batches are small, zstd
for a bulk producer's full ones (`ProducerTuning.for_bulk`). Both work with the idempotent
producer; aiokafka needs `cramjam` for them (the aiokafka[lz4,zstd] extras), the broker ships
lz4-java and zstd-jni. Consumers must be able to read a codec before any producer writes it:
roll out with `none`, then switch.

A consumer's fetch waits on the broker at most FETCH_WAIT_MS for FETCH_MIN_BYTES of data (see
below).

Kept apart from services.shared.kafka (which loads aiokafka): every service's settings hold it.
"""

from dataclasses import dataclass, replace
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

# How many bytes a fetch asks the broker to gather before it answers, within FETCH_WAIT_MS
# (aiokafka's `fetch_min_bytes`; its default, 1, answers as soon as one record is there). Under
# load a consumer then takes fewer, larger batches: fewer requests for the broker to serve and
# the consumer to parse, and fewer of the transactions that complete a batch. Measured with
# `python -m bench system` on 2 cores, two runs each way alternated, 1 → 16 KiB: CPU per
# contact over all processes 4.0, 4.0 → 3.7, 3.8 ms (queueing 0.6 → 0.4, 0.5; reporting's
# monthly consumer 0.8 → 0.7), pipeline 450, 445 → 488, 454 contacts/s, and POST → window p99
# no worse (at 300/s 502, 525 → 555, 475 ms; at 150/s 522, 292 → 272, 231 ms). A trickle of
# records waits up to FETCH_WAIT_MS per hop, as a quiet consumer's fetch does already; so the
# consumers on a possible emergency's path answer at once (AT_ONCE in kafka/batching.py).
# Reporting's Faust worker gathers too (reporting/rewind.py), since 2026-12-06: by POST
# /contacts at 485-614 contacts/s its CPU per contact fell 0.47-0.60 to 0.40-0.45 ms (bench
# native, four runs each way), one worker while published took 4,220-4,810 -> 4,440-5,480
# events/s, and Answered -> window at 500/s went p50 15 -> 45 ms, p99 72-121 -> 79-143 ms
# (bench reporting, six runs each way). Its breach alerts may leave up to 50 ms later.
FETCH_MIN_BYTES = 16 * 1024


# A producer's batch for one partition is sent once it holds this many bytes (before
# compression) or has lingered `linger_ms`. A service's batches hold a few ms of records, far
# less than aiokafka's default of 16 KiB; a bulk producer (`pkc replay`) fills them at once, and
# each batch costs its producer and the broker a fixed share of work. Measured with
# `python -m bench month` at 200,000 contacts (703,073 events), two runs, 16 → 256 KiB: the
# broker's CPU 12 → 4 s, the replay's 19 → 16 s; broker requests at 256 KiB stay far below its
# 1 MiB limit, compressed.
BATCH_BYTES = 16 * 1024
BULK_BATCH_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProducerTuning:
    linger_ms: int = 5
    compression: Compression = "lz4"
    batch_bytes: int = BATCH_BYTES

    @property
    def compression_type(self) -> str | None:
        """aiokafka's (and Faust's) name for the codec; None: uncompressed."""
        return None if self.compression == "none" else self.compression

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer."""
        return {
            "linger_ms": self.linger_ms,
            "compression_type": self.compression_type,
            "max_batch_size": self.batch_bytes,
        }

    def for_bulk(self) -> "ProducerTuning":
        """For a producer that sends a file: batches of BULK_BATCH_BYTES, in zstd (hundreds
        of records a batch, where zstd is the cheaper codec to write: see above) unless the
        deployment turned compression off."""
        compression: Compression = "none" if self.compression == "none" else "zstd"
        return replace(self, batch_bytes=BULK_BATCH_BYTES, compression=compression)


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
