"""`pkc oidc`: the local OpenID Connect provider (Keycloak from Maven Central) and its realm."""

import os
from typing import Annotated

import httpx
import typer

from pkc.localoidc import LocalOidc, OidcSetupError
from pkc.paths import cache_dir, state_dir

oidc_cli = typer.Typer(
    help="The local OIDC provider (Keycloak from Maven Central) with the development realm pkc."
)
Port = Annotated[int, typer.Option(help="Keycloak's HTTP port on 127.0.0.1.")]
EXTERNAL = "PKC_OIDC_ISSUER"  # set: the agency's own provider is used and nothing starts here


def _provider(port: int) -> LocalOidc:
    return LocalOidc(state_dir(), cache_dir(), port=port)


@oidc_cli.command("start")
def oidc_start(port: Port = 8180) -> None:
    """Starts Keycloak with the realm pkc and waits until it answers (the first start downloads
    and builds it: a few minutes once). No-op if PKC_OIDC_ISSUER names another provider."""
    if os.environ.get(EXTERNAL):
        typer.echo(f"{EXTERNAL} is set; using {os.environ[EXTERNAL]}, starting nothing")
        return
    provider = _provider(port)
    try:
        issuer = provider.start()
    except OidcSetupError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"OIDC issuer {issuer} answering (ready in {provider.started_in or 0.0:.1f} s)")
    typer.echo(
        f"development users' passwords and adapters' secrets: {provider.home}/dev-secrets.json"
    )


@oidc_cli.command("stop")
def oidc_stop(port: Port = 8180) -> None:
    """Stops the local Keycloak cleanly."""
    stopped = _provider(port).stop()
    typer.echo("Keycloak stopped" if stopped else "no local Keycloak was running")


@oidc_cli.command("status")
def oidc_status(port: Port = 8180) -> None:
    """Says whether the local Keycloak runs and serves the realm."""
    if os.environ.get(EXTERNAL):
        typer.echo(f"{EXTERNAL} is set: the issuer is {os.environ[EXTERNAL]}")
        return
    typer.echo(_provider(port).status().describe())


@oidc_cli.command("token")
def oidc_token(
    user: Annotated[str | None, typer.Option(help="a development user, e.g. auditor")] = None,
    client: Annotated[
        str | None, typer.Option(help="an adapter's service account, e.g. adapter-phone")
    ] = None,
    port: Port = 8180,
) -> None:
    """Prints an access token from the local realm (for trying the APIs with curl)."""
    if (user is None) == (client is None):
        typer.secho("give exactly one of --user or --client", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    provider = _provider(port)
    if provider.running_pid() is None:
        typer.secho(f"no local Keycloak runs on port {port}: `pkc oidc start`", err=True)
        raise typer.Exit(1)
    try:
        token = provider.user_token(user) if user else provider.client_token(str(client))
    except KeyError:
        typer.secho(f"no such user or client in realm pkc: {user or client}", err=True)
        raise typer.Exit(1) from None
    except (httpx.HTTPError, PermissionError) as exc:
        typer.secho(f"no token from {provider.issuer}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
