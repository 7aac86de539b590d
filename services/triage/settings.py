from pathlib import Path

from pydantic import field_validator

from services.shared.settings import ServiceSettings
from services.triage.classifier import DEFAULT_RULES
from services.triage.model import DEFAULT_MODEL


class TriageSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_TRIAGE_"}

    service_name: str = "triage"
    http_port: int = 8002
    rules_file: Path = DEFAULT_RULES
    # The learned second opinion (docs/triage-model.md); PKC_TRIAGE_MODEL_FILE="" runs the
    # rules alone.
    model_file: Path | None = DEFAULT_MODEL

    @field_validator("model_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value
