import pandas as pd
import pytest

from edge_assets.mapping import flag_suspect


def mapping(token, market, outcome, event="e1", status="mapped"):
    return {
        "pm_token_id": token,
        "pm_market_id": market,
        "sportsbook_outcome": outcome,
        "event_id": event,
        "status": status,
        "reason": None,
    }


MAPPINGS = pd.DataFrame(
    [
        mapping("t1", "m1", "Arsenal"),
        mapping("t2", "m1", "not Arsenal"),
        mapping("t3", "m2", "Chelsea"),
        mapping("t4", "m3", "Chelsea", status="unmapped"),
        mapping("t5", "m4", "Draw"),
    ]
)
CONSENSUS = pd.DataFrame(
    {
        "quote_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02"], utc=True),
        "event_id": ["e1"] * 4,
        "outcome": ["Arsenal", "Arsenal", "Chelsea", "Draw"],
        "fair_prob": [0.9, 0.5, 0.25, 0.25],
    }
)


def test_a_flipped_market_is_suspect_with_both_prices_in_the_reason():
    # Polymarket prices Arsenal at 0.08 and "No" at 0.92 against a 0.50 consensus: a flip.
    prices = pd.DataFrame({"pm_token_id": ["t1", "t2", "t3", "t5"], "pm_price": [0.08, 0.92, 0.27, 0.3]})
    result = flag_suspect(MAPPINGS, prices, CONSENSUS).set_index("pm_token_id")
    assert result.loc["t1", "status"] == "suspect"
    assert result.loc["t1", "reason"] == (
        "Polymarket price 0.080 vs sportsbook consensus 0.500 for 'Arsenal': gap 0.420 exceeds 0.35"
    )
    assert result.loc["t2", "status"] == "suspect"  # 1 - 0.5 = 0.5 against 0.92
    assert result.loc[["t3", "t5"], "status"].eq("mapped").all()
    assert result.loc["t4", "status"] == "unmapped"
    assert (MAPPINGS["status"] != "suspect").all()  # the input is left alone


def test_a_suspect_token_takes_its_market_siblings_with_it():
    prices = pd.DataFrame({"pm_token_id": ["t1"], "pm_price": [0.95]})
    result = flag_suspect(MAPPINGS, prices, CONSENSUS).set_index("pm_token_id")
    assert result.loc["t2", "status"] == "suspect"
    assert result.loc["t2", "reason"] == "another outcome of this market is suspect"


def test_the_gap_is_configurable_and_missing_prices_leave_rows_alone():
    prices = pd.DataFrame({"pm_token_id": ["t1", "t3"], "pm_price": [0.7, 0.26]})
    assert flag_suspect(MAPPINGS, prices, CONSENSUS)["status"].eq("suspect").sum() == 0
    tight = flag_suspect(MAPPINGS, prices, CONSENSUS, max_gap=0.1).set_index("pm_token_id")
    assert tight.loc["t1", "status"] == "suspect"
    assert tight.loc["t3", "status"] == "mapped"
    with pytest.raises(ValueError):
        flag_suspect(MAPPINGS, prices, CONSENSUS, max_gap=0)
