"""Signed acknowledgement links: whoever holds the link may acknowledge that one alert, until
it expires. The token is `<alert id>.<expiry, unix s>.<HMAC-SHA256 of both>` in base64url."""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta


class BadToken(ValueError):
    """Forged, damaged or expired: the message says which, never echoing the token."""


def sign_ack(secret: str, alert_id: uuid.UUID, expires: datetime) -> str:
    body = f"{alert_id}.{int(expires.timestamp())}"
    return _b64(body.encode()) + "." + _b64(_mac(secret, body))


def verify_ack(secret: str, token: str, now: datetime) -> uuid.UUID:
    try:
        encoded, signature = token.split(".")
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        alert, expiry = body.split(".")
        alert_id, expires = uuid.UUID(alert), int(expiry)
    except (ValueError, UnicodeDecodeError):
        raise BadToken("not an acknowledgement link") from None
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise BadToken("the link's signature is not valid")
    if now.timestamp() >= expires:
        raise BadToken("the link has expired; acknowledge through the API")
    return alert_id


def _mac(secret: str, body: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class AckLinks:
    """Makes the link each alert carries: `<base>/ack?token=…`, valid for `valid`."""

    secret: str
    base_url: str
    valid: timedelta

    def link(self, alert_id: uuid.UUID, now: datetime) -> str:
        return f"{self.base_url}/ack?token={sign_ack(self.secret, alert_id, now + self.valid)}"
