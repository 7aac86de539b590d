"""Reading the Faust floor worker's result (bench/faust_floor.py) from what its process wrote."""

import pytest

from bench.faust_floor import result_of


def test_the_result_is_read_from_the_line_faust_logged_it_in() -> None:
    output = (
        "[2026-12-03 23:26:10,100] [10723] [WARNING] Consumer: subscribed\n"
        '[2026-12-03 23:26:11,318] [10723] [WARNING] {"per_second": 7107.0, '
        '"cpu_per_record": 0.000144} \n'
    )
    assert result_of("count", output) == {"per_second": 7107.0, "cpu_per_record": 0.000144}


def test_a_worker_that_printed_no_result_is_an_error_naming_its_mode() -> None:
    with pytest.raises(RuntimeError, match="the write worker printed no result"):
        result_of("write", "[WARNING] Traceback: the broker went away\n")
