from pathlib import Path

from services.shared.settings import ServiceSettings
from services.triage.classifier import DEFAULT_RULES


class TriageSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_TRIAGE_"}

    service_name: str = "triage"
    http_port: int = 8002
    rules_file: Path = DEFAULT_RULES
