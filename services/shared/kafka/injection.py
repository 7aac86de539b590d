"""Fault injection for the fault tests (tests/fault): makes a consumer's handling fail on purpose,
in a real process, so that its retries and dead letters are seen end to end.

Off unless the environment variable PKC_INJECT_FAULTS names a file; while that file is absent,
nothing is injected. Its JSON says what to inject: {"outage": true, "refuse": ["<contact id>"]}:
while "outage" is true every record fails with a transient error (as if a dependency were
down), and every record of a listed contact is refused (poison). The file is read on each try:
a test writes it while the service runs, and ends the outage by writing it again.

Reporting's consumer also reads {"drop": ["<contact id>"]}: a fetched record that names a
listed contact never reaches the agent the first time it is fetched, as Faust drops records at
a rebalance (services/reporting/rewind.py).
"""

import json
import os
from pathlib import Path
from typing import Any

from schemas.envelope import Event
from services.shared.kafka.faults import Refused

VARIABLE = "PKC_INJECT_FAULTS"


class InjectedOutage(ConnectionError):
    """An outage that is not there: transient, like the real ones."""


class InjectedFaults:
    def __init__(self, plan: Path | None):
        self.plan = plan
        self._dropped: set[tuple[str, int, int]] = set()  # (topic, partition, offset)

    @classmethod
    def from_environment(cls) -> "InjectedFaults":
        named = os.environ.get(VARIABLE)
        return cls(Path(named) if named else None)

    @property
    def active(self) -> bool:
        return self.plan is not None

    def _plan(self) -> dict[str, Any]:
        if self.plan is None or not self.plan.exists():
            return {}
        plan: dict[str, Any] = json.loads(self.plan.read_text())
        return plan

    async def __call__(self, event: Event) -> None:
        """Raises what the plan says for `event`, before the handler changes anything."""
        plan = self._plan()
        if not plan:
            return
        if plan.get("outage"):
            raise InjectedOutage("injected outage")
        if str(getattr(event, "contact_id", "")) in plan.get("refuse", ()):
            raise Refused("injected refusal of this contact")

    def drops(self, topic: str, partition: int, offset: int, value: bytes | None) -> bool:
        """Whether a fetched record is dropped before the agent: it names a contact in the
        plan's "drop" list, and it is the first time this record is fetched."""
        at = (topic, partition, offset)
        if at in self._dropped or not value:
            return False
        if not any(contact.encode() in value for contact in self._plan().get("drop", ())):
            return False
        self._dropped.add(at)
        return True
