from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr

from services.notify.retention import Retention
from services.shared.settings import DEV_DEFAULT, PublicUrl, ServiceSettings

DEFAULT_SCHEDULE = Path(__file__).with_name("oncall.yaml")


class NotifySettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_NOTIFY_"}

    service_name: str = "notify"
    http_port: int = 8005
    # Seeds the on-call schedule in the database on first start (edits: PUT /oncall/schedule).
    schedule_file: Path = DEFAULT_SCHEDULE
    # An extra receiver for every alert beside the schedule's (an operations desk; `pkc run`).
    webhook_url: str | None = None
    # Signs every webhook delivery (X-PKC-Signature); receivers check it (pkc/alert_desk.py).
    webhook_secret: SecretStr = DEV_DEFAULT
    # Signs acknowledgement links; the links point at public_url.
    ack_secret: SecretStr = DEV_DEFAULT
    ack_valid_hours: float = Field(default=12.0, gt=0)
    public_url: PublicUrl = None  # default http://<http_host>:<http_port>
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "pkc-larm@pkc.example.org"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    delivery_attempts: int = Field(default=5, ge=1)
    first_backoff_seconds: float = Field(default=0.5, gt=0)
    # Simulated minutes without acknowledgement before the next level is alerted.
    escalation_minutes: float = Field(default=10.0, gt=0)
    # An update is sent when the share has fallen this many points since the last message.
    worsening_step: float = Field(default=0.05, gt=0, le=1)
    # After a recovery, a new breach of the same region within this many simulated minutes
    # may be the last episode flapping: it is held, and alerted when the quiet period ends
    # if the region is still in breach then.
    quiet_minutes: float = Field(default=15.0, ge=0)
    # An event older than this (by the platform's clock) is recorded in the alert log as
    # skipped_stale and never sent: replaying an archived month pages nobody.
    freshness_minutes: float = Field(default=60.0, gt=0)
    # How often the delivery loop and the event relay look for work nobody woke them for:
    # escalations and retries coming due, rows whose holder died. Work this replica plans wakes
    # them at once. Each look is a few queries: at 0.2 s they were half of notify's CPU while
    # idle (python -m bench native, idle figures).
    poll_seconds: float = Field(default=1.0, gt=0)
    # A replica claims a due delivery for this long before sending it: longer than one attempt
    # (webhook 5 s, SMTP 10 s), so another replica never sends the same message meanwhile.
    # After a crash mid-send, the message goes out again when its claim has run out.
    claim_seconds: float = Field(default=30.0, ge=15)
    # How long notify keeps what names people (platform days; reasons in docs/retention.md):
    # final deliveries (addresses, messages), replaced schedule versions, and the alert log,
    # the evidence of who was paged and who acknowledged. Purged every interval.
    delivery_retention_days: float = Field(default=90, gt=0)
    schedule_retention_days: float = Field(default=365, gt=0)
    log_retention_days: float = Field(default=5 * 365, gt=0)
    retention_interval_seconds: float = Field(default=600, gt=0)

    def retention(self) -> Retention:
        return Retention(
            deliveries=timedelta(days=self.delivery_retention_days),
            schedules=timedelta(days=self.schedule_retention_days),
            log=timedelta(days=self.log_retention_days),
        )

    def ack_base(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"
