"""The one signature on what the platform POSTs to others (notify's alert webhooks, intake's
status callbacks), and the check a receiver makes.

`X-PKC-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the receiver
recomputes the HMAC over the timestamp, a dot and the raw body bytes with the secret it shares
with the sender, compares in constant time, and refuses a timestamp further than five minutes
from its clock (a captured delivery replayed later). Every attempt is signed anew."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-PKC-Signature"
TOLERANCE_SECONDS = 300  # a receiver refuses a signature older (or newer) than this


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    return f"t={timestamp},v1={_mac(secret, str(timestamp), body)}"


def _mac(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_is_valid(
    secret: str, header: str | None, body: bytes, now: float, tolerance: float = TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: `header` is `t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">` made
    with `secret`, compared in constant time, and its time is within `tolerance` of `now`."""
    if not header:
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, given = fields.get("t", ""), fields.get("v1", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(given.encode(), _mac(secret, timestamp, body).encode())
