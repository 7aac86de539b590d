"""A contact's status as its adapter sees it: what each event says, and how the status moves.

Pure: no I/O. The events arrive on three topics (classified, queue events, cases) and so in no
guaranteed order between them; a status therefore only moves forward: an event that speaks of
an earlier stage still adds what it knows (a category, a case number) but never moves the stage
back, and a contact that ended (closed, abandoned) stays ended. Applying an event twice changes
nothing, so a replay plans no second callback.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from schemas import (
    Abandoned,
    Answered,
    CaseCreated,
    Classified,
    ContactResolved,
    Queued,
    RedirectedTo112,
    Route,
)
from schemas.contact_status import Stage
from schemas.envelope import Event

RANK: dict[str, int] = {
    "received": 0,
    "classified": 1,
    "queued": 2,
    "answered": 3,
    "case": 4,
    "closed": 5,
    "abandoned": 5,
}
ENDED = frozenset({"closed", "abandoned"})
FOLLOWED: tuple[type[Event], ...] = (
    Classified,
    RedirectedTo112,
    Queued,
    Answered,
    Abandoned,
    ContactResolved,
    CaseCreated,
)


@dataclass(frozen=True)
class Snapshot:
    """What intake keeps of a contact's status (the row, without its bookkeeping)."""

    stage: str = "received"
    category: str | None = None
    matter: str | None = None
    route: str | None = None
    e_service: str | None = None
    case_number: str | None = None
    reason: str | None = None
    opens_at: datetime | None = None  # turned away while closed: the queue's next opening


@dataclass(frozen=True)
class Progress:
    """What one event says: the stage it speaks of, and what it adds (None: nothing)."""

    stage: Stage
    category: str | None = None
    matter: str | None = None
    route: str | None = None
    e_service: str | None = None
    case_number: str | None = None
    reason: str | None = None
    opens_at: datetime | None = None


def progress_of(event: Event) -> Progress | None:
    """What `event` says about its contact's status; None for events that say nothing."""
    if isinstance(event, Classified):
        return Progress(
            "classified",
            category=event.category.value,
            matter=event.matter.value,
            route=event.route.value,
            # By any channel: a phone or mail contact gets the link too (issue 16, item 8).
            e_service=event.e_service if event.e_service_capable else None,
        )
    if isinstance(event, RedirectedTo112):
        return Progress(
            "closed",
            category="emergency",
            route=Route.EMERGENCY_112.value,
            reason="redirected_to_112",
        )
    if isinstance(event, Queued):
        return Progress("queued", category=event.category.value)
    if isinstance(event, Answered):
        return Progress("answered")
    if isinstance(event, Abandoned):
        return Progress("abandoned", reason=event.reason, opens_at=event.opens_at)
    if isinstance(event, ContactResolved):
        return Progress("closed", reason=event.outcome)
    if isinstance(event, CaseCreated):
        return Progress("case", matter=event.matter.value, case_number=event.case_number)
    return None


def advance(current: Snapshot, progress: Progress) -> Snapshot | None:
    """The status after `progress`, or None when it changes nothing (a replay, or an event
    about an earlier stage that adds nothing new)."""
    stage = current.stage
    if stage not in ENDED and RANK[progress.stage] > RANK[stage]:
        stage = progress.stage
    reason, opens_at = current.reason, current.opens_at
    if stage == progress.stage and progress.reason is not None and reason is None:
        # the reason of the stage it ended in (and its opening), never overwritten
        reason, opens_at = progress.reason, progress.opens_at
    moved = replace(
        current,
        stage=stage,
        category=progress.category or current.category,
        matter=progress.matter or current.matter,
        route=progress.route or current.route,
        e_service=progress.e_service or current.e_service,
        case_number=progress.case_number or current.case_number,
        reason=reason,
        opens_at=opens_at,
    )
    return None if moved == current else moved
