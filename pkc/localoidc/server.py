"""Start, stop and inspect one local Keycloak serving the development realm `pkc`."""

import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx

from pkc.daemon import JIT_FIRST_TIER, Daemon, DaemonStatus
from pkc.localoidc import realm, tokens, users
from pkc.localoidc.distribution import OidcSetupError, ensure_keycloak
from pkc.polling import poll

__all__ = ["LocalOidc", "OidcStatus"]


OidcStatus = DaemonStatus  # the issuer URL is its `address`


class LocalOidc:
    """One Keycloak whose database and secrets live under `state_dir/oidc-<port>/`; the
    distribution (shared, read-only once built) comes from `cache_dir`. Loopback only."""

    def __init__(self, state_dir: Path, cache_dir: Path, port: int = 8180):
        self.port = port
        self.home = state_dir / f"oidc-{port}"
        self.cache_dir = cache_dir
        self.started_in: float | None = None  # seconds the last start() took, install included
        self._process = Daemon("Keycloak", self.home / "keycloak.pid", self.home / "keycloak.log")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{realm.REALM}"

    @property
    def log_file(self) -> Path:
        return self._process.log_file

    def secrets(self) -> realm.DevSecrets:
        return realm.load_or_create_secrets(self.home / "dev-secrets.json", realm.realm_file())

    def start(self, timeout: float = 180.0) -> str:
        """Starts Keycloak unless it runs, imports the realm once; returns the issuer URL.

        The first start on a machine also downloads, unpacks and builds Keycloak (cached); the
        `timeout` counts from the launch, after that one-off install."""
        began = time.monotonic()
        if self.running_pid() is not None:
            if self._answers():
                self.started_in = 0.0
                return self.issuer
            raise OidcSetupError(
                f"a Keycloak process runs but does not answer; see {self.log_file}"
            )
        keycloak_home = ensure_keycloak(self.cache_dir)
        dev_secrets = self.secrets()
        process = self._launch(keycloak_home, dev_secrets)

        def answering() -> bool:
            exited = self._process.exited(process)
            if exited is not None:
                raise OidcSetupError(exited)
            return self._answers(realm_name="master")

        try:
            poll(answering, f"Keycloak on {self.base_url}", timeout=timeout, interval=0.5)
        except TimeoutError:
            self.stop()
            raise OidcSetupError(
                f"Keycloak did not answer within {timeout:.0f} s:\n{self.tail()}"
            ) from None
        try:
            realm.import_realm(self.base_url, dev_secrets)
        except httpx.HTTPError as exc:
            self.stop()  # a provider without the realm would only fail later, less clearly
            raise OidcSetupError(f"importing the realm failed: {exc}\n{self.tail()}") from None
        self.started_in = time.monotonic() - began
        return self.issuer

    def _launch(
        self, keycloak_home: Path, dev_secrets: realm.DevSecrets
    ) -> subprocess.Popen[bytes]:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            # Used only when the master realm is first created (a fresh database).
            "KC_BOOTSTRAP_ADMIN_USERNAME": realm.ADMIN_USER,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": dev_secrets.admin_password,
            # The JIT's first tier alone (pkc/daemon.py): a local provider issues a few tokens.
            # Measured, two starts each way: CPU to start 27.5 / 35.7 → 20.0 / 21.4 s, the
            # first 50 tokens 2.4 → 1.6 s, the time to answer unchanged (15-20 s). First, so
            # that a JAVA_OPTS_APPEND of the environment's own can still choose (the JVM takes
            # a flag's last value).
            "JAVA_OPTS_APPEND": " ".join(
                filter(None, (JIT_FIRST_TIER, os.environ.get("JAVA_OPTS_APPEND")))
            ),
        }
        command = [
            str(keycloak_home / "bin" / "kc.sh"),
            "start",
            "--optimized",
            # This instance's database and transaction log, outside the shared distribution.
            f"-Dkc.db-url-path={self.home}",
            f"-Dquarkus.transaction-manager.object-store.directory={self.home / 'transactions'}",
            "--cache=local",  # no JGroups cluster discovery: one node, loopback only
            "--http-enabled=true",
            "--http-host=127.0.0.1",
            f"--http-port={self.port}",
            "--hostname-strict=false",
        ]
        return self._process.launch(command, env)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stops Keycloak cleanly (SIGTERM, then SIGKILL past the timeout); False if none ran."""
        return self._process.stop(timeout)

    def status(self) -> OidcStatus:
        pid = self.running_pid()
        answering = pid is not None and self._answers()
        return OidcStatus("Keycloak", pid, answering, self.issuer, self.log_file)

    def running_pid(self) -> int | None:
        return self._process.running_pid()

    def tail(self, lines: int = 30) -> str:
        return self._process.tail(lines)

    def client_token(self, client_id: str) -> str:
        """An access token for a service account (an adapter), by client credentials."""
        secret = self.secrets().client_secrets[client_id]
        return tokens.client_credentials_token(self.issuer, client_id, secret)

    def user_token(self, username: str) -> str:
        """An access token for a development user, by the password grant."""
        password = self.secrets().passwords[username]
        return tokens.password_token(self.issuer, realm.USER_CLIENT, username, password)

    def add_person(self, username: str, role: str, region: str) -> bool:
        """Creates a person in the realm with a drawn password kept in this instance's secrets
        file (so `user_token` works for them); False if the user name was taken already."""
        person = users.check(username, role, region)
        secrets_file = self.home / "dev-secrets.json"
        password = secrets.token_urlsafe(18)
        with users.RealmAdmin(self.base_url, self.secrets().admin_password) as admin:
            created = admin.add(person, password)
        if created:
            realm.remember_password(secrets_file, person.username, password)
        return created

    def people(self) -> list[users.Person]:
        with users.RealmAdmin(self.base_url, self.secrets().admin_password) as admin:
            return admin.people()

    def _answers(self, realm_name: str = realm.REALM) -> bool:
        url = f"{self.base_url}/realms/{realm_name}/.well-known/openid-configuration"
        try:
            return httpx.get(url, timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False
