"""A contact's status as the adapter reads it: the ContactStatus body, with what to tell the
citizen (Swedish and English) and the e-service link. Pure, apart from reading the links file
once at start."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import yaml

from schemas import Channel, MatterType, NeedCategory, Region, Route
from schemas.contact_status import ContactStatus, EServiceLink, Instruction, Stage
from services.intake.status import Snapshot

STOCKHOLM = ZoneInfo("Europe/Stockholm")  # what the citizen's clock says

DEFAULT_LINKS = Path(__file__).with_name("e_services.yaml")
FALLBACK_BASE = "https://polisen.se/e-tjanster/"

# Why a contact is Nöd, by the matter triage found: (Swedish, English).
_EMERGENCY_WHY: dict[str, tuple[str, str]] = {
    MatterType.ONGOING_CRIME_OR_DANGER: (
        "ett pågående brott eller en fara för liv",
        "a crime or a danger to life happening now",
    ),
}
_EMERGENCY_DEFAULT = ("en nödsituation", "an emergency")


def load_links(path: Path = DEFAULT_LINKS) -> dict[str, EServiceLink]:
    """The e-service links by triage's name for each (e_services.yaml); a malformed file
    refuses the start."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        name: EServiceLink(name=name, url=entry["url"], title_sv=entry["sv"], title_en=entry["en"])
        for name, entry in raw.items()
    }


def link_for(name: str, links: dict[str, EServiceLink]) -> EServiceLink:
    """The named e-service's link; one missing from the file still gets polisen.se's path."""
    return links.get(name) or EServiceLink(
        name=name, url=FALLBACK_BASE + name, title_sv=name, title_en=name
    )


@dataclass(frozen=True)
class Row:
    """The bookkeeping beside a Snapshot: whose contact it is and how often it changed."""

    contact_id: UUID
    region: str
    channel: str
    sequence: int
    changed_at: datetime
    snapshot: Snapshot


def instruction(snapshot: Snapshot, links: dict[str, EServiceLink]) -> Instruction | None:
    """What the citizen should be told now, if anything: Nöd first, always."""
    if snapshot.route == Route.EMERGENCY_112 or snapshot.category == NeedCategory.EMERGENCY:
        sv_why, en_why = _EMERGENCY_WHY.get(snapshot.matter or "", _EMERGENCY_DEFAULT)
        return Instruction(
            kind="call_112",
            sv=f"Ring 112 nu. Det du beskriver bedöms som {sv_why}: det är ett nödläge, "
            "och 114 14 är inte nummer för nödsituationer.",
            en=f"Call 112 now. What you describe is judged to be {en_why}: it is an "
            "emergency, and 114 14 is not the number for emergencies.",
        )
    if snapshot.stage == "abandoned" and snapshot.reason == "closed":
        sv_when, en_when = "när vi har öppet", "when we are open"
        if snapshot.opens_at is not None:
            local = snapshot.opens_at.astimezone(STOCKHOLM)
            sv_when, en_when = (
                f"när vi öppnar, {local:%Y-%m-%d %H:%M}",
                f"from {local:%Y-%m-%d %H:%M} (Swedish time)",
            )
        return Instruction(
            kind="closed_for_opening_hours",
            sv="114 14 har stängt just nu (utanför öppettiderna), så kontakten avslutades. "
            f"Kontakta oss igen {sv_when}. Vid nödläge: ring 112.",
            en="114 14 is closed right now (outside opening hours), so the contact was "
            f"ended. Contact us again {en_when}. In an emergency: call 112.",
        )
    if snapshot.stage == "abandoned" and snapshot.reason == "timeout":
        return Instruction(
            kind="timed_out",
            sv="Ingen handläggare hann svara, så kontakten avslutades. Försök gärna igen.",
            en="No operator could answer in time, so the contact was ended. Please try again.",
        )
    if snapshot.e_service:
        link = link_for(snapshot.e_service, links)
        return Instruction(
            kind="use_e_service",
            sv=f"Det här kan du göra själv i Polisens e-tjänst {link.title_sv}: {link.url}",
            en=f"You can do this yourself in the Police e-service {link.title_en}: {link.url}",
        )
    return None


def render(row: Row, links: dict[str, EServiceLink]) -> ContactStatus:
    snapshot = row.snapshot
    stage: Stage = snapshot.stage  # type: ignore[assignment]  # only Stage values are stored
    return ContactStatus(
        contact_id=row.contact_id,
        sequence=row.sequence,
        stage=stage,
        changed_at=row.changed_at,
        region=Region(row.region),
        channel=Channel(row.channel),
        category=NeedCategory(snapshot.category) if snapshot.category else None,
        matter=MatterType(snapshot.matter) if snapshot.matter else None,
        route=Route(snapshot.route) if snapshot.route else None,
        e_service=link_for(snapshot.e_service, links) if snapshot.e_service else None,
        case_number=snapshot.case_number,
        reason=snapshot.reason,
        opens_at=snapshot.opens_at,
        instruction=instruction(snapshot, links),
    )
