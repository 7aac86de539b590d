"""The local broker's setup errors and configuration, without starting Java."""

from pathlib import Path

import pytest

from pkc.localkafka import KafkaSetupError, LocalKafka
from pkc.localkafka.config import new_cluster_id, server_properties
from pkc.localkafka.credentials import BrokerCredentials
from schemas.access import ADAPTERS, SERVICES
from services.shared.kafka.security import kafka_security
from services.shared.settings import ServiceSettings


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


def test_a_secured_broker_authenticates_every_listener_and_refuses_what_no_acl_grants(
    tmp_path: Path,
) -> None:
    text = server_properties(9092, 9093, tmp_path, admin_password="drawn-for-this-broker")
    props = dict(line.split("=", 1) for line in text.splitlines())
    assert set(props["listener.security.protocol.map"].split(",")) == {
        "CONTROLLER:SASL_PLAINTEXT",
        "CLIENTS:SASL_PLAINTEXT",
    }
    assert props["listeners"] == "CLIENTS://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["listener.name.clients.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin"


def test_each_broker_draws_its_own_passwords_for_every_service_and_admin(tmp_path: Path) -> None:
    first, second = BrokerCredentials.drawn(), BrokerCredentials.drawn()
    # Every service and every channel adapter (its submission topic) signs in as itself.
    assert set(first.passwords) == {"admin", *SERVICES, *ADAPTERS}
    assert first.complete()
    assert not BrokerCredentials({"admin": "x", **{s: "x" for s in SERVICES}}).complete()
    assert not set(first.passwords.values()) & set(second.passwords.values())
    assert all(len(password) >= 32 for password in first.passwords.values())
    admin_password = first.passwords["admin"]
    assert admin_password not in repr(first.admin)
    assert admin_password not in repr(first)
    first.save(tmp_path)
    assert (tmp_path / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert BrokerCredentials.load(tmp_path) == first


def test_services_sign_in_with_scram_from_their_settings() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username="triage",
        kafka_password="triage-pw-7Qx",
    )
    options = kafka_security(settings).client_kwargs()
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "triage"
    assert "triage-pw-7Qx" not in repr(settings)
    assert kafka_security(ServiceSettings()).client_kwargs() == {}  # PLAINTEXT: as before
    with pytest.raises(ValueError, match="PKC_KAFKA_PASSWORD"):
        kafka_security(ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_username="x"))


def test_a_broker_formatted_before_the_adapters_principals_is_formatted_again(
    tmp_path: Path,
) -> None:
    broker = LocalKafka(tmp_path, tmp_path / "cache", port=19092, secured=True)
    broker.home.mkdir(parents=True)
    older = BrokerCredentials({"admin": "a" * 32, **{s: "s" * 32 for s in SERVICES}})
    older.save(broker.home)
    assert broker._lacks_principals(), "no SCRAM user for the adapters: format again"
    # Still running meanwhile: it hands out the principals it has.
    assert broker.access().adapters == {}
    assert set(broker.access().services) == set(SERVICES)
    BrokerCredentials.drawn().save(broker.home)
    assert not broker._lacks_principals()
    assert set(broker.access().adapters) == set(ADAPTERS)
