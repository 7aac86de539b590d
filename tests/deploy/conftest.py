"""Every variant of deploy/k8s is rendered once per session and shared by the tests."""

from pathlib import Path

import pytest

from tests.deploy.manifests import COMPONENTS, K8S, OVERLAYS, Doc, compose, render


@pytest.fixture(scope="session")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    """name -> rendered documents: the base, each overlay, and dev with the tracing component."""
    with_tracing = compose(
        tmp_path_factory.mktemp("dev-tracing"),
        [OVERLAYS["dev"]],
        [COMPONENTS["tracing"]],
        namespace="pkc-dev",
    )
    sources: dict[str, Path] = {"base": K8S / "base", **OVERLAYS, "dev+tracing": with_tracing}
    return {name: render(path) for name, path in sources.items()}


@pytest.fixture(scope="session")
def deployable(variants: dict[str, list[Doc]]) -> dict[str, list[Doc]]:
    """The variants meant for a cluster (the base alone lacks its namespace and Secrets)."""
    return {name: docs for name, docs in variants.items() if name != "base"}
