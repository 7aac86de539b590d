"""Where a `pkc` tool (topics, replay) reaches Kafka, and as whom."""

import os

from pkc.localkafka.access import KafkaAccess, external_access
from pkc.localkafka.broker import LocalKafka
from pkc.paths import cache_dir, state_dir


def tool_access(port: int = 9092, bootstrap: str | None = None) -> KafkaAccess:
    """A given cluster (`bootstrap`, else KAFKA_BOOTSTRAP_SERVERS) signed in as the PKC_KAFKA_*
    variables say; else the local broker `pkc run` starts, as its super user."""
    external = bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        return external_access(external)
    broker = LocalKafka(state_dir(), cache_dir(), port=port)
    return KafkaAccess(broker.bootstrap, broker.current_admin())
