"""`pkc triage`: classify with its explanation, train a model file, measure a labelled set."""

import json
from pathlib import Path

from typer.testing import CliRunner

from pkc.cli import app
from services.triage.evaluation import DEFAULT_SET
from services.triage.model import TriageModel

runner = CliRunner()


def test_classify_explains_which_opinion_decided_with_probabilities_and_words() -> None:
    text = "min lillebror e ensam vid bryggan o kan inte simma, ser ingen vuxen"
    result = runner.invoke(app, ["triage", "classify", text, "--channel", "mail", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["decided_by"] in ("rules", "model")
    assert set(shown["probabilities"]) == {"emergency", "urgent", "case_help", "information"}
    assert shown["model_version"].startswith(shown["rules_version"])
    assert shown["category"] == "emergency" or shown["possible_emergency"]


def test_classify_by_the_rules_alone_and_refuses_an_unknown_channel() -> None:
    alone = runner.invoke(app, ["triage", "classify", "hej", "--no-model", "--json"])
    assert json.loads(alone.stdout)["model_version"] is None
    refused = runner.invoke(app, ["triage", "classify", "hej", "--channel", "fax"])
    assert refused.exit_code == 1
    assert "unknown channel 'fax'" in refused.stderr


def test_train_writes_a_model_the_classifier_loads_and_eval_measures_it(tmp_path: Path) -> None:
    subset = tmp_path / "subset.jsonl"
    lines = DEFAULT_SET.read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(lines[::10]) + "\n", encoding="utf-8")
    model_file = tmp_path / "model.json"
    trained = runner.invoke(
        app, ["triage", "train", "--labelled", str(subset), "--out", str(model_file)]
    )
    assert trained.exit_code == 0, trained.output
    assert "thresholds: Nöd" in trained.stdout
    model = TriageModel.from_file(model_file)
    assert model.thresholds.possible_emergency <= model.thresholds.emergency
    measured = runner.invoke(
        app,
        ["triage", "eval", "--labelled", str(subset), "--model", str(model_file), "--cv"],
        env={"COLUMNS": "160"},
    )
    assert "5-fold cross-validated" in measured.stdout
    assert "rules alone" in measured.stdout
    assert measured.exit_code in (0, 1)  # 1: goals not met on a fifth of the data


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text("[]")
    result = runner.invoke(app, ["triage", "classify", "hej", "--model", str(broken)])
    assert result.exit_code == 1
    assert "model.json" in result.stderr
