"""`make bench`: every benchmark on real components, one table, JSON under bench/results/."""

import argparse
import asyncio
import atexit
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import queueing, replay, reporting, system, triage
from bench.results import Report
from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir
from schemas.topics import all_topics
from services.shared.kafka_admin import create_topics
from tests.conftest import free_port
from tests.postgres import private_postgres

# Those in NEEDS_KAFKA take the bootstrap address as a fourth argument.
BENCHMARKS: dict[str, Callable[..., None]] = {
    "triage": triage.run,
    "queueing": queueing.run,
    "reporting": reporting.run,
    "system": system.run,
    "month": replay.run,  # its own broker (2 GB heap), so not in NEEDS_KAFKA
}
NEEDS_KAFKA = {"reporting", "system"}


def main() -> int:
    # A SIGTERM (timeout, Ctrl-C from a supervisor) unwinds like an exception, so the services,
    # the broker and PostgreSQL started for the run are stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("only", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run")
    args = parser.parse_args()
    chosen = args.only or list(BENCHMARKS)
    report = Report()
    with (
        tempfile.TemporaryDirectory(prefix="pkc-bench-") as tmp,
        private_postgres(free_port()) as pg,
    ):
        bootstrap = _broker(Path(tmp)) if NEEDS_KAFKA & set(chosen) else ""
        for name in chosen:
            print(f"running {name}…")
            if name in NEEDS_KAFKA:
                BENCHMARKS[name](report, Path(tmp), pg, bootstrap)
            else:
                BENCHMARKS[name](report, Path(tmp), pg)
    report.print()
    print(f"written to {report.write()}")
    return 0


def _broker(workdir: Path) -> str:
    """KAFKA_BOOTSTRAP_SERVERS, or a local broker for this run (stopped at exit)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        return external
    broker = LocalKafka(workdir / "kafka", cache_dir(), port=free_port(2))
    broker.start()
    atexit.register(broker.stop)
    asyncio.run(create_topics(broker.bootstrap, all_topics()))
    return broker.bootstrap


if __name__ == "__main__":
    sys.exit(main())
