"""The service-level policy is one value, built from one set of settings for every service."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.service_level import ServiceLevelPolicy
from schemas.enums import Channel
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.queueing.settings import QueueingSettings
from services.reporting.settings import ReportingSettings

EVERY_SERVICE = (IntakeSettings, NotifySettings, QueueingSettings, ReportingSettings)


def test_the_defaults_are_the_national_target() -> None:
    policy = ReportingSettings().service_level()
    assert policy == ServiceLevelPolicy()
    assert policy.describe() == "85 % besvarade inom 10 minuter, 07:00–20:00"
    assert policy.describe("en") == "85 % answered within 10 minutes, 07:00–20:00"


def test_one_change_of_target_reaches_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKC_SLA_TARGET", "0.9")
    monkeypatch.setenv("PKC_SLA_HOURS", "08:00-18:00")
    for settings in EVERY_SERVICE:
        policy = settings().service_level()
        assert (policy.target, policy.target_percent, policy.hours) == (0.9, "90 %", "08:00–18:00")


def test_reportings_older_variable_names_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PKC_REPORTING_MIN_VOLUME", "5")
    monkeypatch.setenv("PKC_REPORTING_TARGET", "0.8")
    policy = NotifySettings().service_level()
    assert (policy.min_volume, policy.target) == (5, 0.8)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("PKC_SLA_HOURS", "20:00-07:00", "service hours"),
        ("PKC_SLA_HOURS", "7-20", "PKC_SLA_HOURS"),
        ("PKC_SLA_CHANNELS", "phone,fax", "fax"),
        ("PKC_SLA_SHORT_ABANDON_SECONDS", "900", "short_abandon_seconds"),
        ("PKC_SLA_RECOVERY_MARGIN", "0.5", "recovery_margin"),
    ],
)
def test_a_policy_that_makes_no_sense_refuses_the_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=named):
        ReportingSettings()


def test_what_counts_follows_the_policy() -> None:
    policy = ServiceLevelPolicy(counted_channels=frozenset({Channel.PHONE, Channel.MAIL}))
    assert policy.counts_channel(Channel.MAIL)
    assert not policy.counts_channel(Channel.E_SERVICE)
    # 06:59 and 20:00 Stockholm (winter, UTC+1) are outside; 07:00 is inside.
    assert not policy.within_hours(datetime(2026, 12, 1, 5, 59, tzinfo=UTC))
    assert policy.within_hours(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert not policy.within_hours(datetime(2026, 12, 1, 19, 0, tzinfo=UTC))
    assert policy.answered_in_time(600)
    assert not policy.answered_in_time(600.5)
    assert policy.is_short_abandon(5)
    assert not policy.is_short_abandon(5.1)
    assert policy.is_low_volume(19)
    assert not policy.is_low_volume(20)
