"""What a local platform (`pkc run`, the system tests) tells its services so that the board's
page on queueing may read reporting and notify from the browser."""

import pytest

from pkc.platform import board_env
from services.queueing.settings import QueueingSettings
from services.reporting.settings import ReportingSettings


def test_the_board_is_told_where_reporting_and_notify_are_and_they_allow_its_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = board_env({"queueing": 8003, "reporting": 8004, "notify": 8005, "intake": 8001})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ReportingSettings().page_origin_list() == [
        "http://127.0.0.1:8003",
        "http://localhost:8003",
    ]
    queueing = QueueingSettings()
    assert queueing.reporting_url == "http://127.0.0.1:8004"
    assert queueing.notify_url == "http://127.0.0.1:8005"


def test_a_platform_without_queueing_or_reporting_names_nothing_it_lacks() -> None:
    assert board_env({"reporting": 8004}) == {}
    assert "PKC_QUEUEING_REPORTING_URL" not in board_env({"queueing": 8003, "notify": 8005})
