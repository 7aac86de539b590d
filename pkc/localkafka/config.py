"""The broker's configuration files, tuned for one local node."""

import base64
import uuid
from pathlib import Path
from typing import Final

from schemas.access import ADMIN

SCRAM: Final = "SCRAM-SHA-512"

LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""


def server_properties(
    port: int, controller_port: int, data_dir: Path, admin_password: str | None = None
) -> str:
    """One node's server.properties: open (PLAINTEXT) without `admin_password`, else secured
    (see `secured_listeners`). Holds that password then, so it is written 0600."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static voter is the simplest quorum for one node (no --standalone needed).
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "log.retention.check.interval.ms": "60000",
    }
    if admin_password is not None:
        settings |= secured_listeners(port, controller_port, admin_password)
    return "".join(f"{k}={v}\n" for k, v in settings.items())


def secured_listeners(port: int, controller_port: int, admin_password: str) -> dict[str, str]:
    """Every connection authenticates and everything not granted by an ACL is refused.

    Clients (and the node's own broker-to-broker traffic, as `admin`) use SASL/SCRAM-SHA-512
    on the loopback listener; TLS is left to production (Strimzi), as nothing leaves this
    machine. The controller listener authenticates too, with SASL/PLAIN: a controller must
    check credentials before it has read the metadata log where SCRAM credentials live.
    """
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    admin = f'username="{ADMIN}" password="{admin_password}"'
    return {
        "listeners": f"CLIENTS://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"CLIENTS://127.0.0.1:{port}",
        "inter.broker.listener.name": "CLIENTS",
        "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,CLIENTS:SASL_PLAINTEXT",
        "listener.name.clients.sasl.enabled.mechanisms": SCRAM,
        "sasl.mechanism.inter.broker.protocol": SCRAM,
        f"listener.name.clients.{SCRAM.lower()}.sasl.jaas.config": f"{scram} required {admin};",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": (
            f'{plain} required {admin} user_{ADMIN}="{admin_password}";'
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{ADMIN}",
    }


def new_cluster_id() -> str:
    """Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
