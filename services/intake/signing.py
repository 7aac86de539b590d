"""The signature on a status callback, and the check an adapter makes (docs/adapters.md).

`X-PKC-Signature` as services/shared/signing.py makes it: the adapter
recomputes the HMAC over the timestamp, a dot and the raw body bytes with the secret intake
gave it when it registered its callback, compares in constant time, and refuses a timestamp
further than five minutes from its clock (a captured delivery replayed later). Every attempt is
signed anew; the `Idempotency-Key` header stays the same across a change's attempts.
"""

import secrets

from services.shared.signing import SIGNATURE_HEADER, TOLERANCE_SECONDS, sign
from services.shared.signing import signature_is_valid as verify

IDEMPOTENCY_HEADER = "Idempotency-Key"
__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TOLERANCE_SECONDS",
    "idempotency_key",
    "new_secret",
    "sign",
    "verify",
]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def idempotency_key(contact_id: object, sequence: int) -> str:
    """Stable per status change: the contact and the change's number."""
    return f"{contact_id}:{sequence}"
