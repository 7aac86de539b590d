"""The traffic simulator and simulated operators that `pkc run` starts after the services.

National traffic (population-weighted regions, an office-hours profile, a channel and matter
mix, Swedish texts triage recognises, callers who hang up) is posted through intake's HTTP API;
simulated operators work through queueing's. Everything runs on the shared simulated clock.
"""

from pkc.simulation.background import SimulationThread
from pkc.simulation.config import (
    ServiceUrls,
    SimulationConfig,
    Tokens,
    calibrated_staffing,
    clock_from_env,
    default_clock_start,
)
from pkc.simulation.engine import simulate
from pkc.simulation.stats import SimulationStats
from pkc.simulation.traffic import TrafficModel

__all__ = [
    "ServiceUrls",
    "SimulationConfig",
    "SimulationStats",
    "SimulationThread",
    "Tokens",
    "TrafficModel",
    "calibrated_staffing",
    "clock_from_env",
    "default_clock_start",
    "simulate",
]
