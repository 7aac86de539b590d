"""Where local state (Kafka data, SQLite files, logs) and the jar cache live."""

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def state_dir() -> Path:
    return Path(os.environ.get("PKC_STATE_DIR", ".pkc")).resolve()


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pkc"
    return Path(os.environ.get("PKC_CACHE_DIR", default)).resolve()


def built_once(home: Path, build: Callable[[Path], object]) -> Path:
    """`home` in the cache, made by `build` once. `build` fills an empty folder beside it,
    which becomes `home` when it succeeds (a `.complete` marker records that): a half-done
    attempt is thrown away and redone. A lock file keeps two first runs at once (`make test`'s
    two pytest processes, or `pkc run` beside a test run) from building into the same folder."""
    marker = home / ".complete"
    if marker.exists():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    with (home.parent / f"{home.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            partial = home.with_name(home.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            build(partial)
            shutil.rmtree(home, ignore_errors=True)
            partial.rename(home)
            marker.touch()
    return home
