"""A real OpenID Connect provider (Keycloak from Maven Central) serving the development realm."""

from pkc.localoidc.distribution import OidcSetupError
from pkc.localoidc.server import LocalOidc, OidcStatus

__all__ = ["LocalOidc", "OidcSetupError", "OidcStatus"]
