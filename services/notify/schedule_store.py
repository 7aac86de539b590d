"""The on-call schedule as every replica sees it: versioned documents in notify's database.

Each replacement is a new row whose id is the schedule's version; every read asks the database
for the current version and parses a document only when the version changed. So an edit through
one pod is what the next alert routed by any pod uses. The YAML file seeds the first version.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.notify.repository import utc
from services.notify.schedule import Schedule, load_schedule
from services.notify.tables import ScheduleText


@dataclass(frozen=True)
class Version:
    number: int
    text: str
    schedule: Schedule


@dataclass(frozen=True)
class Saved:
    """One version as the history shows it; saved_by None for the seed from the file."""

    number: int
    saved_at: datetime
    saved_by: str | None


@dataclass(frozen=True)
class Editor:
    """Who saved a version: the person's user name and token subject."""

    name: str
    subject: str


class ScheduleStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._cached: Version | None = None
        self._lock = threading.Lock()  # routes and the delivery loop read from threads

    def seed(self, text: str, source: str, now: datetime) -> Version:
        """The current version, after storing `text` as the first when there is none. Raises
        ScheduleError (the service refuses to start) when the document it would use is bad."""
        if self._latest_number() is None:
            self.replace(text, now, source)
        return self.current_version()

    def replace(
        self, text: str, now: datetime, source: str = "schedule", by: Editor | None = None
    ) -> Version:
        """Stores `text` as the new current version, saved `by` a person (None: the seed from
        the file); a bad one raises ScheduleError, naming the entry, and the current one stays."""
        parsed = load_schedule(text, source)
        with Session(self.engine) as session:
            row = ScheduleText(
                text=text,
                saved_at=now,
                saved_by=by.name[:64] if by else None,
                saved_by_subject=by.subject[:255] if by else None,
            )
            session.add(row)
            session.commit()
            assert row.id is not None
            version = Version(row.id, text, parsed)
        self._remember(version)
        return version

    def current(self) -> Schedule:
        return self.current_version().schedule

    def current_version(self) -> Version:
        number = self._latest_number()
        if number is None:
            raise LookupError("no on-call schedule stored (seed it at start)")
        cached = self._cached
        if cached is not None and cached.number == number:
            return cached
        with Session(self.engine) as session:
            row = session.get(ScheduleText, number)
        assert row is not None  # the current version is never purged
        version = Version(number, row.text, load_schedule(row.text, f"schedule version {number}"))
        self._remember(version)
        return version

    def history(self, limit: int) -> list[Saved]:
        """The latest versions, newest first: who saved which, when (not their text)."""
        query = (
            select(ScheduleText.id, ScheduleText.saved_at, ScheduleText.saved_by)
            .order_by(col(ScheduleText.id).desc())
            .limit(limit)
        )
        with Session(self.engine) as session:
            rows = session.exec(query).all()
        return [Saved(number, utc(at), by) for number, at, by in rows if number is not None]

    def forget_older_than(self, cutoff: datetime) -> int:
        """Deletes versions saved before `cutoff`, except the current one; how many."""
        latest = self._latest_number()
        if latest is None:
            return 0
        statement = delete(ScheduleText).where(
            col(ScheduleText.saved_at) < cutoff, col(ScheduleText.id) != latest
        )
        with Session(self.engine) as session:
            forgotten = int(session.connection().execute(statement).rowcount)
            session.commit()
        return forgotten

    def _latest_number(self) -> int | None:
        with Session(self.engine) as session:
            query = select(ScheduleText.id).order_by(col(ScheduleText.id).desc()).limit(1)
            return session.exec(query).first()

    def _remember(self, version: Version) -> None:
        with self._lock:
            if self._cached is None or self._cached.number < version.number:
                self._cached = version
