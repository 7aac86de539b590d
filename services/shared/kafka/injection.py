"""Fault injection for the fault tests (tests/fault): makes a consumer's handling fail on purpose,
in a real process, so that its retries and dead letters are seen end to end.

Off unless the environment variable PKC_INJECT_FAULTS names a file; while that file is absent,
nothing is injected. Its JSON says what to inject: {"outage": true, "refuse": ["<contact id>"]}:
while "outage" is true every record fails with a transient error (as if a dependency were
down), and every record of a listed contact is refused (poison). The file is read on each try:
a test writes it while the service runs, and ends the outage by writing it again.
"""

import json
import os
from pathlib import Path

from schemas.envelope import Event
from services.shared.kafka.faults import Refused

VARIABLE = "PKC_INJECT_FAULTS"


class InjectedOutage(ConnectionError):
    """An outage that is not there: transient, like the real ones."""


class InjectedFaults:
    def __init__(self, plan: Path | None):
        self.plan = plan

    @classmethod
    def from_environment(cls) -> "InjectedFaults":
        named = os.environ.get(VARIABLE)
        return cls(Path(named) if named else None)

    async def __call__(self, event: Event) -> None:
        """Raises what the plan says for `event`, before the handler changes anything."""
        if self.plan is None or not self.plan.exists():
            return
        plan = json.loads(self.plan.read_text())
        if plan.get("outage"):
            raise InjectedOutage("injected outage")
        if str(getattr(event, "contact_id", "")) in plan.get("refuse", ()):
            raise Refused("injected refusal of this contact")
