"""The KafkaTopic manifests agree with the topic registry in schemas/topics.py."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pkc.deploy_cli import deploy_cli
from pkc.k8s_topics import STRIMZI_API_VERSION, TOPICS_FILE, kafka_topic, render_topics
from schemas.topics import CONSUMERS, Topic, all_topics
from tests.deploy.manifests import Doc, of_kind


def test_the_checked_in_topics_file_is_what_the_registry_generates() -> None:
    assert TOPICS_FILE.read_text("utf-8") == render_topics(), "run `pkc deploy topics`"


@pytest.mark.parametrize("variant", ["base", "prod"])
def test_every_registry_topic_is_one_kafka_topic_with_its_settings(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    rendered = {t["metadata"]["name"]: t for t in of_kind(variants[variant], "KafkaTopic")}
    assert set(rendered) == {t.name for t in all_topics()}
    for topic in all_topics():
        resource = rendered[topic.name]
        assert resource["apiVersion"] == STRIMZI_API_VERSION
        assert resource["metadata"]["labels"]["strimzi.io/cluster"] == "pkc"
        spec = resource["spec"]
        assert spec["partitions"] == topic.partitions, topic.name
        assert spec["replicas"] == 3
        # The adapters' submission topics: the broker stamps when a record arrived.
        append_time = {"message.timestamp.type": "LogAppendTime"} if topic.append_time else {}
        assert (
            spec["config"]
            == {
                "cleanup.policy": "compact" if topic.compacted else "delete",
                "retention.ms": topic.retention_ms,
                "min.insync.replicas": 2,
            }
            | append_time
        )


def test_every_consumer_has_its_dead_letter_topic(variants: dict[str, list[Doc]]) -> None:
    names = {t["metadata"]["name"] for t in of_kind(variants["prod"], "KafkaTopic")}
    for consumer in CONSUMERS:
        assert consumer.dead_letter.name in names


def test_dev_runs_every_topic_on_its_single_broker(variants: dict[str, list[Doc]]) -> None:
    topics = of_kind(variants["dev"], "KafkaTopic")
    assert len(topics) == len(all_topics())
    for topic in topics:
        assert topic["spec"]["replicas"] == 1
        assert topic["spec"]["config"]["min.insync.replicas"] == 1


def test_a_compacted_topic_and_a_name_kubernetes_refuses() -> None:
    topic = Topic("pkc.Operators_Latest", 3, "operator_id", (), retention_ms=1000, compacted=True)
    resource = kafka_topic(topic, replicas=3, min_insync_replicas=2)
    assert resource["metadata"]["name"] == "pkc.operators-latest"
    assert resource["spec"]["topicName"] == "pkc.Operators_Latest"
    assert resource["spec"]["config"]["cleanup.policy"] == "compact"


def test_min_insync_replicas_cannot_exceed_the_replicas() -> None:
    with pytest.raises(ValueError, match=r"min\.insync\.replicas"):
        render_topics(replicas=1, min_insync_replicas=2)


def test_the_command_writes_and_checks_the_file(tmp_path: Path) -> None:
    target = tmp_path / "topics.yaml"
    runner = CliRunner()
    stale = runner.invoke(deploy_cli, ["topics", "--check", "--output", str(target)])
    assert stale.exit_code == 1
    written = runner.invoke(deploy_cli, ["topics", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text("utf-8") == render_topics()
    fresh = runner.invoke(deploy_cli, ["topics", "--check", "--output", str(target)])
    assert fresh.exit_code == 0, fresh.output
    refused = runner.invoke(deploy_cli, ["topics", "--replicas", "1", "--output", str(target)])
    assert refused.exit_code == 2  # min.insync.replicas 2 cannot be met by one replica
    single = ["--replicas", "1", "--min-insync-replicas", "1", "--output", str(target)]
    dev = runner.invoke(deploy_cli, ["topics", *single])
    assert dev.exit_code == 0, dev.output
    assert {d["spec"]["replicas"] for d in yaml.safe_load_all(target.read_text())} == {1}
