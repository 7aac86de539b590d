"""Sub-commands of `pkc` loaded when they run, so that each command pays only for what it uses.

`pkc --help` lists every command from its registered help text without importing the command's
module; `pkc oncall show` imports pkc.oncall_cli (and what it needs), and nothing of the other
commands. A command's module may hold a `typer.Typer` (a group such as `pkc oncall`) or a plain
function (a single command such as `pkc replay`).
"""

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

# click's Command and Context, which typer's groups hold and take: recent typers vendor click
# (typer._click), older ones use the click package, so neither is named here.
Command = Any
Context = Any


@dataclass(frozen=True)
class Lazy:
    """Where a command is (module and attribute) and the help `pkc --help` shows for it."""

    module: str
    attribute: str
    help: str

    def load(self, name: str) -> Command:
        target = getattr(importlib.import_module(self.module), self.attribute)
        command: Command
        if isinstance(target, typer.Typer):  # a group, as `add_typer` makes it
            command = typer.main.get_group(target)
        else:  # a function: one command, as `app.command()` makes it
            single = typer.Typer(add_completion=False)
            single.command(name)(target)
            command = typer.main.get_command(single)
        command.name = name
        return command


class _Listed(TyperCommand):
    """What `pkc --help` reads of a command not loaded yet: its name and help."""


class LazyGroup(TyperGroup):
    """A Typer group whose `lazy` commands are imported only when they are run (or asked for
    their own help, or completed); listing them reads the help text of the registry."""

    lazy: Mapping[str, Lazy] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, lazy in self.lazy.items():
            self.commands.setdefault(name, _Listed(name=name, help=lazy.help))

    def load(self, name: str) -> Command | None:
        """The command itself, imported on first use."""
        command = self.commands.get(name)
        if isinstance(command, _Listed):
            command = self.commands[name] = self.lazy[name].load(name)
        return command

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Listed):
            command = self.load(name)
        return name, command, rest
