"""Group commit (services/shared/group_commit.py): requests arriving while a transaction is
written go together in the next one, and one that cannot be written fails only itself."""

import asyncio
import threading
from collections.abc import Sequence

import pytest

from services.shared.group_commit import GroupCommit


class DatabaseDown(Exception):
    pass


class Table:
    """A blocking writer that records its transactions; the first can be held open."""

    def __init__(self, poison: int | None = None, down: bool = False) -> None:
        self.transactions: list[list[int]] = []
        self.first_entered, self.first_may_finish = threading.Event(), threading.Event()
        self.first_may_finish.set()
        self.poison = poison
        self.down = down

    def write_all(self, items: Sequence[int]) -> list[int]:
        if not self.transactions:
            self.first_entered.set()
            assert self.first_may_finish.wait(10), "the test never let the first write finish"
        self.transactions.append(list(items))
        if self.down and len(self.transactions) > 1:
            raise DatabaseDown
        if self.poison in items:
            raise ValueError("a value the table refuses")
        return [item * 10 for item in items]


async def during_first_write(
    table: Table, commit: GroupCommit[int, int], first: int, *later: int
) -> list["asyncio.Task[int]"]:
    """Sends `first`, then the others while its transaction is held open (until the test sets
    `table.first_may_finish`); their tasks, in that order."""
    table.first_may_finish.clear()
    tasks = [asyncio.create_task(commit(first))]
    assert await asyncio.to_thread(table.first_entered.wait, 10), "the first write never began"
    tasks += [asyncio.create_task(commit(n)) for n in later]
    await asyncio.sleep(0)  # each has queued its item
    return tasks


async def test_requests_arriving_during_a_write_share_the_next_transaction() -> None:
    table = Table()
    commit = GroupCommit(table.write_all)
    tasks = await during_first_write(table, commit, 1, 2, 3, 4)
    table.first_may_finish.set()

    assert await asyncio.gather(*tasks) == [10, 20, 30, 40]
    assert table.transactions == [[1], [2, 3, 4]]


async def test_an_idle_writer_writes_a_lone_request_at_once() -> None:
    table = Table()
    commit = GroupCommit(table.write_all)

    assert await commit(7) == 70
    assert await commit(8) == 80
    assert table.transactions == [[7], [8]]


async def test_a_batch_that_fails_is_written_each_alone_so_only_the_bad_request_fails() -> None:
    table = Table(poison=3)
    commit = GroupCommit(table.write_all)
    tasks = await during_first_write(table, commit, 1, 2, 3, 4)
    table.first_may_finish.set()

    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert outcomes[:2] == [10, 20]
    assert isinstance(outcomes[2], ValueError)
    assert outcomes[3] == 40
    assert table.transactions == [[1], [2, 3, 4], [2], [3], [4]]


async def test_a_request_whose_caller_went_away_is_still_written_and_others_answered() -> None:
    table = Table()
    commit = GroupCommit(table.write_all)
    first, gone, stays = await during_first_write(table, commit, 1, 2, 3)
    gone.cancel()
    table.first_may_finish.set()

    assert list(await asyncio.gather(first, stays)) == [10, 30]
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert table.transactions == [[1], [2, 3]]


async def test_no_transaction_holds_more_than_the_most_asked_for() -> None:
    table = Table()
    commit = GroupCommit(table.write_all, most=2)
    tasks = await during_first_write(table, commit, 0, *range(1, 6))
    table.first_may_finish.set()

    assert await asyncio.gather(*tasks) == [0, 10, 20, 30, 40, 50]
    assert table.transactions == [[0], [1, 2], [3, 4], [5]]


async def test_a_batch_the_database_refuses_as_unavailable_fails_every_request_at_once() -> None:
    """Written alone, each would meet the outage in turn, the last after all the others."""
    table = Table(down=True)
    commit = GroupCommit(table.write_all, unavailable=(DatabaseDown,))
    tasks = await during_first_write(table, commit, 1, 2, 3, 4)
    table.first_may_finish.set()

    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert outcomes[0] == 10
    assert all(isinstance(outcome, DatabaseDown) for outcome in outcomes[1:])
    assert table.transactions == [[1], [2, 3, 4]]
