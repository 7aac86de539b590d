"""`make bench`: every benchmark on real components, one table, JSON under bench/results/."""

import argparse
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench import (
    codec,
    intake,
    kafka_native,
    nod,
    offers,
    profile,
    queueing,
    replay,
    reporting,
    soak,
    startup,
    system,
    triage,
    wait_estimate,
)
from bench.results import Report
from pkc.localpostgres import private_postgres
from pkc.platform import kafka_with_topics
from pkc.ports import free_port
from schemas.access import SERVICES

# Those in NEEDS_KAFKA take the bootstrap address as a fourth argument.
BENCHMARKS: dict[str, Callable[..., None]] = {
    "startup": startup.run,  # `pkc --help` in a new process (no broker)
    "codec": codec.run,  # encode and decode of events in process (no broker)
    "triage": triage.run,
    "intake": intake.run,  # the claim and the mark on intake's stores (no broker)
    "queueing": queueing.run,
    "reporting": reporting.run,
    "system": system.run,
    # The pipeline fed by the Kafka-native adapter library instead of POST /contacts.
    "native": kafka_native.run,
    "offers": offers.run,
    "month": replay.run,  # its own broker (2 GB heap), so not in NEEDS_KAFKA
    "nod": nod.run,
    "wait": wait_estimate.run,  # the wait estimate's error over a simulated day (no broker)
}
NEEDS_KAFKA = {"reporting", "system", "native", "offers", "nod", "profile"}
# Run only when named: `python -m bench soak --minutes 60` (an hour of kills and load), and
# `python -m bench profile` (py-spy on every service under the pipeline's load).
ON_DEMAND: dict[str, Callable[..., None]] = {"soak": soak.run, "profile": profile.run}


def main() -> int:
    # A SIGTERM (timeout, Ctrl-C from a supervisor) unwinds like an exception, so the services,
    # the broker and PostgreSQL started for the run are stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "only", nargs="*", choices=[*BENCHMARKS, *ON_DEMAND, []], help="benchmarks to run"
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="soak: how long")
    parser.add_argument("--rate", type=float, default=50.0, help="soak: contacts per second")
    parser.add_argument("--kill-every", type=float, default=30.0, help="soak: seconds per kill")
    parser.add_argument(
        "--kill",
        default=",".join(SERVICES),
        help="soak: the services whose replicas are killed, comma-separated",
    )
    args = parser.parse_args()
    victims = tuple(args.kill.split(","))
    if unknown := set(victims) - set(SERVICES):
        parser.error(f"--kill: no such service: {', '.join(sorted(unknown))}")
    chosen = args.only or list(BENCHMARKS)
    report = Report()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pkc-bench-"))
        pg = stack.enter_context(private_postgres(free_port()))
        bootstrap = ""
        if NEEDS_KAFKA & set(chosen):
            bootstrap = stack.enter_context(kafka_with_topics(Path(tmp) / "kafka"))
        for name in chosen:
            print(f"running {name}…")
            benchmark = {**BENCHMARKS, **ON_DEMAND}[name]
            if name == "soak":
                benchmark(report, Path(tmp), pg, args.minutes, args.rate, args.kill_every, victims)
            elif name in NEEDS_KAFKA:
                benchmark(report, Path(tmp), pg, bootstrap)
            else:
                benchmark(report, Path(tmp), pg)
    report.print()
    print(f"written to {report.write()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
