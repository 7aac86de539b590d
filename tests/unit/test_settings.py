"""Settings: environment variables, names given in code, and what production refuses to start
with (secrets anyone could know or guess, one secret in two roles, placeholder addresses).

The production tests find every service's settings class and every secret and public address
in it by reflection, so a secret is covered the day it is added."""

import importlib
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import Field, SecretStr

from schemas.access import SERVICES
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.queueing.settings import QueueingSettings
from services.reporting.settings import ReportingSettings
from services.shared.production_rules import MIN_SECRET_BYTES
from services.shared.settings import (
    DEV_SECRET,
    ServiceSettings,
)

ISSUER = "https://login.polisen.se/realms/pkc"
PUBLIC = "https://larm.pkc.polisen.se"


def service_settings() -> list[type[ServiceSettings]]:
    """Every service's settings class, as the services define them."""
    for name in SERVICES:
        importlib.import_module(f"services.{name}.settings")
    found = [s for s in ServiceSettings.__subclasses__() if s.__module__.startswith("services.")]
    assert {s.__module__ for s in found} == {f"services.{name}.settings" for name in SERVICES}
    return found


SERVICE_SETTINGS = service_settings()
SECRET_FIELDS = [(s, name) for s in SERVICE_SETTINGS for name in s.secret_fields()]


def fresh_secret() -> str:
    return secrets.token_urlsafe(48)


def holding(name: str, secret: str) -> str:
    """The value a setting takes to hold `secret`: a URL setting holds it as its password."""
    return (
        f"postgresql://pkc:{quote(secret, safe='')}@db.pkc.svc/pkc"
        if name.endswith("_url")
        else secret
    )


def production(service: type[ServiceSettings]) -> dict[str, str | None]:
    """Settings a service starts with in production: a fresh secret for every role, the
    agency's issuer and real public addresses."""
    given: dict[str, str | None] = {
        name: holding(name, fresh_secret()) for name in service.secret_fields()
    }
    return (
        given
        | {name: PUBLIC for name in service.public_addresses()}
        | {
            "environment": "production",
            "oidc_issuer": ISSUER,
        }
    )


def refusal(service: type[ServiceSettings], given: dict[str, str | None], *hidden: str) -> str:
    """The refusal's message, having checked it echoes no secret given."""
    with pytest.raises(ValueError, match="refused in production") as caught:
        service(**given)  # type: ignore[arg-type]
    message = str(caught.value)
    for secret in (*hidden, *(given[name] for name in service.secret_fields())):
        assert not secret or secret not in message, "a secret was echoed"
    return message


def test_fields_passed_by_name_win_over_defaults(tmp_path: Path) -> None:
    settings = IntakeSettings(kafka_bootstrap_servers="10.0.0.1:9092", state_dir=tmp_path)
    assert settings.kafka_bootstrap_servers == "10.0.0.1:9092"
    assert settings.state_dir == tmp_path


def test_environment_variables_configure_a_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092")
    monkeypatch.setenv("PKC_INTAKE_HTTP_PORT", "9100")
    settings = IntakeSettings()
    assert settings.kafka_bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    assert settings.http_port == 9100


def test_a_bad_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKC_INTAKE_HTTP_PORT", "eighty")
    with pytest.raises(ValueError, match="http_port"):
        IntakeSettings()


def test_the_secrets_known_today_are_found() -> None:
    assert {"webhook_secret", "ack_secret", "smtp_password", "database_url"} <= set(
        NotifySettings.secret_fields()
    )
    assert "database_url" in IntakeSettings.secret_fields()


@pytest.mark.parametrize("service", SERVICE_SETTINGS, ids=lambda s: s.__name__)
def test_a_service_starts_in_production_with_real_secrets_and_addresses(
    service: type[ServiceSettings],
) -> None:
    assert service(**production(service)).environment == "production"  # type: ignore[arg-type]


