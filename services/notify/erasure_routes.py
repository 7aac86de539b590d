"""Notify's part of a contact's erasure (`pkc erase`, auditors only): see
services/notify/retention.py for what it removes."""

import asyncio
from typing import cast
from uuid import UUID

from fastapi import APIRouter, Request

from services.notify.bootstrap import Notify
from services.notify.retention import erase_contact
from services.shared.erasure import ERASE_PATH, Auditor, Erased

erasure_router = APIRouter(tags=["auditors"])


@erasure_router.post(ERASE_PATH)
async def erase(contact_id: UUID, auditor: Auditor, request: Request) -> Erased:
    """Removes what notify keeps of the contact and logs who erased it (docs/retention.md)."""
    notify = cast(Notify, request.app.state.notify)
    now = notify.clock.now()
    removed = await asyncio.to_thread(
        erase_contact, notify.engine, contact_id, auditor.name, auditor.subject, now
    )
    return Erased(service="notify", contact_id=contact_id, erased_by=auditor.name, removed=removed)
