"""The operator's transfer route: hand the answered contact on (services/queueing/transfers.py)."""

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from schemas import NeedCategory, QueueName, Region, Transferred
from services.queueing.dependencies import Core, CurrentOperator, Now, RequestKey
from services.queueing.domain import QueueError
from services.queueing.handover import TransferOrder

router = APIRouter(prefix="/contacts", tags=["operators"])


class TransferRequest(BaseModel):
    """Where to: 112, or a queue with the contact's new need category (region: the contact's
    own unless named; queue and priority: the category's unless named)."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["queue", "112"]
    category: NeedCategory | None = Field(
        default=None, description="the new need category; needed for a queue"
    )
    region: Region | None = None
    queue: QueueName | None = None
    priority: int | None = Field(default=None, ge=1, le=5, description="1 is the most urgent")

    def order(self) -> TransferOrder:
        if self.to == "112":
            return TransferOrder("112")
        if self.category is None:
            raise QueueError("name the contact's new need category")
        return TransferOrder("queue", self.category, self.region, self.queue, self.priority)


@router.post(
    "/{contact_id}/transfer",
    responses={409: {"description": "not answered yet, or a destination the rules refuse"}},
)
def transfer(
    contact_id: uuid.UUID,
    body: TransferRequest,
    operator: CurrentOperator,
    core: Core,
    now: Now,
    key: RequestKey = None,
) -> Transferred:
    """Hands the answered contact the caller holds to another queue, another region's queue or
    112, with a new need category. A transfer to a queue starts a new wait there; the caller
    goes to wrap-up as after an outcome. A retry under the same Idempotency-Key gets the first
    response; without one it is refused (the contact is no longer the caller's)."""
    return core.transfers.transfer(operator, contact_id, body.order(), now, key)
