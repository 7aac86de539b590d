"""`pkc run`: Kafka, topics, and the five services as supervised processes."""

import asyncio
import os
import signal
import time
from collections.abc import Callable
from types import FrameType

from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table

from pkc.alert_desk import AlertDesk
from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir, state_dir
from pkc.processes import DEFAULT_PORTS, SERVICES, ServiceProcess, wait_ready
from pkc.run_status import LatestStats, render_status
from pkc.simulation import (
    ServiceUrls,
    SimulationConfig,
    SimulationThread,
    clock_from_env,
    default_clock_start,
)
from schemas.topics import all_topics
from services.shared.kafka_admin import create_topics, wait_for_cluster
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
) -> int:
    began = time.monotonic()
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if external else LocalKafka(state_dir(), cache_dir(), port=port)
    bootstrap = external or f"127.0.0.1:{port}"
    signal.signal(signal.SIGTERM, _raise_stop)
    services: list[ServiceProcess] = []
    sim: SimulationThread | None = None
    desk = AlertDesk()
    latest = LatestStats()
    try:
        if broker is not None:
            with console.status("starting Kafka (first run resolves the jars from Maven)…"):
                took = broker.start()
            console.print(f"Kafka answering on {bootstrap} after {took:.1f} s")
        asyncio.run(wait_for_cluster(bootstrap, 60))
        created = asyncio.run(create_topics(bootstrap, all_topics()))
        console.print(f"topics ready ({len(created)} created)")
        desk.start()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PKC_STATE_DIR": str(state_dir()),
            "PKC_NOTIFY_WEBHOOK_URL": desk.url,  # the local on-call desk (see the status)
            "PKC_NOTIFY_SMTP_PORT": str(desk.smtp_port),  # e-mail to the schedule's people
        }
        if simulate and not clock_start:
            # Every process needs the same start: without one each would run its own clock.
            clock_start = default_clock_start().isoformat()
        if speed != 1.0 or clock_start:
            env |= {"PKC_CLOCK_SPEED": str(speed), "PKC_CLOCK_ANCHOR": str(time.time())}
            if clock_start:
                env["PKC_CLOCK_START"] = clock_start
        services = [
            ServiceProcess(name, DEFAULT_PORTS[name], state_dir() / "logs", env)
            for name in SERVICES
        ]
        for service in services:
            service.start()
        with console.status("waiting for the services to be ready…"):
            wait_ready(services, ready_timeout)
        console.print(f"[bold green]all services ready[/] in {time.monotonic() - began:.1f} s")
        console.print(_where(services))
        console.print(f"dashboard: {services[3].url}/   Ctrl-C stops everything.")
        clock = clock_from_env(env)
        if simulate:
            urls = {s.name: s.url for s in services}
            sim = SimulationThread(
                SimulationConfig(volume=volume, service_level=ServiceSettings().service_level()),
                clock,
                ServiceUrls(urls["intake"], urls["queueing"]),
                progress=latest,
            )
            sim.start()
            console.print(f"simulating national traffic at volume {volume}, speed {speed}")
        return _supervise(
            services, lambda: render_status(clock, services[3].url, services[2].url, latest, desk)
        )
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        if sim is not None and (stats := sim.stop()) is not None:
            console.print(f"simulation: {stats.summary()}")
        desk.stop()
        with console.status("stopping…"):
            for service in services:
                service.stop()
            if broker is not None:
                broker.stop()
        console.print("stopped")


def _where(services: list[ServiceProcess]) -> Table:
    table = Table(title="PKC platform")
    table.add_column("service")
    table.add_column("API")
    table.add_column("OpenAPI docs")
    for service in services:
        table.add_row(service.name, service.url, f"{service.url}/docs")
    return table


def _supervise(services: list[ServiceProcess], status: Callable[[], RenderableType]) -> int:
    """Shows the live status; reports a service that dies at once, with its log tail, and
    restarts it (three times)."""
    restarts = dict.fromkeys((s.name for s in services), 0)
    with Live(status(), console=console, refresh_per_second=1, transient=False) as live:
        while True:
            time.sleep(1.0)
            for service in services:
                code = service.exit_code()
                if code is None:
                    continue
                live.console.print(f"[bold red]{service.name} died (exit {code})[/]; log tail:")
                live.console.print(service.tail(), markup=False, highlight=False)
                if restarts[service.name] >= 3:
                    live.console.print(f"{service.name} keeps dying; stopping the platform")
                    return 1
                restarts[service.name] += 1
                service.start()
            live.update(status())
