from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field

from services.shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_INTAKE_"}

    service_name: str = "intake"
    http_port: int = 8001
    max_body_bytes: int = Field(default=32 * 1024, ge=1024)
    # How long POST /contacts waits for the broker's acks=all; past it, 503 with Retry-After
    # (the adapter retries with the same key) instead of holding the adapter for minutes.
    publish_deadline_seconds: float = Field(default=10.0, gt=0)
    retry_after_seconds: int = Field(default=5, ge=1)
    # How far an adapter's received_at may lie from intake's clock, either way, in real
    # seconds (clocks disagree a little, and a request takes a while). Queue rank never reads it.
    received_at_skew_seconds: int = Field(default=300, ge=0)
    # /readyz asks the broker for its metadata at most once per `broker_check_fresh_seconds`.
    broker_check_timeout_seconds: float = Field(default=1.0, gt=0)
    broker_check_fresh_seconds: float = Field(default=1.5, ge=0)
    # How long an idempotency key is kept (platform days): longer than any adapter retries,
    # short because it ties an adapter's request to a contact (docs/retention.md). The purge
    # runs every `retention_interval_seconds`.
    key_retention_days: float = Field(default=7, gt=0)
    retention_interval_seconds: float = Field(default=600, gt=0)
    # The adapters' side of a contact (docs/adapters.md): statuses are kept this long after
    # their last change; a status change's callback is retried with a backoff doubling from
    # the first to the cap, until the adapter takes it (or refuses it with a 4xx); a sender
    # holds a claimed change this long before another may send it; the e-service links.
    status_retention_days: float = Field(default=30, gt=0)
    callback_first_backoff_seconds: float = Field(default=1.0, gt=0)
    callback_max_backoff_seconds: float = Field(default=300.0, gt=0)
    callback_lease_seconds: float = Field(default=30.0, gt=0)
    callback_poll_seconds: float = Field(default=1.0, gt=0)
    callback_timeout_seconds: float = Field(default=10.0, gt=0)
    e_services_file: Path = Path(__file__).with_name("e_services.yaml")
    # A queued contact's position and estimated wait (services/intake/places.py): queueing's
    # base URL (unset: statuses carry none), asked with the adapter's own token, and how long
    # a status waits for it before answering without them.
    queueing_url: str | None = None
    place_deadline_seconds: float = Field(default=1.0, gt=0)
    # A test hook (tests/fault/test_intake_faults.py), read once at start: "crash-after-claim"
    # exits the process (code 137, as kill -9) right after an idempotency key's claim commits.
    fault: Literal["crash-after-claim"] | None = None

    def received_at_skew(self) -> timedelta:
        """The skew window on the platform's clock: a simulated clock running N times faster
        spans N times as many simulated minutes in the same real disagreement and transit."""
        return timedelta(seconds=self.received_at_skew_seconds * max(1.0, self.clock_speed))
