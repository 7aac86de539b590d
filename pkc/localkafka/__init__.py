"""A real single-node Apache Kafka (KRaft) started from the official jars on Maven Central."""

from pkc.localkafka.access import KafkaAccess, external_access
from pkc.localkafka.broker import BrokerStatus, KafkaSetupError, LocalKafka

__all__ = ["BrokerStatus", "KafkaAccess", "KafkaSetupError", "LocalKafka", "external_access"]
