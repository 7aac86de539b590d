from typing import Literal

from pydantic import Field, SecretStr, model_validator

from services.queueing.domain import QueuePolicy
from services.shared.settings import DEV_DEFAULT, SecretTokens, ServiceSettings


class QueueingSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_QUEUEING_"}

    service_name: str = "queueing"
    http_port: int = 8003
    # Bearer tokens (comma-separated): operator UIs that log operators in, supervisors who
    # manage reinforcement orders, channel adapters that report hang-ups.
    ui_tokens: SecretTokens = DEV_DEFAULT
    supervisor_tokens: SecretTokens = DEV_DEFAULT
    adapter_tokens: SecretTokens = DEV_DEFAULT
    # Per queue, Stockholm time: 'urgent=00:00-24:00,switchboard=08:00-16:00'; hours may run
    # across midnight ('20:00-07:00'); queues not named keep the service-level hours
    # (PKC_SLA_HOURS).
    opening_hours: str = ""
    closed_outcome: Literal["close", "queue"] = "close"
    max_wait_seconds: float = Field(default=45 * 60, gt=0)
    on_max_wait: Literal["abandon", "keep"] = "abandon"
    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    # How often the live stream of queue state for operator UIs looks for changes.
    live_interval_seconds: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _hours_parse(self) -> "QueueingSettings":
        self.queue_policy()  # refused at start, by name, not at the first contact
        return self

    def queue_policy(self) -> QueuePolicy:
        return QueuePolicy.build(self.opening_hours, self.closed_outcome, self.service_level())


def split_tokens(value: SecretStr) -> frozenset[str]:
    return frozenset(t.strip() for t in value.get_secret_value().split(",") if t.strip())
