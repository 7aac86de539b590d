"""Schemathesis against every service's OpenAPI, on the running platform: generated requests,
valid and invalid, never get a 5xx and every response matches the documented schema."""

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from schemas.access import SERVICES
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.kafka

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = 20  # per operation: enough to find a crash on a bad body, quick enough for CI


@pytest.mark.parametrize("service", SERVICES)
def test_no_request_gets_a_server_error_or_an_undocumented_response(
    platform: Platform, service: str
) -> None:
    loaded = schemathesis.openapi.from_url(f"{platform.url(service)}/openapi.json")
    # Event streams never end: a request to one would wait for good.
    schema = loaded.exclude(path_regex=r"/stream$")
    # With a real credential of the service's main caller, so generated bodies get past
    # authentication and reach the code: intake's is an adapter, the others' people.
    headers = platform.adapter if service == "intake" else platform.supervisor
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"{service}: an operation's schema is invalid: {result}"
        operations.append(result.ok())
    assert operations, f"{service} documents no operation"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

        fuzz()


def test_every_service_publishes_an_openapi_document(platform: Platform) -> None:
    for name in SERVICES:
        document = httpx.get(f"{platform.url(name)}/openapi.json", timeout=10).json()
        assert document["paths"], name
