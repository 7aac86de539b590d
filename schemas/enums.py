"""The closed vocabularies every event shares: regions, channels, need categories, routes."""

from enum import StrEnum
from typing import Literal, Self


class _Labelled(StrEnum):
    """Members written `NAME = "value", "label"`: the value goes on the wire, the label to
    people, side by side so a new member cannot miss its label."""

    _label: str

    # `label` has a default only for type checkers: they read `Region("syd")`, a lookup of an
    # existing member that never reaches __new__, as a call to it.
    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def display_name(self) -> str:
        return self._label


class Region(_Labelled):
    """The seven police regions. Values are ASCII slugs, safe in keys, URLs and file names."""

    BERGSLAGEN = "bergslagen", "Bergslagen"
    MITT = "mitt", "Mitt"
    NORD = "nord", "Nord"
    STOCKHOLM = "stockholm", "Stockholm"
    SYD = "syd", "Syd"
    VAST = "vast", "Väst"
    OST = "ost", "Öst"


class Channel(StrEnum):
    """How a contact reached the police (docs/domain.md, channels). `phone` is 114 14."""

    PHONE = "phone"
    E_SERVICE = "e_service"
    SOCIAL_MEDIA = "social_media"
    RECEPTION = "reception"
    PHYSICAL_MEETING = "physical_meeting"
    MAIL = "mail"

    @property
    def is_written(self) -> bool:
        """Mail, e-service and social media: nobody is on the line, the text may wait unread."""
        return self in _WRITTEN  # a set made once: naming the members here cost 0.3 µs a call


_WRITTEN = frozenset({Channel.MAIL, Channel.E_SERVICE, Channel.SOCIAL_MEDIA})


class NeedCategory(_Labelled):
    """Behovskategorier: every contact falls into one of these four."""

    EMERGENCY = "emergency", "Nöd"
    URGENT = "urgent", "Skyndsamt"
    CASE_HELP = "case_help", "Hjälp med ärende"
    INFORMATION = "information", "Information"

    @property
    def label_sv(self) -> str:
        return self.display_name


class MatterType(StrEnum):
    ONGOING_CRIME_OR_DANGER = "ongoing_crime_or_danger"
    THEFT = "theft"
    BURGLARY = "burglary"
    SHOP_THEFT = "shop_theft"
    CARD_FRAUD = "card_fraud"
    LOSS = "loss"
    VANDALISM = "vandalism"
    PARKING_DAMAGE = "parking_damage"
    TIP = "tip"
    PASSPORT_BOOKING = "passport_booking"
    CRIMINAL_RECORD_EXTRACT = "criminal_record_extract"
    PERMIT_PUBLIC_PLACE = "permit_public_place"
    PERMIT_WEAPONS = "permit_weapons"
    TRAFFIC = "traffic"
    CASE_QUESTION = "case_question"
    GENERAL_QUESTION = "general_question"
    OTHER = "other"


class Route(StrEnum):
    """Where a classified contact belongs."""

    EMERGENCY_112 = "emergency_112"
    E_SERVICE = "e_service"
    OPERATOR = "operator"
    SWITCHBOARD = "switchboard"
    RECEPTION_BOOKING = "reception_booking"


class QueueName(StrEnum):
    """The separate operator queues of one region."""

    CRIME_REPORT = "crime_report"
    URGENT = "urgent"
    SWITCHBOARD = "switchboard"


# What an operator recorded of an answered contact (ContactResolved.outcome): a Literal, not an
# enum, so that the JSON Schema lists the values in place.
ContactOutcome = Literal[
    "report_filed",  # creates a case
    "sent_to_e_service",
    "information_given",
    "transferred",
    "redirected_to_112",
    "no_action",  # nothing for the police to do (a wrong number, a silent call)
]

# What an on-call alert is about (AlertDelivered.kind).
AlertKind = Literal[
    "breach",
    "breach_update",
    "predicted_breach",
    "recovery",
    "reinforcement",
    "written_emergency",  # a written contact triage decided is Nöd or flagged: read it now
]
