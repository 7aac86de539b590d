"""`pkc triage`: check a rules file, classify a text with its explanation, measure the
classifier on a labelled set (5-fold cross-validated where the model learned from the set),
and train the second opinion."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from services.triage.classifier import Classifier

triage_cli = typer.Typer(help="Triage: rules, the learned second opinion, measurement.")

RulesOption = Annotated[Path | None, typer.Option(help="a rules file (default: the service's)")]
ModelOption = Annotated[
    Path | None, typer.Option(help="a model file (default: the service's)", dir_okay=False)
]
NoModel = Annotated[bool, typer.Option("--no-model", help="the rules alone")]


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _classifier(rules: Path | None, model: Path | None, no_model: bool) -> "Classifier":
    from services.triage.classifier import DEFAULT_RULES, Classifier
    from services.triage.model import DEFAULT_MODEL, ModelError
    from services.triage.rules import RulesError

    try:
        return Classifier.from_file(
            rules or DEFAULT_RULES, None if no_model else model or DEFAULT_MODEL
        )
    except (RulesError, ModelError) as exc:
        _fail(str(exc))


@triage_cli.command("check")
def triage_check(file: Annotated[Path, typer.Argument(help="a rules file (YAML)")]) -> None:
    """Validates a rules file; names the line of each error."""
    from services.triage.rules import RulesError, load_rules

    try:
        rules = load_rules(file)
    except RulesError as exc:
        _fail(str(exc))
    typer.echo(f"{file}: {len(rules.rules)} rules, version {rules.version}: OK")


@triage_cli.command("classify")
def triage_classify(
    text: str,
    channel: Annotated[str, typer.Option(help="the contact's channel")] = "phone",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
    rules: RulesOption = None,
    model: ModelOption = None,
    no_model: NoModel = False,
) -> None:
    """Prints the decision for TEXT and why: which opinion decided, the model's probability per
    category and the words that weighed most."""
    from schemas import Channel

    try:
        chosen = Channel(channel)
    except ValueError:
        _fail(f"unknown channel {channel!r}; one of: {', '.join(c.value for c in Channel)}")
    classifier = _classifier(rules, model, no_model)
    decision = classifier.classify(text, chosen)
    result = {
        "category": decision.category.value,
        "matter": decision.matter.value,
        "priority": decision.priority,
        "route": decision.route.value,
        "e_service": decision.e_service,
        "decided_by": decision.decided_by,
        "rule": decision.rule_id,
        "matched": list(decision.matched),
        "probabilities": {c.value: p for c, p in decision.probabilities},
        "weighed_words": list(decision.weighed_words),
        "possible_emergency": decision.possible_emergency,
        "low_confidence": decision.low_confidence,
        "rules_version": classifier.version,
        "model_version": classifier.model_version,
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.1%}" for k, v in value.items()) or "-"
        typer.echo(f"{key:>18}: {value}")


@triage_cli.command("eval")
def triage_eval(
    labelled: Annotated[
        Path | None, typer.Option(help="a labelled JSONL set (default: the training sets)")
    ] = None,
    rules: RulesOption = None,
    model: ModelOption = None,
    no_model: NoModel = False,
    cross_validate: Annotated[
        bool | None,
        typer.Option(
            "--cv/--no-cv",
            help="5-fold: each text judged by a model trained without it (default: on the "
            "training set, where the trained model would judge texts it learned)",
        ),
    ] = None,
    show_misses: Annotated[bool, typer.Option("--misses", help="list each miss")] = False,
) -> None:
    """Precision, recall and a confusion matrix, the rules alone beside rules + model;
    exits 1 when the goals are not met."""
    from pkc.triage_report import print_evaluation
    from services.triage.classifier import Classifier
    from services.triage.evaluation import evaluate, load_labelled
    from services.triage.training import TRAINING_SETS, out_of_fold

    paths = [labelled] if labelled else list(TRAINING_SETS)
    try:
        items = [item for path in paths for item in load_labelled(path)]
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    classifier = _classifier(rules, model, no_model)
    rules_alone = evaluate(Classifier(classifier.ruleset), items)  # the same rules, no model
    if cross_validate is None:
        learned_from = {p.resolve() for p in TRAINING_SETS}
        cross_validate = all(path.resolve() in learned_from for path in paths)
    held_out = out_of_fold(items) if cross_validate and classifier.model else None
    result = evaluate(classifier, items, held_out)
    how = "5-fold cross-validated" if held_out is not None else "as trained"
    name = "rules alone" if classifier.model is None else f"rules + model ({how})"
    print_evaluation(result, rules_alone, name, show_misses)
    raise typer.Exit(0 if result.goals_met else 1)


@triage_cli.command("train")
def triage_train(
    labelled: Annotated[
        list[Path] | None, typer.Option(help="labelled JSONL sets (default: the training sets)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="where to write the model file")] = None,
    rules: RulesOption = None,
) -> None:
    """Trains the second opinion (fixed seed: the same data give the same file) and chooses
    its thresholds on held-out folds, recall first."""
    from services.triage.classifier import DEFAULT_RULES
    from services.triage.evaluation import load_labelled
    from services.triage.model import DEFAULT_MODEL
    from services.triage.rules import RulesError, load_rules
    from services.triage.training import TRAINING_SETS, dumps, train

    try:
        ruleset = load_rules(rules or DEFAULT_RULES)
        items = [item for path in labelled or TRAINING_SETS for item in load_labelled(path)]
        trained = train(items, ruleset.version)
    except (RulesError, ValueError, OSError) as exc:
        _fail(str(exc))
    target = out or DEFAULT_MODEL
    target.write_text(dumps(trained.file), encoding="utf-8")
    t = trained.model.thresholds
    typer.echo(
        f"{target}: model {trained.model.version} from {len(items)} texts, "
        f"{len(trained.model.vocabulary)} features, {target.stat().st_size / 1e6:.1f} MB; "
        f"thresholds: Nöd {t.emergency}, possible emergency {t.possible_emergency}, "
        f"Skyndsamt {t.urgent}"
    )
