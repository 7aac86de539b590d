"""The settings every service shares; each service subclasses with its own prefix and fields.

Defaults run the embedded setup (local Kafka, SQLite under .pkc/) with no configuration at all.
Every secret is a `SecretStr` (read with `.get_secret_value()`, shown as stars): its development
default runs the embedded setup, and with `environment=production` one rule
(services/shared/production_rules.py) refuses the start while any secret is a known development
value, contains one, is shorter than 32 bytes or serves in two roles, naming the variable and
never the value. The same start refuses an OIDC issuer or a `PublicUrl` that is unset, not
https, or a placeholder host. The database URL is read by one rule for every service:
PKC_<SERVICE>_DATABASE_URL, else DATABASE_URL (what the deployments and tests set today); its
password is held to the secrets' rule.
"""

import re
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import unquote, urlsplit

from pydantic import AliasChoices, AwareDatetime, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.service_level import ServiceLevelPolicy
from schemas.enums import Channel
from services.shared.identity import TokenVerifier
from services.shared.kafka_tuning import ProducerSettings
from services.shared.production_rules import DEV_SECRET as DEV_SECRET
from services.shared.production_rules import public_url_problem, secret_problems

DEV_DEFAULT = SecretStr(DEV_SECRET)
"""The default of every secret setting: runs the embedded setup, refused in production."""


class _PublicAddress:
    """Field metadata: a base address put in messages to people (links); in production it
    must be https on a real host."""


_PUBLIC_ADDRESS = _PublicAddress()
PublicUrl = Annotated[str | None, _PUBLIC_ADDRESS]


def _is_secret_type(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _held_values(field: FieldInfo, value: Any) -> list[str]:
    """What the secrets' rule checks in one secret setting's value (nothing when unset)."""
    if value is None:
        return []
    text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    if not isinstance(value, SecretStr) and "://" in text:  # a connection string
        password = urlsplit(text).password
        return [unquote(password)] if password else []
    return [text] if text or field.is_required() or field.default is not None else []


class ServiceSettings(BaseSettings, ProducerSettings):
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
    # Kafka authentication (services/shared/kafka/security.py turns these into client options):
    # PLAINTEXT for a bare broker; SASL with one principal per service on the local platform
    # (SASL_PLAINTEXT, loopback) and in Kubernetes (SASL_SSL; kafka_ssl_ca: the PEM of Strimzi's
    # cluster CA, from its Secret; unset: the system's CAs).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", validation_alias=AliasChoices("PKC_KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        default="SCRAM-SHA-512", validation_alias=AliasChoices("PKC_KAFKA_SASL_MECHANISM")
    )
    kafka_username: str | None = Field(
        default=None, validation_alias=AliasChoices("PKC_KAFKA_USERNAME")
    )
    kafka_password: SecretStr | None = Field(  # required with SASL
        default=None, validation_alias=AliasChoices("PKC_KAFKA_PASSWORD")
    )
    kafka_ssl_ca: str | None = Field(
        default=None, validation_alias=AliasChoices("PKC_KAFKA_SSL_CA")
    )
    # /readyz's `caught_up`: a consumer group at most this many records behind (about a few
    # seconds of national traffic: Faust commits every few seconds, so live lag is never 0).
    caught_up_lag: int = Field(
        default=1000, ge=0, validation_alias=AliasChoices("PKC_CAUGHT_UP_LAG")
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
    # The origins of pages that call this service from the browser with a person's token
    # (the supervisor board on queueing reads reporting and notify): comma-separated, e.g.
    # 'https://board.pkc.example'. Empty: no CORS at all, so no other site's page may.
    page_origins: str = Field(default="", validation_alias=AliasChoices("PKC_PAGE_ORIGINS"))
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
    def _production_refuses_guessable_secrets_and_placeholders(self) -> "ServiceSettings":
        if self.environment != "production":
            return self
        problems = secret_problems(dict(self._secrets()))
        # The issuer is held to the public addresses' rule: tokens are verified against it.
        problems += [
            problem
            for name in ("oidc_issuer", *self.public_addresses())
            if (problem := public_url_problem(self.variable(name), getattr(self, name)))
        ]
        if problems:
            raise ValueError("refused in production: " + "; ".join(problems))
        return self

    @classmethod
    def secret_fields(cls) -> list[str]:
        """The settings holding a secret: every `SecretStr`, and any string kept out of repr
        (the database URL, whose password is the secret)."""
        return [
            name
            for name, field in cls.model_fields.items()
            if _is_secret_type(field.annotation) or field.repr is False
        ]

    @classmethod
    def public_addresses(cls) -> list[str]:
        """The `PublicUrl` settings: bases of links sent to people."""
        return [name for name, f in cls.model_fields.items() if _PUBLIC_ADDRESS in f.metadata]

    def _secrets(self) -> Iterator[tuple[str, list[str]]]:
        for name in self.secret_fields():
            field = type(self).model_fields[name]
            label = " or ".join(self.variables(name))
            if name.endswith("_url"):  # a connection string: its password is the secret
                label = f"the password in {label}"
            yield label, _held_values(field, getattr(self, name))

    @classmethod
    def variables(cls, field_name: str) -> list[str]:
        """Every environment variable that sets a field, the one that wins first."""
        alias = cls.model_fields[field_name].validation_alias
        if isinstance(alias, AliasChoices):
            return [choice for choice in alias.choices if isinstance(choice, str)]
        return [cls.variable(field_name)]

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

    def page_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.page_origins.split(",") if o.strip()]

    @model_validator(mode="after")
    def _page_origins_are_origins(self) -> "ServiceSettings":
        # Named origins only: a '*' would let any site's page call with a token it holds.
        for origin in self.page_origin_list():
            if not re.fullmatch(r"https?://[^/\s*]+", origin):
                raise ValueError(f"PKC_PAGE_ORIGINS: {origin!r} is not an origin (scheme://host)")
        return self

    def identity(self) -> TokenVerifier:
        """The verifier of every caller's token (one per process)."""
        return TokenVerifier(self.oidc_issuer, self.oidc_audience, self.oidc_leeway_seconds)

    def default_database_url(self, service: str) -> str:
        return f"sqlite:///{self.state_dir / f'{service}.db'}"

    def clock_origin(self) -> tuple[datetime, float] | None:
        if self.clock_start is None:
            return None
        return self.clock_start, self.clock_anchor if self.clock_anchor is not None else 0.0
