"""Notify's service layer: takes an SLA event (or a written contact in doubt), asks the alert
policy what it calls for, and stores the alerts with their messages' deliveries to the people on
call, in one transaction. Also escalation (and the release of held breaches), and
acknowledgement (services/notify/acknowledgement.py)."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.service_level import ServiceLevelPolicy
from schemas import AlertAcknowledged, AlertEscalated, Classified, Region, ReinforcementRequested
from services.notify.ack import AckLinks
from services.notify.acknowledgement import Acknowledger, acknowledge
from services.notify.freshness import Freshness, ends_something
from services.notify.messages import Message, StoredAlert, compose, escalated, released
from services.notify.outbox import Target, deliveries
from services.notify.policy import (
    AlertEvent,
    AlertPolicy,
    ChangeEpisode,
    Decision,
    DueDecision,
    Escalate,
    HoldBreach,
    HoldRequest,
    Release,
    SendAlert,
    plan,
    when_due,
)
from services.notify.repository import (
    HELD,
    STORED_KIND,
    SUPPRESSED,
    NotifyStore,
    Transaction,
    episode_of,
    new_alert,
)
from services.notify.schedule import Schedule
from services.notify.tables import Alert
from services.notify.written import written_emergency, written_facts
from services.shared.ids import derived_id

DESK = "desk"  # the recipient id of the settings' extra webhook


# Compared by identity, and never printed: its collaborators hold the signing key.
@dataclass(eq=False, repr=False)
class AlertService:
    store: NotifyStore
    schedule: Callable[[], Schedule]
    policy: AlertPolicy
    service_level: ServiceLevelPolicy
    links: AckLinks
    freshness: Freshness
    desk_url: str | None = None

    # --- planning ------------------------------------------------------------------------
    def take(self, event: AlertEvent, now: datetime, wall: datetime) -> bool:
        """Stores the alerts an event calls for; True when there is something to send.
        `now` is the platform's clock, `wall` real time (when deliveries are due). An event
        older than the freshness horizon only records what it would have sent (freshness.py)."""
        schedule = self.schedule()
        stale = self.freshness.is_stale(event, now)
        for _ in range(_ATTEMPTS):
            with self.store.transaction() as tx:
                # A classified contact's alert is about it alone: no episode to load. The row
                # stays referenced here while the decisions apply: the session holds the rows it
                # loaded weakly, and a change is checked against the row as it was planned on.
                one_contact = isinstance(event, Classified)
                open_row = None if one_contact else tx.alerts.open_episode(event.region)
                episode = episode_of(open_row) if open_row is not None else None
                last_recovery = None if one_contact else tx.alerts.last_recovery(event.region)
                decisions = plan(event, episode, last_recovery, self.policy, now)
                if not decisions:
                    return False
                try:
                    for decision in decisions:
                        if stale and not ends_something(decision):
                            self.freshness.skip(tx, decision, event, now)
                        else:
                            self._apply(tx, decision, event, schedule, now, wall, not stale)
                except _Changed:
                    continue  # another replica released or escalated it: plan on what it did
                # False also when the alert is stored already: a replay, or another replica.
                sends = not stale and any(isinstance(d, SendAlert) for d in decisions)
                return tx.commit() and sends
        raise RuntimeError(f"{event.region.value}'s breach alert kept changing while planning")

    def _apply(
        self,
        tx: Transaction,
        decision: Decision,
        event: AlertEvent,
        schedule: Schedule,
        now: datetime,
        wall: datetime,
        send: bool = True,
    ) -> None:
        if isinstance(decision, ChangeEpisode | HoldRequest):
            row = tx.alerts.get(decision.alert_id)
            assert row is not None  # the policy was handed it
            if not tx.alerts.change(row, **_changes(decision, row, event)):
                raise _Changed
        elif isinstance(decision, HoldBreach):
            held = new_alert(event.region, decision.alert_id, decision.episode_id, HELD, now)
            held.share, held.escalate_at = decision.share, decision.release_at
            tx.alerts.save(held)
        else:
            kind = STORED_KIND[decision.kind]
            alert = new_alert(event.region, decision.alert_id, decision.episode_id, kind, now)
            alert.level, alert.share = decision.level, decision.share
            alert.escalate_at = decision.escalate_at
            message = self._message(decision, event, alert)
            tx.alerts.save(alert)
            if not send:  # a stale recovery: stored, so its episode is over, but not sent
                return self.freshness.skip_sending(tx, alert, event, now)
            levels = range(1, decision.level + 1)
            self._deliver(
                tx, alert, message, self._targets(schedule, alert, levels, now), now, wall
            )

    def _message(self, decision: SendAlert, event: AlertEvent, alert: Alert) -> Message:
        acknowledged = decision.acknowledges
        if isinstance(event, Classified):
            facts = written_facts(event)
            alert.facts = json.dumps(facts, ensure_ascii=False)  # its escalation says it again
            return written_emergency(facts, decision.alert_id)
        alert_id = acknowledged or decision.alert_id
        return compose(
            decision.kind,
            event,
            alert_id,
            acknowledged,
            self.service_level,
            decision.previous_share,
        )

    def _targets(
        self, schedule: Schedule, alert: Alert, levels: range, now: datetime
    ) -> list[Target]:
        targets = []
        for level in levels:
            on_call = schedule.on_call(Region(alert.region), level, now)
            if on_call is None:
                continue  # a gap in the schedule at that level
            person = on_call.person
            if person.webhook:
                targets.append(Target(level, "webhook", person.id, person.webhook))
            if person.email:
                targets.append(Target(level, "email", person.id, person.email))
        if self.desk_url and levels.start == 1:
            targets.append(Target(1, "webhook", DESK, self.desk_url))
        return targets

    def _deliver(
        self,
        tx: Transaction,
        alert: Alert,
        message: Message,
        targets: list[Target],
        now: datetime,
        wall: datetime,
    ) -> None:
        """The message's deliveries, each with the link that names its own recipient."""
        acknowledges = message.acknowledges

        def link_for(recipient: str) -> str | None:
            if acknowledges is None:
                return None
            return self.links.link(acknowledges, recipient, now)

        for delivery in deliveries(alert, message, targets, wall, link_for):
            tx.add_delivery(delivery)

    # --- escalation ----------------------------------------------------------------------
    def escalate_due(self, now: datetime, wall: datetime) -> list[AlertEscalated]:
        """Moves every unacknowledged alert whose time is up; the escalations (written to the
        outbox with the change)."""
        with self.store.transaction() as tx:
            due = tx.alerts.due(now)
            if not due:  # nearly every step: no schedule to read (a query of its own)
                return []
            schedule = self.schedule()
            done = []
            for alert in due:
                levels = schedule.levels(Region(alert.region))
                decision = when_due(episode_of(alert), levels, now, self.policy)
                event = self._apply_due(tx, alert, decision, schedule, now, wall)
                if event is not None:
                    done.append(event)
            # Another replica moved the same alerts first: theirs stand.
            return done if tx.commit() else []

    def _apply_due(
        self,
        tx: Transaction,
        alert: Alert,
        decision: DueDecision,
        schedule: Schedule,
        now: datetime,
        wall: datetime,
    ) -> AlertEscalated | None:
        """Each change only if the alert is still as loaded: if another replica recovered,
        acknowledged or moved it meanwhile, theirs stands and this one leaves it."""
        if isinstance(decision, Release):
            self._release(tx, alert, decision, schedule, now, wall)
            return None
        if not isinstance(decision, Escalate):
            tx.alerts.change(alert, escalate_at=None)  # nobody further up: it stays there
            return None
        if not tx.alerts.change(alert, level=decision.to_level, escalate_at=decision.escalate_at):
            return None
        if alert.kind == STORED_KIND["written_emergency"] and alert.facts is not None:
            facts = json.loads(alert.facts)
            message = written_emergency(facts, alert.alert_id, decision.from_level)
        else:
            message = escalated(_stored(alert), decision.from_level, self.service_level)
        levels = range(decision.to_level, decision.to_level + 1)
        self._deliver(tx, alert, message, self._targets(schedule, alert, levels, now), now, wall)
        detail = f"from level {decision.from_level}"
        tx.alerts.log(alert, "escalated", decision.to_level, detail=detail, at=now)
        event = AlertEscalated(
            event_id=derived_id(alert.alert_id, f"escalated-{decision.to_level}"),
            occurred_at=now,
            region=Region(alert.region),
            alert_id=alert.alert_id,
            from_level=decision.from_level,
            to_level=decision.to_level,
        )
        tx.emit(event)
        return event

    def _release(
        self,
        tx: Transaction,
        alert: Alert,
        decision: Release,
        schedule: Schedule,
        now: datetime,
        wall: datetime,
    ) -> None:
        """Sends a held breach, then the reinforcement request kept with it, if any."""
        request = alert.held_request
        if not tx.alerts.change(alert, kind="breach", escalate_at=decision.escalate_at):
            return  # recovered (suppressed) meanwhile: nothing to send
        message = released(_stored(alert), self.service_level)
        targets = self._targets(schedule, alert, range(1, 2), now)
        self._deliver(tx, alert, message, targets, now, wall)
        if request is None:
            return
        reinforcement = ReinforcementRequested.model_validate_json(request)
        for sending in plan(reinforcement, episode_of(alert), None, self.policy, now):
            self._apply(tx, sending, reinforcement, schedule, now, wall)

    # --- acknowledgement -----------------------------------------------------------------
    def acknowledge(
        self, alert_id: uuid.UUID, by: Acknowledger, now: datetime
    ) -> AlertAcknowledged | None:
        """Stops the alert's escalation, recording who; None when it was acknowledged already."""
        return acknowledge(self.store, alert_id, by, now)


class _Changed(Exception):
    """The alert is no longer as the transaction loaded it: another replica changed it."""


_ATTEMPTS = 5  # each retry follows another replica's change to the same alert


def _changes(
    decision: ChangeEpisode | HoldRequest, row: Alert, event: AlertEvent
) -> dict[str, object]:
    """The columns a change of the open episode writes."""
    if isinstance(decision, HoldRequest):
        return {"held_request": event.model_dump_json()}
    changes: dict[str, object] = {}
    if decision.share is not None:
        changes["share"] = decision.share
    if decision.closed:
        # A held breach (and any request kept with it) is never sent now.
        changes |= {"escalate_at": None, "held_request": None}
        changes["kind"] = SUPPRESSED if row.kind == HELD else row.kind
    return changes


def _stored(alert: Alert) -> StoredAlert:
    return StoredAlert(
        alert.alert_id, alert.episode_id, Region(alert.region), alert.share, alert.created_at
    )
