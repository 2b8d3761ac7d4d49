"""One live signal per token while its edge lasts; a restart continues the open ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from edge_assets.signals.comparator import SIGNAL_COLUMNS
from edge_assets.signals.lifecycle import SignalLifecycle

T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def hit(token: str, ev: float, at: datetime) -> dict:
    row = dict.fromkeys(SIGNAL_COLUMNS)
    return row | {"signal_id": f"{token}@{at.isoformat()}", "pm_token_id": token, "ev_after_costs": ev,
                  "created_at": pd.Timestamp(at), "pm_price": 0.4}  # fmt: skip


def hits(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=SIGNAL_COLUMNS)


def test_an_edge_opens_once_is_refreshed_with_its_best_ev_and_closes_when_it_goes():
    life = SignalLifecycle()
    rows, opened = life.observe(["a", "b"], hits(hit("a", 0.05, T0)), T0, T0 + timedelta(seconds=1))
    assert opened["pm_token_id"].tolist() == ["a"] and rows["pm_token_id"].tolist() == ["a"]
    assert opened["detected_at"].iloc[0] == pd.Timestamp(T0 + timedelta(seconds=1))

    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    rows, opened = life.observe(["a"], hits(hit("a", 0.08, t1)), t1, t1)
    assert opened.empty
    assert rows.iloc[0]["signal_id"] == f"a@{T0.isoformat()}"  # the id of the opening change
    assert rows.iloc[0]["created_at"] == pd.Timestamp(T0) and rows.iloc[0]["last_seen_at"] == pd.Timestamp(t1)
    rows, _ = life.observe(["a"], hits(hit("a", 0.04, t2)), t2, t2)
    assert rows.iloc[0]["best_ev"] == 0.08 and rows.iloc[0]["ev_after_costs"] == 0.04

    t3 = T0 + timedelta(minutes=3)
    rows, _ = life.observe(["a"], hits(), t3, t3)
    assert rows.iloc[0]["closed_at"] == pd.Timestamp(t3) and life.open_tokens == set()


def test_a_token_not_evaluated_keeps_its_signal_open():
    life = SignalLifecycle()
    life.observe(["a"], hits(hit("a", 0.05, T0)), T0, T0)
    rows, _ = life.observe(["b"], hits(), T0, T0)
    assert rows.empty and life.open_tokens == {"a"}


def test_a_restart_continues_an_open_signal_instead_of_opening_another():
    first = SignalLifecycle()
    rows, _ = first.observe(["a"], hits(hit("a", 0.05, T0)), T0, T0)
    restarted = SignalLifecycle(rows)
    t1 = T0 + timedelta(minutes=5)
    rows, opened = restarted.observe(["a"], hits(hit("a", 0.06, t1)), t1, t1)
    assert opened.empty and rows.iloc[0]["signal_id"] == f"a@{T0.isoformat()}"


def test_signals_silent_for_too_long_close_at_their_last_sighting():
    life = SignalLifecycle()
    life.observe(["a"], hits(hit("a", 0.05, T0)), T0, T0)
    assert life.close_stale(T0 + timedelta(minutes=4), timedelta(minutes=5)).empty
    closed = life.close_stale(T0 + timedelta(minutes=6), timedelta(minutes=5))
    assert closed["closed_at"].tolist() == [pd.Timestamp(T0)] and life.open_tokens == set()


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3), min_size=1, max_size=30))
def test_each_run_of_evaluations_with_an_edge_is_exactly_one_signal(edges_per_tick):
    life = SignalLifecycle()
    opened_ids, tokens = [], ["a", "b", "c"]
    for tick, edges in enumerate(edges_per_tick):
        at = T0 + timedelta(minutes=tick)
        _, opened = life.observe(tokens, hits(*(hit(t, 0.05, at) for t in set(edges))), at, at)
        opened_ids += opened["signal_id"].tolist()
        assert life.open_tokens == set(edges)
    previous: set[str] = set()
    runs = 0
    for edges in edges_per_tick:
        runs += len(set(edges) - previous)
        previous = set(edges)
    assert len(opened_ids) == len(set(opened_ids)) == runs
