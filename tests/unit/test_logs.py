"""Personal data never reaches a log line."""

import io
import json
import logging

from services.shared.logs import JsonFormatter, fields, redact


def test_identity_numbers_phone_numbers_and_emails_are_redacted() -> None:
    line = redact("pnr 19850101-1234 tel 070-123 45 67 +46 8 123 456 78 mail anna@example.se")
    for secret in ("19850101-1234", "070-123 45 67", "+46 8 123 456 78", "anna@example.se"):
        assert secret not in line


def test_counts_times_and_ids_survive_redaction() -> None:
    line = "handled 1234 events in 2026-05-04 at 09:30, offset 123456"
    assert redact(line) == line


def test_structured_fields_are_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    logger = logging.getLogger("pkc.test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("caller said %s", "ring 0701234567", extra=fields(note="8501011234"))
    entry = json.loads(stream.getvalue())
    assert "0701234567" not in stream.getvalue()
    assert "8501011234" not in stream.getvalue()
    assert entry["service"] == "test"
