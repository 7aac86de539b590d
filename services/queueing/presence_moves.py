"""The operator's presence moved by plain statements, for the moves made on every contact
(take-next, an outcome, an offer given back): loading and flushing the operator's ORM row cost
a fifth of a take + answer. `set_status` (services/queueing/operators.py) makes the others."""

from datetime import datetime

from sqlalchemy import bindparam, select, update

from schemas import Region
from services.queueing.domain import OperatorOnDuty, OperatorStatus
from services.queueing.operators import OPERATOR, announce_presence
from services.queueing.statements import presence_move
from services.queueing.store import Tx

_PRESENCE = select(OPERATOR.c.status, OPERATOR.c.region).where(
    OPERATOR.c.operator_id == bindparam("op")
)
_MOVE = (
    update(OPERATOR)
    .where(OPERATOR.c.operator_id == bindparam("op"))
    .values(presence_move(bindparam("status"), bindparam("now"), bindparam("until")))
)
# The move from a known status and region: it changes no row if either moved meanwhile.
_MOVE_FROM = _MOVE.where(
    OPERATOR.c.status == bindparam("was"), OPERATOR.c.region == bindparam("read_region")
)


def move_presence(
    tx: Tx, operator_id: str, status: OperatorStatus, now: datetime, until: datetime | None = None
) -> None:
    """`set_status` (no pause reason) for a signed-in operator, by id. Call it last for the
    operator in a transaction: an ORM row of theirs loaded before it is not refreshed."""
    connection = tx.session.connection()
    row = connection.execute(_PRESENCE, {"op": operator_id}).first()
    if row is None or row.status == OperatorStatus.SIGNED_OUT.value:
        return
    wrap_up_until = until if status == OperatorStatus.WRAP_UP else None
    values = {"op": operator_id, "status": status.value, "now": now, "until": wrap_up_until}
    connection.execute(_MOVE, values)
    announce_presence(
        tx, operator_id, Region(row.region), OperatorStatus(row.status), status, None, now
    )


def move_known_presence(
    tx: Tx,
    operator_id: str,
    read: OperatorOnDuty,
    status: OperatorStatus,
    now: datetime,
    made: bool = False,
) -> None:
    """`move_presence` for a caller that has read the operator's status and region (take-next):
    a round trip fewer. The move is made only from the status and region read; if either
    changed meanwhile (SQLite reads outside the transaction), `move_presence` reads them again.
    `made`: the caller's own statement made that move already (the claim of take-next on
    PostgreSQL, ContactRepository.claim_next_as_busy); only its announcement is left."""
    if not made:
        values = {"op": operator_id, "status": status.value, "now": now, "until": None}
        known = {"was": read.status.value, "read_region": read.region.value}
        if tx.session.connection().execute(_MOVE_FROM, values | known).rowcount == 0:
            move_presence(tx, operator_id, status, now)
            return
    announce_presence(tx, operator_id, read.region, read.status, status, None, now)
