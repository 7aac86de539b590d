"""`pkc users`: the people of the local realm (Keycloak's admin API), as code instead of clicks.

A person's drawn password is kept in the provider's secrets file (mode 0600) and never printed
unless asked for with --show-password."""

import os
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from pkc.localoidc import LocalOidc
from pkc.localoidc.users import UserError
from pkc.oidc_cli import EXTERNAL
from pkc.paths import cache_dir, state_dir

users_cli = typer.Typer(help="People of the local realm pkc: their role and region.")
Port = Annotated[int, typer.Option(help="The local Keycloak's HTTP port on 127.0.0.1.")]
console = Console()


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _running_provider(port: int) -> LocalOidc:
    """The local Keycloak on `port`; a clear exit when it does not run."""
    if os.environ.get(EXTERNAL):
        _fail(f"{EXTERNAL} is set: people are managed in that provider, not here")
    provider = LocalOidc(state_dir(), cache_dir(), port=port)
    if provider.running_pid() is None:
        _fail(f"no local Keycloak runs on port {port}: start it with `pkc oidc start` or `pkc run`")
    return provider


@users_cli.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="the user name, e.g. anna.berg")],
    role: Annotated[str, typer.Option(help="operator, supervisor, oncall or auditor")],
    region: Annotated[str, typer.Option(help="a region, e.g. stockholm, or national")],
    show_password: Annotated[
        bool, typer.Option(help="print the drawn password (it is kept in the secrets file)")
    ] = False,
    port: Port = 8180,
) -> None:
    """Adds a person with a drawn password; says where the password is kept."""
    provider = _running_provider(port)
    try:
        created = provider.add_person(name, role, region)
    except UserError as exc:
        _fail(str(exc), code=2)
    except httpx.HTTPError as exc:
        _fail(f"the local Keycloak refused: {type(exc).__name__}")
    username = name.lower()
    if not created:
        _fail(f"the user name {username} is taken in realm pkc")
    secrets_file = provider.home / "dev-secrets.json"
    typer.echo(f"added {username} ({role}, {region}); password kept in {secrets_file}")
    typer.echo(f"a token: pkc oidc token --port {port} --user {username}")
    if show_password:
        typer.echo(f"password: {provider.secrets().passwords[username]}")


@users_cli.command("list")
def users_list(port: Port = 8180) -> None:
    """Every person of the realm with their role and region (adapters are clients, not people)."""
    provider = _running_provider(port)
    try:
        people = provider.people()
    except httpx.HTTPError as exc:
        _fail(f"the local Keycloak refused: {type(exc).__name__}")
    table = Table(title=f"people of realm pkc at {provider.issuer}")
    for column in ("user", "role", "region"):
        table.add_column(column)
    for person in people:
        table.add_row(person.username, person.role, person.region)
    console.print(table)
