"""Kafka in the cluster authenticates every client and grants each service's and each channel
adapter's KafkaUser exactly the ACLs derived from the topic registry (schemas/access.py); each
service signs in as its own."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pkc.deploy_cli import deploy_cli
from pkc.k8s_users import USERS_FILE, kafka_user, render_users
from schemas.access import PRINCIPALS, SERVICES, acls_for
from schemas.topics import CONTACTS_RECEIVED
from tests.deploy.crds import crd_errors, has_crd
from tests.deploy.manifests import Doc, containers, named, of_kind

VARIANTS = ["base", "dev", "prod"]


def test_the_checked_in_users_file_is_what_the_acls_generate() -> None:
    assert USERS_FILE.read_text("utf-8") == render_users(), "run `pkc deploy users`"


@pytest.mark.parametrize("variant", VARIANTS)
def test_one_kafka_user_per_service_and_adapter_with_exactly_its_derived_acls(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    # Every channel adapter has its own, to submit to its own topic (docs/adapters.md).
    users = {u["metadata"]["name"]: u for u in of_kind(variants[variant], "KafkaUser")}
    assert set(users) == set(PRINCIPALS)
    for service, user in users.items():
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "pkc"
        assert user["spec"] == kafka_user(service)["spec"]
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        acls = user["spec"]["authorization"]["acls"]
        assert len(acls) == len(acls_for(service))
        if has_crd(user):
            assert crd_errors(user) == []


def test_only_intakes_user_writes_and_only_triages_user_reads_the_citizens_text(
    variants: dict[str, list[Doc]],
) -> None:
    def may(user: Doc, operation: str) -> bool:
        return any(
            rule["resource"]
            == {"type": "topic", "name": CONTACTS_RECEIVED.name} | {"patternType": "literal"}
            and operation in rule["operations"]
            for rule in user["spec"]["authorization"]["acls"]
        )

    users = of_kind(variants["prod"], "KafkaUser")
    assert {u["metadata"]["name"] for u in users if may(u, "Write")} == {"intake"}
    assert {u["metadata"]["name"] for u in users if may(u, "Read")} == {"triage"}


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_the_kafka_listener_authenticates_and_authorizes(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    kafka = named(variants[variant], "Kafka", "pkc")["spec"]
    (listener,) = kafka["kafka"]["listeners"]
    assert listener["tls"] is True
    assert listener["authentication"] == {"type": "scram-sha-512"}
    assert kafka["kafka"]["authorization"]["type"] == "simple"
    assert "userOperator" in kafka["entityOperator"]


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_each_service_signs_in_as_its_own_kafka_user(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    docs = variants[variant]
    common = named(docs, "ConfigMap", _common_config_map(docs))["data"]
    assert common["PKC_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert common["PKC_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    for service in SERVICES:
        (container,) = containers(named(docs, "Deployment", service))
        env = {e["name"]: e for e in container["env"]}
        assert env["PKC_KAFKA_USERNAME"]["value"] == service
        password = env["PKC_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert password == {"name": service, "key": "password"}  # the User Operator's Secret
        ca = env["PKC_KAFKA_SSL_CA"]["valueFrom"]["secretKeyRef"]
        assert ca == {"name": "pkc-cluster-ca-cert", "key": "ca.crt"}


def _common_config_map(docs: list[Doc]) -> str:
    names: list[str] = [m["metadata"]["name"] for m in of_kind(docs, "ConfigMap")]
    (common,) = [n for n in names if n.startswith("pkc-common")]
    return common


def test_the_command_writes_and_checks_the_users_file(tmp_path: Path) -> None:
    target = tmp_path / "users.yaml"
    runner = CliRunner()
    assert runner.invoke(deploy_cli, ["users", "--check", "--output", str(target)]).exit_code == 1
    written = runner.invoke(deploy_cli, ["users", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text("utf-8") == render_users()
    fresh = runner.invoke(deploy_cli, ["users", "--check", "--output", str(target)])
    assert fresh.exit_code == 0, fresh.output
