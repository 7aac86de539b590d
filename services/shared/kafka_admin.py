"""Broker administration over the Kafka protocol: readiness, topic creation and ACLs."""

import asyncio
import contextlib
from collections.abc import Sequence
from typing import NamedTuple

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import IncompatibleBrokerVersion, KafkaError, TopicAlreadyExistsError
from aiokafka.protocol.admin import CreateAclsRequestStruct
from aiokafka.protocol.api import Request

from schemas.access import Acl
from schemas.topics import Topic
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity


def admin_client(
    bootstrap: str, security: KafkaSecurity, request_timeout_ms: int
) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        **security.client_kwargs(),
    )


async def cluster_answers(
    bootstrap: str, timeout: float, security: KafkaSecurity = PLAINTEXT
) -> bool:
    if not await _port_open(bootstrap, timeout):
        return False  # the admin client would log a connection error per retry
    admin = admin_client(bootstrap, security, 3000)
    try:
        async with asyncio.timeout(max(timeout, 0.5)):
            await admin.start()
            await admin.describe_cluster()
            return True
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def _port_open(bootstrap: str, timeout: float) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        async with asyncio.timeout(max(timeout, 0.2)):
            _, writer = await asyncio.open_connection(host, int(port))
    except (TimeoutError, OSError):
        return False
    writer.close()
    return True


async def wait_for_cluster(
    bootstrap: str, timeout: float, security: KafkaSecurity = PLAINTEXT
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await cluster_answers(bootstrap, min(5.0, deadline - loop.time()), security):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer within {timeout:.0f} s")


async def create_topics(
    bootstrap: str,
    topics: tuple[Topic, ...],
    replication_factor: int = 1,
    security: KafkaSecurity = PLAINTEXT,
) -> list[str]:
    """Creates the topics that do not exist yet; returns the names it created (idempotent)."""
    admin = admin_client(bootstrap, security, 15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        created = []
        for topic in (t for t in topics if t.name not in existing):
            configs = {"retention.ms": str(topic.retention_ms)}
            if topic.compacted:
                configs["cleanup.policy"] = "compact"
            if topic.append_time:
                configs["message.timestamp.type"] = "LogAppendTime"
            new = NewTopic(topic.name, topic.partitions, replication_factor, topic_configs=configs)
            response = await admin.create_topics([new])
            for name, code, *rest in response.topic_errors:
                if code == TopicAlreadyExistsError.errno:
                    continue  # created concurrently by another process
                if code != 0:
                    raise RuntimeError(f"creating topic {name} failed: error {code} {rest}")
                created.append(name)
        if created:
            await _until_led(admin, created, timeout=30.0)
        return created
    finally:
        await admin.close()


async def _until_led(admin: AIOKafkaAdminClient, names: list[str], timeout: float) -> None:
    """Waits until the broker's metadata shows every partition of `names` with a leader. A
    KRaft broker answers CreateTopics before its metadata cache has the topic, and a client
    that asks meanwhile is told it does not exist: Faust's partition assignor then ignores a
    changelog and the worker waits on its recovery for good (seen on a loaded machine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        described = await admin.describe_topics(names)
        led = [
            t
            for t in described
            if t["error_code"] == 0
            and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
        ]
        if len(led) == len(names):
            return
        if loop.time() > deadline:
            missing = sorted(set(names) - {t["topic"] for t in led})
            raise TimeoutError(f"topics without leaders after {timeout:.0f} s: {missing}")
        await asyncio.sleep(0.1)


# Kafka's protocol codes (org.apache.kafka.common.acl / .resource).
_RESOURCE_TYPES = {"topic": 2, "group": 3, "cluster": 4}
_PATTERN_TYPES = {"literal": 3, "prefix": 4}
_OPERATIONS = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8, "IdempotentWrite": 12}
_ALLOW = 3


async def create_acls(
    bootstrap: str, grants: dict[str, tuple[Acl, ...]], security: KafkaSecurity
) -> None:
    """Allows each principal (a SCRAM user name) its ACLs; creating one twice is a no-op.
    `security` must be a super user's. All of them go in one request: the broker commits each
    request's ACLs to its metadata log before it answers, so one request per ACL cost every
    secured broker's start 3.8 s."""
    creations = [
        _Creation(
            _RESOURCE_TYPES[acl.resource],
            acl.name,
            _PATTERN_TYPES[acl.pattern],
            f"User:{principal}",
            "*",
            _OPERATIONS[operation],
            _ALLOW,
        )
        for principal, acls in grants.items()
        for acl in acls
        for operation in acl.operations
    ]
    admin = admin_client(bootstrap, security, 15000)
    await admin.start()
    try:
        response = await admin._send_request(_CreateAcls(creations))
        for (code, message), creation in zip(response.creation_responses, creations, strict=True):
            if code != 0:
                raise RuntimeError(f"creating an ACL for {creation.principal} failed: {message}")
    finally:
        await admin.close()


class _Creation(NamedTuple):
    """One ACL binding, its fields in CreateAcls v1's order."""

    resource_type: int
    resource_name: str
    pattern_type: int
    principal: str
    host: str
    operation: int
    permission: int


class _CreateAcls(Request[CreateAclsRequestStruct]):  # type: ignore[misc]  # aiokafka: untyped
    """CreateAcls with many bindings (aiokafka's own request carries one). From v1 on: a
    prefixed pattern needs v1, and every broker this project runs speaks it."""

    API_KEY = 30

    def __init__(self, creations: Sequence[_Creation]):
        self._creations = list(creations)

    def build(self, request_struct_class: type[CreateAclsRequestStruct]) -> CreateAclsRequestStruct:
        if request_struct_class.API_VERSION < 1:
            raise IncompatibleBrokerVersion("CreateAcls v1 is needed for prefixed ACLs")
        return request_struct_class([tuple(creation) for creation in self._creations])
