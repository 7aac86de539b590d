"""Webhooks: an address the HTTP client cannot use fails for good, at once, without raising;
and a receiver checks the signature of what it is sent."""

import asyncio

import httpx

from services.notify.webhook import deliver, sign, signature_is_valid


def test_an_unusable_webhook_address_is_a_final_failure_not_an_exception() -> None:
    async def attempt() -> tuple[bool, int, bool, str]:
        async with httpx.AsyncClient() as client:
            result = await deliver(
                client, "http://hooks.example.org:abc/x", "secret", {"a": 1}, 5, 0.0
            )
        return result.delivered, result.attempts, result.final, result.detail

    assert asyncio.run(attempt()) == (False, 1, True, "invalid URL")


BODY = b'{"alert_id": "a", "summary": "Syd below target"}'


def test_a_receiver_accepts_only_a_fresh_signature_made_with_the_shared_secret() -> None:
    now = 1_800_000_000
    header = sign("shared", str(now), BODY)
    assert signature_is_valid("shared", header, BODY, now + 10)
    assert not signature_is_valid("another", header, BODY, now), "forged with another secret"
    assert not signature_is_valid("shared", header, BODY + b" ", now), "the body was changed"
    assert not signature_is_valid("shared", header, BODY, now + 301), "replayed too late"
    assert not signature_is_valid("shared", None, BODY, now), "unsigned"
    assert not signature_is_valid("shared", "t=abc,v1=00", BODY, now), "damaged"
    assert not signature_is_valid("shared", f"t={now}", BODY, now), "no signature"
