"""Expected value of a prediction-market purchase after costs."""

from __future__ import annotations

from typing import Any

from edge_assets.pricing._arrays import as_float_array, first_offender, like_input, unit_interval_array


def ev_after_costs(fair_prob: Any, price: Any, fee_per_share: Any, fill_prob: Any = 1.0) -> Any:
    """Expected profit per dollar meant for buying shares at `price` plus `fee_per_share`.

    A share pays 1 with probability `fair_prob` and costs `price + fee_per_share`, the effective
    price per share; for a real stake `price` is the VWAP from `walk_book`. An order that fills
    earns fair_prob / (price + fee_per_share) - 1 per dollar; one that does not fill earns nothing,
    so the EV is that times `fill_prob`, the chance the quoted depth is still there (see
    `fill_probability`). Inputs broadcast; a Series input lends the result its index.
    """
    prob = unit_interval_array(fair_prob, "fair_prob")
    fills = unit_interval_array(fill_prob, "fill_prob")
    cost = as_float_array(price, "price") + as_float_array(fee_per_share, "fee_per_share")
    free = cost <= 0
    if free.any():
        raise ValueError(f"price + fee_per_share must be positive, got {first_offender(cost, free)}")
    return like_input(fills * (prob / cost - 1.0), fair_prob, price, fee_per_share, fill_prob)
