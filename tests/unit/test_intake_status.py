"""A contact's status as its adapter sees it: how events move it (in any order, replayed), what
the citizen is told (Nöd: call 112, in Swedish and English, with why; an e-service matter by any
channel: the e-service's link), the callbacks' signature and retry decisions."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from schemas import (
    Abandoned,
    CaseCreated,
    Channel,
    Classified,
    ContactResolved,
    MatterType,
    NeedCategory,
    Queued,
    QueueName,
    RedirectedTo112,
    Region,
    Route,
)
from services.intake.callback_store import Backoff, Claimed
from services.intake.callbacks import outcome_of
from services.intake.signing import sign, verify
from services.intake.status import Snapshot, advance, progress_of
from services.intake.status_view import Row, load_links, render
from services.triage.classifier import DEFAULT_RULES

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CONTACT = uuid.uuid4()
LINKS = load_links()


def classified(
    category: NeedCategory = NeedCategory.CASE_HELP,
    route: Route = Route.OPERATOR,
    e_service: str | None = None,
    channel: Channel = Channel.PHONE,
    matter: MatterType = MatterType.THEFT,
) -> Classified:
    return Classified(
        occurred_at=NOW,
        contact_id=CONTACT,
        region=Region.NORD,
        channel=channel,
        received_at=NOW - timedelta(seconds=1),
        category=category,
        matter=matter,
        priority=1 if category == NeedCategory.EMERGENCY else 3,
        route=route,
        e_service=e_service,
        e_service_capable=e_service is not None,
        rule_id="r",
        rules_version="1",
    )


def nod() -> Classified:
    return classified(
        NeedCategory.EMERGENCY, Route.EMERGENCY_112, matter=MatterType.ONGOING_CRIME_OR_DANGER
    )


def queued() -> Queued:
    return Queued(
        occurred_at=NOW,
        contact_id=CONTACT,
        region=Region.NORD,
        queue=QueueName.CRIME_REPORT,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        priority=3,
        received_at=NOW,
    )


def abandoned(reason: str, opens_at: datetime | None = None) -> Abandoned:
    return Abandoned(
        opens_at=opens_at,
        occurred_at=NOW,
        contact_id=CONTACT,
        region=Region.NORD,
        channel=Channel.PHONE,
        category=NeedCategory.CASE_HELP,
        received_at=NOW,
        wait_seconds=0,
        reason=reason,
    )


def case_created() -> CaseCreated:
    return CaseCreated(
        occurred_at=NOW,
        case_id=uuid.uuid4(),
        contact_id=CONTACT,
        region=Region.NORD,
        case_number="5000-K123456-26",
        matter=MatterType.THEFT,
        created_by="operator",
    )


def resolved() -> ContactResolved:
    return ContactResolved(
        occurred_at=NOW,
        contact_id=CONTACT,
        region=Region.NORD,
        operator_id="op",
        outcome="report_filed",
    )


def run(*events: object) -> Snapshot:
    status = Snapshot()
    for event in events:
        progress = progress_of(event)  # type: ignore[arg-type]
        assert progress is not None
        status = advance(status, progress) or status
    return status


def view(snapshot: Snapshot, channel: Channel = Channel.PHONE) -> dict[str, object]:
    row = Row(CONTACT, "nord", channel.value, 2, NOW, snapshot)
    return render(row, LINKS).model_dump(mode="json")


def test_a_nod_contact_is_told_to_call_112_now_in_swedish_and_english_with_why() -> None:
    status = view(run(nod()))
    assert (status["stage"], status["category"]) == ("classified", "emergency")
    instruction = status["instruction"]
    assert isinstance(instruction, dict)
    assert instruction["kind"] == "call_112"
    assert instruction["sv"].startswith("Ring 112 nu.")
    assert instruction["en"].startswith("Call 112 now.")
    assert "pågående brott eller en fara för liv" in instruction["sv"]
    assert "a crime or a danger to life happening now" in instruction["en"]


def test_the_redirect_closes_a_nod_contact_and_keeps_the_instruction() -> None:
    status = view(
        run(
            nod(),
            RedirectedTo112(
                occurred_at=NOW,
                contact_id=CONTACT,
                region=Region.NORD,
                channel=Channel.PHONE,
                received_at=NOW,
                redirect_seconds=0.1,
            ),
        )
    )
    assert (status["stage"], status["reason"]) == ("closed", "redirected_to_112")
    assert status["instruction"]["kind"] == "call_112"  # type: ignore[index]


def test_a_phone_contact_an_e_service_can_take_gets_the_e_services_link() -> None:
    status = view(run(classified(e_service="anmal-stold")))
    assert status["route"] == "operator", "by phone it stays with an operator"
    assert status["e_service"] == {
        "name": "anmal-stold",
        "url": "https://polisen.se/e-tjanster/anmal-stold",
        "title_sv": "Anmäl stöld",
        "title_en": "Report a theft",
    }
    assert status["instruction"]["kind"] == "use_e_service"  # type: ignore[index]
    assert "https://polisen.se/e-tjanster/anmal-stold" in status["instruction"]["sv"]  # type: ignore[index]


def test_the_stages_follow_the_life_of_a_contact_to_its_case() -> None:
    stages = []
    status = Snapshot()
    for event in (classified(), queued(), resolved(), case_created()):
        progress = progress_of(event)
        assert progress is not None
        moved = advance(status, progress)
        assert moved is not None, type(event).__name__
        status = moved
        stages.append(status.stage)
    assert stages == ["classified", "queued", "closed", "closed"]
    assert (status.case_number, status.reason) == ("5000-K123456-26", "report_filed")


def test_an_event_arriving_late_adds_what_it_knows_but_never_moves_the_stage_back() -> None:
    status = run(queued(), classified(e_service="anmal-stold"))
    assert status.stage == "queued"
    assert (status.category, status.e_service) == ("case_help", "anmal-stold")


def test_a_replayed_event_changes_nothing() -> None:
    status = run(classified(), queued())
    again = progress_of(queued())
    assert again is not None
    assert advance(status, again) is None


def test_an_ended_contact_stays_ended() -> None:
    status = run(classified(), abandoned("hung_up"), queued())
    assert (status.stage, status.reason) == ("abandoned", "hung_up")


def test_a_contact_turned_away_while_closed_says_so() -> None:
    status = view(run(classified(), abandoned("closed")))
    assert (status["stage"], status["reason"]) == ("abandoned", "closed")
    instruction = status["instruction"]
    assert instruction["kind"] == "closed_for_opening_hours"  # type: ignore[index]
    assert "utanför öppettiderna" in instruction["sv"]  # type: ignore[index]
    assert "outside opening hours" in instruction["en"]  # type: ignore[index]


def test_a_contact_turned_away_while_closed_is_told_when_the_queue_opens() -> None:
    """In the citizen's time (Swedish), in both languages, and as a time for the adapter."""
    opens = datetime(2027, 6, 27, 5, 0, tzinfo=UTC)  # 07:00 in Stockholm, summer time
    status = view(run(classified(), abandoned("closed", opens_at=opens)))
    assert status["opens_at"] == "2027-06-27T05:00:00Z"
    instruction = status["instruction"]
    assert "när vi öppnar, 2027-06-27 07:00" in instruction["sv"]  # type: ignore[index]
    assert "from 2027-06-27 07:00 (Swedish time)" in instruction["en"]  # type: ignore[index]
    assert view(run(classified(), abandoned("hung_up")))["opens_at"] is None


