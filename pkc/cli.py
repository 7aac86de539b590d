"""`pkc`: the single command-line entry point of the platform.

Start-up stays short (`pkc --help` well under half a second): this module imports typer and
nothing of the platform at the top. The commands defined here import what they use inside their
function; the others live in their own modules, registered in COMMANDS and imported only when
they run (pkc/lazy_cli.py). Keep it so: a module-level import here is paid by every command,
`pkc serve` of each service included.
"""

import os
import sys
from typing import Annotated

import typer

from pkc.lazy_cli import Lazy, LazyGroup

# name -> where the command is, and its line in `pkc --help` (tests/unit/test_cli_startup.py
# checks it against the command's own help).
COMMANDS = {
    "replay": Lazy(
        "pkc.replay_cli",
        "replay_cli",
        "Publishes each event of FILE to its topic, with a progress bar and a final count.",
    ),
    "erase": Lazy(
        "pkc.erase_cli",
        "erase_cli",
        "Erases a contact's personal data from queueing, intake and notify (auditors only).",
    ),
    "triage": Lazy(
        "pkc.triage_cli",
        "triage_cli",
        "Triage: rules, the learned second opinion, measurement.",
    ),
    "deploy": Lazy(
        "pkc.deploy_cli",
        "deploy_cli",
        "Kubernetes manifests under deploy/k8s generated from the code.",
    ),
    "staffing": Lazy(
        "pkc.staffing_cli",
        "staffing_cli",
        "Operators needed per region and hour (Erlang C and Erlang A), national totals, pooling.",
    ),
    "oncall": Lazy(
        "pkc.oncall_cli",
        "oncall_cli",
        "The on-call schedule of notify: who is alerted, when.",
    ),
    "report": Lazy(
        "pkc.report_cli",
        "report_cli",
        "Reports of the reporting service: the monthly follow-up.",
    ),
    "oidc": Lazy(
        "pkc.oidc_cli",
        "oidc_cli",
        "The local OIDC provider (Keycloak from Maven Central) with the development realm pkc.",
    ),
    "users": Lazy(
        "pkc.users_cli",
        "users_cli",
        "People of the local realm pkc: their role and region.",
    ),
}


class PkcGroup(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(help="The PKC contact-centre event platform.", no_args_is_help=True, cls=PkcGroup)
kafka_cli = typer.Typer(help="The local Apache Kafka broker (KRaft, from Maven Central jars).")
topics_cli = typer.Typer(help="Kafka topics from the registry in schemas/topics.py.")
schemas_cli = typer.Typer(help="The JSON Schema files generated from the event models.")
app.add_typer(kafka_cli, name="kafka")
app.add_typer(topics_cli, name="topics")
app.add_typer(schemas_cli, name="schemas")

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
    from pkc.localkafka import KafkaSetupError, LocalKafka
    from pkc.paths import cache_dir, state_dir

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
    from pkc.localkafka import LocalKafka
    from pkc.paths import cache_dir, state_dir

    stopped = LocalKafka(state_dir(), cache_dir(), port=port).stop()
    typer.echo("Kafka stopped" if stopped else "no local broker was running")


@kafka_cli.command("status")
def kafka_status(port: Port = 9092) -> None:
    """Says whether a local broker runs and answers."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        import asyncio

        from services.shared.kafka_admin import cluster_answers

        answers = asyncio.run(cluster_answers(_bootstrap(port), 5.0))
        typer.echo(
            f"external cluster {_bootstrap(port)}: {'answering' if answers else 'no answer'}"
        )
        return
    from pkc.localkafka import LocalKafka
    from pkc.paths import cache_dir, state_dir

    typer.echo(LocalKafka(state_dir(), cache_dir(), port=port).status().describe())


@topics_cli.command("create")
def topics_create(
    port: Port = 9092,
    replication_factor: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Creates every topic of the registry that does not exist yet (idempotent)."""
    import asyncio

    from pkc.localkafka import KafkaSetupError
    from pkc.localkafka.tools import tool_access
    from schemas.topics import all_topics
    from services.shared.kafka_admin import create_topics

    try:
        kafka = tool_access(port)
    except KafkaSetupError as exc:
        _fail(str(exc))
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
    from pkc.localkafka import KafkaSetupError
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
