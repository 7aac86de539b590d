"""The Faust worker of bench/faust_floor.py, in a process of its own: one agent that reads
`PKC_FLOOR_TOPIC` from the start and does nothing but count (`PKC_FLOOR_MODE=count`), or
also writes one changelogged table key per record (`=write`, as reporting's dedupe memory
did). Once it has taken `PKC_FLOOR_RECORDS` it prints its rate and CPU per record as JSON
and exits. Producer settings are reporting's (services/shared/kafka_tuning.py)."""

import json
import logging
import os
import time
from typing import Any

import faust

from services.shared.kafka_tuning import DEFAULT_TUNING

RECORDS = int(os.environ["PKC_FLOOR_RECORDS"])
MODE = os.environ["PKC_FLOOR_MODE"]
PARTITIONS = int(os.environ["PKC_FLOOR_PARTITIONS"])

app = faust.App(
    f"pkc-bench-floor-{MODE}-{os.getpid()}",
    broker=f"kafka://{os.environ['PKC_FLOOR_BOOTSTRAP']}",
    store="memory://",
    datadir=os.environ["PKC_FLOOR_DATADIR"],
    web_enabled=False,
    consumer_auto_offset_reset="earliest",
    topic_partitions=PARTITIONS,
    producer_acks=-1,
    producer_linger=DEFAULT_TUNING.linger_ms / 1000,
    producer_compression_type=DEFAULT_TUNING.compression_type,
)
source = app.topic(
    os.environ["PKC_FLOOR_TOPIC"],
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
written = app.Table("floor", default=str, partitions=PARTITIONS)


@app.agent(source)
async def floor(stream: Any) -> None:
    taken, began, cpu = 0, 0.0, 0.0
    async for record in stream.events():
        if taken == 0:  # from the first record: the group's join is not what is measured
            began, cpu = time.perf_counter(), time.process_time()
        if MODE == "write":
            written[f"{record.message.partition}/{record.message.offset}"] = "seen"
        taken += 1
        if taken == RECORDS:
            seconds = time.perf_counter() - began
            used = time.process_time() - cpu
            result = {"per_second": (RECORDS - 1) / seconds, "cpu_per_record": used / RECORDS}
            print(json.dumps(result), flush=True)
            os._exit(0)  # measured: a clean shutdown would only add the changelog's flush


if __name__ == "__main__":
    # Faust's worker command configures logging at its level; the debug records of the
    # client and of Faust's producer (one per changelog write) must not be built: they cost a
    # tenth of the loop when they are, and reporting's worker does not build them
    # (services/shared/logs.py keeps both at WARNING).
    for chatty in ("aiokafka", "faust"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    app.main()
