"""A webhook address the HTTP client cannot use fails for good, at once, without raising."""

import asyncio

import httpx

from services.notify.webhook import deliver


def test_an_unusable_webhook_address_is_a_final_failure_not_an_exception() -> None:
    async def attempt() -> tuple[bool, int, bool, str]:
        async with httpx.AsyncClient() as client:
            result = await deliver(
                client, "http://hooks.example.org:abc/x", "secret", {"a": 1}, 5, 0.0
            )
        return result.delivered, result.attempts, result.final, result.detail

    assert asyncio.run(attempt()) == (False, 1, True, "invalid URL")
