"""Broker administration over the Kafka protocol: readiness and topic creation."""

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.topics import Topic


async def cluster_answers(bootstrap: str, timeout: float) -> bool:
    if not await _port_open(bootstrap, timeout):
        return False  # the admin client would log a connection error per retry
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
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


async def wait_for_cluster(bootstrap: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await cluster_answers(bootstrap, min(5.0, deadline - loop.time())):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer within {timeout:.0f} s")


async def create_topics(
    bootstrap: str, topics: tuple[Topic, ...], replication_factor: int = 1
) -> list[str]:
    """Creates the topics that do not exist yet; returns the names it created (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        created = []
        for topic in (t for t in topics if t.name not in existing):
            configs = {"retention.ms": str(topic.retention_ms)}
            if topic.compacted:
                configs["cleanup.policy"] = "compact"
            new = NewTopic(topic.name, topic.partitions, replication_factor, topic_configs=configs)
            response = await admin.create_topics([new])
            for name, code, *rest in response.topic_errors:
                if code == TopicAlreadyExistsError.errno:
                    continue  # created concurrently by another process
                if code != 0:
                    raise RuntimeError(f"creating topic {name} failed: error {code} {rest}")
                created.append(name)
        return created
    finally:
        await admin.close()
