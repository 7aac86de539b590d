"""The settings every service shares; each service subclasses with its own prefix and fields.

Defaults run the embedded setup (local Kafka, SQLite under .pkc/) with no configuration at all.
Credentials are declared `DevSecret`: their development default runs the embedded setup, and one
validator here refuses any of them still holding it when `environment=production`, naming the
variable and never the value. The database URL is read by one rule for every service:
PKC_<SERVICE>_DATABASE_URL, else DATABASE_URL (what the deployments and tests set today).
"""

from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AwareDatetime, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.service_level import ServiceLevelPolicy
from schemas.enums import Channel
from services.shared.identity import TokenVerifier

DEV_SECRET = "local-development-only"  # noqa: S105 - refused in production


class _DevelopmentDefault:
    """Field metadata: a credential whose development default is refused in production."""


_DEV_DEFAULT = _DevelopmentDefault()
DevSecret = Annotated[str, Field(repr=False), _DEV_DEFAULT]
"""A credential setting (a secret or a comma-separated list of tokens); default DEV_SECRET."""


def _holds_dev_secret(value: str) -> bool:
    """The development default, alone or as one of a comma-separated list of tokens (a real
    token added beside it would leave the development one working)."""
    return DEV_SECRET in {part.strip() for part in value.split(",")}


class ServiceSettings(BaseSettings):
    # populate_by_name: code (tests, `pkc run`) may pass fields by name beside the env aliases.
    # hide_input_in_errors: a refused setting's error must not echo what was given (a secret).
    model_config = SettingsConfigDict(
        env_prefix="PKC_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        hide_input_in_errors=True,
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
    # Who may call: access tokens from this OIDC issuer for this audience (`pkc run` and the
    # tests start a local Keycloak and set these; production names the agency's provider).
    oidc_issuer: str | None = Field(default=None, validation_alias=AliasChoices("PKC_OIDC_ISSUER"))
    oidc_audience: str = Field(
        default="pkc-platform", min_length=1, validation_alias=AliasChoices("PKC_OIDC_AUDIENCE")
    )
    oidc_leeway_seconds: float = Field(
        default=30.0, ge=0, le=300, validation_alias=AliasChoices("PKC_OIDC_LEEWAY_SECONDS")
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    # Server-sent streams open at once: per person (the token's sub) and in all (429 beyond).
    live_max_streams_per_person: int = Field(default=5, ge=1)
    live_max_streams: int = Field(default=200, ge=1)
    # SQLite under the state directory when unset (default_database_url); the alias of each
    # service's own name is added in __pydantic_init_subclass__.
    database_url: str | None = Field(
        default=None, repr=False, validation_alias=AliasChoices("DATABASE_URL")
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """One alias rule for the database URL: the service's own PKC_<SERVICE>_DATABASE_URL
        wins over the platform-wide DATABASE_URL."""
        super().__pydantic_init_subclass__(**kwargs)
        own = f"{cls.model_config.get('env_prefix', '')}DATABASE_URL"
        cls.__pydantic_fields__["database_url"] = FieldInfo.merge_field_infos(
            cls.__pydantic_fields__["database_url"],
            validation_alias=AliasChoices(own, "DATABASE_URL"),
        )
        cls.model_rebuild(force=True)

    @model_validator(mode="after")
    def _no_development_secret_in_production(self) -> "ServiceSettings":
        if self.environment != "production":
            return self
        refused = [
            self.variable(name)
            for name, field in type(self).model_fields.items()
            if _DEV_DEFAULT in field.metadata and _holds_dev_secret(getattr(self, name))
        ]
        if refused:
            raise ValueError(
                f"{', '.join(refused)}: still the development default; set a real secret "
                "in production"
            )
        return self

    @classmethod
    def variable(cls, field_name: str) -> str:
        """The environment variable that sets a field (its first alias, else prefix + NAME)."""
        alias = cls.model_fields[field_name].validation_alias
        if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
            return alias.choices[0]
        if isinstance(alias, str):
            return alias
        return f"{cls.model_config.get('env_prefix', '')}{field_name.upper()}"

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

    def identity(self) -> TokenVerifier:
        """The verifier of every caller's token (one per process)."""
        return TokenVerifier(self.oidc_issuer, self.oidc_audience, self.oidc_leeway_seconds)

    def default_database_url(self, service: str) -> str:
        return f"sqlite:///{self.state_dir / f'{service}.db'}"

    def clock_origin(self) -> tuple[datetime, float] | None:
        if self.clock_start is None:
            return None
        return self.clock_start, self.clock_anchor if self.clock_anchor is not None else 0.0
