"""Who the simulation signs in as: each channel's adapter by its own service account
(`adapter-<channel>`), each simulated operator as a person of their own in the local realm
(`sim-<region>-<n>`, role operator, their home region), created there on the run's first start."""

from collections.abc import Mapping
from dataclasses import dataclass

from pkc.localoidc import LocalOidc
from pkc.simulation.config import SimulationConfig
from pkc.simulation.signin import Credential
from schemas import Channel
from schemas.submissions import adapter_client as adapter_client
from services.shared.identity import Role


@dataclass(frozen=True)
class SignIns:
    issuer: str
    adapters: Mapping[Channel, Credential]
    operators: Mapping[str, Credential]  # by user name, as config.operator_people() names them


def local_sign_ins(provider: LocalOidc, config: SimulationConfig) -> SignIns:
    """Creates the run's simulated operators in the local realm unless there already (a rerun
    on the same state finds them) and gathers every credential from the provider's secrets
    file. Blocking: call it before the simulator's event loop starts."""
    for username, region in config.operator_people():
        if username not in provider.secrets().passwords:
            provider.add_person(username, Role.OPERATOR, region.value)
    drawn = provider.secrets()
    adapters = {
        channel: Credential.adapter(adapter_client(channel), drawn.client_secrets[client])
        for channel in Channel
        if (client := adapter_client(channel)) in drawn.client_secrets
    }
    operators = {
        username: Credential.person(username, drawn.passwords[username])
        for username, _ in config.operator_people()
        if username in drawn.passwords
    }
    return SignIns(provider.issuer, adapters, operators)
