"""training_set reads the window's ask levels a day at a time: the days must tile the window."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from edge_assets.defs.modeling.assets import _days_of

MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


@given(start=MOMENTS, length=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=40)))
def test_days_tile_the_window_without_gap_or_overlap(start, length):
    span = {"start": start, "end": start + length}
    days = _days_of(span)
    assert days[0]["start"] == span["start"] and days[-1]["end"] == span["end"]
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(days))
    assert all(timedelta(0) < day["end"] - day["start"] <= timedelta(days=1) for day in days)


def test_fourteen_days_from_midnight_are_fourteen_calendar_days():
    end = datetime(2026, 12, 3, tzinfo=UTC)
    days = _days_of({"start": end - timedelta(days=14), "end": end})
    assert [day["start"].day for day in days] == [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 1, 2]
