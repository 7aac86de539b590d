"""Where local state (Kafka data, SQLite files, logs) and the jar cache live."""

import os
from pathlib import Path


def state_dir() -> Path:
    return Path(os.environ.get("PKC_STATE_DIR", ".pkc")).resolve()


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pkc"
    return Path(os.environ.get("PKC_CACHE_DIR", default)).resolve()