@pytest.mark.parametrize("service", SERVICE_SETTINGS, ids=lambda s: s.__name__)
def test_development_defaults_run_the_embedded_setup_outside_production(
    service: type[ServiceSettings],
) -> None:
    for environment in ("local", "test"):
        service(environment=environment)


BAD_SECRETS: dict[str, tuple[Callable[[], str], str]] = {
    "the development default": (lambda: DEV_SECRET, "known development value"),
    "a dev-overlay value": (lambda: "dev-only-notify-ack-secret", "known development value"),
    "a development value inside": (
        lambda: f"{fresh_secret()}-{DEV_SECRET}",
        "known development value",
    ),
    "a placeholder inside": (lambda: f"CHANGEME-{fresh_secret()}", "known development value"),
    "a habit": (lambda: "secret", "known development value"),
    "short": (lambda: fresh_secret()[: MIN_SECRET_BYTES - 1], f"shorter than {MIN_SECRET_BYTES}"),
    "empty": (lambda: "", f"shorter than {MIN_SECRET_BYTES}"),
}


@pytest.mark.parametrize("case", BAD_SECRETS)
@pytest.mark.parametrize(
    ("service", "name"), SECRET_FIELDS, ids=[f"{s.__name__}.{n}" for s, n in SECRET_FIELDS]
)
def test_a_guessable_secret_is_refused_in_production_by_its_variable(
    service: type[ServiceSettings], name: str, case: str
) -> None:
    make, reason = BAD_SECRETS[case]
    bad = make()
    if not bad and name.endswith("_url"):
        pytest.skip("a database URL without a password holds no secret to check")
    if not bad and service.model_fields[name].default is None:
        pytest.skip("an optional secret left empty is not set (SMTP without a login)")
    message = refusal(service, production(service) | {name: holding(name, bad)}, bad)
    assert service.variables(name)[0] in message
    assert reason in message


REUSED = [
    (s, name, other)
    for s in SERVICE_SETTINGS
    for name in s.secret_fields()
    for other in s.secret_fields()
    if name < other
]


@pytest.mark.parametrize(
    ("service", "name", "other"), REUSED, ids=[f"{s.__name__}.{n}={o}" for s, n, o in REUSED]
)
def test_one_secret_in_two_roles_is_refused_in_production(
    service: type[ServiceSettings], name: str, other: str
) -> None:
    shared = fresh_secret()
    given = production(service) | {name: holding(name, shared), other: holding(other, shared)}
    message = refusal(service, given, shared)
    assert "same value" in message
    assert service.variables(name)[0] in message
    assert service.variables(other)[0] in message


def test_an_optional_secret_is_checked_only_when_set() -> None:
    given = production(NotifySettings)
    del given["smtp_password"]
    assert NotifySettings(**given).smtp_password is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("service", "name"), SECRET_FIELDS, ids=[f"{s.__name__}.{n}" for s, n in SECRET_FIELDS]
)
def test_every_secret_is_read_explicitly_and_never_shown(
    service: type[ServiceSettings], name: str
) -> None:
    secret = fresh_secret()
    settings = service(**{name: holding(name, secret)})  # type: ignore[arg-type]
    assert secret not in repr(settings)
    assert secret not in str(settings)
    if not name.endswith("_url"):  # the URL is a connection string, its password the secret
        assert isinstance(getattr(settings, name), SecretStr), f"{name} reads as plain text"


PLACEHOLDER_URLS = [
    None,
    "",
    "http://login.polisen.se/realms/pkc",
    "https://pkc-notify.example.invalid",
    "https://login.example.com/realms/pkc",
    "https://pkc.example.org",
    "https://keycloak.test/realms/pkc",
    "https://localhost:8443/realms/pkc",
    "https://127.0.0.1:8080",
    "https://[::1]/",
    "https://0.0.0.0",
    "https://change-me.polisen.se",
]


