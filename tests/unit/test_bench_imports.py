"""The bench measures the product as a user runs it: it starts the platform, brokers and
databases with pkc's own plumbing, never with the tests' helpers."""

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def imported_modules(source: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_nothing_under_bench_imports_the_tests() -> None:
    sources = sorted(BENCH.rglob("*.py"))
    assert sources, f"no bench modules under {BENCH}"
    offenders = {
        f"{source.relative_to(BENCH.parent)}: {module}"
        for source in sources
        for module in imported_modules(source)
        if module == "tests" or module.startswith("tests.")
    }
    assert not offenders, f"bench imports from tests: {sorted(offenders)}"


def test_the_check_sees_an_import_from_the_tests(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text("import os\nfrom tests.conftest import free_port\nimport tests.polling\n")
    assert {"tests.conftest", "tests.polling"} <= imported_modules(source)
