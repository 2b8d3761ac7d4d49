"""A backfill keeps each written hour as counts (`Ingested.counted`): nothing of its rows may stay
alive, or a month's backfill holds every hour's arrays to the end."""

import gc
import weakref
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from edge_assets.defs.common import Ingested


def hour_fetched(rows: int) -> Ingested:
    tokens = [f"{i:077d}" for i in range(rows)]
    frame = pd.DataFrame({"price": np.linspace(0.01, 0.99, rows), "token_id": tokens})
    return Ingested(frame, rows, 3, rows, datetime(2026, 12, 3, tzinfo=UTC), 1, 2, "lake://raw/hour")


def test_counted_keeps_the_counts_and_the_columns():
    counted = hour_fetched(1000).counted()
    assert (counted.rows, counted.requests, counted.records, counted.quarantined) == (1000, 3, 1000, 1)
    assert counted.frame.empty and list(counted.frame.columns) == ["price", "token_id"]
    assert counted.frame["price"].dtype == np.float64


def test_counted_lets_the_rows_go():
    fetched = hour_fetched(10_000)
    prices = weakref.ref(_owner(fetched.frame["price"].to_numpy()))
    counted = fetched.counted()
    del fetched
    gc.collect()
    assert prices() is None, "the counted hour still holds its rows' array"
    assert counted.rows == 10_000


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns `array`'s memory (a frame's column is a view of its block)."""
    while array.base is not None:
        array = array.base
    return array
