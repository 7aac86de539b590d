"""A private PostgreSQL server for the test session, from the machine's PostgreSQL binaries.

PKC_TEST_POSTGRES_URL points the tests at an existing server instead. Without either, the
PostgreSQL half of the database suites is skipped with the reason (CI installs PostgreSQL).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def private_postgres(port: int) -> Iterator[str | None]:
    external = os.environ.get("PKC_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    bin_dir = _bin_dir()
    if bin_dir is None:
        yield None
        return
    home = Path(tempfile.mkdtemp(prefix="pkc-pg-"))
    data = home / "data"
    if os.geteuid() == 0:
        server = pwd.getpwnam("postgres")
        os.chown(home, server.pw_uid, server.pw_gid)
    run = subprocess.run
    run(
        _as_server_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "pkc",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    run(
        _as_server_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(home / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://pkc@127.0.0.1:{port}/postgres"
    finally:
        run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)
