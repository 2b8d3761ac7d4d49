"""The offline market world and its server (HTTP, and Polymarket's market WebSocket channel).

A deterministic, seeded world of sports games and political contracts served with the same paths
and payload shapes as Polymarket (Gamma, CLOB, the `/ws/market` channel), The Odds API v4 and
PredictIt, so the pipeline can run end to end without network access. Scenarios: `realistic`,
`planted` (mispricings with exported ground truth), `null` (no mispricing at all). No Dagster
imports: the pipeline sees only a base URL.
"""

from .cli import add_arguments, run
from .faults import Faults
from .server import SimulatorServer, start_server
from .world import SCENARIOS, World

__all__ = ["SCENARIOS", "Faults", "SimulatorServer", "World", "add_arguments", "run", "start_server"]
