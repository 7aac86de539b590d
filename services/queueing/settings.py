from pydantic import Field

from services.shared.settings import DEV_SECRET, ServiceSettings


class QueueingSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_QUEUEING_"}

    service_name: str = "queueing"
    http_port: int = 8003
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    # Bearer tokens of operator UIs allowed to log operators in (comma-separated).
    ui_tokens: str = DEV_SECRET

    def tokens(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.ui_tokens.split(",") if t.strip())
