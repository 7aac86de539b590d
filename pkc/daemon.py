"""A local server the project starts from downloaded artefacts (the Kafka broker, Keycloak): a
process in its own session, known by a pid file so that a later CLI call can stop it."""

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pkc.polling import poll

# The JVM option that keeps a local server's JIT to its first tier (C1). Both local servers
# (the broker, Keycloak) live for a test run, a benchmark or a `pkc run`, and with the second
# tier (C2) they spent much of that life compiling: see where each passes it.
JIT_FIRST_TIER = "-XX:TieredStopAtLevel=1"


class SetupError(RuntimeError):
    """A local server cannot be set up; the message says what to do."""


def require_tool(name: str, purpose: str, instead: str, error: type[SetupError]) -> str:
    """The path of `name`, or `error` saying how to install it or what to use `instead`."""
    path = shutil.which(name)
    if path is None:
        raise error(
            f"`{name}` was not found on PATH; it is needed to {purpose}. "
            "Install it (Debian: `apt-get install openjdk-17-jre-headless maven`) "
            f"or {instead}."
        )
    return path


@dataclass(frozen=True)
class DaemonStatus:
    what: str
    pid: int | None
    answering: bool
    address: str
    log: Path

    def describe(self) -> str:
        if self.pid is None:
            return f"no local {self.what} is running for {self.address}"
        state = "answering" if self.answering else "not answering"
        return f"local {self.what} pid {self.pid} on {self.address}: {state} (log {self.log})"


@dataclass(frozen=True)
class Daemon:
    what: str  # names it in messages: "broker", "Keycloak"
    pid_file: Path
    log_file: Path

    def launch(
        self, command: list[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # survives the CLI that started it; stopped by pid
            )
        self.pid_file.write_text(str(process.pid))
        return process

    def exited(self, process: subprocess.Popen[bytes]) -> str | None:
        """None while `process` runs; once it has exited, a message with its log's tail."""
        if process.poll() is None:
            return None
        self.pid_file.unlink(missing_ok=True)
        return f"the {self.what} exited with code {process.returncode}; log tail:\n{self.tail()}"

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if alive(pid) else None

    def stop(self, timeout: float = 30.0) -> bool:
        """Stops the process group cleanly (SIGTERM, then SIGKILL past the timeout); False if
        none ran."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        try:
            poll(lambda: not alive(pid), f"the {self.what} (pid {pid}) to exit", timeout=timeout)
        except TimeoutError:
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self, timeout: float = 30.0) -> bool:
        """kill -9 of the process group, as a crash or the OOM killer would; False if none ran."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGKILL)
        poll(lambda: not alive(pid), f"the {self.what} (pid {pid}) to die", timeout=timeout)
        self.pid_file.unlink(missing_ok=True)
        return True

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return f"(no {self.what} log)"


def alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reap our own child if it has exited
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
