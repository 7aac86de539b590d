"""No credential is written in the manifests: production references Secrets it does not
contain, and the development Secrets say on their face that they are worthless."""

import base64
import re

import pytest

from schemas.access import SERVICES
from tests.deploy.manifests import Doc, containers, of_kind, walk

# Made in the cluster by the operators: the database's by CloudNativePG from the Cluster
# pkc-postgres; each service's Kafka password by Strimzi's User Operator from the KafkaUser of
# the service's name, and the Kafka cluster CA's certificate by Strimzi.
OPERATOR_SECRETS = {
    "pkc-postgres-app": {"uri"},
    "pkc-cluster-ca-cert": {"ca.crt"},
    **{service: {"password"} for service in SERVICES},
}
# Created outside the manifests: by the secret manager (docs/operations.md) or the operators.
EXTERNAL_SECRETS = {
    "pkc-notify": {
        "webhook-url",
        "webhook-secret",
        "ack-secret",
        "smtp-host",
        "smtp-username",
        "smtp-password",
    },
    "pkc-queueing": {"case-secret-key"},
    **OPERATOR_SECRETS,
}
SECRET_LOOKING = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY|DATABASE_URL", re.I)
DEV_VALUE = re.compile(r"^(dev-only-[a-z-]+|https://[a-z.-]+\.example\.invalid/[a-z-]*)$")


def secret_refs(docs: list[Doc]) -> dict[str, set[str]]:
    """Secret name (as rendered) -> the keys the containers read from it."""
    refs: dict[str, set[str]] = {}
    for deployment in of_kind(docs, "Deployment"):
        for container in containers(deployment):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.setdefault(ref["name"], set()).add(ref["key"])
    return refs


def test_production_holds_no_secret_and_references_only_external_ones(
    deployable: dict[str, list[Doc]],
) -> None:
    docs = deployable["prod"]
    assert of_kind(docs, "Secret") == []
    assert secret_refs(docs) == EXTERNAL_SECRETS


@pytest.mark.parametrize("variant", ["dev", "prod", "dev+tracing"])
def test_secret_settings_come_from_secrets_not_literals(
    deployable: dict[str, list[Doc]], variant: str
) -> None:
    docs = deployable[variant]
    for deployment in of_kind(docs, "Deployment"):
        for container in containers(deployment):
            for env in container.get("env", []):
                if SECRET_LOOKING.search(env["name"]):
                    assert "secretKeyRef" in env.get("valueFrom", {}), env["name"]
    for config_map in of_kind(docs, "ConfigMap"):
        for key in config_map.get("data", {}):
            assert not SECRET_LOOKING.search(key), (config_map["metadata"]["name"], key)


def test_dev_secrets_are_generated_with_obviously_useless_values(
    deployable: dict[str, list[Doc]],
) -> None:
    docs = deployable["dev"]
    secrets = {s["metadata"]["name"]: s for s in of_kind(docs, "Secret")}
    refs = secret_refs(docs)
    for name, keys in refs.items():
        if name in OPERATOR_SECRETS:
            continue  # made by an operator in the cluster
        base = name.rsplit("-", 1)[0]  # secretGenerator appends a content hash
        assert base in EXTERNAL_SECRETS, name
        assert keys == EXTERNAL_SECRETS[base], name
        assert name in secrets, f"{name} is referenced but not generated"
        for key, value in secrets[name]["data"].items():
            assert DEV_VALUE.match(base64.b64decode(value).decode()), (name, key)


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_no_password_field_anywhere(deployable: dict[str, list[Doc]], variant: str) -> None:
    for doc in deployable[variant]:
        if doc["kind"] == "Secret":
            continue
        for path, value in walk(doc):
            key = path.rsplit(".", 1)[-1]
            if re.fullmatch(r"(?i)password|passwd|token|secret", key):
                assert not isinstance(value, str), f"{doc['kind']}/{doc['metadata']['name']}{path}"
