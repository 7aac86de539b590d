"""HTTP webhook delivery: a JSON body, an HMAC-SHA256 signature, bounded retries; and the
check of that signature a receiver makes."""

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from services.shared.signing import SIGNATURE_HEADER, sign, signature_is_valid

__all__ = ["SIGNATURE_HEADER", "deliver", "sign", "signature_is_valid"]


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    attempts: int
    detail: str
    final: bool = False  # refused for good: retrying cannot help


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    payload: dict[str, Any],
    attempts: int,
    first_backoff: float,
    idempotency_key: str | None = None,
) -> DeliveryResult:
    body = json.dumps(payload, ensure_ascii=False).encode()
    delay, detail = first_backoff, ""
    for attempt in range(1, attempts + 1):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            # The same for every attempt of one delivery: a receiver can drop a repeat.
            "Idempotency-Key": idempotency_key or str(payload.get("cause_event_id", "")),
        }
        try:
            response = await client.post(url, content=body, headers=headers, timeout=10.0)
            if response.is_success:
                return DeliveryResult(True, attempt, f"HTTP {response.status_code}")
            detail = f"HTTP {response.status_code}"
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                return DeliveryResult(False, attempt, detail, final=True)  # refused: no retry
        except httpx.InvalidURL:
            return DeliveryResult(False, attempt, "invalid URL", final=True)  # never will work
        except httpx.HTTPError as exc:
            detail = type(exc).__name__
        if attempt < attempts:
            await asyncio.sleep(delay)
            delay *= 2
    return DeliveryResult(False, attempts, f"gave up: {detail}")
