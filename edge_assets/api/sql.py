"""Small helpers the API's queries share: bound IN lists and frames as JSON-ready records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`:prefix0, :prefix1, ...` for an IN clause, and the values bound to those names."""
    names = {f"{prefix}{index}": value for index, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts of plain Python values: None for missing, datetimes for stamps."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    rows = cleaned.to_dict("records")
    for row in rows:
        for name, value in row.items():
            if isinstance(value, pd.Timestamp):
                row[name] = value.to_pydatetime()
    return rows
