from pydantic import Field

from services.shared.settings import DEV_SECRET, ServiceSettings


class NotifySettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "PKC_NOTIFY_"}

    service_name: str = "notify"
    http_port: int = 8005
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    webhook_url: str | None = None
    webhook_secret: str = DEV_SECRET
    delivery_attempts: int = Field(default=5, ge=1)
    first_backoff_seconds: float = Field(default=0.5, gt=0)
