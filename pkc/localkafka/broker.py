"""Start, stop and inspect one local Kafka broker+controller process."""

import asyncio
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from pkc.daemon import JIT_FIRST_TIER, Daemon, DaemonStatus
from pkc.localkafka.access import KafkaAccess
from pkc.localkafka.config import LOG4J2, new_cluster_id, server_properties
from pkc.localkafka.credentials import FILE_NAME, BrokerCredentials, write_private
from pkc.localkafka.jars import KafkaSetupError, ensure_jars, require_tool
from schemas.access import ADAPTERS, PRINCIPALS, SERVICES, acls_for
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity

__all__ = ["BrokerStatus", "KafkaSetupError", "LocalKafka"]


BrokerStatus = DaemonStatus  # the bootstrap address is its `address`


class LocalKafka:
    """One broker whose files live under `state_dir/kafka-<port>/`; jars come from `cache_dir`.

    `secured`: every client signs in with SCRAM as one of the principals in `credentials`
    (a service, a channel adapter, or `admin`) and may do only what schemas/access.py grants it."""

    def __init__(
        self,
        state_dir: Path,
        cache_dir: Path,
        port: int = 9092,
        heap: str = "1g",
        secured: bool = False,
    ):
        self.port = port
        self.controller_port = port + 1
        self.home = state_dir / f"kafka-{port}"
        self.cache_dir = cache_dir
        self.heap = heap
        self.secured = secured
        self._process = Daemon("broker", self.home / "broker.pid", self.home / "broker.log")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self._process.log_file

    @property
    def credentials(self) -> BrokerCredentials:
        """The principals' passwords (a secured broker's, once it has been started)."""
        found = BrokerCredentials.load(self.home) if self.secured else None
        if found is None:
            raise KafkaSetupError(f"no credentials: the broker in {self.home} is not secured")
        return found

    @property
    def admin(self) -> KafkaSecurity:
        """How the super user signs in (PLAINTEXT on an open broker)."""
        return self.credentials.admin if self.secured else PLAINTEXT

    def security(self, principal: str) -> KafkaSecurity:
        return self.credentials.security(principal) if self.secured else PLAINTEXT

    def access(self) -> KafkaAccess:
        """The bootstrap address, the admin's sign-in and each service's and adapter's own."""
        if not self.secured:
            return KafkaAccess(self.bootstrap, self.admin)
        services = {name: self.security(name) for name in SERVICES}
        # A broker still running since before an adapter's principal was declared has none
        # for it (its next start formats it again): the adapters it has.
        known = self.credentials.passwords
        adapters = {name: self.security(name) for name in ADAPTERS if name in known}
        return KafkaAccess(self.bootstrap, self.admin, services, adapters)

    def start(self, timeout: float = 90.0) -> float:
        """Starts the broker unless it already runs; returns the seconds it took to answer."""
        began = time.monotonic()
        if self.running_pid() is not None:
            if self._formatted_secured() != self.secured:
                mode = "without" if self.secured else "with"
                raise KafkaSetupError(
                    f"the broker on {self.bootstrap} runs {mode} authentication; stop it "
                    "(`pkc kafka stop`) and start it again"
                )
            if _answers(self.bootstrap, 5.0, self.admin):
                return 0.0
            raise KafkaSetupError(f"a broker process runs but does not answer; see {self.log_file}")
        java = require_tool("java", "run the Apache Kafka broker")
        jars = ensure_jars(self.cache_dir)
        jvm = [java, "-Xms256m", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
        jvm.append(f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}")
        # The JIT's first tier (C1) alone (pkc/daemon.py), for the storage tool and the broker.
        # The tool runs for a second: 2.4 s of CPU down to 1.4 on two cores, on every fresh
        # broker a test starts. In `python -m bench native`'s measured run (10,000 contacts
        # after 1,000) 40 % of a broker's CPU was the C2 compiler's threads, and its CPU per
        # contact fell from 0.36 to 0.15 ms only after some 70,000 contacts; with C1 alone it
        # costs 0.18-0.22 ms from the first run on (README, "Benchmarks"). A production broker
        # runs for months: Strimzi's keep the JVM's default, both tiers.
        jvm.append(JIT_FIRST_TIER)
        self._prepare_storage(jvm, f"{jars}/*")
        properties = self.home / "server.properties"
        process = self._process.launch([*jvm, "-cp", f"{jars}/*", "kafka.Kafka", str(properties)])
        deadline = began + timeout
        while time.monotonic() < deadline:
            exited = self._process.exited(process)
            if exited is not None:
                raise KafkaSetupError(exited)
            if _answers(self.bootstrap, min(5.0, deadline - time.monotonic()), self.admin):
                self._grant_acls()
                return time.monotonic() - began
        self.stop()
        raise KafkaSetupError(f"the broker did not answer within {timeout:.0f} s:\n{self.tail()}")

    def _prepare_storage(self, jvm: list[str], classpath: str) -> None:
        """Writes the configuration; formats the storage the first time, and again when the
        data was formatted in the other mode (a local broker's data is throw-away, and SCRAM
        users can only be created at format time before any listener accepts them)."""
        data = self.home / "data"
        formatted = (data / "meta.properties").exists()
        if formatted and (self._formatted_secured() != self.secured or self._lacks_principals()):
            shutil.rmtree(data)
            formatted = False
        if not formatted:
            (self.home / FILE_NAME).unlink(missing_ok=True)
            if self.secured:
                BrokerCredentials.drawn().save(self.home)
        properties = self._write_config()
        if not formatted:
            scram = self.credentials.scram_arguments() if self.secured else []
            self.format_storage(jvm, classpath, properties, new_cluster_id(), scram)

    def _formatted_secured(self) -> bool:
        return (self.home / FILE_NAME).exists()

    def _lacks_principals(self) -> bool:
        """A secured broker formatted before a principal was declared (an adapter's, say) has
        no SCRAM user for it: formatted again, as for a change of mode."""
        found = BrokerCredentials.load(self.home) if self.secured else None
        return found is not None and not found.complete()

    def _grant_acls(self) -> None:
        """Every service's ACLs, on every start: a change in the registry reaches the broker."""
        from services.shared.kafka_admin import create_acls

        if self.secured:
            grants = {principal: acls_for(principal) for principal in PRINCIPALS}
            asyncio.run(create_acls(self.bootstrap, grants, self.admin))

    @staticmethod
    def format_storage(
        jvm: list[str],
        classpath: str,
        properties: Path,
        cluster_id: str,
        scram: Sequence[str] = (),
    ) -> None:
        command = [*jvm, "-cp", classpath, "kafka.tools.StorageTool", "format"]
        # `--cluster-id=` form: a base64url id may start with "-", which argparse would
        # otherwise take for an option.
        command += [f"--cluster-id={cluster_id}", "-c", str(properties), "--ignore-formatted"]
        done = subprocess.run([*command, *scram], capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            # Only the tool's error output: the command line holds the SCRAM passwords.
            raise KafkaSetupError(f"formatting Kafka storage failed:\n{done.stderr[-2000:]}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Stops the broker cleanly (SIGTERM, then SIGKILL past the timeout); False if none ran."""
        return self._process.stop(timeout)

    def kill(self) -> bool:
        """kill -9: no clean shutdown, so the next start recovers its logs (fault tests)."""
        return self._process.kill()

    def status(self) -> BrokerStatus:
        pid = self.running_pid()
        answering = pid is not None and _answers(self.bootstrap, 3.0, self.current_admin())
        return BrokerStatus("broker", pid, answering, self.bootstrap, self.log_file)

    def current_admin(self) -> KafkaSecurity:
        """How the super user signs in to the broker as it was last formatted, secured or
        not: for the `pkc` tools, which do not know how `pkc run` started it."""
        found = BrokerCredentials.load(self.home)
        return found.admin if found is not None else PLAINTEXT

    def running_pid(self) -> int | None:
        return self._process.running_pid()

    def tail(self, lines: int = 30) -> str:
        return self._process.tail(lines)

    def _write_config(self) -> Path:
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        (self.home / "log4j2.properties").write_text(LOG4J2)
        admin_password = self.credentials.admin.password if self.secured else None
        properties = self.home / "server.properties"
        write_private(
            properties,
            server_properties(self.port, self.controller_port, self.home / "data", admin_password),
        )
        return properties


def _answers(bootstrap: str, timeout: float, security: KafkaSecurity) -> bool:
    """True when the broker answers a metadata request within `timeout` seconds."""
    from services.shared.kafka_admin import cluster_answers

    return asyncio.run(cluster_answers(bootstrap, timeout, security))
