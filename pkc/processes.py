"""Starting the services as separate processes and watching them (used by `pkc run` and tests)."""

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pkc.polling import poll

DEFAULT_PORTS = {
    "intake": 8001,
    "triage": 8002,
    "queueing": 8003,
    "reporting": 8004,
    "notify": 8005,
}


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    replica: int = 1  # which of the service's processes (pkc run --replicas)
    process: subprocess.Popen[bytes] | None = None

    @property
    def label(self) -> str:
        """The service's name, with the replica's number past the first: `queueing-2`."""
        return self.name if self.replica == 1 else f"{self.name}-{self.replica}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.label}.log"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, f"PKC_{self.name.upper()}_HTTP_PORT": str(self.port)}
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "pkc.cli", "serve", self.name],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us cleanly
            )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout: float = 15.0, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """kill -9, as a crash would."""
        self.stop(timeout=5.0, sig=signal.SIGKILL)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class ServiceDied(RuntimeError):
    pass


def wait_ready(services: list[ServiceProcess], timeout: float) -> None:
    """Polls every service's /readyz until all answer 200; a service that exits fails at once."""
    pending = list(services)

    def all_ready() -> bool:
        for service in list(pending):
            code = service.exit_code()
            if code is not None:
                raise ServiceDied(f"{service.label} exited with code {code}:\n{service.tail()}")
            if service.ready():
                pending.remove(service)
        return not pending

    try:
        poll(all_ready, "every service's /readyz", timeout=timeout, interval=0.2)
    except TimeoutError:
        names = ", ".join(s.label for s in pending)
        tails = "\n".join(f"--- {s.label}\n{s.tail()}" for s in pending)
        raise TimeoutError(f"not ready within {timeout:.0f} s: {names}\n{tails}") from None
