"""Settings: environment variables, names given in code, and secrets refused in production."""

from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings


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


def test_development_secrets_are_refused_in_production() -> None:
    settings = NotifySettings(environment="production")
    with pytest.raises(ValueError, match="PKC_NOTIFY_WEBHOOK_SECRET"):
        settings.refuse_dev_secret("PKC_NOTIFY_WEBHOOK_SECRET", settings.webhook_secret)
