"""Start, stop and inspect one local Kafka broker+controller process."""

import asyncio
import subprocess
import time
from pathlib import Path

from pkc.daemon import Daemon, DaemonStatus
from pkc.localkafka.config import LOG4J2, new_cluster_id, server_properties
from pkc.localkafka.jars import KafkaSetupError, ensure_jars, require_tool

__all__ = ["BrokerStatus", "KafkaSetupError", "LocalKafka"]


BrokerStatus = DaemonStatus  # the bootstrap address is its `address`


class LocalKafka:
    """One broker whose files live under `state_dir/kafka-<port>/`; jars come from `cache_dir`."""

    def __init__(self, state_dir: Path, cache_dir: Path, port: int = 9092, heap: str = "1g"):
        self.port = port
        self.controller_port = port + 1
        self.home = state_dir / f"kafka-{port}"
        self.cache_dir = cache_dir
        self.heap = heap
        self._process = Daemon("broker", self.home / "broker.pid", self.home / "broker.log")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self._process.log_file

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
        process = self._process.launch([*jvm, "-cp", classpath, "kafka.Kafka", str(properties)])
        deadline = began + timeout
        while time.monotonic() < deadline:
            exited = self._process.exited(process)
            if exited is not None:
                raise KafkaSetupError(exited)
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
        return self._process.stop(timeout)

    def status(self) -> BrokerStatus:
        pid = self.running_pid()
        answering = pid is not None and _answers(self.bootstrap, 3.0)
        return BrokerStatus("broker", pid, answering, self.bootstrap, self.log_file)

    def running_pid(self) -> int | None:
        return self._process.running_pid()

    def tail(self, lines: int = 30) -> str:
        return self._process.tail(lines)

    def _write_config(self) -> Path:
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(LOG4J2)
        properties = self.home / "server.properties"
        properties.write_text(
            server_properties(self.port, self.controller_port, self.home / "data")
        )
        return properties


def _answers(bootstrap: str, timeout: float) -> bool:
    """True when the broker answers a metadata request within `timeout` seconds."""
    from services.shared.kafka_admin import cluster_answers

    return asyncio.run(cluster_answers(bootstrap, timeout))
