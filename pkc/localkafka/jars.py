"""Resolves the broker's classpath from Maven Central into a cache outside the repository."""

import hashlib
import subprocess
from pathlib import Path

from pkc import daemon
from pkc.paths import built_once

POM = Path(__file__).with_name("pom.xml")


class KafkaSetupError(daemon.SetupError):
    """The local broker cannot be set up; the message says what to do."""


def require_tool(name: str, purpose: str) -> str:
    instead = "point KAFKA_BOOTSTRAP_SERVERS at an existing cluster"
    return daemon.require_tool(name, purpose, instead, KafkaSetupError)


def ensure_jars(cache_dir: Path) -> Path:
    """The folder of broker jars, resolved once per pom version."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    jar_dir = cache_dir / f"kafka-jars-{digest}"

    def resolve(target: Path) -> None:  # only when not cached: the tools are needed then
        mvn = require_tool("mvn", "resolve the Apache Kafka jars from Maven Central")
        require_tool("java", "run the Apache Kafka broker")
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={target}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-2000:]
            raise KafkaSetupError(f"Maven could not resolve the Kafka jars:\n{tail}")

    return built_once(jar_dir, resolve)
