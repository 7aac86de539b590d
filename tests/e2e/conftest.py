"""The whole platform as separate processes, started as `pkc run` starts it (pkc/platform.py)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from pkc.issuer import ISSUER_VARIABLE
from pkc.localkafka import KafkaAccess
from pkc.platform import LocalPlatform, PlatformSetup, kafka_access, running_platform
from tests.identities import Headers, Identities

# A Tuesday morning in Stockholm (CET), inside PKC's 07:00-20:00 service hours.
SIMULATED_START = datetime.fromisoformat("2026-11-24T09:00:00+01:00")
ONCALL = Path(__file__).with_name("oncall.yaml")
# Unacknowledged alerts go one level up after this long (simulated time runs at real speed).
# A test that acknowledges at level 2 must do so within one more step: 15 s was too short on
# two loaded cores (a CI pre-check saw the alert reach level 3 before level 2's button).
ESCALATION_MINUTES = 0.5


@dataclass(frozen=True)
class Platform(LocalPlatform):
    """The running platform, and the people and adapters its tests sign in as (each with a
    token of their own from the session's Keycloak, which the services verify)."""

    identities: Identities
    # Its broker: secured, each service signed in as itself; a test reads topics as admin.
    kafka: KafkaAccess | None = None

    @property
    def adapter(self) -> Headers:
        """The phone adapter's service account: posts contacts, reports hang-ups."""
        return self.identities.adapter("adapter-phone")

    @property
    def supervisor(self) -> Headers:
        """The national supervisor: reads queues, SLA and alerts in every region."""
        return self.identities.person("supervisor-national")

    def person(self, username: str, role: str = "operator", region: str = "stockholm") -> Headers:
        """A person of the realm (created with `role` and `region` on first use)."""
        return self.identities.person(username, role, region)


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, identities: Identities, request: pytest.FixtureRequest
) -> Iterator[Platform]:
    """The platform on a broker of its own: every module starts on the same simulated morning,
    and on a shared broker its consumer groups and reporting's changelogged tables would carry
    the previous module's contacts into this one's windows (a region breached that had not).
    A module's `PLATFORM_SETTINGS` (PKC_* variables) are added to the settings below."""
    state: Path = tmp_path_factory.mktemp("platform")
    settings = {
        # Spans as JSON lines in each service's log: the trace test reads them there.
        "PKC_TRACES_EXPORTER": "console",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "PKC_REPORTING_MIN_VOLUME": "5",
        "PKC_NOTIFY_FIRST_BACKOFF_SECONDS": "0.1",
        "PKC_NOTIFY_SCHEDULE_FILE": str(ONCALL),
        "PKC_NOTIFY_ESCALATION_MINUTES": str(ESCALATION_MINUTES),
        # The breach scenario posts calls that have waited 15 minutes on the line before the
        # adapter hands them over, instead of waiting 15 minutes itself.
        "PKC_INTAKE_RECEIVED_AT_SKEW_SECONDS": "1800",
        ISSUER_VARIABLE: identities.issuer,  # the session's Keycloak: no second one starts
    }
    settings |= getattr(request.module, "PLATFORM_SETTINGS", {})
    with kafka_access(state / "kafka") as kafka:
        setup = PlatformSetup(
            kafka.bootstrap,
            state,
            SIMULATED_START,
            settings=settings,
            service_env=kafka.service_env(),
        )
        with running_platform(setup, ready_timeout=90) as running:
            yield Platform(
                running.services,
                running.desk,
                running.clock,
                running.issuer,
                identities,
                kafka=kafka,
            )
