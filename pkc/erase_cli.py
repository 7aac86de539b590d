"""`pkc erase --contact ID`: removes one contact's personal data from every service that keeps
any, through each service's auditor API (`POST /contacts/{id}/erase`), with an auditor's token.

Why calls and not an erasure event: each service answers for itself at once (what it removed,
or why it refused), the auditor sees the result, and a refusal stops before anything else is
erased. Queueing goes first, because it refuses a contact still in the queue; intake and notify
then follow. Each service records the auditor who erased (docs/retention.md). Kafka's topics
cannot drop one record: the citizen's text on pkc.contacts.received (and triage's DLQ) expires
with the topic's retention, and no compacted topic is keyed by a contact (nothing to tombstone).
"""

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, NoReturn

import httpx
import typer

from pkc.localoidc import LocalOidc
from pkc.oidc_cli import EXTERNAL
from pkc.paths import cache_dir, state_dir
from schemas.topics import CONTACTS_RECEIVED, DAY_MS

# In this order: the first refusal stops the rest.
SERVICES = ("queueing", "intake", "notify")
DEFAULT_PORTS = {"intake": 8001, "queueing": 8003, "notify": 8005}


@dataclass(frozen=True)
class Outcome:
    service: str
    status: int
    said: str  # what it removed, or why it refused


def erase_everywhere(
    contact_id: uuid.UUID, token: str, clients: Mapping[str, httpx.Client]
) -> list[Outcome]:
    """Asks each service (in SERVICES order) to erase the contact; stops at the first refusal."""
    outcomes = []
    for service in SERVICES:
        answer = clients[service].post(
            f"/contacts/{contact_id}/erase", headers={"Authorization": f"Bearer {token}"}
        )
        outcomes.append(Outcome(service, answer.status_code, _said(answer)))
        if answer.status_code != 200:
            break
    return outcomes


def _said(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    return str(body.get("removed", body.get("detail", "")))


def _token(token: str | None, user: str, port: int) -> str:
    """The token given, or one for `user` from the local Keycloak."""
    if token:
        return token
    if os.environ.get(EXTERNAL):
        _fail(f"{EXTERNAL} is set: pass an auditor's token from that provider with --token")
    provider = LocalOidc(state_dir(), cache_dir(), port=port)
    if provider.running_pid() is None:
        _fail(f"no local Keycloak runs on port {port}: pass --token, or `pkc oidc start`")
    try:
        return provider.user_token(user)
    except (KeyError, httpx.HTTPError, PermissionError) as exc:
        _fail(f"no token for {user} from {provider.issuer}: {type(exc).__name__}")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def erase_cli(
    contact: Annotated[uuid.UUID, typer.Option(help="the contact's id")],
    token: Annotated[
        str | None, typer.Option(envvar="PKC_TOKEN", help="an auditor's bearer token")
    ] = None,
    user: Annotated[str, typer.Option(help="without --token: the local realm's user")] = "auditor",
    oidc_port: Annotated[int, typer.Option(help="the local Keycloak's port")] = 8180,
    intake: Annotated[str | None, typer.Option(help="intake's URL")] = None,
    queueing: Annotated[str | None, typer.Option(help="queueing's URL")] = None,
    notify: Annotated[str | None, typer.Option(help="notify's URL")] = None,
) -> None:
    """Erases a contact's personal data from queueing, intake and notify (auditors only)."""
    given = {"intake": intake, "queueing": queueing, "notify": notify}
    urls = {s: given[s] or f"http://127.0.0.1:{DEFAULT_PORTS[s]}" for s in SERVICES}
    bearer = _token(token, user, oidc_port)
    clients = {s: httpx.Client(base_url=url, timeout=30) for s, url in urls.items()}
    try:
        outcomes = erase_everywhere(contact, bearer, clients)
    except httpx.HTTPError as exc:
        _fail(f"a service did not answer: {type(exc).__name__}")
    finally:
        for client in clients.values():
            client.close()
    for outcome in outcomes:
        colour = typer.colors.GREEN if outcome.status == 200 else typer.colors.RED
        typer.secho(f"{outcome.service}: {outcome.status} {outcome.said}", fg=colour)
    if any(o.status != 200 for o in outcomes):
        _fail("not erased everywhere: nothing after the refusal was asked; run it again later")
    days = CONTACTS_RECEIVED.retention_ms // DAY_MS
    typer.echo(f"erased; the text on {CONTACTS_RECEIVED.name} expires within {days} days")
