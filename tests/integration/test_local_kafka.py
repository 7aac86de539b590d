"""The local broker's storage format and lifecycle, with the real jars."""

import shutil
from pathlib import Path

import pytest

from bench.cpu import jit_cpu
from pkc.localkafka import LocalKafka
from pkc.localkafka.config import new_cluster_id, server_properties
from pkc.localkafka.jars import ensure_jars
from pkc.paths import cache_dir
from pkc.ports import free_port
from tests.jvm_threads import jit_compilers

pytestmark = pytest.mark.kafka


def test_storage_formats_with_a_cluster_id_that_starts_with_a_dash(
    kafka: str, tmp_path: Path
) -> None:
    """About one id in 64 starts with '-'; Kafka's argument parser must not take it for a flag."""
    jars = ensure_jars(cache_dir())
    properties = tmp_path / "server.properties"
    properties.write_text(server_properties(19092, 19093, tmp_path / "data"))
    cluster_id = "-" + new_cluster_id()[1:]
    java = shutil.which("java")
    assert java
    LocalKafka.format_storage([java], f"{jars}/*", properties, cluster_id)
    meta = (tmp_path / "data" / "meta.properties").read_text()
    assert f"cluster.id={cluster_id}" in meta


def test_a_second_broker_starts_reports_its_status_and_stops_cleanly(
    kafka: str, tmp_path: Path
) -> None:
    broker = LocalKafka(tmp_path, cache_dir(), port=free_port(2))
    took = broker.start()
    try:
        status = broker.status()
        assert status.answering
        assert status.pid is not None
        assert took > 0
        assert broker.start() == 0.0, "starting a running broker is a no-op"
        # A local broker lives for a test or a benchmark: the JIT's first tier alone, whose
        # compiler threads it has, and none of the second's (pkc/localkafka/broker.py).
        assert jit_compilers(status.pid) == {"C1 CompilerThre"}
        assert sum(jit_cpu(status.pid).values()) > 0, "the bench reads what they compiled"
    finally:
        assert broker.stop()
    assert broker.status().pid is None
    assert not broker.stop(), "stopping twice says nothing was running"
