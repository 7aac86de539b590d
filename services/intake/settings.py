from pydantic import Field

from services.shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_INTAKE_"}

    service_name: str = "intake"
    http_port: int = 8001
    max_body_bytes: int = Field(default=32 * 1024, ge=1024)
