"""The per-case secret a citizen follows their case with, free of I/O.

Derived, not drawn: HMAC-SHA256 of the case id under a key of queueing's settings
(`PKC_QUEUEING_CASE_SECRET_KEY`), cut to 80 bits and written in base32 as four groups of four
(`ABCD-EFGH-IJKL-MNOP`), which a person can read out over the phone. Derived because the
operator must be able to tell it at any time (the case is opened from the consumer, after the
outcome's response; a citizen who lost it calls again), the same on every replica and every
redelivery, and nothing secret is stored: a copy of the database gives no secrets. Changing
the key changes every secret (docs/cases.md). 80 bits cannot be guessed through an API that
rate-limits wrong guesses.
"""

import base64
import hashlib
import hmac
import uuid

_PURPOSE = b"pkc-case-secret|"
_BYTES = 10  # 80 bits: 16 base32 characters, no padding
# Characters people mix up with base32's letters (which has no 0, 1 or 8).
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
MAX_LENGTH = 64  # longer than any secret written with spaces or dashes


def case_secret(key: bytes, case_id: uuid.UUID) -> str:
    digest = hmac.new(key, _PURPOSE + case_id.bytes, hashlib.sha256).digest()[:_BYTES]
    code = base64.b32encode(digest).decode()
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalised(given: str) -> str:
    """As typed: any case, spaces and dashes, 0/1/8 for O/I/B."""
    return "".join(c for c in given.upper() if c.isalnum()).translate(_LOOKALIKES)


def matches(given: str | None, expected: str) -> bool:
    """Whether `given` is the secret, compared in constant time (hmac.compare_digest)."""
    typed = normalised(given or "")[:MAX_LENGTH].encode()
    return hmac.compare_digest(typed, normalised(expected).encode())