@pytest.mark.parametrize("url", PLACEHOLDER_URLS)
@pytest.mark.parametrize("service", SERVICE_SETTINGS, ids=lambda s: s.__name__)
def test_production_needs_the_agency_s_https_issuer(
    service: type[ServiceSettings], url: str | None
) -> None:
    message = refusal(service, production(service) | {"oidc_issuer": url})
    assert "PKC_OIDC_ISSUER" in message


PUBLIC_FIELDS = [(s, name) for s in SERVICE_SETTINGS for name in s.public_addresses()]


@pytest.mark.parametrize("url", PLACEHOLDER_URLS)
@pytest.mark.parametrize(
    ("service", "name"), PUBLIC_FIELDS, ids=[f"{s.__name__}.{n}" for s, n in PUBLIC_FIELDS]
)
def test_production_links_point_at_a_real_https_address(
    service: type[ServiceSettings], name: str, url: str | None
) -> None:
    message = refusal(service, production(service) | {name: url})
    assert service.variable(name) in message


def test_acknowledgement_links_have_a_public_address() -> None:
    assert NotifySettings.public_addresses() == ["public_url"]
    assert NotifySettings.variable("public_url") == "PKC_NOTIFY_PUBLIC_URL"


def test_outside_production_links_may_point_at_this_machine() -> None:
    assert NotifySettings(public_url="http://127.0.0.1:8005").ack_base() == "http://127.0.0.1:8005"


def test_secrets_are_not_shown_when_settings_are_printed() -> None:
    secret = fresh_secret()
    settings = QueueingSettings(database_url=f"postgresql://pkc:{secret}@db/pkc")
    assert secret not in repr(settings)


@pytest.mark.parametrize(
    ("service", "own"),
    [
        (IntakeSettings, "PKC_INTAKE_DATABASE_URL"),
        (QueueingSettings, "PKC_QUEUEING_DATABASE_URL"),
        (NotifySettings, "PKC_NOTIFY_DATABASE_URL"),
        (ReportingSettings, "PKC_REPORTING_DATABASE_URL"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_the_database_url_is_the_service_s_own_variable_else_database_url(
    monkeypatch: pytest.MonkeyPatch, service: type[ServiceSettings], own: str
) -> None:
    assert service().database_url is None  # SQLite under the state directory
    monkeypatch.setenv("DATABASE_URL", "postgresql://shared/pkc")
    assert service().database_url == "postgresql://shared/pkc"
    monkeypatch.setenv(own, "postgresql://own/pkc")
    assert service().database_url == "postgresql://own/pkc"
    assert service(database_url="sqlite:///given.db").database_url == "sqlite:///given.db"


def test_a_production_database_without_a_password_in_its_url_is_not_refused() -> None:
    given = production(IntakeSettings) | {"database_url": "postgresql:///pkc?host=/run/pg"}
    assert IntakeSettings(**given).database_url  # type: ignore[arg-type]


class PlainSecret(ServiceSettings):
    """A secret declared the older way, a string kept out of repr (as a Kafka password may be
    before it becomes a SecretStr): the rule holds it too."""

    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_PLAIN_"}
    broker_password: str | None = Field(default=None, repr=False)


def test_a_string_kept_out_of_repr_is_held_to_the_secrets_rule() -> None:
    assert PlainSecret.secret_fields() == ["kafka_password", "database_url", "broker_password"]
    base = production(PlainSecret)
    assert PlainSecret(**base)  # type: ignore[arg-type]
    short = refusal(PlainSecret, base | {"broker_password": "kafka-pw"}, "kafka-pw")
    assert "PKC_PLAIN_BROKER_PASSWORD is shorter than" in short
    shared = fresh_secret()
    reused = base | {"broker_password": shared, "database_url": holding("database_url", shared)}
    message = refusal(PlainSecret, reused, shared)
    assert "PKC_PLAIN_BROKER_PASSWORD and the password in PKC_PLAIN_DATABASE_URL" in message
