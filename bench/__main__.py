"""`make bench`: every benchmark on real components, one table, JSON under bench/results/."""

import argparse
import asyncio
import atexit
import os
import sys
import tempfile
from pathlib import Path

from bench import queueing, reporting, triage
from bench.results import Report
from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir
from schemas.topics import all_topics
from services.shared.kafka_admin import create_topics
from tests.conftest import free_port
from tests.postgres import private_postgres

BENCHMARKS = {"triage": triage.run, "queueing": queueing.run, "reporting": reporting.run}
NEEDS_KAFKA = {"reporting"}


def main() -> int:
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
                BENCHMARKS[name](report, Path(tmp), pg, bootstrap)  # type: ignore[call-arg]
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
