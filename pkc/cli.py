"""`pkc`: the single command-line entry point of the platform."""

import asyncio
import os
import sys
from typing import Annotated

import typer

from pkc.deploy_cli import deploy_cli
from pkc.erase_cli import erase_cli
from pkc.localkafka import KafkaSetupError, LocalKafka
from pkc.localkafka.tools import tool_access
from pkc.oidc_cli import oidc_cli
from pkc.oncall_cli import oncall_cli
from pkc.paths import cache_dir, state_dir
from pkc.replay_cli import replay_cli
from pkc.report_cli import report_cli
from pkc.staffing_cli import staffing_cli
from pkc.triage_cli import triage_cli
from pkc.users_cli import users_cli

app = typer.Typer(help="The PKC contact-centre event platform.", no_args_is_help=True)
kafka_cli = typer.Typer(help="The local Apache Kafka broker (KRaft, from Maven Central jars).")
topics_cli = typer.Typer(help="Kafka topics from the registry in schemas/topics.py.")
schemas_cli = typer.Typer(help="The JSON Schema files generated from the event models.")
app.add_typer(kafka_cli, name="kafka")
app.add_typer(topics_cli, name="topics")
app.add_typer(schemas_cli, name="schemas")
app.add_typer(triage_cli, name="triage")
app.add_typer(deploy_cli, name="deploy")
app.add_typer(staffing_cli, name="staffing")
app.add_typer(oncall_cli, name="oncall")
app.add_typer(report_cli, name="report")
app.add_typer(oidc_cli, name="oidc")
app.add_typer(users_cli, name="users")
app.command("replay")(replay_cli)
app.command("erase")(erase_cli)

Port = Annotated[int, typer.Option(help="The broker's client port (the controller uses port+1).")]


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _bootstrap(port: int) -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{port}"


@kafka_cli.command("start")
def kafka_start(port: Port = 9092) -> None:
    """Starts the local broker and waits until it answers (no-op if KAFKA_BOOTSTRAP_SERVERS)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        typer.echo(f"KAFKA_BOOTSTRAP_SERVERS is set; using {_bootstrap(port)}, starting nothing")
        return
    # Secured, as `pkc run` starts it: one SCRAM principal per service (schemas/access.py).
    broker = LocalKafka(state_dir(), cache_dir(), port=port, secured=True)
    try:
        took = broker.start()
    except KafkaSetupError as exc:
        _fail(str(exc))
    typer.echo(f"Kafka answering on {broker.bootstrap} (ready in {took:.1f} s)")


@kafka_cli.command("stop")
def kafka_stop(port: Port = 9092) -> None:
    """Stops the local broker cleanly."""
    stopped = LocalKafka(state_dir(), cache_dir(), port=port).stop()
    typer.echo("Kafka stopped" if stopped else "no local broker was running")


@kafka_cli.command("status")
def kafka_status(port: Port = 9092) -> None:
    """Says whether a local broker runs and answers."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        from services.shared.kafka_admin import cluster_answers

        answers = asyncio.run(cluster_answers(_bootstrap(port), 5.0))
        typer.echo(
            f"external cluster {_bootstrap(port)}: {'answering' if answers else 'no answer'}"
        )
        return
    typer.echo(LocalKafka(state_dir(), cache_dir(), port=port).status().describe())


@topics_cli.command("create")
def topics_create(
    port: Port = 9092,
    replication_factor: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Creates every topic of the registry that does not exist yet (idempotent)."""
    from schemas.topics import all_topics
    from services.shared.kafka_admin import create_topics

    kafka = tool_access(port)
    try:
        created = asyncio.run(
            create_topics(kafka.bootstrap, all_topics(), replication_factor, kafka.admin)
        )
    except Exception as exc:
        _fail(f"could not create topics on {kafka.bootstrap}: {type(exc).__name__}: {exc}")
    typer.echo(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else ""))


@schemas_cli.command("generate")
def schemas_generate() -> None:
    """Writes schemas/json/*.json from the pydantic models."""
    from schemas.jsonschema import write_all

    for path in write_all():
        typer.echo(str(path))


@app.command("serve")
def serve(
    service: Annotated[str, typer.Argument(help="intake, triage, queueing, reporting or notify")],
) -> None:
    """Runs one service in this process (its HTTP API and its Kafka side)."""
    from pkc.serve import serve_service

    try:
        serve_service(service)
    except (LookupError, ValueError) as exc:
        _fail(str(exc))


@app.command("run")
def run(
    port: Port = 9092,
    speed: Annotated[
        float, typer.Option(min=0.01, help="simulated seconds per real second")
    ] = 60.0,
    clock_start: Annotated[
        str | None, typer.Option(help="simulated start time, ISO 8601 with offset")
    ] = None,
    ready_timeout: Annotated[float, typer.Option(min=1)] = 120.0,
    simulate: Annotated[bool, typer.Option(help="national traffic and simulated operators")] = True,
    volume: Annotated[
        float, typer.Option(min=0.001, help="simulated traffic, 1.0 = PKC size")
    ] = 0.1,
    oidc_port: Annotated[
        int, typer.Option(help="the local Keycloak's port (unless PKC_OIDC_ISSUER is set)")
    ] = 8180,
    replicas: Annotated[
        int, typer.Option(min=1, max=4, help="processes per service (sharing a PostgreSQL)")
    ] = 1,
) -> None:
    """Kafka, topics, the OIDC issuer, the five services and a simulated national day, its
    operators and adapters signed in as themselves; Ctrl-C stops all."""
    from pkc.run import run_platform

    try:
        code = run_platform(
            port, speed, clock_start, ready_timeout, simulate, volume, oidc_port, replicas
        )
    except (KafkaSetupError, TimeoutError, RuntimeError) as exc:
        _fail(str(exc))
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(app())
