"""Every rendered document is valid: standard kinds against the Kubernetes schemas, Strimzi
resources against their CRDs, CloudNativePG's Cluster structurally (no CRD is at hand)."""

import copy

import kubernetes_validate
import pytest

from tests.deploy.crds import crd_errors, has_crd, strimzi_schemas
from tests.deploy.manifests import NO_CRDS, Doc, named, of_kind

# The oldest Kubernetes release the manifests support (docs/operations.md); kubernetes-validate
# ships its schemas.
KUBERNETES_VERSION = "1.33"
STRIMZI = "kafka.strimzi.io/"
CNPG = "postgresql.cnpg.io/v1"
VARIANTS = ["base", "dev", "prod", "dev+tracing"]


def is_standard(doc: Doc) -> bool:
    return not doc["apiVersion"].startswith((STRIMZI, CNPG))


@pytest.mark.parametrize("variant", VARIANTS)
def test_standard_kinds_match_the_kubernetes_schemas(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    errors = []
    for doc in filter(is_standard, variants[variant]):
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(exc.message)
    assert not errors, "\n".join(errors)


def test_the_kubernetes_validator_refuses_a_misspelt_field(
    variants: dict[str, list[Doc]],
) -> None:
    broken = copy.deepcopy(named(variants["prod"], "Deployment", "intake"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@NO_CRDS
def test_the_strimzi_crds_are_read_from_the_shared_folder() -> None:
    kinds = {kind for _, kind in strimzi_schemas()}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic"} <= kinds


@NO_CRDS
@pytest.mark.parametrize("variant", VARIANTS)
def test_strimzi_resources_match_their_crds(variants: dict[str, list[Doc]], variant: str) -> None:
    docs = [d for d in variants[variant] if d["apiVersion"].startswith(STRIMZI)]
    assert {d["kind"] for d in docs} == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}
    # The shared folder holds no KafkaUser CRD yet: tests/deploy/test_kafka_users.py checks
    # the users against the one it finds, and against the ACLs they are generated from.
    docs = [d for d in docs if d["kind"] != "KafkaUser" or has_crd(d)]
    errors = [error for doc in docs for error in crd_errors(doc)]
    assert not errors, "\n".join(errors)


@NO_CRDS
def test_the_crd_check_refuses_a_misspelt_field(variants: dict[str, list[Doc]]) -> None:
    broken = copy.deepcopy(named(variants["prod"], "Kafka", "pkc"))
    broken["spec"]["entityOperator"]["topicOperater"] = {}
    assert crd_errors(broken)


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_kafka_runs_in_kraft_mode_on_a_node_pool(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    docs = variants[variant]
    kafka = named(docs, "Kafka", "pkc")
    assert "zookeeper" not in kafka["spec"]
    pools = of_kind(docs, "KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == "pkc" for p in pools)
    roles = {role for p in pools for role in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    replicas = sum(p["spec"]["replicas"] for p in pools)
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] <= replicas
    assert config["min.insync.replicas"] <= config["default.replication.factor"]
    for topic in of_kind(docs, "KafkaTopic"):
        assert topic["spec"]["config"]["min.insync.replicas"] <= topic["spec"]["replicas"]
        assert topic["spec"]["replicas"] <= replicas


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_postgres_is_a_cloudnativepg_cluster_without_inline_credentials(
    variants: dict[str, list[Doc]], variant: str
) -> None:
    cluster = named(variants[variant], "Cluster", "pkc-postgres")
    assert cluster["apiVersion"] == CNPG
    spec = cluster["spec"]
    assert isinstance(spec["instances"], int)
    assert spec["instances"] >= 1
    assert spec["storage"]["size"]
    assert spec["imageName"].split(":")[-1] not in ("", "latest")
    initdb = spec["bootstrap"]["initdb"]
    assert initdb["database"] == "pkc"
    assert initdb["owner"] == "pkc"
    # The operator generates the owner's password into <cluster>-app; none is written here.
    assert "secret" not in initdb
    known = {"instances", "imageName", "primaryUpdateStrategy", "bootstrap", "postgresql"}
    assert set(spec) <= known | {"storage", "resources"}
    assert set(spec["postgresql"]) == {"parameters"}
    assert all(isinstance(v, str) for v in spec["postgresql"]["parameters"].values())
