"""The NetworkPolicies allow exactly the flows of docs/architecture.md, and nothing else, to
and from the PKC pods."""

import itertools

import pytest

from pkc.processes import DEFAULT_PORTS
from schemas.access import SERVICES
from tests.deploy.manifests import Doc, named, of_kind
from tests.deploy.netpol import Endpoint, allowed, selects

PART_OF = {"app.kubernetes.io/part-of": "pkc-platform"}


def pod(namespace: str, name: str, *ports: int) -> Endpoint:
    labels = {"app.kubernetes.io/name": name, **PART_OF}
    return Endpoint(name, namespace, labels=labels, ports=tuple(("TCP", p) for p in ports))


def outside(name: str, namespace_label: str, *ports: int, **labels: str) -> Endpoint:
    return Endpoint(
        name,
        namespace=name,
        labels=labels,
        namespace_labels={"kubernetes.io/metadata.name": name, namespace_label: "true"},
        ports=tuple(("TCP", p) for p in ports),
    )


def cast(namespace: str) -> list[Endpoint]:
    """The PKC pods in `namespace`, and everything around them that could talk to them."""
    return [
        *(pod(namespace, s, DEFAULT_PORTS[s]) for s in SERVICES),
        pod(namespace, "otel-collector", 4318, 8889, 13133),
        Endpoint(
            "kafka",
            namespace,
            labels={"strimzi.io/cluster": "pkc", "strimzi.io/kind": "Kafka"},
            ports=(("TCP", 9090), ("TCP", 9091), ("TCP", 9092)),
        ),
        Endpoint(
            "postgres",
            namespace,
            labels={"cnpg.io/cluster": "pkc-postgres"},
            ports=(("TCP", 5432), ("TCP", 8000), ("TCP", 9187)),
        ),
        Endpoint(
            "dns",
            "kube-system",
            labels={"k8s-app": "kube-dns"},
            namespace_labels={"kubernetes.io/metadata.name": "kube-system"},
            ports=(("UDP", 53), ("TCP", 53)),
        ),
        outside("adapters", "pkc.polisen.se/channel-adapters"),
        outside("operator-uis", "pkc.polisen.se/operator-uis"),
        outside("dashboards", "pkc.polisen.se/dashboards"),
        outside("prometheus", "pkc.polisen.se/metrics-scrapers"),
        outside("telemetry", "pkc.polisen.se/telemetry-backend", 4317, 4318),
        outside("cnpg-system", "cnpg-operator", **{"app.kubernetes.io/name": "cloudnative-pg"}),
        outside("elsewhere", "unrelated", 8080),
        Endpoint(
            "internet", ip="203.0.113.10", ports=tuple(("TCP", p) for p in (80, 443, 465, 587))
        ),
        Endpoint("intranet", ip="10.20.30.40", ports=(("TCP", 443), ("TCP", 587))),
    ]


PKC_PODS = (*SERVICES, "otel-collector")
OURS = set(PKC_PODS)  # the pods whose traffic, both ways, these policies must decide
EXPECTED = {
    *((s, "kafka", 9092) for s in PKC_PODS),
    *((s, "dns", 53) for s in PKC_PODS),
    *((s, "otel-collector", 4318) for s in SERVICES),
    *((s, "postgres", 5432) for s in ("intake", "queueing", "reporting", "notify")),
    ("adapters", "intake", 8001),
    ("adapters", "queueing", 8003),  # hang-ups reported by the channel adapters
    ("intake", "queueing", 8003),  # a queued contact's place for the adapter's status
    ("operator-uis", "queueing", 8003),
    ("operator-uis", "notify", 8005),
    ("dashboards", "reporting", 8004),
    ("dashboards", "notify", 8005),
    *(("notify", "internet", p) for p in (443, 465, 587)),
    ("prometheus", "otel-collector", 8889),
    ("prometheus", "postgres", 9187),
    *(("otel-collector", "telemetry", p) for p in (4317, 4318)),
    # PostgreSQL instances among themselves (replication) and the CloudNativePG operator:
    # SQL on 5432, the instance status on 8000.
    *((s, "postgres", p) for s in ("postgres", "cnpg-system") for p in (5432, 8000)),
}


def allowed_flows(policies: list[Doc], namespace: str) -> set[tuple[str, str, int]]:
    """Every (source, target, port) the policies allow, among flows they govern at all."""
    flows = set()
    endpoints = cast(namespace)
    for source, target in itertools.product(endpoints, endpoints):
        if source.name not in OURS and target.name not in OURS | {"postgres"}:
            continue  # e.g. adapters -> kafka: Strimzi's own policy decides that one
        for protocol, port in target.ports:
            if allowed(policies, source, target, protocol, port):
                flows.add((source.name, target.name, port))
    return flows


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_only_the_designed_flows_are_allowed(
    deployable: dict[str, list[Doc]], variant: str
) -> None:
    policies = of_kind(deployable[variant], "NetworkPolicy")
    namespace = named(deployable[variant], "Deployment", "intake")["metadata"]["namespace"]
    flows = allowed_flows(policies, namespace)
    assert flows - EXPECTED == set(), "allowed beyond docs/architecture.md"
    assert EXPECTED - flows == set(), "designed flows that are blocked"


def test_a_missing_default_deny_would_be_noticed(deployable: dict[str, list[Doc]]) -> None:
    policies = of_kind(deployable["prod"], "NetworkPolicy")
    weakened = [p for p in policies if p["metadata"]["name"] != "pkc-default-deny"]
    assert ("elsewhere", "triage", 8002) in allowed_flows(weakened, "pkc")


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_every_pkc_pod_is_isolated_both_ways(
    deployable: dict[str, list[Doc]], variant: str
) -> None:
    docs = deployable[variant]
    policies = of_kind(docs, "NetworkPolicy")
    for deployment in of_kind(docs, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        for policy_type in ("Ingress", "Egress"):
            assert any(
                policy_type in p["spec"]["policyTypes"]
                and not p["spec"].get(policy_type.lower())
                and selects(p["spec"]["podSelector"], labels)
                for p in policies
            ), (deployment["metadata"]["name"], policy_type)


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_kafka_admits_only_pkc_pods_to_its_listener(
    deployable: dict[str, list[Doc]], variant: str
) -> None:
    (listener,) = named(deployable[variant], "Kafka", "pkc")["spec"]["kafka"]["listeners"]
    (peer,) = listener["networkPolicyPeers"]
    (expression,) = peer["podSelector"]["matchExpressions"]
    assert set(expression["values"]) == {*SERVICES, "otel-collector"}


def test_policies_come_only_with_the_component(variants: dict[str, list[Doc]]) -> None:
    assert of_kind(variants["base"], "NetworkPolicy") == []
    names = {
        variant: {p["metadata"]["name"] for p in of_kind(variants[variant], "NetworkPolicy")}
        for variant in ("dev", "prod")
    }
    assert names["dev"] == names["prod"]
    assert len(names["prod"]) >= 10
