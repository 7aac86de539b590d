"""Prints a triage evaluation as tables (rich): the classifier per category, its confusion
matrix, and the rules alone beside it on the safety figures."""

from rich.console import Console
from rich.table import Table

from schemas import NeedCategory
from services.triage.evaluation import (
    GOAL_ACCURACY,
    GOAL_EMERGENCY_PRECISION,
    GOAL_EMERGENCY_RECALL,
    Evaluation,
)

NOD = NeedCategory.EMERGENCY


def print_evaluation(
    result: Evaluation, rules_alone: Evaluation, name: str, show_misses: bool = False
) -> None:
    console = Console()
    console.print(_per_category(result, name))
    console.print(_confusion(result))
    console.print(_safety(result, rules_alone, name))
    console.print(f"matter accuracy {result.matter_accuracy:.1%}")
    console.print(
        f"goals: Nöd recall ≥ {GOAL_EMERGENCY_RECALL:.0%}, Nöd precision ≥ "
        f"{GOAL_EMERGENCY_PRECISION:.0%}, accuracy ≥ {GOAL_ACCURACY:.0%}, no Nöd as Information"
    )
    console.print("[green]goals met[/]" if result.goals_met else "[red]goals NOT met[/]")
    if show_misses:
        for item, predicted, rule in result.misses:
            console.print(
                f"{item.id} [{item.channel.value}] {item.category.value} -> {predicted.value} "
                f"({rule}): {item.text[:100]}",
                markup=False,
            )


def _per_category(result: Evaluation, name: str) -> Table:
    table = Table(title=f"Triage, {name}, on {result.total} labelled contacts")
    for column in ("category", "precision", "recall", "support"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for category in NeedCategory:
        support = sum(n for (a, _), n in result.confusion.items() if a == category)
        table.add_row(
            f"{category.value} ({category.label_sv})",
            f"{result.precision(category):.1%}",
            f"{result.recall(category):.1%}",
            str(support),
        )
    return table


def _confusion(result: Evaluation) -> Table:
    table = Table(title="Confusion matrix (rows: labelled, columns: predicted)")
    table.add_column("")
    for category in NeedCategory:
        table.add_column(category.value, justify="right")
    for actual in NeedCategory:
        counts = [str(result.confusion[(actual, predicted)]) for predicted in NeedCategory]
        table.add_row(actual.value, *counts)
    return table


def _safety(result: Evaluation, rules_alone: Evaluation, name: str) -> Table:
    table = Table(
        title="Safety (flagged: possible emergencies, Nöd of them; unseen: Nöd neither "
        "decided nor flagged)"
    )
    for column in ("", "accuracy", "Nöd recall", "Nöd prec.", "Nöd→Info", "flagged", "unseen"):
        table.add_column(column, justify="left" if not column else "right")
    for label, figures in (("rules alone", rules_alone), (name, result)):
        table.add_row(
            label,
            f"{figures.accuracy:.1%}",
            f"{figures.recall(NOD):.1%}",
            f"{figures.precision(NOD):.1%}",
            str(figures.emergencies_as_information),
            f"{figures.flagged} ({figures.emergencies_flagged})",
            str(figures.emergencies_unseen),
        )
    return table
