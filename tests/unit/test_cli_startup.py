"""`pkc` loads only what a command uses: `pkc --help` lists every command without importing the
platform, a command imports its own module and not the others', and the listing says what each
command's own help says. (How fast that is, is a benchmark: bench/startup.py.)"""

import subprocess
import sys

import pytest

from pkc.cli import COMMANDS, app

# What no listing needs: the event models, the services, the Kafka, database and HTTP clients.
HEAVY = ("pydantic", "schemas", "services", "aiokafka", "sqlalchemy", "httpx", "asyncio")


def _modules_loaded_by(*args: str) -> set[str]:
    """The modules a fresh `pkc ARGS` process has imported when it is done (its output unread)."""
    probe = (
        "import contextlib, io, sys\n"
        "from pkc.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    app({list(args)!r})\n"
        "print(' '.join(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return set(done.stdout.split())


def test_help_lists_every_command_without_importing_the_platform() -> None:
    loaded = _modules_loaded_by("--help")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert not {f"pkc.{name}_cli" for name in COMMANDS} & loaded


def test_a_command_imports_its_own_module_and_no_other_commands() -> None:
    loaded = _modules_loaded_by("deploy", "--help")
    assert "pkc.deploy_cli" in loaded
    others = {lazy.module for name, lazy in COMMANDS.items() if name != "deploy"}
    assert not others & loaded


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listing_says_what_the_command_says_of_itself(name: str) -> None:
    command = COMMANDS[name].load(name)
    own = (command.help or "").split("\n\n")[0]
    assert " ".join(own.split()) == COMMANDS[name].help


def test_a_listed_command_runs_as_itself() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["deploy", "topics", "--check"])
    assert result.exit_code == 0, result.output
    assert "matches the code" in result.output
