"""`pkc replay FILE.jsonl`: publishes a file of events (one JSON event per line) to their topics,
so that a past month can be processed again.

Every line is decoded with the platform's codec before it is sent, and sent as it is written when
it reads as the current version of its event with its own id (`decode_to_send_on`; otherwise
as the codec encodes the event). A bad line stops the replay with its line number, and nothing
after it is published (the lines before it are: they were valid); `--skip-bad` names bad lines
and goes on. Events keep their ids, so consumers skip what they have counted already: replaying
a file twice changes no figure.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pkc.localkafka.jars import KafkaSetupError
from pkc.localkafka.tools import tool_access
from schemas.codec import UndecodableEvent, decode_to_send_on, describe_errors
from schemas.topics import topic_for
from services.shared.kafka import PLAINTEXT, EventProducer, KafkaSecurity
from services.shared.kafka_tuning import DEFAULT_TUNING, ProducerSettings, ProducerTuning
from services.shared.start_up import freeze_start_up

BATCH = 5000  # events handed to the producer before waiting for their acks


class BadLine(ValueError):
    def __init__(self, number: int, reason: str):
        super().__init__(f"line {number}: {reason}")
        self.number = number
        self.reason = reason


@dataclass
class Replayed:
    published: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    bad_lines: list[BadLine] = field(default_factory=list)  # with --skip-bad
    seconds: float = 0.0
    stopped_at: BadLine | None = None  # the bad line that ended the replay


async def publish_file(
    path: Path,
    bootstrap: str,
    *,
    security: KafkaSecurity = PLAINTEXT,
    rate: float | None = None,
    skip_bad: bool = False,
    batch: int = BATCH,
    tuning: ProducerTuning = DEFAULT_TUNING,
    progress: Callable[[int, int], None] = lambda _bytes, _events: None,
) -> Replayed:
    """Publishes every event of `path`; `progress(bytes read, events published)` per batch.
    `tuning`: the platform's producers' (its bulk form is used: full batches)."""
    result = Replayed()
    producer = EventProducer(bootstrap, "pkc-replay", security, tuning.for_bulk())
    began = time.monotonic()
    await producer.start()
    try:
        sends = producer.bulk()  # a batch per partition: nobody waits on one event alone
        read = 0
        with path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                read += len(line)
                if not line.strip():
                    continue
                try:
                    event, wire = decode_to_send_on(line.strip())
                except UndecodableEvent as exc:
                    bad = BadLine(number, str(exc))
                    if not skip_bad:
                        result.stopped_at = bad
                        break
                    result.bad_lines.append(bad)
                    continue
                topic = topic_for(event)
                await sends.add(event, topic, wire)
                result.by_topic[topic.name] += 1
                if sends.pending >= batch:
                    result.published += await sends.flush()  # acks=all: only now published
                    progress(read, result.published)
                    if rate:
                        await _keep_rate(began, result.published, rate)
        result.published += await sends.flush()
        progress(read, result.published)
    finally:
        await producer.stop()
    result.seconds = time.monotonic() - began
    return result


async def _keep_rate(began: float, published: int, rate: float) -> None:
    ahead = began + published / rate - time.monotonic()
    if ahead > 0:
        await asyncio.sleep(ahead)


def replay_cli(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSONL events")
    ],
    rate: Annotated[
        float | None, typer.Option(min=1, help="at most this many events per second")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="name bad lines and go on instead of stopping")
    ] = False,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)")
    ] = None,
) -> None:
    """Publishes each event of FILE to its topic, with a progress bar and a final count."""
    # soft_wrap: a `FILE:LINE: reason` line stays one line, whatever the terminal's width.
    console = Console(stderr=True, soft_wrap=True)
    tuning = _producer_tuning(console)
    try:
        kafka = tool_access(bootstrap=bootstrap)  # every topic: the local broker's super user
    except KafkaSetupError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    servers = kafka.bootstrap
    batch = max(1, min(BATCH, int(rate))) if rate else BATCH
    freeze_start_up()
    with Progress(
        TextColumn("[bold]replay[/]"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[events]:,} events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("replay", total=file.stat().st_size, events=0)

        def progress(read: int, events: int) -> None:
            bar.update(task, completed=read, events=events)

        try:
            result = asyncio.run(
                publish_file(
                    file,
                    servers,
                    security=kafka.admin,
                    rate=rate,
                    skip_bad=skip_bad,
                    batch=batch,
                    tuning=tuning,
                    progress=progress,
                )
            )
        except Exception as exc:  # the broker unreachable, a refused send: say so, no trace
            console.print(f"[red]replay failed on {servers}: {type(exc).__name__}: {exc}[/]")
            raise typer.Exit(1) from None
    _summarise(console, file, result)
    if result.stopped_at is not None:
        raise typer.Exit(1)


def _producer_tuning(console: Console) -> ProducerTuning:
    """PKC_KAFKA_COMPRESSION and PKC_KAFKA_LINGER_MS as the services read them (compression
    `none` while consumers are rolled out); a bad value ends the command, naming it."""
    try:
        return ProducerSettings.model_validate(os.environ).producer_tuning()
    except ValidationError as exc:
        console.print(f"[red]{describe_errors(exc)}[/]")  # names and messages, never values
        raise typer.Exit(2) from None


def _summarise(console: Console, file: Path, result: Replayed) -> None:
    for bad in result.bad_lines[:20]:
        console.print(f"[yellow]{file}:{bad.number}: skipped: {bad.reason}[/]")
    if len(result.bad_lines) > 20:
        console.print(f"[yellow]… and {len(result.bad_lines) - 20} more bad lines skipped[/]")
    topics = ", ".join(f"{name} {count:,}" for name, count in sorted(result.by_topic.items()))
    speed = result.published / result.seconds if result.seconds else 0.0
    console.print(
        f"published {result.published:,} events in {result.seconds:.1f} s ({speed:,.0f}/s)"
        + (f": {topics}" if topics else "")
        + (f"; {len(result.bad_lines):,} bad lines skipped" if result.bad_lines else "")
    )
    if result.stopped_at is not None:
        console.print(
            f"[red]{file}:{result.stopped_at.number}: {result.stopped_at.reason}[/]\n"
            f"[red]stopped at line {result.stopped_at.number}: nothing after it was published "
            "(--skip-bad to go on past bad lines)[/]"
        )


if __name__ == "__main__":
    typer.run(replay_cli)
