"""What `pkc run` tells people about signing in: the demo sign-ins of the local realm (user
names and roles, never a password), where their secrets are kept, and how to get a token."""

from collections import Counter

import httpx
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from pkc.issuer import Issuer
from pkc.simulation import BlockingTokenSource, Credential, adapter_client
from schemas import Channel

STATUS_READER = "supervisor-national"  # the realm's national supervisor reads `pkc run`'s status
SIMULATED = "sim-"


def demo_sign_ins(issuer: Issuer) -> RenderableType:
    provider = issuer.local
    if provider is None:
        return Text(f"sign-in: the provider PKC_OIDC_ISSUER names, {issuer.url}")
    try:
        people = provider.people()
    except httpx.HTTPError as exc:
        return Text(f"the local realm's people could not be listed: {type(exc).__name__}")
    table = Table(title=f"demo sign-ins at {issuer.url}")
    for column in ("user", "role", "region"):
        table.add_column(column)
    for person in people:
        if not person.username.startswith(SIMULATED):
            table.add_row(person.username, person.role, person.region)
    simulated = Counter(p.region for p in people if p.username.startswith(SIMULATED))
    if simulated:
        regions = ", ".join(f"{region} {n}" for region, n in sorted(simulated.items()))
        table.add_row(f"{SIMULATED}<region>-<n>", "operator", f"the simulation's: {regions}")
    adapters = ", ".join(adapter_client(channel) for channel in Channel)
    table.add_row(adapters, "adapter", "service accounts (client credentials)")
    port = provider.port
    return Group(
        table,
        Text(f"passwords and client secrets (never printed): {provider.home}/dev-secrets.json"),
        Text(
            f"a token to try the APIs: pkc oidc token --port {port} --user operator-stockholm-1"
            f"   (an adapter's: --client adapter-phone); a new person: pkc users add"
        ),
    )


def status_reader(issuer: Issuer) -> BlockingTokenSource | None:
    """The national supervisor's sign-in for the status table's reads; None on another provider,
    whose people this machine cannot sign in as (the table then shows what is public)."""
    if issuer.local is None:
        return None
    password = issuer.local.secrets().passwords.get(STATUS_READER)
    if password is None:
        return None
    return BlockingTokenSource(issuer.url, Credential.person(STATUS_READER, password))
