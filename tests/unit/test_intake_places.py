"""A queued contact's place in its adapter's status (services/intake/places.py): what intake
reads of queueing's answer, when it asks at all, and that a status without a place still is
one."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from pkc.platform import intake_env
from schemas import Channel, Region
from schemas.contact_status import ContactStatus, Stage
from services.intake.places import UNKNOWN, Place, QueuePlaces, asks_for_place, place_from

CONTACT = uuid.uuid4()


def queueing_answer(**fields: Any) -> dict[str, Any]:
    """An answer of queueing's GET /contacts/{id}/place for a waiting phone call."""
    return {
        "contact_id": str(CONTACT),
        "status": "waiting",
        "region": "nord",
        "queue": "crime_report",
        "channel": "phone",
        "position": 3,
        "estimated_wait_seconds": 420.0,
        "opens_at": None,
        "due_at": None,
    } | fields


def status(stage: Stage) -> ContactStatus:
    return ContactStatus(
        contact_id=CONTACT,
        sequence=2,
        stage=stage,
        changed_at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
        region=Region.NORD,
        channel=Channel.PHONE,
    )


def test_a_waiting_contact_gets_its_position_and_estimate() -> None:
    assert place_from(queueing_answer()) == Place(3, 420.0)


def test_a_waiting_contact_nobody_serves_has_a_position_but_no_estimate() -> None:
    assert place_from(queueing_answer(estimated_wait_seconds=None)) == Place(3, None)


def test_a_contact_an_operator_holds_has_no_place() -> None:
    held = queueing_answer(status="assigned", position=None, estimated_wait_seconds=None)
    assert place_from(held) == UNKNOWN


def test_an_answer_that_is_not_a_place_gives_none() -> None:
    assert place_from({"detail": "no such contact in any queue"}) == UNKNOWN
    assert place_from(queueing_answer(position=0)) == UNKNOWN, "positions start at 1"
    assert place_from(queueing_answer(estimated_wait_seconds=-1)) == UNKNOWN
    assert place_from(["not", "a", "place"]) == UNKNOWN


def test_only_a_queued_contact_asks_for_its_place() -> None:
    assert asks_for_place(status("queued"))
    stages: list[Stage] = ["received", "classified", "answered", "case", "closed", "abandoned"]
    assert not any(asks_for_place(status(stage)) for stage in stages)


def test_without_a_queueing_url_a_status_has_no_place_and_asks_nobody() -> None:
    async def ask() -> Place:
        # A client that could reach nothing: the answer must come without it.
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as client:
            return await QueuePlaces(None, client, deadline=1.0).of(CONTACT, "token")

    assert asyncio.run(ask()) == UNKNOWN


def test_the_local_platform_tells_intake_where_queueing_is() -> None:
    env = intake_env({"intake": 8001, "queueing": 8003})
    assert env == {"PKC_INTAKE_QUEUEING_URL": "http://127.0.0.1:8003"}
    assert intake_env({"intake": 8001}) == {}, "a platform without queueing: no place"
