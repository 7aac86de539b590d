"""The local broker's setup errors and configuration, without starting Java."""

from pathlib import Path

import pytest

from pkc.localkafka import KafkaSetupError, LocalKafka
from pkc.localkafka.config import new_cluster_id, server_properties


def test_missing_java_or_maven_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    broker = LocalKafka(tmp_path / "state", tmp_path / "cache", port=19999)
    with pytest.raises(KafkaSetupError, match="`java` was not found on PATH"):
        broker.start()


def test_local_tuning_is_in_the_server_properties(tmp_path: Path) -> None:
    props = dict(
        line.split("=", 1) for line in server_properties(9092, 9093, tmp_path).splitlines()
    )
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["listeners"].startswith("PLAINTEXT://127.0.0.1:9092")


def test_cluster_ids_are_kafka_shaped() -> None:
    ids = [new_cluster_id() for _ in range(200)]
    assert all(len(i) == 22 and "=" not in i for i in ids)
