import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from edge_assets.mapping import POLITICAL_COLUMNS, match_political
from edge_assets.sources.predictit import parse_predictit
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES


@pytest.fixture(scope="module")
def predictit():
    payload = json.loads((SHARED_FIXTURES / "predictit_marketdata_all.json").read_text())
    return parse_predictit(payload, datetime(2024, 11, 19, tzinfo=UTC)).frame


def gamma(market_id, question, end=None, outcomes=("Yes", "No"), kind=None):
    return {
        "market_id": market_id,
        "question": question,
        "sports_market_type": kind,
        "end_ts": pd.Timestamp(end, tz="UTC") if end else pd.NaT,
        "outcomes": json.dumps(list(outcomes)),
        "clob_token_ids": json.dumps([f"{market_id}-{i}" for i in range(len(outcomes))]),
    }


GAMMA = pd.DataFrame(
    [
        gamma("p1", "Will Donald Trump win the 2024 US Presidential Election?", "2024-11-05"),
        gamma("p2", "Will Kamala Harris win the 2024 US Presidential Election?", "2024-11-05", ("No", "Yes")),
        gamma("p3", "Will Kamala Harris be the 47th President of the United States?"),
        gamma("p4", "Will Joe Biden resign during his first term?", "2025-01-20"),
        gamma("p5", "Will Kamala Harris resign during her first term?", "2025-01-20"),  # another person
        gamma("p6", "Will Ron DeSantis win the 2028 US Presidential Election?", "2028-11-07"),  # another year
        gamma("p7", "Will Gavin Newsom lose the 2024 US Presidential Election?"),  # the opposite
        gamma("p8", "Lakers vs. Celtics", outcomes=("Lakers", "Celtics"), kind="moneyline"),
    ]
)


def test_real_predictit_contracts_find_their_polymarket_markets(predictit):
    frame = match_political(predictit, GAMMA)
    assert list(frame.columns) == POLITICAL_COLUMNS
    assert frame["pi_contract_id"].is_unique and len(frame) == predictit["data_id"].nunique()
    rows = frame.set_index("pi_contract_name")
    assert rows.loc["Donald Trump", ["pm_market_id", "pm_token_id", "status"]].tolist() == [
        "p1",
        "p1-0",
        "mapped",
    ]
    # The Yes token, whatever its position: p2 lists No first.
    assert rows.loc["Kamala Harris", ["pm_token_id", "pm_outcome"]].tolist() == ["p2-1", "Yes"]
    assert rows.loc["Will Kamala Harris be the 47th US president?", "pm_market_id"] == "p3"
    biden = rows.loc["Will Joe Biden resign during his first term?"]
    assert biden["pm_market_id"] == "p4" and biden["confidence"] == 1.0  # end dates agree
    for name in ("Ron DeSantis", "Gavin Newsom"):
        assert rows.loc[name, "status"] == "unmapped"
        assert rows.loc[name, "reason"] == "no Polymarket market asks the same question"


def test_an_outcome_named_after_the_candidate_is_its_token(predictit):
    named = pd.DataFrame(
        [gamma("q1", "2024 US presidential election winner", outcomes=("Kamala Harris", "Donald Trump"))]
    )
    rows = match_political(predictit, named).set_index("pi_contract_name")
    assert rows.loc["Donald Trump", "pm_token_id"] == "q1-1"
    assert rows.loc["Kamala Harris", "pm_token_id"] == "q1-0"


def test_two_equally_good_markets_are_ambiguous(predictit):
    twins = pd.concat(
        [GAMMA, pd.DataFrame([gamma("p9", "Will Donald Trump win the 2024 US presidential election?")])]
    )
    rows = match_political(predictit, twins).set_index("pi_contract_name")
    assert rows.loc["Donald Trump", "status"] == "ambiguous"
    assert "p1" in rows.loc["Donald Trump", "reason"] and "p9" in rows.loc["Donald Trump", "reason"]


def test_numbers_and_directions_must_agree():
    contracts = pd.DataFrame(
        {
            "data_id": ["c1", "c2"],
            "timestamp": pd.to_datetime(["2026-08-01", "2026-08-01"], utc=True),
            "market_id": ["k1", "k2"],
            "market_name": [
                "Will the Fed cut rates by 25 bps in September 2026?",
                "Will the Fed raise rates by 25 bps in September 2026?",
            ],
            "contract_name": [
                "Will the Fed cut rates by 25 bps in September 2026?",
                "Will the Fed raise rates by 25 bps in September 2026?",
            ],
            "date_end_ts": pd.to_datetime(["2026-09-16", "2026-09-16"], utc=True),
        }
    )
    markets = pd.DataFrame(
        [
            gamma(
                "f1",
                "Will the Fed decrease interest rates by 50+ bps after the September 2026 meeting?",
                "2026-09-16",
            ),
            gamma(
                "f2",
                "Will the Fed decrease interest rates by 25 bps after the September 2026 meeting?",
                "2026-09-16",
            ),
        ]
    )
    rows = match_political(contracts, markets).set_index("pi_contract_id")
    assert rows.loc["c1", "pm_market_id"] == "f2"
    assert rows.loc["c2", "status"] == "unmapped"  # raise is not decrease
