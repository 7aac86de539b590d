"""Group commit: requests that arrive while a transaction is being written wait for the next
one, and are written together in it.

Intake claimed each contact's key in a transaction of its own, and marked it published in a
second: at 64 concurrent posts that was most of intake's CPU (SQLAlchemy's work per statement
and per commit, python -m bench profile), and on SQLite every transaction queued for the one
write lock. Written in batches, the same work costs about a third per contact (a batch of 8)
to a quarter (32). An idle service writes each request at once, alone: nobody waits for a
batch to fill."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`await commit(item)` returns what `write_all` gave for it. `write_all(items)` is a
    blocking call (run in a worker thread) that writes the items in one transaction and returns
    one result per item, in order. Should a batch fail, each of its items is written alone, so
    that one that cannot be written fails only its own request; unless the error is one of
    `unavailable` (the database's, not an item's: down, locked), which every item would meet
    alone too, one after the other: then every request of the batch has it at once."""

    def __init__(
        self,
        write_all: Callable[[Sequence[Item]], Sequence[Result]],
        most: int = 256,
        unavailable: tuple[type[Exception], ...] = (),
    ) -> None:
        self._write_all = write_all
        self._most = most
        self._unavailable = unavailable
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="group commit")
        # A caller that goes away (its client did) leaves its item in the batch, as a thread
        # already writing it would not be stopped either.
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            if len(batch) == 1:
                await self._write_alone(*batch[0])
                continue
            try:
                results = await asyncio.to_thread(self._write_all, [item for item, _ in batch])
            except self._unavailable as error:
                for _, future in batch:
                    _fail(future, error)
                continue
            except Exception as error:
                # Named by type only: a database error's text may quote the rows.
                log.warning(
                    "a group commit of %d failed (%s): each alone", len(batch), type(error).__name__
                )
                for item, future in batch:
                    await self._write_alone(item, future)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                _answer(future, result)

    async def _write_alone(self, item: Item, future: "asyncio.Future[Result]") -> None:
        try:
            (result,) = await asyncio.to_thread(self._write_all, [item])
        except Exception as error:
            _fail(future, error)
        else:
            _answer(future, result)


def _answer(future: "asyncio.Future[Result]", result: Result) -> None:
    if not future.done():  # done: its caller went away
        future.set_result(result)


def _fail(future: "asyncio.Future[Result]", error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
