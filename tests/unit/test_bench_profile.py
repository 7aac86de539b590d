"""Reading py-spy's collapsed stacks in `python -m bench profile`: what each table attributes."""

from bench.profile import Profile, function, library

# Three samples in SQLAlchemy under intake's claim (one of them in the standard library's `re`
# that SQLAlchemy called), one in pydantic under the route, one in the event loop itself.
ENTRY = "<module> (pkc/cli/__main__.py:3);run (asyncio/runners.py:44)"
CLAIM = f"{ENTRY};claim (services/intake/store.py:90);execute (sqlalchemy/orm/session.py:2245)"
RAW = [
    f"{CLAIM} 2",
    f"{CLAIM};match (re/__init__.py:166) 1",
    f"{ENTRY};submit_contact (services/intake/api.py:57);validate_python (pydantic/main.py:600) 1",
    "<module> (pkc/cli/__main__.py:3);_run_once (asyncio/base_events.py:1900) 1",
    # Waits py-spy counts as running: a thread-pool worker without work, uvloop's loop.
    "_bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:81) 40",
    "<module> (pkc/cli/__main__.py:3);Runner.run (asyncio/runners.py:118) 30",
]


def test_a_sample_counts_once_for_the_code_that_was_running() -> None:
    profile = Profile.parse(RAW)

    assert profile.samples == 5
    assert profile.own() == {"sqlalchemy": 2, "re": 1, "pydantic": 1, "asyncio": 1}


def test_a_library_under_which_time_went_counts_each_sample_once_and_the_loop_not_at_all() -> None:
    under = Profile.parse(RAW).under()

    assert under["services/intake"] == 4
    assert under["sqlalchemy"] == 3  # its own two and the one in `re` below it
    assert "asyncio" not in under
    assert "<module>" not in under


def test_functions_are_named_with_their_file_not_their_line() -> None:
    functions = Profile.parse(RAW).functions()

    assert functions.most_common(1) == [("execute (sqlalchemy/orm/session.py)", 2)]
    assert function("f (services/intake/api.py:57)") == "f (services/intake/api.py)"


def test_the_projects_own_code_is_told_apart_by_service() -> None:
    assert library("x (services/intake/store.py:1)") == "services/intake"
    assert library("x (services/shared/kafka/consumer.py:1)") == "services/shared"
    assert library("x (schemas/events.py:1)") == "schemas"
    assert library("x (json/__init__.py:1)") == "json"
    assert library("x (typing.py:1)") == "typing"
