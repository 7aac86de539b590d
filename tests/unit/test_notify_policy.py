"""Notify's alert policy, decided without a database or a clock: which alert each SLA event
calls for, given the region's open episode and its last recovery."""

import uuid
from datetime import UTC, datetime, timedelta

from schemas import Region, ReinforcementRequested, SlaBreached
from schemas.events import SlaBreachPredicted, SlaRecovered, SlaStatus, SlaWindow
from services.notify.policy import (
    AlertPolicy,
    ChangeEpisode,
    Episode,
    Escalate,
    HoldBreach,
    HoldRequest,
    Release,
    SendAlert,
    StopEscalating,
    breach_id,
    plan,
    when_due,
)
from tests.notify_events import reinforcement_requested

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = AlertPolicy(
    escalation=timedelta(minutes=10), worsening_step=0.05, quiet=timedelta(minutes=15)
)
SYD = Region.SYD
EPISODE = uuid.uuid4()


def window(share: float) -> SlaWindow:
    return SlaWindow(start=NOW - timedelta(hours=1), end=NOW, answered_within=6, share=share)


def breached(episode: uuid.UUID = EPISODE, share: float = 0.70) -> SlaBreached:
    return SlaBreached(
        occurred_at=NOW, region=SYD, episode_id=episode, window=window(share), target=0.85
    )


def status(share: float, low_volume: bool = False) -> SlaStatus:
    return SlaStatus(
        occurred_at=NOW, region=SYD, window=window(share), in_breach=True, low_volume=low_volume
    )


def reinforcement() -> ReinforcementRequested:
    return reinforcement_requested(EPISODE, window(0.62))


def open_breach(share: float = 0.70, level: int = 1, held: bool = False) -> Episode:
    return Episode(breach_id(EPISODE), EPISODE, level, share, held)


def test_a_breach_is_alerted_once_to_level_one_and_escalates_unless_acknowledged() -> None:
    (alert,) = plan(breached(), None, None, POLICY, NOW)
    assert alert == SendAlert(
        "breach",
        breach_id(EPISODE),
        EPISODE,
        level=1,
        share=0.70,
        escalate_at=NOW + timedelta(minutes=10),
        acknowledges=breach_id(EPISODE),
    )
    assert plan(breached(), open_breach(), None, POLICY, NOW) == [], "a replay alerts nothing"


def test_a_worsening_share_is_updated_to_every_level_alerted_once_per_step() -> None:
    episode = open_breach(share=0.70, level=2)
    assert plan(status(0.66), episode, None, POLICY, NOW) == [], "less than a step"
    track, update = plan(status(0.64), episode, None, POLICY, NOW)
    assert track == ChangeEpisode(episode.alert_id, share=0.64)
    assert isinstance(update, SendAlert)
    assert (update.kind, update.level, update.previous_share) == ("breach_update", 2, 0.70)
    assert update.acknowledges == episode.alert_id, "its link acknowledges the breach"
    assert plan(status(0.50), None, None, POLICY, NOW) == [], "no open breach: no update"


def test_a_window_with_too_few_calls_to_judge_sends_no_update() -> None:
    episode = open_breach(share=0.70, level=1)
    assert plan(status(0.40, low_volume=True), episode, None, POLICY, NOW) == []


def test_a_predicted_breach_is_alerted_once_an_hour_and_not_during_a_breach() -> None:
    def predicted(minute: int) -> SlaBreachPredicted:
        end = NOW + timedelta(minutes=minute)
        return SlaBreachPredicted(
            occurred_at=end,
            region=SYD,
            window=SlaWindow(start=end - timedelta(hours=1), end=end, share=0.88),
            waiting_past_target=3,
            about_to_pass=4,
            predicted_share=0.80,
            target=0.85,
        )

    (first,) = plan(predicted(5), None, None, POLICY, NOW)
    (same_hour,) = plan(predicted(50), None, None, POLICY, NOW)
    (next_hour,) = plan(predicted(65), None, None, POLICY, NOW)
    assert isinstance(first, SendAlert)
    assert isinstance(next_hour, SendAlert)
    assert (first.kind, first.level) == ("predicted_breach", 1)
    assert first == same_hour, "the same alert id: stored once"
    assert next_hour.alert_id != first.alert_id
    assert plan(predicted(5), open_breach(), None, POLICY, NOW) == []


