"""Input coercion shared by the pricing functions: scalars, numpy arrays and pandas Series alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def as_float_array(values: Any, name: str) -> np.ndarray:
    """`values` as a float ndarray; raises ValueError when it is not numeric or holds NaN."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {values!r}") from exc
    if np.isnan(array).any():
        raise ValueError(f"{name} must not be NaN")
    return array


def like_input(result: np.ndarray, *templates: Any) -> Any:
    """Give `result` the container type of its inputs `templates`.

    The first pandas Series among them lends its index and name; otherwise a 0-d result becomes a
    float and anything else stays an ndarray.
    """
    for template in templates:
        if isinstance(template, pd.Series):
            return pd.Series(result, index=template.index, name=template.name)
    if np.ndim(result) == 0:
        return float(result)
    return result


def unit_interval_array(values: Any, name: str) -> np.ndarray:
    """`values` as a float array, every one of them a probability or price in [0, 1]."""
    array = as_float_array(values, name)
    outside = (array < 0.0) | (array > 1.0)
    if outside.any():
        raise ValueError(f"{name} must lie in [0, 1], got {first_offender(array, outside)}")
    return array


def first_offender(array: np.ndarray, bad: np.ndarray) -> float:
    """The first value flagged by the boolean mask `bad`, for error messages."""
    return float(np.asarray(array)[np.asarray(bad)].flat[0])


def cumsum_within(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Running sum of `values` restarting at each group, in row order; rows of a group need not be adjacent.

    Uses pandas' grouped cumsum rather than one global cumsum minus offsets, which would lose the
    low digits of small groups late in a long array.
    """
    return pd.Series(values).groupby(codes, sort=False).cumsum().to_numpy()
