"""The import contract of pyproject.toml ([tool.importlinter]) holds, and it bites.

`make lint` runs the same `lint-imports`; this keeps `make test` guarding it too. The contracts
are the layers drawn in docs/architecture.md.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pkc", "services", "domain", "schemas")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# The pure cores that hold the rules people ask about most (docs/architecture.md): the alert
# policy and the contact state machine. A rename that drops one from the contract fails here.
EXPECTED_CORES = ("services.notify.policy", "services.queueing.contact")


def lint_imports(tree: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """lint-imports on `tree` (its pyproject.toml, its packages first on the path), no cache."""
    only = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *only],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def copy_of_the_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "added_import", "contract"),
    [
        # A core importing a framework directly...
        ("services/triage/rules.py", "import fastapi", "service-cores-pure"),
        # ...or through plumbing that loads one (runtime imports the Kafka wrapper, so aiokafka).
        ("services/intake/domain.py", "import services.shared.runtime", "service-cores-pure"),
        ("domain/service_level.py", "import sqlmodel", "domain-pure"),
        ("schemas/enums.py", "import httpx", "schemas-pure"),
        ("services/notify/messages.py", "import services.reporting.window", "services-independent"),
        ("services/shared/clock.py", "import services.queueing.domain", "shared-is-plumbing"),
        ("domain/service_level.py", "import services.shared.clock", "layers"),
        ("services/reporting/window.py", "import pkc.paths", "layers"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, added_import: str, contract: str
) -> None:
    tree = copy_of_the_tree(tmp_path)
    assert lint_imports(tree, contract).returncode == 0, "the copy keeps the contract before"
    with (tree / module).open("a") as source:
        source.write(f"\n{added_import}  # the breach under test\n")

    result = lint_imports(tree, contract)

    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout, "names the importer"


def test_a_core_may_use_the_pure_plumbing(tmp_path: Path) -> None:
    """Derived ids live in services.shared.ids, which loads nothing: a core may import them
    (from services.shared.runtime the same function brings aiokafka along)."""
    tree = copy_of_the_tree(tmp_path)
    with (tree / "services/intake/domain.py").open("a") as source:
        source.write("\nfrom services.shared.ids import derived_id  # noqa: F401\n")

    result = lint_imports(tree, "service-cores-pure")

    assert result.returncode == 0, result.stdout


def core_contract_sources() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (cores,) = [c for c in contracts if c["id"] == "service-cores-pure"]
    sources: list[str] = cores["source_modules"]
    return sources


def exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


@pytest.mark.parametrize("module", EXPECTED_CORES)
def test_the_named_cores_are_guarded(module: str) -> None:
    assert exists(module), f"{module} is gone: update EXPECTED_CORES and docs/architecture.md"
    assert module in core_contract_sources(), (
        f"add {module} to the service-cores-pure contract in pyproject.toml"
    )
