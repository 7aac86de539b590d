"""What the services' processes load, since every library is resident memory (issue 20:
≤ 150 MiB a service). Erlang A is computed in plain floats rather than numpy, and the identity
check fetches the issuer's keys with the standard library rather than httpx (with rich, pygments
and click behind it): 10.5 and 5 MiB that reporting would otherwise hold for nothing else; its
monthly tables are SQLAlchemy's own, so SQLModel and SQLAlchemy's ORM (6.4 MiB) stay out. A
service on SQLite never loads psycopg (8 MiB), which only a PostgreSQL URL needs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.access import SERVICES


def _loaded(probe: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    )
    return done.stdout.strip()


@pytest.mark.parametrize("library", ["numpy", "httpx", "sqlmodel", "sqlalchemy.orm"])
def test_reporting_serves_without_loading(library: str) -> None:
    probe = f"import sys, pkc.serve, services.reporting.app; print({library!r} in sys.modules)"
    assert _loaded(probe) == "False"


def test_services_on_sqlite_do_not_load_the_postgresql_driver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = (
        "import importlib, sys\n"
        "from pkc.serve import settings_class\n"
        f"for name in {SERVICES!r}:\n"
        "    importlib.import_module(f'services.{name}.app').create_app(settings_class(name)())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))"
    )
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env["PKC_STATE_DIR"] = str(tmp_path)
    assert _loaded(probe, env) == "[]"
