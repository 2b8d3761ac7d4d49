"""The sanity guard: a mapping whose two venues disagree wildly is held, not signalled.

A wrong mapping (a flipped Yes/No, the wrong team) shows up as a Polymarket price far from the
sportsbook consensus: real mispricings are a few points, not 35. Such a row becomes `suspect`
with the two prices in its reason, so the asset can alert on it and the comparator skips it
(it prices `mapped` rows only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from edge_assets.mapping.markets import MAPPED, SUSPECT, priced_outcomes

DEFAULT_MAX_GAP = 0.35


def _latest_consensus(consensus: pd.DataFrame) -> pd.DataFrame:
    """One fair probability per (event_id, outcome): the latest when the frame holds several times."""
    if "quote_ts" in consensus.columns:
        consensus = consensus.sort_values("quote_ts", kind="stable")
    latest = consensus.drop_duplicates(["event_id", "outcome"], keep="last")
    return latest[["event_id", "outcome", "fair_prob"]]


def flag_suspect(
    mappings: pd.DataFrame,
    pm_prices: pd.DataFrame,
    consensus: pd.DataFrame,
    max_gap: float = DEFAULT_MAX_GAP,
) -> pd.DataFrame:
    """`mappings` with each `mapped` row whose prices disagree by more than `max_gap` made `suspect`.

    `pm_prices` has pm_token_id and pm_price (a probability: mid, ask or last trade);
    `consensus` has event_id, outcome, fair_prob (and optionally quote_ts, the latest is used).
    A "not <outcome>" mapping is compared with 1 - p(outcome). Rows without a price on either
    side are left as they are; the input frame is not modified.
    """
    if not 0.0 < max_gap < 1.0:
        raise ValueError(f"max_gap must lie in (0, 1), got {max_gap}")
    result = mappings.copy()
    mapped = result[result["status"] == MAPPED]
    if mapped.empty:
        return result
    complement, outcome = priced_outcomes(mapped["sportsbook_outcome"])
    lookup = pd.DataFrame(
        {
            "row": mapped.index,
            "pm_token_id": mapped["pm_token_id"].to_numpy(),
            "event_id": mapped["event_id"].to_numpy(),
            "outcome": outcome,
            "complement": complement,
        }
    )
    prices = pm_prices.drop_duplicates("pm_token_id", keep="last")[["pm_token_id", "pm_price"]]
    lookup = lookup.merge(prices, on="pm_token_id", how="inner").merge(
        _latest_consensus(consensus), on=["event_id", "outcome"], how="inner"
    )
    fair = np.where(lookup["complement"], 1.0 - lookup["fair_prob"], lookup["fair_prob"])
    gap = np.abs(lookup["pm_price"].to_numpy(float) - fair)
    flagged = lookup[gap > max_gap].assign(fair=fair[gap > max_gap], gap=gap[gap > max_gap])
    for row in flagged.itertuples(index=False):
        named = result.at[row.row, "sportsbook_outcome"]
        result.at[row.row, "status"] = SUSPECT
        result.at[row.row, "reason"] = (
            f"Polymarket price {row.pm_price:.3f} vs sportsbook consensus {row.fair:.3f} for {named!r}:"
            f" gap {row.gap:.3f} exceeds {max_gap:.2f}"
        )
    # A market is mapped as a whole: if one of its tokens is off, its siblings are not to be trusted.
    suspect_markets = set(result.loc[flagged["row"], "pm_market_id"])
    siblings = result["pm_market_id"].isin(suspect_markets) & (result["status"] == MAPPED)
    result.loc[siblings, "status"] = SUSPECT
    result.loc[siblings, "reason"] = "another outcome of this market is suspect"
    return result
