"""Expected value of a prediction-market purchase after costs."""

from __future__ import annotations

from typing import Any

from edge_assets.pricing._arrays import as_float_array, first_offender, like_input


def ev_after_costs(fair_prob: Any, price: Any, fee_per_share: Any) -> Any:
    """Expected profit per dollar spent buying a share at `price` plus `fee_per_share`.

    A share pays 1 with probability `fair_prob`, and costs `price + fee_per_share`, so the EV per
    dollar is fair_prob / (price + fee_per_share) - 1. Inputs broadcast; a Series input lends the
    result its index.
    """
    prob = as_float_array(fair_prob, "fair_prob")
    cost = as_float_array(price, "price") + as_float_array(fee_per_share, "fee_per_share")
    outside = (prob < 0) | (prob > 1)
    if outside.any():
        raise ValueError(f"fair_prob must lie in [0, 1], got {first_offender(prob, outside)}")
    free = cost <= 0
    if free.any():
        raise ValueError(f"price + fee_per_share must be positive, got {first_offender(cost, free)}")
    return like_input(prob / cost - 1.0, fair_prob, price, fee_per_share)
