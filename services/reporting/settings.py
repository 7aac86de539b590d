from pydantic import Field, model_validator

from services.shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_REPORTING_"}

    service_name: str = "reporting"
    http_port: int = 8004
    window_minutes: int = Field(default=60, ge=1, le=24 * 60)
    step_minutes: int = Field(default=1, ge=1)
    table_store: str = "memory://"
    faust_app_id: str = "pkc-reporting"  # the consumer group and the prefix of its tables
    # How far ahead a breach is predicted: at most the policy's threshold (checked below).
    prediction_horizon_seconds: float = Field(default=120.0, ge=0)
    reinforcement_minutes: int = Field(default=60, ge=1)
    # How long an event id is remembered to drop a producer's re-send (counting.py): longer
    # than an outage a producer resumes after. An event older than the window can no longer
    # count twice in it, whatever this is; memory grows with events per horizon.
    dedupe_hours: float = Field(default=24.0, gt=0, le=14 * 24)
    # How often the worker looks for a quiet partition whose last records Faust dropped
    # (rewind.py): two looks in a row find one, so its records count this late at most twice.
    tail_check_seconds: float = Field(default=5.0, gt=0)
    live_interval_seconds: float = Field(default=1.0, gt=0)
    # The OIDC public client the dashboard page signs people in with (authorization code + PKCE).
    dashboard_client_id: str = "pkc-ui"
    # The monthly follow-up's consumer group (it reads the topics from the beginning on first
    # start); its store is database_url (SQLite under the state directory unless DATABASE_URL).
    monthly_group: str = "reporting-monthly"
    # The written channels' own target in the monthly follow-up (mail, e-service, social
    # media): handled within this many hours, at any hour of the day.
    written_target_hours: float = Field(default=24.0, gt=0, le=14 * 24)

    @model_validator(mode="after")
    def _horizon_within_threshold(self) -> "ReportingSettings":
        if self.prediction_horizon_seconds > self.sla_threshold_seconds:
            raise ValueError("prediction_horizon_seconds must not exceed sla_threshold_seconds")
        return self
