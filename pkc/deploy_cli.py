"""`pkc deploy`: the Kubernetes manifests generated from the code (registered in pkc/cli.py)."""

from pathlib import Path
from typing import Annotated

import typer

from pkc.k8s_topics import CLUSTER, TOPICS_FILE, render_topics
from pkc.k8s_users import USERS_FILE, render_users

deploy_cli = typer.Typer(no_args_is_help=True)


@deploy_cli.callback()
def deploy() -> None:
    """Kubernetes manifests under deploy/k8s generated from the code."""
    # A callback keeps the commands sub-commands (`pkc deploy topics`, `pkc deploy users`).


@deploy_cli.command("topics")
def topics(
    replicas: Annotated[int, typer.Option(min=1, help="replicas of every partition")] = 3,
    min_insync_replicas: Annotated[
        int, typer.Option(min=1, help="replicas that must acknowledge an acks=all write")
    ] = 2,
    cluster: Annotated[str, typer.Option(help="the Strimzi Kafka resource's name")] = CLUSTER,
    output: Annotated[Path, typer.Option(help="the file to write")] = TOPICS_FILE,
    check: Annotated[
        bool, typer.Option("--check", help="write nothing; exit 1 when the file is stale")
    ] = False,
) -> None:
    """Writes one Strimzi KafkaTopic per registry topic (schemas/topics.py), DLQs included."""
    try:
        text = render_topics(replicas, min_insync_replicas, cluster)
    except ValueError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    _write_or_check(output, text, check, "topics")


@deploy_cli.command("users")
def users(
    cluster: Annotated[str, typer.Option(help="the Strimzi Kafka resource's name")] = CLUSTER,
    output: Annotated[Path, typer.Option(help="the file to write")] = USERS_FILE,
    check: Annotated[
        bool, typer.Option("--check", help="write nothing; exit 1 when the file is stale")
    ] = False,
) -> None:
    """Writes one Strimzi KafkaUser per service with its ACLs (schemas/access.py)."""
    _write_or_check(output, render_users(cluster), check, "users")


def _write_or_check(output: Path, text: str, check: bool, command: str) -> None:
    if check:
        current = output.read_text("utf-8") if output.exists() else None
        if current != text:
            typer.secho(
                f"{output} is stale; run `pkc deploy {command}`", fg=typer.colors.RED, err=True
            )
            raise typer.Exit(1)
        typer.echo(f"{output} matches the code")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")
