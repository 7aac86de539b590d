"""A contact's erasure as every service answers it (`POST /contacts/{id}/erase`, auditors
only; `pkc erase` calls each service holding contact data). Each service removes what it keeps
about the contact, keeps counts that name nobody, and records which auditor erased it."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from services.shared.http import caller
from services.shared.identity import Principal, Role

ERASE_PATH = "/contacts/{contact_id}/erase"
Auditor = Annotated[Principal, caller(Role.AUDITOR)]


class Erased(BaseModel):
    """What one service removed: rows per store (0 when it held nothing of the contact)."""

    service: str
    contact_id: UUID
    erased_by: str = Field(description="the auditor's user name")
    removed: dict[str, int]
