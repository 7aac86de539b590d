"""Generates the JSON Schema files in schemas/json/ for adapters written in other languages."""

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.codec import EVENT_TYPES
from schemas.contact_status import ContactStatus
from schemas.queue_state import STATE_TYPES
from schemas.submissions import ContactSubmission

# What adapters send rather than read: described as intake validates it.
INPUTS: frozenset[type[BaseModel]] = frozenset({ContactSubmission})

JSON_DIR = Path(__file__).parent / "json"


def render_all() -> dict[str, str]:
    """File name -> content, for every event type and state snapshot (the records of
    pkc.queue.state) at its current version."""
    files = {}
    versions: dict[str, tuple[type[BaseModel], int]] = {
        name: (model, model.SCHEMA_VERSION) for name, model in EVENT_TYPES.items()
    }
    versions |= {name: (model, model.SCHEMA_VERSION) for name, model in STATE_TYPES.items()}
    # The body of GET /contacts/{id} and of intake's status callbacks (docs/adapters.md).
    versions |= {ContactStatus.STATUS_TYPE: (ContactStatus, ContactStatus.SCHEMA_VERSION)}
    # The body of POST /contacts and the value of a record on an adapter's submission topic.
    submission = ContactSubmission
    versions |= {submission.SUBMISSION_TYPE: (submission, submission.SCHEMA_VERSION)}
    for name, (model, version) in sorted(versions.items()):
        schema = model.model_json_schema(mode="validation" if model in INPUTS else "serialization")
        schema["$id"] = f"https://pkc.polisen.se/schemas/{name}.v{version}.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        files[f"{name}.v{version}.json"] = text
    return files


def write_all(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in render_all().items():
        path = directory / file_name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(directory: Path = JSON_DIR) -> list[str]:
    """Names of the files that differ from what the models generate (or are missing/extra)."""
    expected = render_all()
    present = {p.name for p in directory.glob("*.json")}
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).exists() or (directory / name).read_text("utf-8") != text
    ]
    return sorted(stale + sorted(present - expected.keys()))
