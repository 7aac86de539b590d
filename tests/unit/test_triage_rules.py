"""Triage decisions and the rules file's validation."""

from pathlib import Path

import pytest

from schemas import Channel, MatterType, NeedCategory, Route
from services.triage.bootstrap import bootstrap
from services.triage.classifier import DEFAULT_RULES, Classifier
from services.triage.rules import RulesError, load_rules
from services.triage.settings import TriageSettings


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_file()


@pytest.mark.parametrize(
    ("text", "category", "matter"),
    [
        (
            "Någon bryter sig in hos grannen just nu!",
            NeedCategory.EMERGENCY,
            MatterType.ONGOING_CRIME_OR_DANGER,
        ),
        ("Min cykel blev stulen i förra veckan", NeedCategory.CASE_HELP, MatterType.THEFT),
        ("min cykel blev stulen igar", NeedCategory.CASE_HELP, MatterType.THEFT),
        ("Stölden skedde i helgen", NeedCategory.CASE_HELP, MatterType.THEFT),
        ("Vilka öppettider har ni?", NeedCategory.INFORMATION, MatterType.GENERAL_QUESTION),
        ("Jag vill boka tid för pass", NeedCategory.CASE_HELP, MatterType.PASSPORT_BOOKING),
        (
            "Någon slår sönder bilen just nu",
            NeedCategory.EMERGENCY,
            MatterType.ONGOING_CRIME_OR_DANGER,
        ),
        (
            "Ingen är skadad men någon har kört in i vårt staket och kört därifrån",
            NeedCategory.CASE_HELP,
            MatterType.TRAFFIC,
        ),
        (
            "tappade min plånbok igår med id-kort och bankkort i",
            NeedCategory.CASE_HELP,
            MatterType.LOSS,
        ),
        (
            "Någon krossade bilrutan och stal min väska från baksätet",
            NeedCategory.CASE_HELP,
            MatterType.THEFT,
        ),
        (
            "Vad har hänt med min anmälan om inbrottet i stugan?",
            NeedCategory.CASE_HELP,
            MatterType.CASE_QUESTION,
        ),
        (
            "Two guys are robbing the kiosk right now",
            NeedCategory.EMERGENCY,
            MatterType.ONGOING_CRIME_OR_DANGER,
        ),
    ],
)
def test_contacts_are_classified_by_need(
    classifier: Classifier, text: str, category: NeedCategory, matter: MatterType
) -> None:
    decision = classifier.classify(text, Channel.PHONE)
    assert (decision.category, decision.matter) == (category, matter)
    assert decision.matched, "the explanation names the phrases that matched"


@pytest.mark.parametrize(
    "text",
    [
        "En okänd man står utanför min dörr med en hammare",
        "There is a drunk guy with a crowbar in the stairwell and I am scared",
        "Min pappa är dement och går omkring ute i kylan, jag är rädd",
    ],
)
def test_a_danger_told_from_inside_it_is_nod_without_a_phrase_of_its_own(
    classifier: Classifier, text: str
) -> None:
    decision = classifier.classify(text, Channel.PHONE)
    assert decision.category == NeedCategory.EMERGENCY
    assert decision.rule_id == "nod-danger-here", decision


@pytest.mark.parametrize(
    "text",
    [
        "Får man ha en hammare i bilen, jag är snickare?",
        "Jag har fått sms där han skriver att han ska slå mig, jag är rädd",
        "En full man stod utanför min dörr i förra veckan",
    ],
)
def test_the_same_danger_asked_written_or_past_is_not(classifier: Classifier, text: str) -> None:
    assert classifier.classify(text, Channel.PHONE).rule_id != "nod-danger-here"


def test_an_unmatched_text_told_as_happening_here_and_now_is_nod_in_doubt(
    classifier: Classifier,
) -> None:
    doubt = classifier.classify("Det är någon konstig här ute, jag är ensam hemma", Channel.MAIL)
    assert (doubt.category, doubt.rule_id) == (NeedCategory.EMERGENCY, "nod-in-doubt")
    unclear = classifier.classify("Hej, det gäller en sak", Channel.MAIL)
    assert unclear.category == NeedCategory.INFORMATION


def test_emergency_goes_to_112_from_any_channel(classifier: Classifier) -> None:
    for channel in Channel:
        decision = classifier.classify("Det brinner i trapphuset!", channel)
        assert decision.route == Route.EMERGENCY_112, channel


def test_an_e_service_matter_is_routed_to_the_e_service_only_from_that_channel(
    classifier: Classifier,
) -> None:
    web = classifier.classify("Min plånbok blev stulen igår", Channel.E_SERVICE)
    phone = classifier.classify("Min plånbok blev stulen igår", Channel.PHONE)
    assert web.route == Route.E_SERVICE
    assert phone.route == Route.OPERATOR
    assert phone.e_service_capable


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02", "x" * 10_000])
def test_empty_or_garbage_text_falls_back_to_information_for_an_operator(
    classifier: Classifier, text: str
) -> None:
    decision = classifier.classify(text, Channel.PHONE)
    assert (decision.category, decision.route) == (NeedCategory.INFORMATION, Route.OPERATOR)


def test_rules_file_errors_name_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "version: '1'\n"
        "cues: {now: [just nu]}\n"
        "negations: [inte]\n"
        "rules:\n"
        "  - id: a\n"
        "    category: emergency\n"
        "    matter: theft\n"
        "    priority: 1\n"
        "    route: emergency_112\n"
        "    precedence: 1\n"
        "    phrases: [stöld]\n"
        "    phrases_of_cues: [soon]\n"
        "  - id: a\n"
        "    category: panic\n"
        "    matter: theft\n"
        "    priority: 1\n"
        "    route: operator\n"
        "    precedence: 2\n"
        "    phrases: ['!!!']\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as caught:
        load_rules(bad)
    message = str(caught.value)
    assert "line 5: rule a: unknown cue 'soon'" in message
    assert "line 13: rule a: duplicate id (first on line 5)" in message
    assert "line 13: rule a: unknown category 'panic'" in message
    assert "bad pattern '!!!'" in message


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: '1'\nrules:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError, match="line 4"):
        load_rules(bad)


def test_triage_refuses_to_start_on_an_invalid_rules_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: '1'\nrules: []\n", encoding="utf-8")
    with pytest.raises(RulesError, match="no rules"):
        bootstrap(TriageSettings(rules_file=bad))


def test_triage_is_assembled_from_its_settings_without_connecting(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    # No broker listens on this port: assembling must not connect (the lifespan starts Kafka).
    triage = bootstrap(TriageSettings(rules_file=rules, kafka_bootstrap_servers="127.0.0.1:9"))
    assert triage.classifier.version == Classifier.from_file().version
    decision = triage.classifier.classify("Någon bryter sig in hos grannen just nu!", Channel.PHONE)
    assert decision.route == Route.EMERGENCY_112
