"""Conversions between American, fractional and decimal odds and implied probability.

Every function accepts a scalar, a numpy array or a pandas Series and returns the same kind
(a Series keeps its index). Impossible input raises ValueError instead of producing inf or NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from edge_assets.pricing._arrays import as_float_array, first_offender, like_input


def validate_decimal_odds(decimal_odds: Any) -> np.ndarray:
    """Decimal odds as a float array, rejecting NaN, non-finite values and odds <= 1."""
    odds = as_float_array(decimal_odds, "decimal odds")
    bad = ~np.isfinite(odds) | (odds <= 1.0)
    if bad.any():
        raise ValueError(f"decimal odds must be finite and greater than 1, got {first_offender(odds, bad)}")
    return odds


def american_to_decimal(odds: Any) -> Any:
    """Decimal odds (stake included) from American odds: +150 -> 2.5, -200 -> 1.5.

    American odds strictly between -100 and +100 do not exist and raise ValueError.
    """
    american = as_float_array(odds, "American odds")
    bad = ~_possible_american(american)
    if bad.any():
        raise ValueError(f"American odds must be <= -100 or >= +100, got {first_offender(american, bad)}")
    return like_input(american_to_decimal_where_possible(american), odds)


def _possible_american(american: np.ndarray) -> np.ndarray:
    return np.isfinite(american) & (np.abs(american) >= 100.0)


def american_to_decimal_where_possible(odds: Any) -> np.ndarray:
    """`american_to_decimal` of every value of an array, NaN where the odds are impossible (NaN,
    infinite, or strictly between -100 and +100) instead of raising: for parsers, which set the
    impossible values aside one by one and keep the rest."""
    american = np.asarray(odds, dtype=float)
    possible = _possible_american(american)
    # Impossible values are swapped for +100 before dividing, so no warnings to silence.
    safe = np.where(possible, american, 100.0)
    decimal = np.where(safe > 0, 1.0 + safe / 100.0, 1.0 + 100.0 / np.abs(safe))
    return np.where(possible, decimal, np.nan)


def decimal_to_american(odds: Any) -> Any:
    """American odds from decimal odds: 2.5 -> +150, 1.5 -> -200 (evens, 2.0, is +100)."""
    decimal = validate_decimal_odds(odds)
    american = np.where(decimal >= 2.0, (decimal - 1.0) * 100.0, -100.0 / (decimal - 1.0))
    return like_input(american, odds)


def fractional_to_decimal(odds: Any) -> Any:
    """Decimal odds from fractional (UK) odds: "5/2" -> 3.5, "1/4" -> 1.25, "evens" -> 2.0.

    Accepts "a/b" strings, the word "evens", or numbers already giving the fraction a / b; a
    scalar or an iterable of them. A fraction must be positive.
    """
    values = [odds] if isinstance(odds, str) or np.ndim(odds) == 0 else list(odds)
    fractions = np.array([_fraction_value(value) for value in values], dtype=float)
    bad = ~np.isfinite(fractions) | (fractions <= 0)
    if bad.any():
        raise ValueError(f"fractional odds must be positive, got {values[int(np.argmax(bad))]!r}")
    decimal = 1.0 + fractions
    if isinstance(odds, pd.Series):
        return pd.Series(decimal, index=odds.index, name=odds.name)
    return float(decimal[0]) if isinstance(odds, str) or np.ndim(odds) == 0 else decimal


def _fraction_value(value: Any) -> float:
    if not isinstance(value, str):
        return float(value)
    text = value.strip().lower()
    if text in ("evens", "evs"):
        return 1.0
    numerator, slash, denominator = text.partition("/")
    try:
        return float(numerator) / float(denominator) if slash else float(numerator)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"fractional odds must look like 'a/b', got {value!r}") from exc


def implied_probability(decimal_odds: Any) -> Any:
    """The probability implied by decimal odds (1 / odds), vig included."""
    return like_input(1.0 / validate_decimal_odds(decimal_odds), decimal_odds)
