"""The settings every service shares; each service subclasses with its own prefix and fields.

Defaults run the embedded setup (local Kafka, SQLite under .pkc/) with no configuration at all.
Secrets have development defaults that are refused outside `environment=local`.
"""

from datetime import datetime, time
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, AwareDatetime, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.service_level import ServiceLevelPolicy
from schemas.enums import Channel

DEV_SECRET = "local-development-only"  # noqa: S105 - refused in production


class ServiceSettings(BaseSettings):
    # populate_by_name: code (tests, `pkc run`) may pass fields by name beside the env aliases.
    model_config = SettingsConfigDict(
        env_prefix="PKC_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "pkc"
    environment: Literal["local", "test", "production"] = Field(
        default="local", validation_alias=AliasChoices("PKC_ENVIRONMENT")
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "PKC_KAFKA_BOOTSTRAP_SERVERS"),
    )
    topic_replication_factor: int = Field(
        default=1, ge=1, validation_alias=AliasChoices("PKC_TOPIC_REPLICATION_FACTOR")
    )
    state_dir: Path = Field(default=Path(".pkc"), validation_alias=AliasChoices("PKC_STATE_DIR"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("PKC_LOG_LEVEL"))
    traces_exporter: Literal["console", "otlp", "none"] = Field(
        default="console", validation_alias=AliasChoices("PKC_TRACES_EXPORTER")
    )
    otlp_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    # The simulated clock (`pkc run --speed`): all processes derive the same time from these.
    clock_start: AwareDatetime | None = Field(
        default=None, validation_alias=AliasChoices("PKC_CLOCK_START")
    )
    clock_anchor: float | None = Field(
        default=None, validation_alias=AliasChoices("PKC_CLOCK_ANCHOR")
    )
    clock_speed: float = Field(default=1.0, gt=0, validation_alias=AliasChoices("PKC_CLOCK_SPEED"))
    # The service-level policy is one value for the whole platform (every service reads the same
    # PKC_SLA_* variables; reporting's older PKC_REPORTING_* names still work).
    sla_target: float = Field(
        default=0.85,
        gt=0,
        le=1,
        validation_alias=AliasChoices("PKC_SLA_TARGET", "PKC_REPORTING_TARGET"),
    )
    sla_threshold_seconds: float = Field(
        default=600.0, gt=0, validation_alias=AliasChoices("PKC_SLA_THRESHOLD_SECONDS")
    )
    sla_short_abandon_seconds: float = Field(
        default=5.0,
        ge=0,
        validation_alias=AliasChoices(
            "PKC_SLA_SHORT_ABANDON_SECONDS", "PKC_REPORTING_SHORT_ABANDON_SECONDS"
        ),
    )
    sla_min_volume: int = Field(
        default=20,
        ge=1,
        validation_alias=AliasChoices("PKC_SLA_MIN_VOLUME", "PKC_REPORTING_MIN_VOLUME"),
    )
    sla_recovery_margin: float = Field(
        default=0.03,
        ge=0,
        validation_alias=AliasChoices("PKC_SLA_RECOVERY_MARGIN", "PKC_REPORTING_RECOVERY_MARGIN"),
    )
    sla_hours: str = Field(
        default="07:00-20:00",
        pattern=r"^\d\d:\d\d-\d\d:\d\d$",
        validation_alias=AliasChoices("PKC_SLA_HOURS"),
    )
    sla_channels: str = Field(default="phone", validation_alias=AliasChoices("PKC_SLA_CHANNELS"))
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)

    @model_validator(mode="after")
    def _exporter_needs_endpoint(self) -> "ServiceSettings":
        if self.otlp_endpoint and self.traces_exporter == "console":
            object.__setattr__(self, "traces_exporter", "otlp")
        return self

    @model_validator(mode="after")
    def _service_level_is_coherent(self) -> "ServiceSettings":
        self.service_level()  # raises ValueError naming what does not fit, at start-up
        return self

    def service_level(self) -> ServiceLevelPolicy:
        """The one service-level policy, built from the PKC_SLA_* settings."""
        opens, closes = (time.fromisoformat(part) for part in self.sla_hours.split("-"))
        channels = frozenset(Channel(name.strip()) for name in self.sla_channels.split(","))
        return ServiceLevelPolicy(
            target=self.sla_target,
            threshold_seconds=self.sla_threshold_seconds,
            short_abandon_seconds=self.sla_short_abandon_seconds,
            counted_channels=channels,
            opens=opens,
            closes=closes,
            min_volume=self.sla_min_volume,
            recovery_margin=self.sla_recovery_margin,
        )

    def refuse_dev_secret(self, name: str, value: str) -> None:
        if self.environment == "production" and value == DEV_SECRET:
            raise ValueError(f"{name} must be set to a real secret outside local development")

    def default_database_url(self, service: str) -> str:
        return f"sqlite:///{self.state_dir / f'{service}.db'}"

    def clock_origin(self) -> tuple[datetime, float] | None:
        if self.clock_start is None:
            return None
        return self.clock_start, self.clock_anchor if self.clock_anchor is not None else 0.0
