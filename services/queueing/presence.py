"""An operator's presence on the desk, as one state machine (no I/O):

    signed_out -> ready                        (sign-in)
    ready -> offered -> busy                   (a push offer, accepted)
    offered -> paused(offer_declined)          (rejected, or not answered in time)
    ready | wrap_up | busy -> busy             (take-next, the pull API)
    busy -> wrap_up -> ready                   (an outcome; the wrap-up ends by itself after
                                                `wrap_up_seconds`, or by the operator)
    ready | wrap_up | offered -> paused(reason) -> ready
    any -> signed_out

A declined or timed-out offer leaves the operator paused with reason `offer_declined`
(mod_callcenter's and TaskRouter's "not ready after a missed offer"): one state less for
every reader, and the same way back (`/operators/me/resume` or `/me/ready`).

Reporting counts staffing from `OperatorPresenceChanged`, whose status stays the older three
(`available`, `paused`, `offline`): `reported_status` maps the desk's states onto them, and an
event is emitted only when that mapped status changes.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from services.queueing.domain import OperatorStatus, QueueError

ReportedStatus = Literal["available", "paused", "offline"]


@dataclass(frozen=True)
class OfferTerms:
    timeout: timedelta  # an offer not accepted by then goes back
    wrap_up: timedelta  # after an outcome, before the operator is ready again


class PauseReason(StrEnum):
    """Why an operator pauses: the desk's fixed list (Swedish codes; English labels in
    docs/services/queueing.md), and the one the platform sets itself."""

    RAST = "rast"  # break
    UTBILDNING = "utbildning"  # training
    ADMINISTRATION = "administration"  # administration
    OFFER_DECLINED = "offer_declined"  # set by the platform, never chosen


CHOSEN_REASONS = (PauseReason.RAST, PauseReason.UTBILDNING, PauseReason.ADMINISTRATION)

# Ready, offered, busy and wrapping up are all "on the desk": reporting's staffing counts them.
_REPORTED: dict[OperatorStatus, ReportedStatus] = {
    OperatorStatus.READY: "available",
    OperatorStatus.OFFERED: "available",
    OperatorStatus.BUSY: "available",
    OperatorStatus.WRAP_UP: "available",
    OperatorStatus.PAUSED: "paused",
    OperatorStatus.SIGNED_OUT: "offline",
}

_MAY_PAUSE = frozenset({OperatorStatus.READY, OperatorStatus.WRAP_UP, OperatorStatus.OFFERED})
_MAY_BE_READY = frozenset({OperatorStatus.WRAP_UP, OperatorStatus.PAUSED})


def reported_status(status: OperatorStatus) -> ReportedStatus:
    """The status `OperatorPresenceChanged` carries for a desk state."""
    return _REPORTED[status]


def check_may_pause(status: OperatorStatus) -> None:
    if status not in _MAY_PAUSE:
        raise QueueError(f"operator is {status.value}; pause when ready or wrapping up")


def check_may_resume(status: OperatorStatus) -> None:
    if status != OperatorStatus.PAUSED:
        raise QueueError(f"operator is {status.value}, not paused")


def check_may_be_ready(status: OperatorStatus) -> None:
    """`POST /operators/me/ready`: ends a wrap-up early, or a pause."""
    if status == OperatorStatus.READY:
        return
    if status not in _MAY_BE_READY:
        raise QueueError(f"operator is {status.value}; only a wrap-up or a pause ends in ready")


def may_be_offered(status: OperatorStatus) -> bool:
    return status == OperatorStatus.READY


def after_outcome(holds_another: bool, wrap_up_seconds: float) -> OperatorStatus:
    """Where an outcome leaves the operator: still busy with another contact they took, in
    wrap-up, or ready at once when wrap-up is configured off (0 s)."""
    if holds_another:
        return OperatorStatus.BUSY
    return OperatorStatus.WRAP_UP if wrap_up_seconds > 0 else OperatorStatus.READY
