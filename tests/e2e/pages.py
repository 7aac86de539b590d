"""What the page tests share: a service serving a page as its own process on the session's
broker and Keycloak, its address registered as a web origin of the pages' OIDC client; Debian's
Chromium launched by path (no browser download); a person signing in on Keycloak's own form."""

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright

from pkc.localoidc.realm import ADMIN_USER, REALM, USER_CLIENT
from pkc.ports import free_port
from pkc.processes import ServiceProcess, wait_ready
from tests.identities import Identities

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (CI installs it)"
)


def launch(driver: Playwright) -> Browser:
    """Debian's headless Chromium (in a container: no sandbox, no GPU)."""
    return driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])


def sign_in(page: Page, address: str, issuer: str, username: str, password: str) -> None:
    """Opens `address`, which sends the person to the issuer's login form; fills it in as they
    would, and waits until the provider has sent them back to `address`."""
    page.goto(address)
    page.wait_for_url(f"{issuer}/**")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#kc-login").click()
    page.wait_for_url(address)


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
