"""Closing consensus, entry costs and the labels built from them, on hand-built frames."""

import numpy as np
import pandas as pd
import pytest

from edge_assets.modeling.labels import closing_consensus, entry_costs, label_edges
from edge_assets.modeling.training import build_training_set

T0 = pd.Timestamp("2026-11-20 00:00", tz="UTC")
H = pd.Timedelta(hours=1)
MAPPINGS = pd.DataFrame(
    [
        {"pm_token_id": "home", "pm_market_id": "m1", "event_id": "ev1", "sportsbook_outcome": "Home",
         "sport_key": "basketball_nba", "status": "mapped"},
        {"pm_token_id": "not-home", "pm_market_id": "m1", "event_id": "ev1", "sportsbook_outcome": "not Home",
         "sport_key": "basketball_nba", "status": "mapped"},
    ]
)  # fmt: skip
MARKETS = pd.DataFrame(
    [{"market_id": "m1", "game_start_ts": T0 + 3 * H, "fee_rate": 0.02, "fee_exponent": 1.0}]
)
CONSENSUS = pd.DataFrame(
    [{"quote_ts": T0 + i * H, "event_id": "ev1", "outcome": "Home", "fair_prob": p, "n_books": 7,
      "dispersion": 0.01}
     for i, p in enumerate([0.50, 0.55, 0.60, 0.90])]  # the 0.90 is in play, after the start
)  # fmt: skip
RESOLUTIONS = pd.DataFrame([{"token_id": "home", "payout": 1.0}, {"token_id": "not-home", "payout": 0.0}])


def book(ts):
    return pd.DataFrame(
        [{"snapshot_ts": ts, "token_id": "home", "market_id": "m1", "side": "ask", "level": n, "price": price,
          "size": size} for n, (price, size) in enumerate([(0.50, 100.0), (0.52, 1000.0)])]
    )  # fmt: skip


def test_closing_consensus_is_the_last_one_before_the_start_and_complements_not_tokens():
    closing = closing_consensus(CONSENSUS, MAPPINGS, MARKETS).set_index("pm_token_id")
    assert closing.loc["home", "closing_fair_prob"] == pytest.approx(0.60)
    assert closing.loc["home", "closing_ts"] == T0 + 2 * H
    assert closing.loc["not-home", "closing_fair_prob"] == pytest.approx(0.40)


def test_entry_costs_walk_the_book_and_charge_the_fee_at_the_vwap():
    costs = entry_costs(book(T0), MARKETS, stake_usdc=60.0).iloc[0]
    shares = 100 + 10 / 0.52
    vwap = 60 / shares
    assert costs["vwap"] == pytest.approx(vwap)
    assert costs["fee"] == pytest.approx(0.02 * vwap * (1 - vwap))
    assert costs["effective_price"] == pytest.approx(vwap + 0.02 * vwap * (1 - vwap))
    assert costs["filled"]
    assert not entry_costs(book(T0), MARKETS, stake_usdc=10_000.0).iloc[0]["filled"]


def test_labels_judge_the_entry_against_the_close_and_the_outcome():
    costs = pd.concat([entry_costs(book(T0 + i * H), MARKETS, 60.0) for i in (0, 4)])
    rows = pd.DataFrame({"quote_ts": [T0, T0 + 4 * H], "pm_token_id": ["home", "home"]})
    labels = label_edges(rows, closing_consensus(CONSENSUS, MAPPINGS, MARKETS), RESOLUTIONS, costs)
    pregame, in_play = labels.iloc[0], labels.iloc[1]
    price = costs.iloc[0]["effective_price"]
    assert pregame["clv"] == pytest.approx(0.60 - price)
    assert pregame["closing_ev"] == pytest.approx(0.60 / price - 1)
    assert pregame["edge_valid"]
    assert pregame["payout"] == 1.0 and pregame["realized_return"] == pytest.approx(1 / price - 1)
    assert np.isnan(in_play["closing_ev"]) and not in_play["edge_valid"]


def test_labels_key_signals_by_created_at():
    signals = pd.DataFrame({"created_at": [T0], "pm_token_id": ["home"], "ev_after_costs": [0.1]})
    costs = entry_costs(book(T0), MARKETS, 60.0)
    labels = label_edges(
        signals, closing_consensus(CONSENSUS, MAPPINGS, MARKETS), RESOLUTIONS, costs, "created_at"
    )
    assert labels.loc[0, "edge_valid"] and labels.loc[0, "ev_after_costs"] == 0.1


def test_training_set_keeps_labelled_pregame_rows_and_marks_the_rule():
    features = pd.DataFrame(
        {"quote_ts": [T0, T0 + H, T0 + 4 * H], "pm_token_id": "home", "hours_to_start": [3.0, 2.0, -1.0]}
    )
    costs = pd.concat([entry_costs(book(T0 + i * H), MARKETS, 60.0) for i in (0, 1, 4)])
    labels = label_edges(features, closing_consensus(CONSENSUS, MAPPINGS, MARKETS), RESOLUTIONS, costs)
    rule = pd.DataFrame({"pm_token_id": ["home"], "created_at": [T0 + H]})
    training = build_training_set(features, labels, rule)
    assert list(training["quote_ts"]) == [T0, T0 + H]
    assert list(training["rule_fired"]) == [False, True]
