"""Swedish contact texts that triage's rules recognise, varied so no two days read the same.

Each matter has a few sentence templates built around a phrase of services/triage/rules.yaml;
slots pick a time, a place and an object; a greeting and a closing vary the frame. Crime
reports always carry a past-time cue ("i förra veckan", "igår"), as real reports do, which also
keeps them out of the Nöd rules; emergencies carry a present cue or an acute phrase. Words that
other rules match as prefixes (hjälp…, pass…, ställ…, "nu") are avoided outside their own matter.
No names, numbers, addresses or identity numbers: nothing personal to leak.
"""

import random
from types import MappingProxyType

from schemas import MatterType, NeedCategory

M = MatterType

WHEN = (
    "igår",
    "i går kväll",
    "i förra veckan",
    "förra veckan",
    "i helgen",
    "i morse",
    "i natt",
    "för två dagar sedan",
    "för några dagar sedan",
    "för ett tag sedan",
    "förra månaden",
)
PLACE = (
    "utanför jobbet",
    "vid tågstationen",
    "på bussen",
    "i trapphuset",
    "vid idrottshallen",
    "utanför biblioteket",
    "i cykelstället vid skolan",
    "på tunnelbanan",
    "vid badplatsen",
    "på gymmet",
)
ITEM = (
    "cykel",
    "plånbok",
    "mobiltelefon",
    "väska",
    "dator",
    "elsparkcykel",
    "barnvagn",
    "ryggsäck",
    "klocka",
)
GREETING = ("Hej,", "Hej!", "Hallå,", "Goddag,", "Hej där,", "", "")
CLOSING = ("Tack.", "Tack på förhand.", "Vänliga hälsningar.", "Tack så mycket.", "", "")

