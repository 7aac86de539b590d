"""Signed acknowledgement links: each alert's link names the alert and the one it was sent to
(an on-call person's id in the schedule, or a webhook receiver's id), until it expires. The
token is `<alert id>.<recipient>.<expiry, unix s>` and its HMAC-SHA256, both base64url.

Opening the link changes nothing (a mail client's link scanner opens every link it sees): it
shows a page whose button POSTs the same token, and that POST acknowledges, as the recipient
the link names."""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta


class BadToken(ValueError):
    """Forged, damaged or expired: the message says which, never echoing the token."""


@dataclass(frozen=True)
class AckClaim:
    """What a verified link says: this alert, acknowledged by this recipient."""

    alert_id: uuid.UUID
    recipient: str  # the schedule's person id, or a webhook receiver's id (never a citizen)


def sign_ack(secret: str, alert_id: uuid.UUID, recipient: str, expires: datetime) -> str:
    body = f"{alert_id}.{recipient}.{int(expires.timestamp())}"
    return _b64(body.encode()) + "." + _b64(_mac(secret, body))


def verify_ack(secret: str, token: str, now: datetime) -> AckClaim:
    try:
        encoded, signature = token.split(".")
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        # A uuid and a number hold no '.', so a recipient id may.
        alert, rest = body.split(".", 1)
        recipient, expiry = rest.rsplit(".", 1)
        alert_id, expires = uuid.UUID(alert), int(expiry)
    except (ValueError, UnicodeDecodeError):
        raise BadToken("not an acknowledgement link") from None
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise BadToken("the link's signature is not valid")
    if now.timestamp() >= expires:
        raise BadToken("the link has expired; acknowledge through the API")
    if not recipient:
        raise BadToken("the link names nobody")
    return AckClaim(alert_id, recipient)


def _mac(secret: str, body: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class AckLinks:
    """Makes the link each recipient of an alert gets: `<base>/ack?token=…`, valid for
    `valid`, naming that recipient."""

    secret: str
    base_url: str
    valid: timedelta

    def link(self, alert_id: uuid.UUID, recipient: str, now: datetime) -> str:
        token = sign_ack(self.secret, alert_id, recipient, now + self.valid)
        return f"{self.base_url}/ack?token={token}"
