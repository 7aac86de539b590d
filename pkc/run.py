"""`pkc run`: Kafka, topics, and the five services as supervised processes."""

import asyncio
import os
import signal
import time
from types import FrameType

from rich.console import Console
from rich.table import Table

from pkc.localkafka import LocalKafka
from pkc.paths import cache_dir, state_dir
from pkc.processes import DEFAULT_PORTS, SERVICES, ServiceProcess, wait_ready
from schemas.topics import all_topics
from services.shared.kafka_admin import create_topics, wait_for_cluster

console = Console()


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def run_platform(port: int, speed: float, clock_start: str | None, ready_timeout: float) -> int:
    began = time.monotonic()
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if external else LocalKafka(state_dir(), cache_dir(), port=port)
    bootstrap = external or f"127.0.0.1:{port}"
    signal.signal(signal.SIGTERM, _raise_stop)
    services: list[ServiceProcess] = []
    try:
        if broker is not None:
            with console.status("starting Kafka (first run resolves the jars from Maven)…"):
                took = broker.start()
            console.print(f"Kafka answering on {bootstrap} after {took:.1f} s")
        asyncio.run(wait_for_cluster(bootstrap, 60))
        created = asyncio.run(create_topics(bootstrap, all_topics()))
        console.print(f"topics ready ({len(created)} created)")
        env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PKC_STATE_DIR": str(state_dir())}
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
        console.print("Ctrl-C stops everything.")
        return _supervise(services)
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
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


def _supervise(services: list[ServiceProcess]) -> int:
    """Reports a service that dies at once, with its log tail, and restarts it (three times)."""
    restarts = dict.fromkeys((s.name for s in services), 0)
    while True:
        time.sleep(0.5)
        for service in services:
            code = service.exit_code()
            if code is None:
                continue
            console.print(f"[bold red]{service.name} died (exit {code})[/]; log tail:")
            console.print(service.tail(), markup=False, highlight=False)
            if restarts[service.name] >= 3:
                console.print(f"{service.name} keeps dying; stopping the platform")
                return 1
            restarts[service.name] += 1
            service.start()
