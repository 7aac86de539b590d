"""How a client proves who it is to Kafka: written once, used by every client the platform opens
(the producer, the consumers, the admin helpers, the dead-letter writer through the producer,
and reporting's Faust app).

PLAINTEXT (no authentication) is the default so that a bare broker still works; the local
platform and the deployments use SASL with SCRAM-SHA-512, one principal per service (see
schemas/access.py for what each principal may do).
"""

import ssl
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaSettings(Protocol):
    """The settings fields this module reads (services/shared/settings.py ServiceSettings)."""

    @property
    def kafka_security_protocol(self) -> SecurityProtocol: ...
    @property
    def kafka_sasl_mechanism(self) -> Mechanism: ...
    @property
    def kafka_username(self) -> str | None: ...
    @property
    def kafka_password(self) -> SecretStr | None: ...
    @property
    def kafka_ssl_ca(self) -> str | None: ...


class KafkaCredentialsMissing(ValueError):
    """SASL asked for without a username or password (names the variables, never a value)."""


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: SecurityProtocol = "PLAINTEXT"
    mechanism: Mechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # SASL_SSL: the PEM certificate of the CA that signed the brokers' (Strimzi's cluster CA);
    # None: the system's CAs.
    ca: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.protocol != "PLAINTEXT" and not (self.username and self.password):
            raise KafkaCredentialsMissing(
                f"PKC_KAFKA_USERNAME and PKC_KAFKA_PASSWORD are required with {self.protocol}"
            )

    @property
    def authenticated(self) -> bool:
        return self.protocol != "PLAINTEXT"

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.protocol != "SASL_SSL":
            return None
        # Verifies the broker's certificate and host name.
        context: ssl.SSLContext = create_ssl_context(cadata=self.ca)
        return context

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        if not self.authenticated:
            return {}
        kwargs: dict[str, Any] = {
            "security_protocol": self.protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }
        if (context := self.ssl_context()) is not None:
            kwargs["ssl_context"] = context
        return kwargs

    def env(self) -> dict[str, str]:
        """The PKC_KAFKA_* variables that give a service process these credentials."""
        if not self.authenticated:
            return {"PKC_KAFKA_SECURITY_PROTOCOL": self.protocol}
        env = {
            "PKC_KAFKA_SECURITY_PROTOCOL": self.protocol,
            "PKC_KAFKA_SASL_MECHANISM": self.mechanism,
            "PKC_KAFKA_USERNAME": self.username or "",
            "PKC_KAFKA_PASSWORD": self.password or "",
        }
        if self.ca:
            env["PKC_KAFKA_SSL_CA"] = self.ca
        return env


PLAINTEXT = KafkaSecurity()


def kafka_security(settings: KafkaSettings) -> KafkaSecurity:
    """A service's Kafka credentials from its settings; raises at start-up if SASL lacks them."""
    return KafkaSecurity(
        protocol=settings.kafka_security_protocol,
        mechanism=settings.kafka_sasl_mechanism,
        username=settings.kafka_username,
        password=settings.kafka_password.get_secret_value() if settings.kafka_password else None,
        ca=settings.kafka_ssl_ca,
    )
