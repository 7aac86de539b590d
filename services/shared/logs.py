"""Structured JSON logs that never print personal data.

Discipline comes first (no service logs a citizen's text or a payload); the redaction filter
is the safety net for identity numbers, phone numbers and e-mail addresses that slip through.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_PATTERNS = (
    # Swedish personal identity numbers: (YY)YYMMDD-NNNN, with or without the separator.
    re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)"),
    # Phone numbers: +46 or 0 followed by 7-12 digits, spaces or dashes allowed.
    re.compile(r"(?<![\w])(?:\+46|0046|0)[\s-]?\d{1,3}(?:[\s-]?\d{2,4}){2,4}(?!\d)"),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: redact(str(v)) for k, v in fields.items()})
        if record.exc_info and record.exc_info[0] is not None:
            # The type and message only: tracebacks can carry local values.
            entry["error"] = redact(f"{record.exc_info[0].__name__}: {record.exc_info[1]}")
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Client libraries log connection details and retries at INFO; keep their warnings.
    for noisy in ("aiokafka", "kafka", "faust", "mode", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fields(**values: object) -> dict[str, dict[str, object]]:
    """`log.info("msg", extra=fields(region=...))`: structured fields beside the message."""
    return {"fields": values}
