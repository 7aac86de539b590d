"""What contacts are about, per channel: the channel mix and each channel's matter mix.

Assumptions, shaped by the seeds: the phone (114 14) dominates; most e-service contacts are the
matters the e-services take (theft, loss, card fraud, …) and become cases without an operator;
about 80 % of reception visits concern passports and national ID cards; some emergencies reach
non-emergency channels and are redirected to 112; mail is the smallest channel.
"""

from types import MappingProxyType

from schemas import Channel, MatterType

M = MatterType

CHANNEL_SHARES = MappingProxyType(
    {
        Channel.PHONE: 0.55,
        Channel.E_SERVICE: 0.28,
        Channel.RECEPTION: 0.08,
        Channel.SOCIAL_MEDIA: 0.04,
        Channel.MAIL: 0.03,
        Channel.PHYSICAL_MEETING: 0.02,
    }
)

MATTER_MIX: MappingProxyType[Channel, dict[MatterType, float]] = MappingProxyType(
    {
        Channel.PHONE: {
            M.ONGOING_CRIME_OR_DANGER: 0.03,
            M.TIP: 0.10,
            M.OTHER: 0.03,  # threats (Skyndsamt)
            M.THEFT: 0.13,
            M.BURGLARY: 0.06,
            M.CARD_FRAUD: 0.08,
            M.SHOP_THEFT: 0.03,
            M.VANDALISM: 0.05,
            M.PARKING_DAMAGE: 0.03,
            M.LOSS: 0.07,
            M.TRAFFIC: 0.05,
            M.CASE_QUESTION: 0.12,
            M.GENERAL_QUESTION: 0.10,
            M.PASSPORT_BOOKING: 0.05,
            M.CRIMINAL_RECORD_EXTRACT: 0.03,
            M.PERMIT_WEAPONS: 0.02,
            M.PERMIT_PUBLIC_PLACE: 0.02,
        },
        Channel.E_SERVICE: {
            M.ONGOING_CRIME_OR_DANGER: 0.01,
            M.TIP: 0.04,
            M.THEFT: 0.24,
            M.LOSS: 0.19,
            M.CARD_FRAUD: 0.12,
            M.SHOP_THEFT: 0.10,
            M.VANDALISM: 0.07,
            M.BURGLARY: 0.05,
            M.PARKING_DAMAGE: 0.05,
            M.PASSPORT_BOOKING: 0.06,
            M.CRIMINAL_RECORD_EXTRACT: 0.04,
            M.PERMIT_WEAPONS: 0.02,
            M.PERMIT_PUBLIC_PLACE: 0.01,
        },
        Channel.RECEPTION: {
            M.PASSPORT_BOOKING: 0.78,
            M.LOSS: 0.07,
            M.THEFT: 0.05,
            M.GENERAL_QUESTION: 0.05,
            M.CASE_QUESTION: 0.05,
        },
        Channel.SOCIAL_MEDIA: {
            M.TIP: 0.35,
            M.GENERAL_QUESTION: 0.35,
            M.CASE_QUESTION: 0.15,
            M.ONGOING_CRIME_OR_DANGER: 0.05,
            M.OTHER: 0.05,
            M.THEFT: 0.05,
        },
        Channel.MAIL: {
            M.CASE_QUESTION: 0.35,
            M.PERMIT_PUBLIC_PLACE: 0.15,
            M.PERMIT_WEAPONS: 0.15,
            M.CRIMINAL_RECORD_EXTRACT: 0.15,
            M.LOSS: 0.10,
            M.GENERAL_QUESTION: 0.10,
        },
        Channel.PHYSICAL_MEETING: {
            M.THEFT: 0.30,
            M.BURGLARY: 0.20,
            M.CASE_QUESTION: 0.30,
            M.GENERAL_QUESTION: 0.20,
        },
    }
)

# Matters an e-service takes (rules.yaml `e_service`): by the e-service they become cases.
E_SERVICE_MATTERS = frozenset(
    {
        M.THEFT,
        M.BURGLARY,
        M.SHOP_THEFT,
        M.CARD_FRAUD,
        M.LOSS,
        M.VANDALISM,
        M.PARKING_DAMAGE,
        M.PASSPORT_BOOKING,
        M.CRIMINAL_RECORD_EXTRACT,
        M.PERMIT_PUBLIC_PLACE,
        M.PERMIT_WEAPONS,
    }
)


def reaches_an_operator(channel: Channel, matter: MatterType) -> bool:
    """Nöd goes to 112 and e-service matters sent by e-service become cases; the rest queues."""
    if matter == M.ONGOING_CRIME_OR_DANGER:
        return False
    return not (channel == Channel.E_SERVICE and matter in E_SERVICE_MATTERS)


def operator_share(channel: Channel) -> float:
    """The share of a channel's contacts that end up in an operator queue."""
    mix = MATTER_MIX[channel]
    return sum(w for m, w in mix.items() if reaches_an_operator(channel, m)) / sum(mix.values())
