"""Start, stop and inspect one local Kafka broker+controller process."""

import asyncio
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pkc.localkafka.config import LOG4J2, new_cluster_id, server_properties
from pkc.localkafka.jars import KafkaSetupError, ensure_jars, require_tool

__all__ = ["BrokerStatus", "KafkaSetupError", "LocalKafka"]


@dataclass(frozen=True)
class BrokerStatus:
    pid: int | None
    answering: bool
    bootstrap: str
    log: Path

    def describe(self) -> str:
        if self.pid is None:
            return f"no local broker is running for {self.bootstrap}"
        state = "answering" if self.answering else "not answering"
        return f"local broker pid {self.pid} on {self.bootstrap}: {state} (log {self.log})"


class LocalKafka:
    """One broker whose files live under `state_dir/kafka-<port>/`; jars come from `cache_dir`."""

    def __init__(self, state_dir: Path, cache_dir: Path, port: int = 9092, heap: str = "1g"):
        self.port = port
        self.controller_port = port + 1
        self.home = state_dir / f"kafka-{port}"
        self.cache_dir = cache_dir
        self.heap = heap

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def _pid_file(self) -> Path:
        return self.home / "broker.pid"

    def start(self, timeout: float = 90.0) -> float:
        """Starts the broker unless it already runs; returns the seconds it took to answer."""
        began = time.monotonic()
        if self.running_pid() is not None:
            if _answers(self.bootstrap, 5.0):
                return 0.0
            raise KafkaSetupError(f"a broker process runs but does not answer; see {self.log_file}")
        java = require_tool("java", "run the Apache Kafka broker")
        jars = ensure_jars(self.cache_dir)
        properties = self._write_config()
        classpath = f"{jars}/*"
        jvm = [java, "-Xms256m", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
        jvm.append(f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}")
        if not (self.home / "data" / "meta.properties").exists():
            self.format_storage(jvm, classpath, properties, new_cluster_id())
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603
                [*jvm, "-cp", classpath, "kafka.Kafka", str(properties)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives the CLI that started it; stopped by pid
            )
        self._pid_file.write_text(str(process.pid))
        deadline = began + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._pid_file.unlink(missing_ok=True)
                raise KafkaSetupError(
                    f"the broker exited with code {process.returncode}; log tail:\n{self.tail()}"
                )
            if _answers(self.bootstrap, min(5.0, deadline - time.monotonic())):
                return time.monotonic() - began
        self.stop()
        raise KafkaSetupError(f"the broker did not answer within {timeout:.0f} s:\n{self.tail()}")

    @staticmethod
    def format_storage(jvm: list[str], classpath: str, properties: Path, cluster_id: str) -> None:
        command = [*jvm, "-cp", classpath, "kafka.tools.StorageTool", "format"]
        # `--cluster-id=` form: a base64url id may start with "-", which argparse would
        # otherwise take for an option.
        command += [f"--cluster-id={cluster_id}", "-c", str(properties), "--ignore-formatted"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise KafkaSetupError(f"formatting Kafka storage failed:\n{done.stderr[-2000:]}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Stops the broker cleanly (SIGTERM, then SIGKILL past the timeout); False if none ran."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self._pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> BrokerStatus:
        pid = self.running_pid()
        answering = pid is not None and _answers(self.bootstrap, 3.0)
        return BrokerStatus(
            pid=pid, answering=answering, bootstrap=self.bootstrap, log=self.log_file
        )

    def running_pid(self) -> int | None:
        try:
            pid = int(self._pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no broker log)"

    def _write_config(self) -> Path:
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(LOG4J2)
        properties = self.home / "server.properties"
        properties.write_text(
            server_properties(self.port, self.controller_port, self.home / "data")
        )
        return properties


def _alive(pid: int) -> bool:
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


def _answers(bootstrap: str, timeout: float) -> bool:
    """True when the broker answers a metadata request within `timeout` seconds."""
    from services.shared.kafka_admin import cluster_answers

    return asyncio.run(cluster_answers(bootstrap, timeout))
