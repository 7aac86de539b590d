"""A test client for a service's routes alone: its lifespan (Kafka consumers, the Faust
worker) is not run, but every request shares one event loop, as in a server, so live streams
opened by several requests share the app's one fan-out."""

import contextlib
from collections.abc import AsyncIterator, Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient


@contextlib.asynccontextmanager
async def _nothing_started(_: FastAPI) -> AsyncIterator[None]:
    yield


@contextlib.contextmanager
def routes_client(app: FastAPI) -> Iterator[TestClient]:
    app.router.lifespan_context = _nothing_started
    with TestClient(app) as client:
        yield client
