"""`pkc staffing` and what it stands on: the CSV forecast, the day's plan, the chart."""

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from domain.staffing.forecast import Forecast
from domain.staffing.plan import Assumptions, Model, plan
from pkc.staffing.forecast_csv import ForecastError, parse_forecast
from pkc.staffing_cli import staffing_cli
from schemas import Region

app = typer.Typer()
app.add_typer(staffing_cli, name="staffing")
runner = CliRunner()


def test_a_forecast_reads_regions_by_slug_or_name_and_fills_missing_hours() -> None:
    text = "region,hour,arrivals\nstockholm,9,120\nVäst,9,80.5\n# a comment\n\nÖST,10,30\n"
    forecast = parse_forecast(text)
    assert forecast.arrivals[Region.STOCKHOLM][9] == 120
    assert forecast.arrivals[Region.VAST][9] == 80.5
    assert forecast.arrivals[Region.OST][10] == 30
    assert forecast.arrivals[Region.NORD] == (0.0,) * 24
    assert forecast.per_day() == pytest.approx(230.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("region,hour,arrivals\ngotland,9,10\n", "f.csv, line 2: unknown region 'gotland'"),
        ("region,hour,arrivals\nnord,9,-1\n", "f.csv, line 2: arrivals must be a finite number"),
        ("region,hour,arrivals\nnord,24,1\n", "f.csv, line 2: hour 24 is outside 0-23"),
        ("region,hour,arrivals\nnord,nine,1\n", "f.csv, line 2: hour 'nine' is not a whole"),
        ("region,hour,arrivals\nnord,9,many\n", "f.csv, line 2: arrivals 'many' is not a number"),
        ("region,hour,arrivals\nmitt,9\n", "f.csv, line 2: expected 3 fields"),
        (
            "region,hour,arrivals\nmitt,9,1\n\nmitt,9,2\n",
            "line 4: mitt hour 9 was already given on line 2",
        ),
        ("area,hour,calls\nmitt,9,1\n", "f.csv, line 1: expected the header"),
        ("", "f.csv: empty"),
    ],
)
def test_a_bad_forecast_names_its_line(text: str, message: str) -> None:
    with pytest.raises(ForecastError) as caught:
        parse_forecast(text, "f.csv")
    assert message in str(caught.value)


def test_the_plan_sums_regions_pools_them_and_converts_to_people() -> None:
    arrivals = {region: [0.0] * 24 for region in Region}
    for region in Region:
        arrivals[region][10] = 60.0  # 6 Erlang each at AHT 360 s: the staffing notes' example
    assumptions = Assumptions(handling_seconds=360, patience_seconds=None, max_occupancy=1.0)
    result = plan(Forecast.of(arrivals), assumptions)
    assert result.peak(Model.ERLANG_C) == (10, 49)
    assert result.pooled(Model.ERLANG_C)[10] == 44
    assert result.operator_hours(Model.ERLANG_C) == 49
    assert result.headcount(Model.ERLANG_C) == pytest.approx(49 * 7 / (5 * 8 * 0.65))
    assert result.models == (Model.ERLANG_C,)


def test_staffing_prints_regions_totals_against_the_seed_and_pooling(tmp_path: Path) -> None:
    chart = tmp_path / "need.svg"
    result = runner.invoke(app, ["staffing", "--chart", str(chart)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for expected in (
        "Stockholm",
        "Öst",
        "peak-hour sum of regions",
        "people needed",
        "800",
        "one pool",
        "without a cap",
        "Headcount = operator-hours",
    ):
        assert expected in result.output
    svg = chart.read_text()
    assert svg.rstrip().endswith("</svg>")
    assert svg.count('id="patch_') > 7 * 13  # a bar segment per region and staffed hour
    assert "Stockholm" in svg  # text stays text: the legend can be read and searched
    assert "one national pool" in svg
    assert "Operators needed for 85 % within 10 min (Erlang A)" in svg


def test_staffing_draws_a_png_chart_and_refuses_other_formats(tmp_path: Path) -> None:
    png = tmp_path / "need.png"
    result = runner.invoke(app, ["staffing", "--no-patience", "--chart", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG")
    refused = runner.invoke(app, ["staffing", "--chart", str(tmp_path / "need.gif")])
    assert refused.exit_code == 1
    assert "written as .png or .svg" in refused.output
    assert not (tmp_path / "need.gif").exists()


def test_staffing_takes_target_threshold_and_hours_from_the_service_level_policy(
    tmp_path: Path,
) -> None:
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("region,hour,arrivals\nstockholm,7,50\nstockholm,10,120\n")
    env = {
        "COLUMNS": "160",
        "PKC_SLA_TARGET": "0.8",
        "PKC_SLA_THRESHOLD_SECONDS": "300",
        "PKC_SLA_HOURS": "09:00-17:00",
    }
    result = runner.invoke(app, ["staffing", str(forecast), "--no-patience"], env=env)
    assert result.exit_code == 0, result.output
    assert "Target: 80% answered within 300 s" in result.output
    assert "120 calls a day reach an operator (09:00–17:00 only)" in result.output
    given = runner.invoke(app, ["staffing", str(forecast), "--target", "0.9", "--all-day"], env=env)
    assert given.exit_code == 0, given.output
    assert "Target: 90% answered within 300 s" in given.output
    assert "170 calls a day reach an operator." in given.output


def test_staffing_reads_a_forecast_file_and_erlang_c_alone(tmp_path: Path) -> None:
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("region,hour,arrivals\nstockholm,10,120\nmitt,10,30\n")
    result = runner.invoke(
        app,
        ["staffing", str(forecast), "--no-patience", "--handling-seconds", "360"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "Erlang A" not in result.output
    assert "150 calls a day" in result.output


def test_staffing_refuses_bad_input_naming_the_line(tmp_path: Path) -> None:
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("region,hour,arrivals\nstockholm,10,120\nlappland,10,3\n")
    result = runner.invoke(app, ["staffing", str(forecast)])
    assert result.exit_code == 1
    assert "line 3: unknown region 'lappland'" in result.output
    missing = runner.invoke(app, ["staffing", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1
    negative = runner.invoke(app, ["staffing", "--handling-seconds", "0"])
    assert negative.exit_code == 1
    assert "handling_seconds must be greater than zero" in negative.output
