"""What a service refuses to start with in production: secrets anyone could know or guess, one
secret serving in two roles, and addresses that are placeholders or local.

Pure functions over variable names and values; the settings (services/shared/settings.py) call
them once at start-up. A problem names the variable, never a secret's value.
"""

from collections.abc import Iterable, Mapping
from ipaddress import ip_address
from urllib.parse import urlsplit

DEV_SECRET = "local-development-only"  # noqa: S105 - the code's default; refused in production

# Long enough not to be guessed or brute-forced offline (an HMAC key, a password, a token).
MIN_SECRET_BYTES = 32
# Refused wherever they occur in a secret, in any case: the code's own development default, the
# prefix of every value the development overlay generates (deploy/k8s/overlays/dev) and the
# words a placeholder is written with. Add here whatever a new local tool writes.
KNOWN_FRAGMENTS = (DEV_SECRET, "dev-only", "changeme", "change-me", "replace-me", "placeholder")
# Refused as the whole value (they may occur inside a real passphrase): values typed by habit.
KNOWN_VALUES = frozenset({"password", "secret", "admin", "token", "test", "example", "default"})
# Hosts that are never a production service: RFC 2606/6761 reserved names and this machine.
PLACEHOLDER_SUFFIXES = (".invalid", ".example", ".test", ".localhost", ".local")
PLACEHOLDER_HOSTS = frozenset({"", "localhost"})


def is_known_development_value(value: str) -> bool:
    folded = value.strip().lower()
    return folded in KNOWN_VALUES or any(fragment in folded for fragment in KNOWN_FRAGMENTS)


def secret_problems(secrets: Mapping[str, Iterable[str]]) -> list[str]:
    """variable -> the values it holds (one, or each token of a list) -> what production
    refuses, one line per problem, naming variables only."""
    problems: list[str] = []
    holders: dict[str, set[str]] = {}  # an acceptable value -> the variables holding it
    for variable, values in secrets.items():
        held = list(values)
        if any(is_known_development_value(value) for value in held):
            problems.append(f"{variable} holds a known development value")
        elif any(len(value.encode()) < MIN_SECRET_BYTES for value in held):
            problems.append(f"{variable} is shorter than {MIN_SECRET_BYTES} bytes")
        else:
            for value in held:
                holders.setdefault(value, set()).add(variable)
    problems.extend(
        f"{' and '.join(sorted(variables))} hold the same value; each role needs its own secret"
        for variables in holders.values()
        if len(variables) > 1
    )
    return problems


def public_url_problem(variable: str, url: str | None) -> str | None:
    """A base address given to people or verified against in production: set, https, and on a
    real host (the host is named in the problem; it is no secret)."""
    if not url:
        return f"{variable} is not set"
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        return f"{variable} must be an https:// address"
    host = (parts.hostname or "").rstrip(".").lower()
    if is_placeholder_host(host):
        return f"{variable} names a placeholder or local host ({host or 'none'})"
    return None


def is_placeholder_host(host: str) -> bool:
    if host in PLACEHOLDER_HOSTS or host.endswith(PLACEHOLDER_SUFFIXES):
        return True
    if "example" in host.split("."):  # example.com, pkc.example.org, example.se …
        return True
    if any(fragment in host for fragment in KNOWN_FRAGMENTS):  # change-me.polisen.se
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local
