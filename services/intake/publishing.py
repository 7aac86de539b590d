"""Publishing a claimed contact within the request's deadline, and at most once per process.

A send that outlives its request's deadline is not cancelled: its record may already sit in the
producer's batch, cancelling the wait would not take it back, and the adapter's retry would
then put a second copy on the topic. The send goes on in the background instead; a retry of the
same key waits on that very send, and once Kafka has it the claim is marked published whether
or not anyone still waits (a later retry then finds it published and gets 200)."""

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from aiokafka.errors import KafkaError

from schemas import ContactReceived
from services.intake.domain import BrokerUnavailable
from services.intake.store import AcceptedContacts, Alongside, Mark
from services.shared.db import UNAVAILABLE
from services.shared.group_commit import GroupCommit
from services.shared.kafka import EventProducer

log = logging.getLogger(__name__)

# A settled send's key is kept this long, so that a retry which read its claim as unpublished
# just before the send marked it finds the send done instead of sending again.
KEEP_SETTLED_SECONDS = 60.0


class Publications:
    def __init__(
        self,
        producer: EventProducer,
        accepted: AcceptedContacts,
        deadline_seconds: float,
        retry_after_seconds: int,
        announce: Alongside = lambda *_: False,
        planned: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        """`announce(session, contact_ids)` runs once Kafka has contacts, in the transaction
        that marks their claims published: intake announces their `received` status there;
        True wakes the callback sender (`planned`)."""
        self._announce = announce
        self._planned = planned
        self._producer = producer
        self._accepted = accepted
        self._deadline = deadline_seconds
        self._retry_after = retry_after_seconds
        self._sends: dict[str, asyncio.Task[None]] = {}  # in flight
        # The keys sent, each with when (monotonic), oldest first. Only the key: the finished
        # task, with its context and a timer of its own, was kept for the whole minute, which
        # was most of intake's growth under load: 183 MiB resident after three pipeline runs of
        # `bench system`, 149 MiB with only the keys.
        self._settled_at: OrderedDict[str, float] = OrderedDict()
        self._monotonic = monotonic
        # Sends settled together are marked in one transaction (group_commit.py).
        self._marks = GroupCommit(self._mark_all, unavailable=UNAVAILABLE)

    def in_flight(self) -> int:
        """Sends not yet settled (for tests and logs)."""
        return sum(1 for send in self._sends.values() if not send.done())

    def remembered(self) -> int:
        """Settled sends still remembered (for tests)."""
        return len(self._settled_at)

    async def publish(self, key: str, event: ContactReceived) -> None:
        """Returns once the event is in Kafka and its claim is marked published; raises
        BrokerUnavailable when that takes longer than the deadline (the send goes on)."""
        if key in self._settled_at:
            return
        send = self._sends.get(key)
        if send is None:
            send = asyncio.create_task(self._send(key, event), name=f"publish {key}")
            self._sends[key] = send
            send.add_done_callback(functools.partial(self._settled, key))
        try:
            async with asyncio.timeout(self._deadline):
                await asyncio.shield(send)  # a lapsed deadline or a gone client stops the wait
        except (TimeoutError, KafkaError) as error:
            raise BrokerUnavailable(self._deadline, self._retry_after) from error

    async def _send(self, key: str, event: ContactReceived) -> None:
        await self._producer.publish(event)
        if await self._marks((key, event.contact_id)):
            self._planned()

    def _mark_all(self, marks: Sequence[Mark]) -> list[bool]:
        """Whether any of the batch planned a callback, for each (one wake is enough)."""
        return [self._accepted.mark_all_published(marks, self._announce)] * len(marks)

    def _settled(self, key: str, send: "asyncio.Task[None]") -> None:
        if self._sends.get(key) is send:
            del self._sends[key]
        failure = None if send.cancelled() else send.exception()
        if send.cancelled() or failure is not None:
            # Named by type only: an error's text may quote the record. The claim stays
            # unpublished, and the adapter's retry sends anew.
            log.warning("publishing a contact failed: %s", type(failure).__name__)
            return
        now = self._monotonic()
        self._settled_at[key] = now
        self._settled_at.move_to_end(key)
        forgotten_before = now - KEEP_SETTLED_SECONDS
        while next(iter(self._settled_at.values())) < forgotten_before:
            self._settled_at.popitem(last=False)
