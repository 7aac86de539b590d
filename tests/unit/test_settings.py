"""Settings: environment variables, names given in code, and secrets refused in production."""

from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.queueing.settings import QueueingSettings
from services.reporting.settings import ReportingSettings
from services.shared.settings import DEV_SECRET, ServiceSettings
from services.triage.settings import TriageSettings

# Every service's credentials, by the variable that sets them.
SECRETS: dict[type[ServiceSettings], tuple[str, ...]] = {
    IntakeSettings: (),
    QueueingSettings: (
        "PKC_QUEUEING_UI_TOKENS",
        "PKC_QUEUEING_SUPERVISOR_TOKENS",
        "PKC_QUEUEING_ADAPTER_TOKENS",
    ),
    NotifySettings: ("PKC_NOTIFY_WEBHOOK_SECRET", "PKC_NOTIFY_ACK_SECRET"),
    ReportingSettings: (),
    TriageSettings: (),
}
REAL = "a-real-secret-nobody-may-see"


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


@pytest.mark.parametrize("service", SECRETS, ids=lambda s: s.__name__)
def test_each_development_secret_is_refused_in_production_by_its_variable_name(
    monkeypatch: pytest.MonkeyPatch, service: type[ServiceSettings]
) -> None:
    monkeypatch.setenv("PKC_ENVIRONMENT", "production")
    variables = SECRETS[service]
    for variable in variables:
        monkeypatch.setenv(variable, REAL)
    service()  # every credential set: it starts
    for variable in variables:
        monkeypatch.setenv(variable, DEV_SECRET)
        with pytest.raises(ValueError, match=variable) as caught:
            service()
        assert DEV_SECRET not in str(caught.value)
        assert REAL not in str(caught.value), "another secret was echoed"
        monkeypatch.setenv(variable, REAL)


def test_a_development_token_beside_real_ones_is_refused_too() -> None:
    with pytest.raises(ValueError, match="PKC_QUEUEING_UI_TOKENS") as caught:
        QueueingSettings(environment="production", ui_tokens=f"{REAL}, {DEV_SECRET}")
    assert REAL not in str(caught.value)


def test_development_secrets_run_the_embedded_setup_outside_production() -> None:
    for service in SECRETS:
        for environment in ("local", "test"):
            service(environment=environment)


def test_a_refusal_names_every_variable_left_at_its_default_and_no_value() -> None:
    with pytest.raises(ValueError, match="PKC_NOTIFY_WEBHOOK_SECRET") as caught:
        NotifySettings(environment="production", api_tokens=REAL)
    message = str(caught.value)
    assert "PKC_NOTIFY_ACK_SECRET" in message
    assert "PKC_NOTIFY_API_TOKENS" not in message
    assert REAL not in message
    assert DEV_SECRET not in message


def test_secrets_are_not_shown_when_settings_are_printed() -> None:
    settings = QueueingSettings(ui_tokens=REAL, database_url="postgresql://pkc:pw@db/pkc")
    assert REAL not in repr(settings)
    assert "pw@" not in repr(settings)


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
