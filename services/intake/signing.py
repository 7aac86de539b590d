"""The signature on a status callback, and the check an adapter makes (docs/adapters.md).

`X-PKC-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the adapter
recomputes the HMAC over the timestamp, a dot and the raw body bytes with the secret intake
gave it when it registered its callback, compares in constant time, and refuses a timestamp
further than five minutes from its clock (a captured delivery replayed later). Every attempt is
signed anew; the `Idempotency-Key` header stays the same across a change's attempts.
"""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-PKC-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={_mac(secret, str(timestamp), body)}"


def _mac(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, header: str | None, body: bytes, now: float, tolerance: float = TOLERANCE_SECONDS
) -> bool:
    """What the adapter checks: the header's HMAC is the body's under `secret`, and its time is
    within `tolerance` seconds of `now`."""
    if not header:
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, given = fields.get("t", ""), fields.get("v1", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(given.encode(), _mac(secret, timestamp, body).encode())


def idempotency_key(contact_id: object, sequence: int) -> str:
    """Stable per status change: the contact and the change's number."""
    return f"{contact_id}:{sequence}"
