"""Long runs read their history a piece at a time (`time_chunks`): the pieces must tile the window,
or rows would be lost or read twice."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from edge_assets.defs.partitions import time_chunks

MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))
LENGTHS = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=40))
STEPS = st.sampled_from([timedelta(hours=1), timedelta(days=1), timedelta(days=3)])


@given(start=MOMENTS, length=LENGTHS, step=STEPS)
def test_chunks_tile_the_window_without_gap_or_overlap(start, length, step):
    chunks = time_chunks(start, start + length, step)
    assert chunks[0][0] == start and chunks[-1][1] == start + length
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
    assert all(timedelta(0) < end - begin <= step for begin, end in chunks)


def test_fourteen_days_from_midnight_are_fourteen_calendar_days():
    end = datetime(2026, 12, 3, tzinfo=UTC)
    chunks = time_chunks(end - timedelta(days=14), end, timedelta(days=1))
    assert [begin.day for begin, _ in chunks] == [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 1, 2]


def test_an_empty_window_has_no_chunks():
    moment = datetime(2026, 12, 3, tzinfo=UTC)
    assert time_chunks(moment, moment, timedelta(days=1)) == []
