"""`pkc oncall`: the people on call at a time, and a schedule check naming the bad entry."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pkc.cli import app
from services.notify.bootstrap import bootstrap
from services.notify.settings import DEFAULT_SCHEDULE, NotifySettings

runner = CliRunner()


def test_show_names_who_is_on_call_and_until_when() -> None:
    result = runner.invoke(
        app, ["oncall", "show", "--region", "stockholm", "--at", "2026-11-24T18:30"]
    )
    assert result.exit_code == 0, result.output
    assert "Vakthavande dag" in result.output
    assert "Tue 19:00" in result.output  # the handover to the night shift


def test_check_refuses_a_schedule_naming_its_entry(tmp_path: Path) -> None:
    bad = tmp_path / "oncall.yaml"
    bad.write_text("people:\n  anna: {email: not-an-address}\nrotations: []\n")
    result = runner.invoke(app, ["oncall", "check", str(bad)])
    assert result.exit_code == 1
    assert "people.anna: email is not an e-mail address" in result.output


def test_show_live_reads_the_version_notify_stored_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKC_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    notify = bootstrap(NotifySettings(state_dir=tmp_path))
    edited = DEFAULT_SCHEDULE.read_text(encoding="utf-8").replace(
        "Vakthavande dag Stockholm", "Anna Berg"
    )
    notify.schedules.replace(edited, datetime.now(UTC))
    args = ["oncall", "show", "--region", "stockholm", "--at", "2026-11-24T18:30"]
    live = runner.invoke(app, [*args, "--live"])
    assert live.exit_code == 0, live.output
    assert "Anna Berg" in live.output
    assert "Anna Berg" not in runner.invoke(app, args).output, "the file is unchanged"
