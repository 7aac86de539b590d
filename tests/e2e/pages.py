"""What the page tests share: a service serving a page as its own process on the session's
broker and Keycloak, its address registered as a web origin of the pages' OIDC client."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from pkc.localoidc.realm import ADMIN_USER, REALM, USER_CLIENT
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from tests.identities import Identities


def allow_origin(identities: Identities, origin: str) -> None:
    """Registers a page's address as a web origin of the pages' client (`pkc run`'s are in
    the realm file; a test's service listens on a port of its own), as an administrator of a
    real provider registers where the pages are served."""
    base = identities.provider.base_url
    admin = httpx.post(
        f"{base}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ADMIN_USER,
            "password": identities.provider.secrets().admin_password,
        },
        timeout=15,
    )
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    clients = f"{base}/admin/realms/{REALM}/clients"
    (client,) = httpx.get(clients, params={"clientId": USER_CLIENT}, headers=headers).json()
    client["webOrigins"] = [*client.get("webOrigins", []), origin]
    updated = httpx.put(f"{clients}/{client['id']}", json=client, headers=headers, timeout=15)
    assert updated.status_code == 204, updated.text


@contextmanager
def page_service(
    name: str, kafka: str, identities: Identities, state: Path, settings: Mapping[str, str]
) -> Iterator[ServiceProcess]:
    """`name` running and ready, with `settings` beside the session's broker and issuer."""
    port = free_port()
    allow_origin(identities, f"http://127.0.0.1:{port}")
    service = ServiceProcess(
        name,
        port,
        state / "logs",
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PKC_STATE_DIR": str(state),
            "PKC_TRACES_EXPORTER": "none",
            "PKC_OIDC_ISSUER": identities.issuer,
            **settings,
        },
    )
    service.start()
    try:
        wait_ready([service], timeout=90)
        yield service
    finally:
        service.stop()
