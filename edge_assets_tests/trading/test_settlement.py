"""Settlement of fills: P&L of resolved and open fills, closing-line value as the batch labels define
it, positions, and daily figures that add up to the whole."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_assets.modeling.labels import closing_consensus
from edge_assets.pricing import fee_per_share
from edge_assets.trading.settlement import DAILY_PNL_COLUMNS, daily_pnl, pnl_summary, positions, settle_fills

T0 = pd.Timestamp("2026-11-20 12:00", tz="UTC")
H = pd.Timedelta(hours=1)
FEE_RATE = 0.02
# Market m1: tokens home / away, resolved home; market m2: token open, still trading.
MAPPINGS = pd.DataFrame(
    [
        {"pm_token_id": "home", "pm_market_id": "m1", "event_id": "ev1", "sportsbook_outcome": "Home",
         "sport_key": "basketball_nba", "status": "mapped"},
        {"pm_token_id": "away", "pm_market_id": "m1", "event_id": "ev1", "sportsbook_outcome": "Away",
         "sport_key": "basketball_nba", "status": "mapped"},
        {"pm_token_id": "open", "pm_market_id": "m2", "event_id": "ev2", "sportsbook_outcome": "Home",
         "sport_key": "basketball_nba", "status": "mapped"},
    ]
)  # fmt: skip
MARKETS = pd.DataFrame(
    [
        {"market_id": "m1", "game_start_ts": T0 + 3 * H, "fee_rate": FEE_RATE, "fee_exponent": 1.0},
        {"market_id": "m2", "game_start_ts": T0 + 30 * H, "fee_rate": 0.0, "fee_exponent": 1.0},
    ]
)
CONSENSUS = pd.DataFrame(
    [{"quote_ts": T0 + i * H, "event_id": event, "outcome": outcome, "fair_prob": p, "n_books": 7,
      "dispersion": 0.01}
     for event, outcome, probs in [("ev1", "Home", [0.50, 0.60, 0.62, 0.95]),
                                   ("ev1", "Away", [0.50, 0.40, 0.38, 0.05]),
                                   ("ev2", "Home", [0.30, 0.33, 0.35, 0.36])]
     for i, p in enumerate(probs)]  # hour 3 of ev1 is in play
)  # fmt: skip
RESOLUTIONS = pd.DataFrame(
    [
        {"token_id": "home", "market_id": "m1", "payout": 1.0},
        {"token_id": "away", "market_id": "m1", "payout": 0.0},
    ]
)
BIDS = pd.DataFrame([{"token_id": "open", "bid": 0.31, "bid_at": T0}])
CLOSING = closing_consensus(CONSENSUS, MAPPINGS, MARKETS)
NO_MARKS = pd.DataFrame(columns=["mode", "pm_token_id", "mark_price", "marked_at"])


def fill(fill_id, token, price, size, at, mode="paper"):
    market = "m2" if token == "open" else "m1"
    return {"fill_id": fill_id, "order_id": f"o-{fill_id}", "filled_at": at, "mode": mode,
            "pm_market_id": market, "pm_token_id": token, "outcome": "Yes", "price": price,
            "size": size}  # fmt: skip


FILLS = pd.DataFrame(
    [
        fill("f1", "home", 0.55, 10.0, T0 + H),  # resolved a winner, bought under the 0.62 close
        fill("f2", "away", 0.45, 20.0, T0 + H),  # resolved a loser, bought over the 0.38 close
        fill("f3", "open", 0.30, 100.0, T0 + 25 * H),  # open, marked at the 0.31 bid, next day
        fill("f4", "home", 0.70, 5.0, T0 + 3.5 * H),  # in play: no closing line to judge it by
    ]
)


def settled_of(fills=FILLS):
    return settle_fills(fills, MARKETS, CLOSING, RESOLUTIONS, BIDS).set_index("fill_id")


def test_a_resolved_fill_is_realised_at_its_payout_less_price_and_fee():
    settled = settled_of()
    fee = FEE_RATE * 0.55 * 0.45
    assert settled.loc["f1", "fee"] == pytest.approx(fee)
    assert settled.loc["f1", "realised_pnl"] == pytest.approx(10 * (1.0 - 0.55 - fee))
    assert settled.loc["f2", "realised_pnl"] == pytest.approx(20 * (0.0 - 0.45 - FEE_RATE * 0.45 * 0.55))
    assert settled.loc[["f1", "f2"], "mtm_pnl"].tolist() == [0.0, 0.0]
    assert settled.loc[["f1", "f2"], "settled"].all()


def test_an_open_fill_is_marked_at_the_latest_bid_and_realises_nothing():
    settled = settled_of()
    assert not settled.loc["f3", "settled"]
    assert settled.loc["f3", "mark_price"] == pytest.approx(0.31)
    assert settled.loc["f3", "mtm_pnl"] == pytest.approx(100 * (0.31 - 0.30))
    assert settled.loc["f3", "realised_pnl"] == 0.0


def test_clv_is_the_close_less_the_effective_price_and_missing_in_play():
    settled = settled_of()
    assert settled.loc["f1", "clv"] == pytest.approx(0.62 - (0.55 + FEE_RATE * 0.55 * 0.45))
    assert settled.loc["f2", "clv"] == pytest.approx(0.38 - (0.45 + FEE_RATE * 0.45 * 0.55))
    assert settled.loc["f3", "clv"] == pytest.approx(0.36 - 0.30)
    assert math.isnan(settled.loc["f4", "clv"])


def test_positions_hold_net_shares_at_cost_marked_at_payout_or_the_newer_of_bid_and_traders_mark():
    no_bids = settle_fills(FILLS, MARKETS, CLOSING, RESOLUTIONS, BIDS.iloc[0:0])

    def traders_mark(at):  # the trader's live mark of every token, at `at`
        return pd.DataFrame(
            [{"mode": "paper", "pm_token_id": token, "mark_price": 0.29, "marked_at": at}
             for token in ("home", "away", "open")]
        )  # fmt: skip

    for settled, kept, open_mark in [
        (settled_of().reset_index(), traders_mark(T0 - H), 0.31),  # the bid is newer
        (settled_of().reset_index(), traders_mark(T0 + H), 0.29),  # the live mark is newer
        (settled_of().reset_index(), traders_mark(None), 0.31),  # an untimed mark is the older
        (no_bids, traders_mark(T0 - H), 0.29),  # no bid: the trader's mark stays
    ]:
        held = positions(settled, kept, T0).set_index("pm_token_id")
        assert held.loc["home", "size"] == pytest.approx(15.0)
        assert held.loc["home", "cost"] == pytest.approx(10 * 0.55 + 5 * 0.70)
        # A payout is final, however fresh the trader's mark.
        assert held.loc["home", "mark_price"] == 1.0 and held.loc["away", "mark_price"] == 0.0
        assert held.loc["open", "mark_price"] == pytest.approx(open_mark)
        expected_at = kept.iloc[0]["marked_at"] if open_mark == 0.29 else T0
        assert held.loc["open", "marked_at"] == expected_at
    unmarked = positions(no_bids, NO_MARKS, T0).set_index("pm_token_id")
    assert unmarked.loc["open", "mark_price"] is None


def test_daily_pnl_counts_each_fill_on_its_day_with_hit_rate_and_clv():
    settled = settled_of().reset_index()
    days = daily_pnl(settled).set_index("day")
    first, second = T0.floor("D"), (T0 + 25 * H).floor("D")
    assert days.loc[first, "fills"] == 3 and days.loc[second, "fills"] == 1
    assert days.loc[first, "settled_fills"] == 3 and days.loc[first, "hits"] == 2  # f1, f4 won
    assert days.loc[first, "hit_rate"] == pytest.approx(2 / 3)
    assert math.isnan(days.loc[second, "hit_rate"])  # nothing resolved yet
    expected_clv = settled.loc[settled["fill_id"].isin(["f1", "f2"]), "clv"].mean()
    assert days.loc[first, "mean_clv"] == pytest.approx(expected_clv)
    assert days.loc[first, "realised_pnl"] < 0  # the 20-share loser outweighs the winners
    assert days.loc[first, "drawdown"] == pytest.approx(-days.loc[first, "pnl"])
    summary = pnl_summary(settled, daily_pnl(settled))["paper"]
    assert summary["fills"] == 4
    assert summary["max_drawdown"] == pytest.approx(days["drawdown"].max())


def test_modes_are_settled_apart():
    both = pd.concat([FILLS, FILLS.assign(fill_id=FILLS["fill_id"] + "-live", mode="live")])
    settled = settle_fills(both, MARKETS, CLOSING, RESOLUTIONS, BIDS)
    summary = pnl_summary(settled, daily_pnl(settled))
    assert summary["paper"] == summary["live"]


fills_strategy = st.lists(
    st.tuples(
        st.sampled_from(["home", "away", "open"]),
        st.integers(1, 99).map(lambda cents: cents / 100),
        st.integers(5, 500).map(float),
        st.integers(0, 24 * 5),  # hour of filling over five days
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(rows=fills_strategy, fee_rate=st.floats(0.0, 0.1), payout_home=st.sampled_from([0.0, 1.0]))
def test_pnl_is_shares_times_payout_or_mark_less_price_less_fees_and_the_days_add_up(
    rows, fee_rate, payout_home
):
    fills = pd.DataFrame(
        [
            fill(f"f{i}", token, price, size, T0 + hour * H)
            for i, (token, price, size, hour) in enumerate(rows)
        ]
    )
    markets = MARKETS.assign(fee_rate=[fee_rate, 0.0])  # m2 charges no fee
    resolutions = RESOLUTIONS.assign(payout=[payout_home, 1.0 - payout_home])
    settled = settle_fills(fills, markets, CLOSING, resolutions, BIDS)
    payout = {"home": payout_home, "away": 1.0 - payout_home, "open": 0.31}
    worth = fills["pm_token_id"].map(payout)
    fees = fills["size"] * fee_per_share(fills["price"].to_numpy(), fee_rate)
    fees = np.where(fills["pm_token_id"] == "open", 0.0, fees)
    expected = (fills["size"] * (worth - fills["price"])).sum() - fees.sum()
    total = settled["realised_pnl"].sum() + settled["mtm_pnl"].sum()
    assert total == pytest.approx(expected, abs=1e-9)

    days = daily_pnl(settled)
    assert days["pnl"].sum() == pytest.approx(total, abs=1e-9)
    assert days["fills"].sum() == len(fills)
    assert days["cumulative_pnl"].iloc[-1] == pytest.approx(total, abs=1e-9)
    assert (days["drawdown"] >= -1e-12).all()
    assert ((days["hit_rate"].dropna() >= 0) & (days["hit_rate"].dropna() <= 1)).all()
    held = positions(settled, NO_MARKS, T0)
    assert held["size"].sum() == pytest.approx(fills["size"].sum())


def test_a_deployment_without_fills_has_no_positions_days_or_figures():
    settled = settle_fills(FILLS.iloc[0:0], MARKETS, CLOSING, RESOLUTIONS, BIDS)
    days = daily_pnl(settled)
    assert settled.empty and days.empty and positions(settled, NO_MARKS, T0).empty
    assert list(days.columns) == DAILY_PNL_COLUMNS
    assert pnl_summary(settled, days) == {}
