"""The OIDC issuer a local platform's services verify tokens with: the agency's provider when
PKC_OIDC_ISSUER names one (nothing starts), else a Keycloak started on this machine."""

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pkc.localoidc import LocalOidc
from pkc.localoidc.realm import AUDIENCE
from pkc.paths import cache_dir
from pkc.ports import free_port

ISSUER_VARIABLE = "PKC_OIDC_ISSUER"
AUDIENCE_VARIABLE = "PKC_OIDC_AUDIENCE"
T = TypeVar("T")


@dataclass(frozen=True)
class Issuer:
    url: str
    audience: str = AUDIENCE
    # The local provider (its realm's people and secrets) when the issuer is one; None for the
    # agency's provider, whose people this project can neither create nor sign in as.
    local: LocalOidc | None = None

    def env(self) -> dict[str, str]:
        """What every service process is told (services/shared/settings.py oidc_*)."""
        return {ISSUER_VARIABLE: self.url, AUDIENCE_VARIABLE: self.audience}


def configured_issuer(settings: Mapping[str, str] = {}) -> Issuer | None:
    """The issuer `settings` or the environment name, if any (then nothing is started)."""
    url = settings.get(ISSUER_VARIABLE) or os.environ.get(ISSUER_VARIABLE)
    if not url:
        return None
    audience = settings.get(AUDIENCE_VARIABLE) or os.environ.get(AUDIENCE_VARIABLE) or AUDIENCE
    return Issuer(url, audience)


@contextmanager
def oidc_issuer(
    directory: Path,
    port: int | None = None,
    settings: Mapping[str, str] = {},
) -> Iterator[Issuer]:
    """The configured issuer, else a local Keycloak with its state under `directory` (on `port`,
    or a free one), stopped on the way out if this call started it (one already running on
    the port, say from `pkc oidc start`, is used and left running)."""
    configured = configured_issuer(settings)
    if configured is not None:
        yield configured
        return
    provider = LocalOidc(directory, cache_dir(), port=port or free_port())
    ours = provider.running_pid() is None
    provider.start()
    try:
        yield Issuer(provider.issuer, AUDIENCE, provider)
    finally:
        if ours:
            provider.stop()


@contextmanager
def started_alongside(manager: AbstractContextManager[T]) -> Iterator[Callable[[], T]]:
    """Enters `manager` on a thread of its own while the block goes on (Keycloak's start of
    20-90 s beside Kafka's, instead of after it); the block calls the function it gets to wait
    for the result (a failed start raises there). Exits `manager` on the way out, once its
    start has ended, if it started."""
    entered: Future[T] = Future()

    def enter() -> None:
        try:
            entered.set_result(manager.__enter__())
        except BaseException as exc:
            entered.set_exception(exc)

    thread = threading.Thread(target=enter, name="pkc-start-alongside", daemon=True)
    thread.start()
    try:
        yield entered.result
    finally:
        thread.join()
        if entered.exception() is None:
            manager.__exit__(None, None, None)
