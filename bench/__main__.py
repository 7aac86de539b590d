"""`make bench`: every benchmark on real components, one table, JSON under bench/results/."""

import argparse
import sys
import tempfile
from pathlib import Path

from bench import queueing, triage
from bench.results import Report
from tests.conftest import free_port
from tests.postgres import private_postgres

BENCHMARKS = {"triage": triage.run, "queueing": queueing.run}


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
        for name in chosen:
            print(f"running {name}…")
            BENCHMARKS[name](report, Path(tmp), pg)
    report.print()
    print(f"written to {report.write()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
