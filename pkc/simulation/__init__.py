"""The traffic simulator and simulated operators that `pkc run` starts after the services.

National traffic (population-weighted regions, an office-hours profile, a channel and matter
mix, Swedish texts triage recognises, callers who hang up) is posted through intake's HTTP API;
simulated operators work through queueing's; each adapter and each operator signs in at the
OIDC issuer as itself (pkc/simulation/people.py, signin.py). Everything runs on the shared
simulated clock.
"""

from pkc.simulation.background import SimulationThread
from pkc.simulation.config import (
    ServiceUrls,
    SimulationConfig,
    calibrated_staffing,
    clock_from_env,
    default_clock_start,
)
from pkc.simulation.engine import simulate
from pkc.simulation.people import SignIns, adapter_client, local_sign_ins
from pkc.simulation.signin import BlockingTokenSource, Credential, TokenSource
from pkc.simulation.stats import SimulationStats
from pkc.simulation.traffic import TrafficModel

__all__ = [
    "BlockingTokenSource",
    "Credential",
    "ServiceUrls",
    "SignIns",
    "SimulationConfig",
    "SimulationStats",
    "SimulationThread",
    "TokenSource",
    "TrafficModel",
    "adapter_client",
    "calibrated_staffing",
    "clock_from_env",
    "default_clock_start",
    "local_sign_ins",
    "simulate",
]
