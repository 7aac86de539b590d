"""Where Kafka is and how each principal signs in to it: what the local platform hands the
services (each its own principal) and the tools that read and write topics directly (admin)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from pkc.localkafka.jars import KafkaSetupError
from services.shared.kafka.security import PLAINTEXT, KafkaSecurity


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap: str
    admin: KafkaSecurity = PLAINTEXT  # the super user (topics, ACLs, tests' direct reads)
    # Each service's own principal; a service not listed keeps its settings' (the environment).
    services: Mapping[str, KafkaSecurity] = field(default_factory=dict, repr=False)
    # Each channel adapter's own, for adapters submitting straight to Kafka (pkc/adapter_kafka.py):
    # empty on an open broker or a cluster the project did not start.
    adapters: Mapping[str, KafkaSecurity] = field(default_factory=dict, repr=False)

    def service_env(self) -> dict[str, dict[str, str]]:
        """The PKC_KAFKA_* variables per service name (PlatformSetup.service_env)."""
        return {name: security.env() for name, security in self.services.items()}


def external_access(bootstrap: str) -> KafkaAccess:
    """A cluster the project did not start: signed in as the PKC_KAFKA_* variables say
    (an operator's or a CI job's principal; PLAINTEXT when they are not set). A variable that
    does not read raises KafkaSetupError naming it, never its value (it may be a password)."""
    from pydantic import ValidationError

    from schemas.codec import describe_errors
    from services.shared.kafka.security import KafkaCredentialsMissing, kafka_security
    from services.shared.settings import ServiceSettings

    try:
        security = kafka_security(ServiceSettings())
    except ValidationError as exc:
        raise KafkaSetupError(f"cannot sign in to {bootstrap}: {describe_errors(exc)}") from None
    except KafkaCredentialsMissing as exc:  # names the variables only
        raise KafkaSetupError(f"cannot sign in to {bootstrap}: {exc}") from None
    return KafkaAccess(bootstrap, security)
