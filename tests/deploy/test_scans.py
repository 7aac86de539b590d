"""Security scans: checkov over the rendered manifests, the Dockerfile and the sources (for
committed secrets), hadolint over the Dockerfile. A skipped check must say why."""

import json
import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.access import SERVICES
from tests.deploy.manifests import K8S, ROOT, Doc, tool

DOCKERFILE = ROOT / "Dockerfile"


def checkov() -> str:
    """checkov lives in its own virtualenv (`make tools`): its pins clash with the project's."""
    path = os.environ.get("PKC_CHECKOV") or str(ROOT / ".venv-tools" / "bin" / "checkov")
    if not Path(path).exists():
        pytest.fail(f"checkov not found at {path}; run `make tools` (or set PKC_CHECKOV)")
    return path


def scan(*args: str) -> list[dict[str, Any]]:
    # --skip-download: no call to the vendor's platform; this machine has no internet.
    command = [checkov(), *args, "--skip-download", "--output", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.strip(), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    # A framework with nothing to report comes back as a bare summary.
    return [
        r if "summary" in r else {"check_type": "-", "summary": r, "results": {}} for r in reports
    ]


def assert_clean(reports: list[dict[str, Any]]) -> None:
    for report in reports:
        summary, results = report["summary"], report["results"]
        failed = [
            f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
            for c in results.get("failed_checks", [])
        ]
        assert not failed, f"{report['check_type']}:\n" + "\n".join(failed)
        assert summary["failed"] == 0, summary
        assert summary["parsing_errors"] == 0, summary
        for skipped in results.get("skipped_checks", []):
            reason = skipped["check_result"].get("suppress_comment", "").strip()
            assert len(reason) > 20, f"{skipped['check_id']} on {skipped['resource']} says no why"


@pytest.fixture(scope="module")
def rendered_dir(
    deployable: dict[str, list[Doc]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    where = tmp_path_factory.mktemp("rendered")
    for name, docs in deployable.items():
        text = yaml.safe_dump_all(docs, sort_keys=False)
        (where / f"{name.replace('+', '-')}.yaml").write_text(text, encoding="utf-8")
    (where / "Dockerfile").write_text(DOCKERFILE.read_text("utf-8"), encoding="utf-8")
    return where


def test_checkov_finds_nothing_in_the_manifests_and_the_dockerfile(rendered_dir: Path) -> None:
    reports = scan("--directory", str(rendered_dir), "--framework", "kubernetes", "dockerfile")
    assert {r["check_type"] for r in reports} == {"kubernetes", "dockerfile"}
    assert all(r["summary"]["passed"] > 0 for r in reports)
    assert_clean(reports)


def test_checkov_finds_no_secret_in_the_committed_sources() -> None:
    # The sources, not the rendering: rendered dev Secrets are base64 and look random.
    reports = scan("--directory", str(K8S), "--file", str(DOCKERFILE), "--framework", "secrets")
    assert_clean(reports)


def test_hadolint_passes_the_dockerfile() -> None:
    result = subprocess.run(
        [tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def stages(dockerfile: str) -> list[list[str]]:
    """The instructions of each stage, continuation lines joined, comments dropped."""
    joined = dockerfile.replace("\\\n", " ")
    result: list[list[str]] = []
    for line in (raw.strip() for raw in joined.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        result[-1].append(line)
    return result


def test_the_image_is_multi_stage_slim_and_non_root() -> None:
    builder, runtime = stages(DOCKERFILE.read_text("utf-8"))
    assert builder[0].startswith("FROM python:3.11-slim AS ")
    assert runtime[0] == "FROM python:3.11-slim"
    assert "USER 10001:10001" in runtime
    assert 'ENTRYPOINT ["pkc", "serve"]' in runtime
    body = " ".join(runtime)
    for build_tool in ("apt-get", "gcc", "pip install", "build-essential"):
        assert build_tool not in body, build_tool
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert scripts["pkc"] == "pkc.cli:app"
    assert set(SERVICES) == {"intake", "triage", "queueing", "reporting", "notify"}


def test_the_build_context_leaves_out_local_state() -> None:
    lines = [ln for ln in (ROOT / ".dockerignore").read_text("utf-8").splitlines() if ln]
    rules = [ln for ln in lines if not ln.startswith("#")]
    assert rules[0] == "*", "everything is left out unless named"
    allowed = {ln for ln in rules if ln.startswith("!")}
    # Every package the wheel ships, and nothing else: a new top-level package left out of the
    # build context would install an image that cannot import it.
    assert allowed == {"!pyproject.toml", "!README.md"} | {f"!{p}/" for p in _packages()}
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    for package in _packages():
        assert f"COPY {package} ./{package}" in dockerfile, package


def _packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages: list[str] = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return packages
