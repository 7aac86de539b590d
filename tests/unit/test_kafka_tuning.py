"""The producers' batching is one setting for every service: PKC_KAFKA_LINGER_MS and
PKC_KAFKA_COMPRESSION, whatever the service's own prefix (the broker side:
tests/integration/test_producer_compression.py)."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pkc.cli import app
from services.notify.settings import NotifySettings
from services.queueing.settings import QueueingSettings
from services.shared.kafka_tuning import DEFAULT_TUNING, ProducerTuning


def test_producers_linger_a_few_ms_and_compress_with_lz4_by_default() -> None:
    tuning = QueueingSettings().producer_tuning()
    assert tuning == DEFAULT_TUNING
    assert 0 < tuning.linger_ms <= 10
    assert tuning.client_kwargs() == {
        "linger_ms": tuning.linger_ms,
        "compression_type": "lz4",
        "max_batch_size": 16 * 1024,  # aiokafka's own default
    }


def test_a_bulk_producer_fills_larger_batches_in_zstd_with_the_same_linger() -> None:
    bulk = DEFAULT_TUNING.for_bulk().client_kwargs()
    assert bulk["max_batch_size"] > DEFAULT_TUNING.client_kwargs()["max_batch_size"]
    assert bulk["max_batch_size"] <= 1024 * 1024  # the broker's message.max.bytes, uncompressed
    assert {k: v for k, v in bulk.items() if k != "max_batch_size"} == {
        "linger_ms": DEFAULT_TUNING.linger_ms,
        "compression_type": "zstd",
    }


def test_a_bulk_producer_stays_uncompressed_where_compression_is_off() -> None:
    off = ProducerTuning(compression="none").for_bulk()
    assert off.client_kwargs()["compression_type"] is None


def test_every_service_reads_the_platform_wide_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKC_KAFKA_LINGER_MS", "0")
    monkeypatch.setenv("PKC_KAFKA_COMPRESSION", "none")
    for settings in (QueueingSettings(), NotifySettings()):
        assert settings.producer_tuning() == ProducerTuning(linger_ms=0, compression="none")
        assert settings.producer_tuning().client_kwargs()["compression_type"] is None


def test_a_codec_aiokafka_is_not_given_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PKC_KAFKA_COMPRESSION", "snappy")
    with pytest.raises(ValidationError, match="PKC_KAFKA_COMPRESSION"):
        QueueingSettings()


def test_pkc_replay_refuses_a_bad_compression_setting_before_it_publishes(tmp_path: Path) -> None:
    """`pkc replay` writes as the services do (PKC_KAFKA_COMPRESSION): a bad value is named,
    with no broker contacted (none listens at the bootstrap given)."""
    events = tmp_path / "month.jsonl"
    events.write_text("{}\n")
    result = CliRunner().invoke(
        app,
        ["replay", str(events), "--bootstrap", "127.0.0.1:1"],
        env={"PKC_KAFKA_COMPRESSION": "brotli"},
    )
    assert result.exit_code == 2
    assert "PKC_KAFKA_COMPRESSION" in result.output


@pytest.mark.parametrize(
    "command", [["replay", "EVENTS", "--bootstrap", "127.0.0.1:1"], ["topics", "create"]]
)
@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"PKC_KAFKA_SECURITY_PROTOCOL": "hunter2-not-a-protocol"}, "PKC_KAFKA_SECURITY_PROTOCOL"),
        (  # SASL without a password
            {"PKC_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "PKC_KAFKA_USERNAME": "hunter2"},
            "PKC_KAFKA_PASSWORD",
        ),
    ],
)
def test_the_kafka_tools_name_an_unreadable_sign_in_setting_and_never_its_value(
    tmp_path: Path, command: list[str], variables: dict[str, str], named: str
) -> None:
    """A cluster the project did not start is signed in to as PKC_KAFKA_* say: a value that
    does not read ends the tool with the variable's name (no traceback), not with the value,
    which may be a credential. No broker is contacted (none listens at 127.0.0.1:1)."""
    events = tmp_path / "month.jsonl"
    events.write_text("{}\n")
    result = CliRunner().invoke(
        app,
        [str(events) if part == "EVENTS" else part for part in command],
        env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", **variables},
    )
    assert result.exit_code in (1, 2)
    assert named in result.output
    assert "hunter2" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
