"""A private PostgreSQL server from the machine's PostgreSQL binaries, for the tests and the bench.

PKC_TEST_POSTGRES_URL points them at an existing server instead. Without either there is no
PostgreSQL: the tests skip their PostgreSQL half with the reason (CI installs PostgreSQL) and
the bench measures on SQLite only.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as `postgres` then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(bin_dir: Path, *args: str, check: bool = True) -> None:
    """Runs one of PostgreSQL's programs (as the server user when we are root)."""
    command = _as_server_user([str(bin_dir / args[0]), *args[1:]])
    subprocess.run(command, check=check, capture_output=True)  # noqa: S603


def _start(bin_dir: Path, home: Path, port: int) -> None:
    """A fresh cluster under `home` (in data/), started on `port`."""
    data = home / "data"
    if os.geteuid() == 0:
        server = pwd.getpwnam("postgres")
        os.chown(home, server.pw_uid, server.pw_gid)
    _run(bin_dir, "initdb", "-D", str(data), "-U", "pkc", "--auth=trust", "--no-sync", "-E", "UTF8")
    _launch(bin_dir, home, port)


def _launch(bin_dir: Path, home: Path, port: int) -> None:
    # Durability off: the data lives as long as one test session or bench run.
    options = (
        f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    log = str(home / "server.log")
    data = str(home / "data")
    _run(bin_dir, "pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start")


@dataclass(frozen=True)
class PostgresServer:
    """A private server the fault tests stop and start again mid-stream (its data kept)."""

    url: str
    bin_dir: Path
    home: Path
    port: int

    def stop(self, mode: str = "fast") -> None:
        """Stops the server: its connections are cut and new ones refused until `start`.
        Fast, not "immediate": this server runs with synchronous_commit off, so a crash would
        lose the last commits it acknowledged, which a production server never does."""
        data = str(self.home / "data")
        _run(self.bin_dir, "pg_ctl", "-D", data, "-m", mode, "stop", check=False)

    def start(self) -> None:
        _launch(self.bin_dir, self.home, self.port)


@contextmanager
def stoppable_postgres(port: int) -> Iterator[PostgresServer | None]:
    """A private server of one's own on `port` that can be stopped and started (None when the
    machine has no PostgreSQL: an external server is not ours to stop)."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        yield None
        return
    home = Path(tempfile.mkdtemp(prefix="pkc-pg-"))
    try:
        _start(bin_dir, home, port)
        server = PostgresServer(f"postgresql://pkc@127.0.0.1:{port}/postgres", bin_dir, home, port)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def private_postgres(port: int) -> Iterator[str | None]:
    """The URL of a server of one's own on `port` (stopped and deleted on the way out), of the
    one PKC_TEST_POSTGRES_URL names, or None when the machine has no PostgreSQL."""
    external = os.environ.get("PKC_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    with stoppable_postgres(port) as server:
        yield server.url if server is not None else None
