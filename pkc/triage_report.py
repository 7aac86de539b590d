"""Prints a triage evaluation as tables (rich)."""

from rich.console import Console
from rich.table import Table

from schemas import NeedCategory
from services.triage.evaluation import GOAL_ACCURACY, GOAL_EMERGENCY_RECALL, Evaluation


def print_evaluation(result: Evaluation, show_misses: bool = False) -> None:
    console = Console()
    per_category = Table(title=f"Triage on {result.total} labelled contacts")
    for column in ("category", "precision", "recall", "support"):
        per_category.add_column(column, justify="left" if column == "category" else "right")
    for category in NeedCategory:
        support = sum(n for (a, _), n in result.confusion.items() if a == category)
        per_category.add_row(
            f"{category.value} ({category.label_sv})",
            f"{result.precision(category):.1%}",
            f"{result.recall(category):.1%}",
            str(support),
        )
    console.print(per_category)

    confusion = Table(title="Confusion matrix (rows: labelled, columns: predicted)")
    confusion.add_column("")
    for category in NeedCategory:
        confusion.add_column(category.value, justify="right")
    for actual in NeedCategory:
        counts = [str(result.confusion[(actual, predicted)]) for predicted in NeedCategory]
        confusion.add_row(actual.value, *counts)
    console.print(confusion)

    emergency = result.recall(NeedCategory.EMERGENCY)
    console.print(
        f"category accuracy {result.accuracy:.1%} (goal ≥ {GOAL_ACCURACY:.0%}), "
        f"Nöd recall {emergency:.1%} (goal {GOAL_EMERGENCY_RECALL:.0%}), "
        f"matter accuracy {result.matter_accuracy:.1%}"
    )
    verdict = "[green]goals met[/]" if result.goals_met else "[red]goals NOT met[/]"
    console.print(verdict)
    if show_misses:
        for item, predicted, rule in result.misses:
            console.print(
                f"{item.id} [{item.channel.value}] {item.category.value} -> {predicted.value} "
                f"({rule}): {item.text[:100]}",
                markup=False,
            )
