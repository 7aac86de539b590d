"""`pkc run`: Kafka, topics, the OIDC issuer (a local Keycloak unless PKC_OIDC_ISSUER names the
agency's), and the five services as supervised processes."""

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from types import FrameType

from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table

from pkc.demo_signins import demo_sign_ins, status_reader
from pkc.issuer import oidc_issuer, started_alongside
from pkc.localpostgres import private_postgres
from pkc.paths import state_dir
from pkc.platform import LocalPlatform, PlatformSetup, kafka_access, running_platform
from pkc.ports import free_port
from pkc.processes import DEFAULT_PORTS, ServiceProcess
from pkc.run_status import LatestStats, render_status
from pkc.simulation import (
    ServiceUrls,
    SimulationConfig,
    SimulationThread,
    default_clock_start,
    local_sign_ins,
)
from services.shared.settings import ServiceSettings

console = Console()


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def run_platform(
    port: int,
    speed: float,
    clock_start: str | None,
    ready_timeout: float,
    simulate: bool = True,
    volume: float = 0.1,
    oidc_port: int = 8180,
    replicas: int = 1,
) -> int:
    began = time.monotonic()
    signal.signal(signal.SIGTERM, _raise_stop)
    if simulate and not clock_start:
        # Every process needs the same start: without one each would run its own clock.
        clock_start = default_clock_start().isoformat()
    start = _parse_start(clock_start)
    latest = LatestStats()
    try:
        with ExitStack() as stack:
            stack.callback(console.print, "stopped")  # unwound last, after everything stopped
            # Keycloak (20 s, the first time 60-90 s) starts beside Kafka, not after it.
            issuer_ready = stack.enter_context(
                started_alongside(oidc_issuer(state_dir(), oidc_port))
            )
            with console.status("starting Kafka (the first run resolves the jars from Maven)…"):
                # Secured: each service signs in as its own principal (schemas/access.py).
                kafka = stack.enter_context(kafka_access(state_dir(), port))
            console.print(f"Kafka with every topic on {kafka.bootstrap} after {_since(began)}")
            with console.status("waiting for the OIDC provider (the first run builds Keycloak)…"):
                issuer = issuer_ready()
            console.print(f"OIDC issuer {issuer.url} after {_since(began)}")
            setup = PlatformSetup(
                kafka.bootstrap,
                state_dir(),
                start,
                speed,
                settings=stack.enter_context(_shared_database(replicas)) | desk_timings(speed),
                ports=DEFAULT_PORTS,
                service_env=kafka.service_env(),
                issuer=issuer,
                replicas=replicas,
            )
            with console.status("waiting for the services to be ready…"):
                platform = stack.enter_context(running_platform(setup, ready_timeout))
            stack.callback(console.print, "stopping…")
            console.print(f"[bold green]all services ready[/] after {_since(began)}")
            _print_pages(platform)
            if simulate:
                stack.enter_context(_simulation(platform, volume, latest))
            console.print(demo_sign_ins(issuer))
            reader = status_reader(issuer)
            return _supervise(
                platform.processes(),
                lambda: render_status(platform, latest, reader),
            )
    except (KeyboardInterrupt, _Stop):
        return 0


def _print_pages(platform: LocalPlatform) -> None:
    """Where each service listens, and the pages people work from."""
    console.print(_where(platform.processes()))
    console.print(f"dashboard: {platform.url('reporting')}/   Ctrl-C stops everything.")
    # A person on the desk works beside the simulation's operators (sim-*), who pull.
    queueing = platform.url("queueing")
    console.print(f"operator desk: {queueing}/desk   (sign in as an operator below)")
    console.print(f"supervisor board: {queueing}/board")


# What a person on the desk gets in real seconds: an offer to accept, a wrap-up to finish.
DESK_SECONDS = {"PKC_QUEUEING_OFFER_TIMEOUT_SECONDS": 15.0, "PKC_QUEUEING_WRAP_UP_SECONDS": 30.0}


def desk_timings(speed: float) -> dict[str, str]:
    """The desk's offer time-out and wrap-up in platform seconds, so that a person has them in
    real seconds on a clock running `speed` times faster (at 60x, 15 platform seconds would be
    a quarter of a real one); what the environment sets is kept."""
    return {
        name: f"{real * speed:g}" for name, real in DESK_SECONDS.items() if name not in os.environ
    }


@contextmanager
def _shared_database(replicas: int) -> Iterator[dict[str, str]]:
    """One process per service keeps SQLite files of its own; replicas share a database, as
    pods do: DATABASE_URL if set, else a local PostgreSQL for the run."""
    if replicas == 1 or os.environ.get("DATABASE_URL"):
        yield {}
        return
    with (
        console.status("starting PostgreSQL for the replicas…"),
        private_postgres(free_port()) as url,
    ):
        if url is None:
            raise RuntimeError(
                "--replicas needs PostgreSQL (Debian's postgresql package) or DATABASE_URL"
            )
        console.print(f"PostgreSQL for {replicas} replicas of every service")
        yield {"DATABASE_URL": url}


def _parse_start(clock_start: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(clock_start) if clock_start else None
    except ValueError:
        raise RuntimeError(f"--clock-start {clock_start!r} is not an ISO 8601 time") from None


def _since(began: float) -> str:
    return f"{time.monotonic() - began:.1f} s"


@contextmanager
def _simulation(platform: LocalPlatform, volume: float, latest: LatestStats) -> Iterator[None]:
    """National traffic into intake and queueing until the block ends; its summary at the end.
    Its adapters and operators sign in at the local provider as themselves."""
    if platform.issuer.local is None:
        console.print(
            "[yellow]not simulating:[/] PKC_OIDC_ISSUER names another provider, and the simulated "
            "operators are people of the local realm"
        )
        yield
        return
    urls = ServiceUrls(platform.url("intake"), platform.url("queueing"))
    # The simulator's hours and threshold are the platform's service-level policy (PKC_SLA_*).
    config = SimulationConfig(volume=volume, service_level=ServiceSettings().service_level())
    with console.status("signing the simulated operators up in the local realm…"):
        sign_ins = local_sign_ins(platform.issuer.local, config)
    sim = SimulationThread(config, platform.clock, urls, sign_ins, progress=latest)
    sim.start()
    speed = platform.clock.speed
    console.print(f"simulating national traffic at volume {volume}, speed {speed:g}")
    try:
        yield
    finally:
        if (stats := sim.stop()) is not None:
            console.print(f"simulation: {stats.summary()}")


def _where(services: list[ServiceProcess]) -> Table:
    table = Table(title="PKC platform")
    table.add_column("service")
    table.add_column("API")
    table.add_column("OpenAPI docs")
    for service in services:
        table.add_row(service.label, service.url, f"{service.url}/docs")
    return table


def _supervise(services: list[ServiceProcess], status: Callable[[], RenderableType]) -> int:
    """Shows the live status; reports a service that dies at once, with its log tail, and
    restarts it (three times)."""
    restarts = dict.fromkeys((s.label for s in services), 0)
    with Live(status(), console=console, refresh_per_second=1, transient=False) as live:
        while True:
            time.sleep(1.0)
            for service in services:
                code = service.exit_code()
                if code is None:
                    continue
                live.console.print(f"[bold red]{service.label} died (exit {code})[/]; log tail:")
                live.console.print(service.tail(), markup=False, highlight=False)
                if restarts[service.label] >= 3:
                    live.console.print(f"{service.label} keeps dying; stopping the platform")
                    return 1
                restarts[service.label] += 1
                service.start()
            live.update(status())
