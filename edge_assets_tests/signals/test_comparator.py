import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from edge_assets.signals.comparator import (
    BOOK_CANNOT_FILL_STAKE,
    EV_BELOW_MIN_EV,
    NOT_PREGAME,
    PRICE_GAP_TOO_WIDE,
    SIZE_BELOW_MIN_SIZE,
    TOO_FEW_BOOKS,
    SignalRule,
    find_signals,
    priced_asks,
    rejection_reasons,
)

HOUR = pd.Timestamp("2026-11-20 12:00", tz="UTC")


def quotes(rows):
    return pd.DataFrame(
        [
            {"quote_ts": HOUR, "venue": "polymarket", "bookmaker": "polymarket", "market_key": token,
             "outcome": outcome, "side": side, "implied_prob": price, "size": size}
            for token, outcome, side, price, size in rows
        ]
    )  # fmt: skip


def mappings(rows):
    return pd.DataFrame(
        [
            {
                "pm_token_id": t,
                "pm_market_id": m,
                "event_id": "ev1",
                "sportsbook_outcome": o,
                "status": s,
                "confidence": 1.0,
            }
            for t, m, o, s in rows
        ]
    )


CONSENSUS = pd.DataFrame(
    [
        {
            "quote_ts": HOUR,
            "event_id": "ev1",
            "outcome": "Boston Celtics",
            "fair_prob": 0.52,
            "n_books": 7,
            "dispersion": 0.01,
        },
        {
            "quote_ts": HOUR,
            "event_id": "ev1",
            "outcome": "Los Angeles Lakers",
            "fair_prob": 0.48,
            "n_books": 7,
            "dispersion": 0.01,
        },
    ]
)


def markets(start=HOUR + timedelta(hours=5)):
    return pd.DataFrame(
        [
            {"market_id": "m1", "game_start_ts": start, "fee_rate": 0.05, "fee_exponent": 1.0},
            {"market_id": "m2", "game_start_ts": start, "fee_rate": 0.05, "fee_exponent": 1.0},
        ]
    )


def ask_levels(quote_rows, depth_behind=10_000.0):
    """Each quoted ask as the best level, with deep liquidity one tick behind it."""
    rows = []
    for token, _, side, price, size in quote_rows:
        if side == "ask":
            rows += [
                (HOUR, token, "ask", price, size),
                (HOUR, token, "ask", round(price + 0.01, 2), depth_behind),
            ]
    return pd.DataFrame(rows, columns=["snapshot_ts", "token_id", "side", "price", "size"])


def run(quote_rows, mapping_rows, market_frame=None, consensus=CONSENSUS, levels=None, fill_prob=1.0):
    market_frame = market_frame if market_frame is not None else markets()
    levels = levels if levels is not None else ask_levels(quote_rows)
    priced = priced_asks(quotes(quote_rows), consensus, mappings(mapping_rows), market_frame)
    detected_at = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    return priced, find_signals(
        priced, levels, SignalRule(), detected_at, fill_prob=fill_prob, devig_method="shin"
    )


def test_an_ask_below_the_consensus_after_fee_is_a_signal_with_the_hour_as_created_at():
    priced, signals = run([("t1", "Celtics", "ask", 0.45, 100.0)], [("t1", "m1", "Boston Celtics", "mapped")])
    assert priced["fee"].iloc[0] == pytest.approx(0.05 * 0.45 * 0.55)
    assert len(signals) == 1
    row = signals.iloc[0]
    # 100 USDC buys the 100 shares at 0.45, then (100 - 45) / 0.46 shares at 0.46.
    shares = 100 + 55 / 0.46
    assert row["vwap"] == pytest.approx(100 / shares)
    fee = 0.05 * row["vwap"] * (1 - row["vwap"])
    assert row["fee"] == pytest.approx(fee)
    assert row["ev_after_costs"] == pytest.approx(0.52 / (row["vwap"] + fee) - 1)
    assert (row["created_at"], row["devig_method"], row["fill_prob"]) == (HOUR, "shin", 1.0)
    assert 0 < row["stake"] <= 100
    assert row["fair_prob"] == pytest.approx(0.52)
    provenance = json.loads(row["provenance"])
    assert provenance["mapping"] == {
        "pm_token_id": "t1",
        "event_id": "ev1",
        "sportsbook_outcome": "Boston Celtics",
        "confidence": 1.0,
    }
    assert provenance["consensus"]["n_books"] == 7 and provenance["book_snapshot"]["token_id"] == "t1"


def test_a_no_token_is_priced_as_one_minus_its_team():
    priced, signals = run([("t2", "No", "ask", 0.40, 500.0)], [("t2", "m2", "not Boston Celtics", "mapped")])
    assert priced["fair_prob"].iloc[0] == pytest.approx(0.48)
    assert len(signals) == 1


def why_not(quote_rows, mapping_rows, market_frame=None, consensus=CONSENSUS, levels=None, fill_prob=1.0):
    """`run`, plus the reason `rejection_reasons` gives for each priced ask."""
    priced, signals = run(quote_rows, mapping_rows, market_frame, consensus, levels, fill_prob)
    levels = levels if levels is not None else ask_levels(quote_rows)
    return signals, rejection_reasons(priced, levels, SignalRule(), fill_prob).tolist()


