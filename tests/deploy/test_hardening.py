"""Each service runs hardened, probed on its real health endpoints, and scaled within the
partition counts of the topics it consumes."""

from dataclasses import dataclass

import pytest

from pkc.processes import DEFAULT_PORTS
from schemas.access import SERVICES
from schemas.topics import CONSUMERS
from tests.deploy.manifests import Doc, containers, env_of, named, of_kind

DEPLOYABLE = ["dev", "prod", "dev+tracing"]
SCALED_BY_PARTITIONS = ("triage", "reporting")
# Ready without holding a partition: intake serves adapters whether or not its status consumer
# (services/intake/following.py) has one, so a surge pod turns ready and keeps a rollout at full
# capacity for the adapters.
READY_WITHOUT_PARTITIONS = ("intake",)


def max_consumers(service: str) -> int | None:
    """A consumer beyond the smallest partition count of its topics would get no partition."""
    counts = [t.partitions for c in CONSUMERS if c.service == service for t in c.topics]
    return min(counts) if counts else None


@dataclass(frozen=True)
class Deployed:
    """One service's Deployment in one variant, with its single container."""

    service: str
    docs: list[Doc]
    deployment: Doc
    container: Doc

    @classmethod
    def of(cls, docs: list[Doc], service: str) -> "Deployed":
        deployment = named(docs, "Deployment", service)
        (container,) = containers(deployment)
        return cls(service, docs, deployment, container)

    def env(self) -> dict[str, str]:
        return env_of(self.container, self.docs)


@pytest.fixture(params=DEPLOYABLE)
def docs(request: pytest.FixtureRequest, deployable: dict[str, list[Doc]]) -> list[Doc]:
    """The documents of each deployable variant."""
    return deployable[request.param]


@pytest.fixture(params=SERVICES)
def deployed(request: pytest.FixtureRequest, docs: list[Doc]) -> Deployed:
    """Each service in each deployable variant."""
    return Deployed.of(docs, request.param)


def test_every_pod_runs_non_root_read_only_without_capabilities(docs: list[Doc]) -> None:
    deployments = of_kind(docs, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} >= set(SERVICES)
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] >= 10000, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        assert pod.get("hostNetwork") is not True, name
        assert pod.get("hostPID") is not True, name
        for container in containers(deployment):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert "add" not in context["capabilities"], name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), (name, bound)


def test_each_service_is_probed_on_its_own_health_endpoints(deployed: Deployed) -> None:
    service, container = deployed.service, deployed.container
    port = DEFAULT_PORTS[service]
    assert container["args"] == [service]  # the image's entrypoint is `pkc serve`
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port}
    env = deployed.env()
    assert env[f"PKC_{service.upper()}_HTTP_PORT"] == str(port)
    assert env[f"PKC_{service.upper()}_HTTP_HOST"] == "0.0.0.0"
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert get["port"] in ("http", port), probe
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    deployment, service_doc = deployed.deployment, named(deployed.docs, "Service", service)
    assert service_doc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service_doc["spec"]["ports"]] == [port]
    account = named(deployed.docs, "ServiceAccount", service)
    assert account["automountServiceAccountToken"] is False
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == service


def test_everything_a_service_writes_goes_to_a_mounted_volume(deployed: Deployed) -> None:
    pod = deployed.deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in deployed.container["volumeMounts"]}
    assert all("emptyDir" in volumes[name] for name in mounts.values())
    env = deployed.env()
    writable = [env["PKC_STATE_DIR"], env["HOME"], env["TMPDIR"]]
    if deployed.service == "reporting":
        writable.append(env["F_DATADIR"])  # Faust's data directory
    for path in writable:
        assert any(path == m or path.startswith(m + "/") for m in mounts), path
    # production in prod, test in dev (tests/deploy/test_production_settings.py)
    assert env["PKC_ENVIRONMENT"] in ("test", "production")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "pkc-kafka-bootstrap:9092"


def test_consumers_scale_within_their_partitions(docs: list[Doc]) -> None:
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(docs, "HorizontalPodAutoscaler")
    }
    assert set(autoscalers) == set(SCALED_BY_PARTITIONS)
    for service, hpa in autoscalers.items():
        limit = max_consumers(service)
        assert limit is not None
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= limit, service
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        # A replicas field would fight the autoscaler at every `kubectl apply`.
        assert "replicas" not in named(docs, "Deployment", service)["spec"]
    for service in SERVICES:
        deployment = named(docs, "Deployment", service)
        limit = max_consumers(service)
        if limit is None:
            continue  # produces only
        assert deployment["spec"].get("replicas", 1) <= limit, service
        if service in READY_WITHOUT_PARTITIONS:
            continue
        # No surge pod: at the maximum it would get no partition and never turn ready.
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0, service


def test_every_deployment_has_a_disruption_budget(docs: list[Doc]) -> None:
    budgets = {
        tuple(sorted(b["spec"]["selector"]["matchLabels"].items())): b
        for b in of_kind(docs, "PodDisruptionBudget")
    }
    for deployment in of_kind(docs, "Deployment"):
        key = tuple(sorted(deployment["spec"]["selector"]["matchLabels"].items()))
        assert key in budgets, deployment["metadata"]["name"]
        # maxUnavailable keeps a node drain possible even while a service runs one replica.
        assert budgets[key]["spec"]["maxUnavailable"] == 1


def test_production_runs_every_service_redundantly(deployable: dict[str, list[Doc]]) -> None:
    docs = deployable["prod"]
    for service in SERVICES:
        spec = named(docs, "Deployment", service)["spec"]
        if service in SCALED_BY_PARTITIONS:
            hpa = named(docs, "HorizontalPodAutoscaler", service)
            assert hpa["spec"]["minReplicas"] >= 2
        else:
            assert spec["replicas"] >= 2, service
    assert sum(p["spec"]["replicas"] for p in of_kind(docs, "KafkaNodePool")) >= 3
    assert named(docs, "Cluster", "pkc-postgres")["spec"]["instances"] >= 2


@pytest.mark.parametrize("variant", ["dev", "prod"])
def test_every_pkc_image_is_the_one_platform_image(
    deployable: dict[str, list[Doc]], variant: str
) -> None:
    images = {
        c["image"]
        for d in of_kind(deployable[variant], "Deployment")
        if d["metadata"]["name"] in SERVICES
        for c in containers(d)
    }
    assert len(images) == 1
    (image,) = images
    assert image.rsplit("/", 1)[-1].startswith("pkc-platform:")
    assert not image.endswith((":latest", ":"))


def test_tracing_sends_every_service_to_the_collector(deployable: dict[str, list[Doc]]) -> None:
    for variant, expected in (("prod", True), ("dev+tracing", True), ("dev", False)):
        docs = deployable[variant]
        has_collector = any(
            d["metadata"]["name"] == "otel-collector" for d in of_kind(docs, "Deployment")
        )
        assert has_collector is expected, variant
        for service in SERVICES:
            env = Deployed.of(docs, service).env()
            if expected:
                assert env["PKC_TRACES_EXPORTER"] == "otlp"
                assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
            else:
                assert env["PKC_TRACES_EXPORTER"] == "none"
                assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in env
