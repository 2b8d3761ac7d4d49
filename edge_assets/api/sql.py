"""Bound IN lists for the API's queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`:prefix0, :prefix1, ...` for an IN clause, and the values bound to those names."""
    names = {f"{prefix}{index}": value for index, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names