@pytest.mark.parametrize(
    ("quote", "start", "reason"),
    [
        (("t1", "Celtics", "ask", 0.45, 10.0), None, SIZE_BELOW_MIN_SIZE),  # too thin
        (("t1", "Celtics", "ask", 0.50, 900.0), None, EV_BELOW_MIN_EV),  # fee eats it
        (("t1", "Celtics", "ask", 0.45, 900.0), HOUR, NOT_PREGAME),  # in play
        (("t1", "Celtics", "ask", 0.45, 10.0), HOUR, NOT_PREGAME),  # in play comes first
    ],
)
def test_no_signal_without_edge_size_or_before_the_game_and_the_reason_says_which(quote, start, reason):
    market_frame = markets(start) if start is not None else None
    signals, reasons = why_not([quote], [("t1", "m1", "Boston Celtics", "mapped")], market_frame)
    assert signals.empty
    assert reasons == [reason]


@pytest.mark.parametrize(
    ("quote", "mapping"),
    [
        (("t1", "Celtics", "bid", 0.45, 900.0), ("t1", "m1", "Boston Celtics", "mapped")),  # not an ask
        (("t1", "Celtics", "ask", 0.45, 900.0), ("t1", "m1", "Boston Celtics", "unmapped")),
    ],
)
def test_a_bid_or_an_unmapped_token_is_never_priced(quote, mapping):
    priced, signals = run([quote], [mapping])
    assert priced.empty and signals.empty


def test_a_book_too_thin_for_the_stake_or_a_low_fill_probability_gives_no_signal():
    rows = ([("t1", "Celtics", "ask", 0.45, 100.0)], [("t1", "m1", "Boston Celtics", "mapped")])
    thin = ask_levels(rows[0], depth_behind=0.0)[lambda f: f["size"] > 0]
    signals, reasons = why_not(*rows, levels=thin)
    assert signals.empty and reasons == [BOOK_CANNOT_FILL_STAKE]  # 100 shares at 0.45 is 45 USDC
    assert len(run(*rows, fill_prob=0.9)[1]) == 1
    assert why_not(*rows, fill_prob=0.9)[1] == [None]
    signals, reasons = why_not(*rows, fill_prob=0.2)
    assert signals.empty and reasons == [EV_BELOW_MIN_EV]  # the EV at the stake, after fill risk
    empty_book = ask_levels(rows[0]).iloc[:0]
    assert why_not(*rows, levels=empty_book)[1] == [BOOK_CANNOT_FILL_STAKE]


def test_signal_ids_are_stable_across_runs():
    rows = ([("t1", "Celtics", "ask", 0.45, 100.0)], [("t1", "m1", "Boston Celtics", "mapped")])
    assert run(*rows)[1]["signal_id"].tolist() == run(*rows)[1]["signal_id"].tolist()


def test_a_gap_wide_enough_to_be_a_wrong_mapping_is_held_not_signalled():
    signals, reasons = why_not(
        [("t1", "Celtics", "ask", 0.12, 900.0)], [("t1", "m1", "Boston Celtics", "mapped")]
    )
    assert signals.empty
    assert reasons == [PRICE_GAP_TOO_WIDE]


def test_an_edge_inside_the_consensus_uncertainty_is_not_a_signal():
    rows = ([("t1", "Celtics", "ask", 0.48, 900.0)], [("t1", "m1", "Boston Celtics", "mapped")])
    priced, _ = run(*rows)
    assert priced["ev_after_costs"].iloc[0] > 0.03  # 0.52 / (0.48 + fee) - 1 is about 5.1%
    _, tight = run(*rows, consensus=CONSENSUS.assign(dispersion=0.001))
    _, noisy = run(*rows, consensus=CONSENSUS.assign(dispersion=0.03))
    _, few_books = run(*rows, consensus=CONSENSUS.assign(dispersion=0.001, n_books=2))
    assert (len(tight), len(noisy), len(few_books)) == (1, 0, 0)
    assert why_not(*rows, consensus=CONSENSUS.assign(dispersion=0.03))[1] == [EV_BELOW_MIN_EV]
    assert why_not(*rows, consensus=CONSENSUS.assign(dispersion=0.001, n_books=2))[1] == [TOO_FEW_BOOKS]


def test_the_asks_without_a_reason_are_exactly_the_signals():
    quote_rows = [
        ("t1", "Celtics", "ask", 0.45, 100.0),  # a signal
        ("t2", "No", "ask", 0.40, 500.0),  # a signal, priced as one minus the Celtics
        ("t3", "Celtics", "ask", 0.45, 10.0),  # too thin
        ("t4", "Celtics", "ask", 0.50, 900.0),  # fee eats it
    ]
    mapping_rows = [
        ("t1", "m1", "Boston Celtics", "mapped"),
        ("t2", "m2", "not Boston Celtics", "mapped"),
        ("t3", "m1", "Boston Celtics", "mapped"),
        ("t4", "m1", "Boston Celtics", "mapped"),
    ]
    priced, signals = run(quote_rows, mapping_rows)
    reasons = rejection_reasons(priced, ask_levels(quote_rows), SignalRule())
    assert dict(zip(priced["pm_token_id"], reasons, strict=True)) == {
        "t1": None,
        "t2": None,
        "t3": SIZE_BELOW_MIN_SIZE,
        "t4": EV_BELOW_MIN_EV,
    }
    assert sorted(signals["pm_token_id"]) == sorted(priced.loc[reasons.isna(), "pm_token_id"]) == ["t1", "t2"]
