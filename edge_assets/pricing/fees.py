"""Polymarket trading fees.

Polymarket charges takers `fee = shares * rate * (price * (1 - price)) ** exponent` in USDC, with
`rate` and `exponent` from the market's `feeSchedule`, and floors the charge to 5 decimals. Makers
pay nothing (they may earn `rebateRate` of the fee back), so only the taker side is modelled here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from edge_assets.pricing._arrays import as_float_array, first_offender, like_input, unit_interval_array

FEE_DECIMALS = 5
# Tolerance for floating-point error before flooring: 0.0125 * 1e5 evaluates to 1249.9999999999998.
_FLOOR_EPSILON = 1e-9


def _schedule_value(fee_schedule: Any, key: str, default: float) -> float:
    """A feeSchedule field from a dict (Gamma JSON) or an object with attributes."""
    if isinstance(fee_schedule, Mapping):
        value = fee_schedule.get(key)
    else:
        value = getattr(fee_schedule, key, None)
    # The markets table stores a missing schedule field as NULL, which arrives as NaN.
    return default if pd.isna(value) else float(value)


def fee_per_share(price: Any, rate: Any, exponent: Any = 1.0) -> Any:
    """Unrounded taker fee per share bought or sold at `price`: rate * (price * (1 - price)) ** exponent.

    `rate` and `exponent` may be scalars or arrays (one market's schedule per row).
    """
    rates, exponents = np.asarray(rate, dtype=float), np.asarray(exponent, dtype=float)
    if (rates < 0).any() or (exponents < 0).any():
        raise ValueError(f"fee rate and exponent must be non-negative, got {rate} and {exponent}")
    prices = unit_interval_array(price, "price")
    return like_input(rates * (prices * (1.0 - prices)) ** exponents, price)


def frame_fee_per_share(frame: pd.DataFrame, price_column: str) -> np.ndarray:
    """Taker fee per share at each row's `price_column`, by the row's market schedule.

    `fee_rate` and `fee_exponent` are the market's schedule columns; a market without one pays no
    fee. Rows without a price get NaN.
    """
    prices = frame[price_column].to_numpy(float)
    priced = ~np.isnan(prices)
    fees = np.full(len(frame), np.nan)
    fees[priced] = fee_per_share(
        prices[priced],
        frame["fee_rate"].fillna(0.0).to_numpy(float)[priced],
        frame["fee_exponent"].fillna(1.0).to_numpy(float)[priced],
    )
    return fees


def polymarket_taker_fee(price: Any, shares: Any, fee_schedule: Any) -> Any:
    """Fee in USDC a taker pays to trade `shares` at `price`, floored to 5 decimals like the venue.

    `fee_schedule` is the market's Gamma `feeSchedule` (dict or object with `rate`, `exponent`,
    `takerOnly`, `rebateRate`); None, an empty schedule or a zero rate means no fee. `price` and
    `shares` broadcast against each other.
    """
    rate = _schedule_value(fee_schedule, "rate", 0.0) if fee_schedule else 0.0
    exponent = _schedule_value(fee_schedule, "exponent", 1.0) if fee_schedule else 1.0
    size = as_float_array(shares, "shares")
    if (size < 0).any():
        raise ValueError(f"shares must be non-negative, got {first_offender(size, size < 0)}")
    raw = size * np.asarray(fee_per_share(unit_interval_array(price, "price"), rate, exponent))
    scale = 10.0**FEE_DECIMALS
    return like_input(np.floor(raw * scale + _FLOOR_EPSILON) / scale, price, shares)
