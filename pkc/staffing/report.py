"""`pkc staffing`'s printed report: the hourly table, national totals against the seed, pooling."""

from rich.console import Console
from rich.table import Table

from domain.staffing.forecast import HOURS
from domain.staffing.plan import SEED_MISSING, SEED_NEEDED, Model, StaffingPlan


def print_plan(console: Console, result: StaffingPlan, source: str, hours_note: str) -> None:
    """What was assumed, the operators per region and hour, and the national totals."""
    a = result.assumptions
    policy = a.policy
    console.print(
        f"[bold]Forecast[/]: {source}: {result.forecast.per_day():,.0f} calls a day reach an "
        f"operator{hours_note}.\n"
        f"[bold]Target[/]: {policy.target:.0%} answered within {policy.threshold_seconds:.0f} s; "
        f"handling {a.handling_seconds:.0f} s; "
        + (f"patience {a.patience_seconds:.0f} s; " if a.patience_seconds else "")
        + f"occupancy at most {a.max_occupancy:.0%}. Cells: Erlang C"
        + (" / Erlang A" if Model.ERLANG_A in result.models else "")
        + " operators."
    )
    console.print(_hours_table(result))
    console.print(_totals_table(result))
    console.print(
        f"Headcount = operator-hours per day × 7 / ({a.days_per_week:g} shifts a week × "
        f"{a.shift_hours:g} h × (1 − {a.shrinkage:.0%} shrinkage)); the seed counts people, the "
        "models count operators on the phones at once. Change --shift-hours, --days-per-week, "
        "--shrinkage to test other assumptions."
    )


def _both(c: int, a: int | None) -> str:
    return f"{c}" if a is None else f"{c}/{a}"


def _model_columns(table: Table, models: tuple[Model, ...]) -> None:
    for model in models:
        table.add_column("Erlang C" if model == Model.ERLANG_C else "Erlang A", justify="right")


def _hours_table(result: StaffingPlan) -> Table:
    table = Table(title="Operators needed per region and hour")
    table.add_column("hour", justify="right")
    table.add_column("calls/h", justify="right")
    for region in result.regions:
        table.add_column(region.display_name, justify="right")
    table.add_column("Σ regions", justify="right", style="bold")
    table.add_column("one pool", justify="right")
    has_a = Model.ERLANG_A in result.models
    separate = {m: result.separate(m) for m in result.models}
    pooled = {m: result.pooled(m) for m in result.models}
    national = result.forecast.national()
    for hour in HOURS:
        if national[hour] == 0:
            continue
        table.add_row(
            f"{hour:02d}",
            f"{national[hour]:.0f}",
            *(
                _both(needs[hour].erlang_c, needs[hour].erlang_a)
                for needs in result.regions.values()
            ),
            _both(
                separate[Model.ERLANG_C][hour], separate[Model.ERLANG_A][hour] if has_a else None
            ),
            _both(pooled[Model.ERLANG_C][hour], pooled[Model.ERLANG_A][hour] if has_a else None),
        )
    return table


def _totals_table(result: StaffingPlan) -> Table:
    models = result.models
    totals = Table(
        title=f"National totals against the seeds (seed 001: about {SEED_NEEDED} needed, "
        f"{SEED_MISSING} missing)"
    )
    totals.add_column("")
    _model_columns(totals, models)
    peaks = [result.peak(m) for m in models]
    totals.add_row("peak-hour sum of regions", *(f"{n} at {h:02d}:00" for h, n in peaks))
    totals.add_row("operator-hours per day", *(f"{result.operator_hours(m):,}" for m in models))
    heads = [result.headcount(m) for m in models]
    totals.add_row("people needed (headcount)", *(f"{h:,.0f}" for h in heads))
    totals.add_row("seed: needed", *(f"{SEED_NEEDED}" for _ in models))
    totals.add_row("model − seed", *(f"{h - SEED_NEEDED:+,.0f}" for h in heads))
    in_post = SEED_NEEDED - SEED_MISSING
    totals.add_row(
        f"seed: in post ({SEED_NEEDED} − {SEED_MISSING} = {in_post})",
        *(f"covers {in_post / h:.0%}" for h in heads),
    )
    return totals


def print_pooling(console: Console, result: StaffingPlan, uncapped: StaffingPlan) -> None:
    """What one national pool saves against seven regional queues, with and without the cap."""
    models = result.models
    pooling = Table(title="Pooling: one national pool instead of seven regional queues")
    pooling.add_column("")
    _model_columns(pooling, models)
    cap = f"{result.assumptions.max_occupancy:.0%} occupancy cap"
    for label, figures in ((f"with the {cap}", result), ("without a cap", uncapped)):
        pooling.add_row(
            f"{label}: peak hour, seven regions", *(f"{max(figures.separate(m))}" for m in models)
        )
        pooling.add_row(
            f"{label}: peak hour, one pool", *(f"{max(figures.pooled(m))}" for m in models)
        )
        pooling.add_row(
            f"{label}: operator-hours a day saved", *(_saved(figures, m) for m in models)
        )
    console.print(pooling)
    abandons = (
        "Erlang A's pool even carries more calls (fewer hang up) and so asks for more under the "
        "cap. "
        if Model.ERLANG_A in models
        else ""
    )
    console.print(
        "At this size the occupancy cap, not waiting, sets the number of operators, so pooling "
        f"saves little under a cap; {abandons}Without a cap pooling saves what the queues "
        "themselves would: that is the case for reinforcement between regions."
    )


def _saved(figures: StaffingPlan, model: Model) -> str:
    separate, pooled = figures.operator_hours(model), figures.pooled_operator_hours(model)
    people = figures.assumptions.headcount(separate - pooled)
    return f"{separate - pooled:,} ({1 - pooled / max(1, separate):.0%}, {people:,.0f} people)"
