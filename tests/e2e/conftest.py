"""The whole platform as separate processes on the session's real broker."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from pkc.processes import SERVICES, ServiceProcess, wait_ready
from services.shared.clock import SimulatedClock
from services.shared.settings import DEV_SECRET
from tests.conftest import broker_or_external, free_port
from tests.smtp_receiver import Mailbox, smtp_receiver
from tests.webhook_receiver import WebhookReceiver, webhook_receiver

# A Tuesday morning in Stockholm (CET), inside PKC's 07:00-20:00 service hours.
SIMULATED_START = datetime.fromisoformat("2026-11-24T09:00:00+01:00")
TOKEN = DEV_SECRET
ONCALL = Path(__file__).with_name("oncall.yaml")
# Unacknowledged alerts go one level up after this long (simulated time runs at real speed).
ESCALATION_MINUTES = 0.25


@dataclass
class Platform:
    services: dict[str, ServiceProcess]
    clock: SimulatedClock
    webhook: WebhookReceiver
    mailbox: Mailbox
    token: str = TOKEN

    def url(self, name: str) -> str:
        return self.services[name].url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform on a broker of its own: every module starts on the same simulated morning,
    and on a shared broker its consumer groups and reporting's changelogged tables would carry
    the previous module's contacts into this one's windows (a region breached that had not)."""
    state: Path = tmp_path_factory.mktemp("platform")
    with broker_or_external(state / "kafka") as kafka:
        yield from _platform(kafka, state)


def _platform(kafka: str, state: Path) -> Iterator[Platform]:
    anchor = time.time()
    with webhook_receiver() as webhook, smtp_receiver() as mailbox:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "PKC_STATE_DIR": str(state),
            # Spans as JSON lines in each service's log: the trace test reads them there.
            "PKC_TRACES_EXPORTER": "console",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "PKC_CLOCK_START": SIMULATED_START.isoformat(),
            "PKC_CLOCK_ANCHOR": str(anchor),
            "PKC_REPORTING_MIN_VOLUME": "5",
            "PKC_NOTIFY_WEBHOOK_URL": webhook.url,
            "PKC_NOTIFY_FIRST_BACKOFF_SECONDS": "0.1",
            "PKC_NOTIFY_SCHEDULE_FILE": str(ONCALL),
            "PKC_NOTIFY_SMTP_PORT": str(mailbox.port),
            "PKC_NOTIFY_ESCALATION_MINUTES": str(ESCALATION_MINUTES),
        }
        services = {
            name: ServiceProcess(name, free_port(), state / "logs", env) for name in SERVICES
        }
        for service in services.values():
            service.start()
        try:
            wait_ready(list(services.values()), timeout=90)
            clock = SimulatedClock(SIMULATED_START, anchor, 1.0)
            yield Platform(services, clock, webhook, mailbox)
        finally:
            for service in services.values():
                service.stop()