def test_every_e_service_triage_names_has_a_link() -> None:
    rules = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))["rules"]
    named = {rule["e_service"] for rule in rules if rule.get("e_service")}
    assert named, "the rules name e-services"
    assert named <= set(LINKS), f"no link for {sorted(named - set(LINKS))}"
    assert all(link.url.startswith("https://polisen.se/") for link in LINKS.values())


def test_a_signature_verifies_with_the_secret_and_nothing_else() -> None:
    body = b'{"stage":"classified"}'
    now = int(time.time())
    header = sign("s3cret", now, body)
    assert verify("s3cret", header, body, now)
    assert not verify("other", header, body, now), "another secret"
    assert not verify("s3cret", header, body + b" ", now), "another body"
    assert not verify("s3cret", header, body, now + 301), "replayed later"
    assert not verify("s3cret", None, body, now)
    assert not verify("s3cret", "v1=abc", body, now)


@pytest.mark.parametrize(
    ("code", "delivered", "final"),
    [
        (200, True, True),
        (204, True, True),
        (400, False, True),
        (410, False, True),
        (408, False, False),
        (429, False, False),
        (500, False, False),
        (503, False, False),
    ],
)
def test_an_answer_is_delivered_refused_for_good_or_retried(
    code: int, delivered: bool, final: bool
) -> None:
    attempt = outcome_of(Claimed(1, "k", "{}", 0, "http://a", "s"), code)
    assert (attempt.delivered, attempt.final) == (delivered, final)


def test_the_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_seconds=1, max_seconds=10, lease_seconds=30)
    waits = [backoff.after(n).total_seconds() for n in range(1, 7)]
    assert waits == [1, 2, 4, 8, 10, 10]


def test_a_links_file_is_data(tmp_path: Path) -> None:
    links = tmp_path / "links.yaml"
    links.write_text("x: {url: 'https://polisen.se/x', sv: X, en: Ex}\n", encoding="utf-8")
    assert load_links(links)["x"].title_en == "Ex"
