"""Nöd to the adapter: from `POST /contacts` of a Nöd text to the adapter's callback endpoint
receiving the status with the instruction to call 112 (issue 16: ≤ 1 s at p99). Intake and
triage as `pkc run` starts them, on the bench's broker; the endpoint a real HTTP server
(pkc/adapter_callbacks.py) that verifies every signature."""

import asyncio
import time
import uuid
from pathlib import Path

import httpx

from bench.results import Report
from pkc.adapter_callbacks import CallbackEndpoint, callback_endpoint
from pkc.platform import PlatformSetup, running_platform
from pkc.polling import poll_async
from pkc.simulation import Credential, TokenSource
from schemas import Region

CONTACTS = 300
RATE = 10.0  # Nöd texts per second: far above a real day's, well inside the machine's
TEXT = "Det brinner i trapphuset just nu och någon är kvar i lägenheten!"
REGIONS = list(Region)


def run(report: Report, workdir: Path, postgres_url: str | None, bootstrap: str) -> None:
    settings = {"PKC_TRACES_EXPORTER": "none", "PKC_LOG_LEVEL": "WARNING"}
    setup = PlatformSetup(bootstrap, workdir / "nod", settings=settings, names=("intake", "triage"))
    with running_platform(setup, ready_timeout=180) as platform, callback_endpoint() as endpoint:
        provider = platform.issuer.local
        if provider is None:
            raise RuntimeError("the Nöd bench posts as the local realm's adapter-phone")
        adapter = Credential.adapter(
            "adapter-phone", provider.secrets().client_secrets["adapter-phone"]
        )
        latencies = asyncio.run(
            _measure(platform.url("intake"), platform.issuer.url, adapter, endpoint)
        )
    report.add_latencies("nod", "Nöd to adapter", latencies)


async def _measure(
    intake: str, issuer: str, adapter: Credential, endpoint: CallbackEndpoint
) -> list[float]:
    async with httpx.AsyncClient(timeout=30) as http:
        tokens = TokenSource(issuer, http)
        registered = await http.put(
            f"{intake}/adapters/callback",
            json={"url": endpoint.url},
            headers=await tokens.headers(adapter),
        )
        registered.raise_for_status()
        endpoint.secret = registered.json()["secret"]
        sent: dict[str, float] = {}
        began = time.monotonic()

        async def post(i: int) -> None:
            await asyncio.sleep(max(0.0, began + i / RATE - time.monotonic()))
            body = {
                "idempotency_key": f"nod-{uuid.uuid4().hex}",
                "source": "bench",
                "region": REGIONS[i % len(REGIONS)].value,
                "channel": "phone",
                "text": TEXT,
            }
            posted = time.monotonic()
            answer = await http.post(
                f"{intake}/contacts", json=body, headers=await tokens.headers(adapter)
            )
            answer.raise_for_status()
            sent[answer.json()["contact_id"]] = posted

        await asyncio.gather(*(post(i) for i in range(CONTACTS)))

        def told() -> dict[str, float]:
            first: dict[str, float] = {}
            for delivery in endpoint.taken():
                instruction = delivery.status.get("instruction") or {}
                contact = delivery.status["contact_id"]
                if instruction.get("kind") == "call_112" and contact not in first:
                    first[contact] = delivery.arrived
            return first

        async def all_told() -> bool:
            return set(sent) <= set(told())

        await poll_async(all_told, f"{CONTACTS} Nöd instructions at the adapter", timeout=120)
        if endpoint.forged:
            raise RuntimeError(f"{endpoint.forged} callbacks did not verify")
        arrived = told()
        return [arrived[contact] - posted for contact, posted in sent.items()]
