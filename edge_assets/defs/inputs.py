"""What each asset cannot run without: the inputs that must hold rows for its partition, else it
fails with one line naming them instead of landing nothing as a success. Written here once."""

from __future__ import annotations

import dagster as dg
import pandas as pd

# Asset -> its required inputs. An input left out may be empty (a quiet hour has no PredictIt change,
# a young deployment no resolution yet); one listed here being empty means the upstream asset never
# ran, failed, or the database lost it.
REQUIRED_INPUTS: dict[str, tuple[str, ...]] = {
    # No consensus, mappings or markets: no signal can be priced, and "no signal" would be a lie.
    "signals": ("consensus", "market_mappings", "polymarket_markets"),
    # No feature rows or mappings in the training window: nothing to learn from or label.
    "training_set": ("features", "market_mappings", "polymarket_markets"),
}


def require_inputs(asset: str, partition: str, inputs: dict[str, pd.DataFrame]) -> None:
    """Raise `dg.Failure` naming the required inputs of `asset` that hold no rows for `partition`."""
    empty = [name for name in REQUIRED_INPUTS[asset] if inputs[name].empty]
    if empty:
        raise dg.Failure(
            description=(
                f"{asset} ({partition}): required input {', '.join(empty)} holds no rows; "
                "materialize it first, or check that the database still holds it"
            ),
            metadata={"empty_inputs": ", ".join(empty)},
            allow_retries=False,
        )