def test_a_reinforcement_request_goes_to_every_level_alerted_for_its_episode() -> None:
    request = reinforcement()
    (alert,) = plan(request, open_breach(level=2), None, POLICY, NOW)
    assert isinstance(alert, SendAlert)
    assert (alert.kind, alert.level, alert.acknowledges) == ("reinforcement", 2, alert.alert_id)
    assert plan(request, None, None, POLICY, NOW) == [], "no breach alert: no reinforcement"


def test_a_recovery_ends_the_episode_and_tells_every_level_alerted() -> None:
    recovered = SlaRecovered(
        occurred_at=NOW, region=SYD, episode_id=EPISODE, window=window(0.90), target=0.85
    )
    closed, recovery = plan(recovered, open_breach(share=0.70, level=2), None, POLICY, NOW)
    assert closed == ChangeEpisode(breach_id(EPISODE), closed=True), "escalation stops"
    assert isinstance(recovery, SendAlert)
    assert (recovery.kind, recovery.level, recovery.previous_share) == ("recovery", 2, 0.70)
    assert recovery.acknowledges is None, "nothing to acknowledge"
    assert plan(recovered, None, None, POLICY, NOW) == [], "over already, or never alerted"


def test_a_breach_in_the_quiet_period_is_held_until_it_ends_then_sent_if_still_open() -> None:
    recovered_at = NOW - timedelta(minutes=5)
    (held,) = plan(breached(), None, recovered_at, POLICY, NOW)
    assert held == HoldBreach(breach_id(EPISODE), EPISODE, 0.70, recovered_at + POLICY.quiet)
    # Still open when the quiet period ends: it is sent then (it used to be dropped for good).
    release_time = recovered_at + POLICY.quiet
    decision = when_due(open_breach(held=True), [1, 2], release_time, POLICY)
    assert decision == Release(breach_id(EPISODE), release_time + POLICY.escalation)
    # After the quiet period a breach is alerted at once.
    (sent,) = plan(breached(), None, NOW - timedelta(minutes=16), POLICY, NOW)
    assert isinstance(sent, SendAlert)


def test_a_held_breach_that_recovers_within_the_quiet_period_is_never_sent() -> None:
    held = open_breach(share=0.80, held=True)
    assert plan(status(0.70), held, None, POLICY, NOW) == [
        ChangeEpisode(held.alert_id, share=0.70)
    ], "the share is kept for its message, nothing sent"
    recovered = SlaRecovered(
        occurred_at=NOW, region=SYD, episode_id=EPISODE, window=window(0.90), target=0.85
    )
    assert plan(recovered, held, None, POLICY, NOW) == [ChangeEpisode(held.alert_id, closed=True)]


def test_a_held_breachs_reinforcement_request_is_kept_and_sent_once_it_is_released() -> None:
    held = open_breach(held=True)
    # Reporting asks once per episode: not sent yet, but not dropped either.
    assert plan(reinforcement(), held, None, POLICY, NOW) == [HoldRequest(held.alert_id)]
    released = Episode(held.alert_id, EPISODE, 1, held.share)
    (alert,) = plan(reinforcement(), released, None, POLICY, NOW)
    assert isinstance(alert, SendAlert)
    assert (alert.kind, alert.level, alert.acknowledges) == ("reinforcement", 1, alert.alert_id)


def test_an_unacknowledged_alert_climbs_the_chain_and_stays_at_its_top() -> None:
    assert when_due(open_breach(level=1), [1, 2, 3], NOW, POLICY) == Escalate(
        breach_id(EPISODE), 1, 2, NOW + POLICY.escalation
    )
    assert when_due(open_breach(level=3), [1, 2, 3], NOW, POLICY) == StopEscalating(
        breach_id(EPISODE)
    )
