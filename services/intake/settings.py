from pydantic import Field

from services.shared.settings import DEV_SECRET, DevSecret, ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_INTAKE_"}

    service_name: str = "intake"
    http_port: int = 8001
    max_body_bytes: int = Field(default=32 * 1024, ge=1024)
    # Comma-separated bearer tokens of the channel adapters.
    adapter_tokens: DevSecret = DEV_SECRET

    def tokens(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.adapter_tokens.split(",") if t.strip())
