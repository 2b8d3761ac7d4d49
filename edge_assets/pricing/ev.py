"""Expected value of a prediction-market purchase after costs."""

from __future__ import annotations

from typing import Any

from edge_assets.pricing._arrays import as_float_array, first_offender, like_input


def ev_after_costs(fair_prob: Any, price: Any, fee_per_share: Any, fill_prob: Any = 1.0) -> Any:
    """Expected profit per dollar meant for buying shares at `price` plus `fee_per_share`.

    A share pays 1 with probability `fair_prob` and costs `price + fee_per_share`, the effective
    price per share; for a real stake `price` is the VWAP from `walk_book`. An order that fills
    earns fair_prob / (price + fee_per_share) - 1 per dollar; one that does not fill earns nothing,
    so the EV is that times `fill_prob`, the chance the quoted depth is still there (see
    `fill_probability`). Inputs broadcast; a Series input lends the result its index.
    """
    prob = as_float_array(fair_prob, "fair_prob")
    fills = as_float_array(fill_prob, "fill_prob")
    cost = as_float_array(price, "price") + as_float_array(fee_per_share, "fee_per_share")
    for name, values in (("fair_prob", prob), ("fill_prob", fills)):
        outside = (values < 0) | (values > 1)
        if outside.any():
            raise ValueError(f"{name} must lie in [0, 1], got {first_offender(values, outside)}")
    free = cost <= 0
    if free.any():
        raise ValueError(f"price + fee_per_share must be positive, got {first_offender(cost, free)}")
    return like_input(fills * (prob / cost - 1.0), fair_prob, price, fee_per_share, fill_prob)
