"""`pkc oncall`: the people on call at a time, and a schedule check naming the bad entry."""

from pathlib import Path

from typer.testing import CliRunner

from pkc.cli import app

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
