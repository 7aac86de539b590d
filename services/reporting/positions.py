"""Where an input record sits, and what each table record has taken in: exactly-once counts.

A worker killed with -9 is replayed from its last committed offset by whichever worker takes
its partitions over, and the writes it made for those records may have reached some changelogs
and not others (one table's batch landed, another's did not). A separate "seen" marker cannot
tell which: set and lost counts undercount, counts set and marker lost double.

So the marker lives in the record it guards. Every record a count or a decision is written to
(a region's meta, each minute's bucket) keeps, per source partition, the newest offset it has
taken in. A replayed record changes exactly the records that do not have it yet; each
changelog record is written whole, so a record and its marker land together or not at all.
Records of one source partition arrive in offset order, so one number per source suffices.
"""

from dataclasses import dataclass

Taken = dict[str, int]  # source ("<topic>/<partition>") -> newest offset taken in


@dataclass(frozen=True)
class Position:
    source: str  # "<topic>/<partition>"
    offset: int

    @classmethod
    def of(cls, topic: str, partition: int, offset: int) -> "Position":
        return cls(f"{topic}/{partition}", offset)

    def taken_by(self, taken: Taken) -> bool:
        """Whether a record that has taken in `taken` has this position's effect already."""
        return taken.get(self.source, -1) >= self.offset

    def mark(self, taken: Taken) -> None:
        if not self.taken_by(taken):
            taken[self.source] = self.offset

    def __str__(self) -> str:
        return f"{self.source}@{self.offset}"
