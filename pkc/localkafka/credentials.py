"""The local broker's SCRAM credentials: one principal per service and per channel adapter
(schemas/access.py PRINCIPALS) plus `admin`, with
passwords drawn for each broker instance, kept 0600 beside its data and never logged."""

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pkc.localkafka.config import SCRAM
from schemas.access import ADMIN, PRINCIPALS
from services.shared.kafka.security import KafkaSecurity

FILE_NAME = "credentials.json"


def write_private(path: Path, text: str) -> None:
    """Writes a file only its owner may read, from its first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)  # when the file existed with wider modes


@dataclass(frozen=True)
class BrokerCredentials:
    passwords: Mapping[str, str] = field(repr=False)  # principal -> password

    @classmethod
    def drawn(cls) -> "BrokerCredentials":
        return cls({name: secrets.token_urlsafe(24) for name in (ADMIN, *PRINCIPALS)})

    def complete(self) -> bool:
        """Whether every principal the registry declares has a password (a broker formatted
        before a principal was added lacks it: SCRAM users are created at format time)."""
        return set(PRINCIPALS) <= self.passwords.keys()

    @classmethod
    def load(cls, home: Path) -> "BrokerCredentials | None":
        try:
            return cls(json.loads((home / FILE_NAME).read_text("utf-8")))
        except FileNotFoundError:
            return None

    def save(self, home: Path) -> None:
        write_private(home / FILE_NAME, json.dumps(dict(self.passwords), indent=2))

    def security(self, principal: str) -> KafkaSecurity:
        """How `principal` signs in to the local broker (SASL_PLAINTEXT: loopback only)."""
        return KafkaSecurity("SASL_PLAINTEXT", SCRAM, principal, self.passwords[principal])

    @property
    def admin(self) -> KafkaSecurity:
        return self.security(ADMIN)

    def scram_arguments(self) -> list[str]:
        """The storage tool's arguments that create every principal when it formats."""
        return [
            argument
            for name, password in self.passwords.items()
            for argument in ("--add-scram", f"{SCRAM}=[name={name},password={password}]")
        ]