TEMPLATES: MappingProxyType[MatterType, tuple[str, ...]] = MappingProxyType(
    {
        M.ONGOING_CRIME_OR_DANGER: (
            "Någon bryter sig in i lägenheten bredvid just nu!",
            "Det brinner i ett hus på vår gata, kom fort!",
            "En man ligger medvetslös {place} och andas inte!",
            "Det pågår ett slagsmål {place} just nu.",
            "En person har en kniv och hotar folk {place}!",
            "Det är skottlossning {place}, vi hör skott!",
            "Ett rån pågår i kiosken mitt emot just nu.",
        ),
        M.TIP: (
            "Jag vill lämna ett tips om en person som säljer narkotika {place}.",
            "Jag vill tipsa om misstänkt langning {place} på kvällarna.",
            "Jag har sett något misstänkt {place} flera kvällar i rad.",
            "Jag har ett tips om var en efterlyst person bor.",
            "Det verkar som någon säljer knark {place}, jag vill tipsa er.",
        ),
        M.OTHER: (
            "Jag har blivit hotad av en granne och vet inte vad jag ska göra.",
            "Jag får hotfulla meddelanden från en okänd person.",
            "Min före detta partner hotar mig och jag känner mig hotad.",
            "Någon skickar hotfulla brev till vår förening.",
        ),
        M.THEFT: (
            "Min {item} blev stulen {place} {when}.",
            "Någon har stulit min {item} {place} {when}.",
            "Jag vill anmäla en stöld av min {item} {when}.",
            "En ficktjuv tog min {item} {place} {when}.",
            "Mina verktyg är stulna ur bilen, det upptäckte jag {when}.",
        ),
        M.BURGLARY: (
            "Det har varit inbrott i vårt förråd {when}.",
            "Någon bröt sig in i min källare {when}.",
            "Vi upptäckte inbrottet i sommarstugan {when}.",
            "Tjuvar har brutit sig in i garaget {when}.",
        ),
        M.CARD_FRAUD: (
            "Någon har handlat med mitt kort på nätet {when}.",
            "Mitt kontokort har skimmats, jag såg det {when}.",
            "Jag vill anmäla kortbedrägeri, det gjordes köp {when}.",
            "Det finns dragningar på mitt kort som kom {when}.",
        ),
        M.SHOP_THEFT: (
            "Jag jobbar i en butik och vill anmäla snatteri {when}.",
            "Vi har haft en snattare hos oss {when}.",
            "En kund stal från butiken {when}, vi har det på film.",
            "Vi vill anmäla butiksstöld som skedde {when}.",
        ),
        M.VANDALISM: (
            "Någon krossade rutan på min bil {when}.",
            "Min brevlåda blev sönderslagen {when}.",
            "Vi vill anmäla skadegörelse på skolgården {when}.",
            "Det är klotter över hela vår port sedan {when}.",
        ),
        M.PARKING_DAMAGE: (
            "Någon har backat på min bil när den stod på parkeringen {when}.",
            "Min parkerade bil fick en buckla {when}.",
            "Det är en repa på bilen efter att den stod på gatan {when}.",
            "Jag vill anmäla en parkeringsskada från {when}.",
        ),
        M.LOSS: (
            "Jag har tappat min {item} {place} {when}.",
            "Jag tappade mina nycklar {place} {when}.",
            "Jag vill anmäla förlust av min {item} {when}.",
            "Jag har lämnat in hittegods som jag hittade {place} {when}.",
        ),
        M.TRAFFIC: (
            "En bil körde mot rött vid korsningen {when}.",
            "Jag vill anmäla en smitning efter en trafikolycka {when}.",
            "Bilar fortkör varje kväll på vår gata, senast {when}.",
            "Jag blev av med mitt körkort i en kontroll {when}.",
        ),
        M.CASE_QUESTION: (
            "Jag undrar vad som händer med min anmälan.",
            "Jag vill följa upp mitt ärende.",
            "Kan ni ge mig status på min anmälan?",
            "Jag har fått ett diarienummer och vill veta hur det går med ärendet.",
            "Har ni utrett det jag anmälde {when}?",
        ),
        M.GENERAL_QUESTION: (
            "Vilka öppettider har receptionen?",
            "Hur gör jag för att anmäla något som inte är akut?",
            "Var ligger närmaste polisstation?",
            "Jag undrar vilka regler som gäller för drönare.",
            "När öppnar ni på lördagar?",
        ),
        M.PASSPORT_BOOKING: (
            "Jag vill boka tid för att förnya mitt pass.",
            "Hur bokar jag tid för nationellt id-kort?",
            "Mitt pass går ut snart, när kan jag komma in?",
            "Jag behöver ett nytt id-kort och vill boka tid.",
        ),
        M.CRIMINAL_RECORD_EXTRACT: (
            "Jag behöver ett utdrag ur belastningsregistret till ett nytt jobb.",
            "Hur begär jag ett registerutdrag?",
            "Min arbetsgivare vill ha ett utdrag från belastningsregistret.",
        ),
        M.PERMIT_WEAPONS: (
            "Jag vill förnya min vapenlicens för jaktvapen.",
            "Jag har sökt licens för ett jaktvapen och undrar hur det går.",
            "Jag har sökt vapentillstånd och undrar när beslutet kommer.",
        ),
        M.PERMIT_PUBLIC_PLACE: (
            "Vi vill söka tillstånd för en demonstration på torget.",
            "Hur söker man tillstånd för torghandel?",
            "Vi planerar en allmän sammankomst i parken och behöver tillstånd.",
            "Behöver vi tillstånd att filma på gatan?",
        ),
    }
)

_CATEGORIES = {
    M.ONGOING_CRIME_OR_DANGER: NeedCategory.EMERGENCY,
    M.TIP: NeedCategory.URGENT,
    M.OTHER: NeedCategory.URGENT,
    M.GENERAL_QUESTION: NeedCategory.INFORMATION,
}


def intended_category(matter: MatterType) -> NeedCategory:
    return _CATEGORIES.get(matter, NeedCategory.CASE_HELP)


def compose(matter: MatterType, rng: random.Random) -> str:
    """One citizen's text about `matter`."""
    body = rng.choice(TEMPLATES[matter]).format(
        when=rng.choice(WHEN), place=rng.choice(PLACE), item=rng.choice(ITEM)
    )
    if matter == M.ONGOING_CRIME_OR_DANGER:
        return body  # nobody greets in an emergency
    return " ".join(part for part in (rng.choice(GREETING), body, rng.choice(CLOSING)) if part)
