"""Mapping from Gamma's structured fields first: a leg's slug and its event's title say the teams and
the leg; the question is the fallback, and a question that contradicts them leaves the market
unmapped. Real Gamma records are parsed by our own parser, so the columns are the `markets` table's."""

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_assets.mapping import load_team_aliases, map_markets
from edge_assets.sources import parse_gamma_markets
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES

MAPPED_AT = datetime(2026, 8, 22, 12, 0, tzinfo=UTC)
KICKOFF = pd.Timestamp("2026-08-22T15:15Z")
LENS_MARKET = "3434985"  # "Will Racing Club de Lens win on 2026-08-22?", slug fl1-rcl-aja-2026-08-22-rcl
LENS, AUXERRE = "Racing Club de Lens", "AJ Auxerre"


@pytest.fixture(scope="module")
def aliases():
    return load_team_aliases()


def _events(home=LENS, away=AUXERRE, sport_key="soccer_france_ligue_one"):
    return pd.DataFrame(
        [
            {
                "event_id": "g1",
                "sport_key": sport_key,
                "commence_ts": KICKOFF,
                "home_team": home,
                "away_team": away,
            }
        ]
    )


def _real_lens_leg(**changes) -> pd.DataFrame:
    """The real Lens leg as the `markets` table holds it, with `changes` to its Gamma record."""
    raw = json.loads((SHARED_FIXTURES / "polymarket_gamma_markets_active.json").read_text())
    (record,) = [dict(m) for m in raw if m["id"] == LENS_MARKET]
    record.update(changes)
    return parse_gamma_markets([record], MAPPED_AT).frame


def _mapped(aliases, markets, events=None):
    frame = map_markets(markets, _events() if events is None else events, aliases, mapped_at=MAPPED_AT)
    return frame.set_index("pm_outcome")


def test_the_real_leg_carries_the_structured_fields(aliases):
    leg = _real_lens_leg()
    assert leg.loc[0, "slug"] == "fl1-rcl-aja-2026-08-22-rcl"
    assert leg.loc[0, "event_title"] == "Racing Club de Lens vs. AJ Auxerre"
    rows = _mapped(aliases, leg)
    assert (rows["status"] == "mapped").all()
    assert rows["sportsbook_outcome"].to_dict() == {"Yes": LENS, "No": f"not {LENS}"}


@pytest.mark.parametrize("question", ["Ligue 1: Lens - Auxerre, 22 August", "Racing Club de Lens (Ligue 1)"])
def test_an_unreadable_question_maps_by_slug_and_title(aliases, question):
    rows = _mapped(aliases, _real_lens_leg(question=question))
    assert (rows["status"] == "mapped").all()
    assert rows["sportsbook_outcome"].to_dict() == {"Yes": LENS, "No": f"not {LENS}"}


def test_the_slug_names_the_leg_the_away_team_and_the_draw(aliases):
    away = _mapped(aliases, _real_lens_leg(slug="fl1-rcl-aja-2026-08-22-aja", question="Auxerre?"))
    assert away["sportsbook_outcome"].to_dict() == {"Yes": AUXERRE, "No": f"not {AUXERRE}"}
    draw = _mapped(aliases, _real_lens_leg(slug="fl1-rcl-aja-2026-08-22-draw", question="Draw?"))
    assert draw["sportsbook_outcome"].to_dict() == {"Yes": "Draw", "No": "not Draw"}


def test_a_question_that_contradicts_the_slug_is_not_mapped(aliases):
    rows = _mapped(aliases, _real_lens_leg(question="Will AJ Auxerre win on 2026-08-22?"))
    assert (rows["status"] == "unmapped").all()
    assert rows["reason"].iloc[0].startswith("the question backs ['AJ Auxerre'")


def test_a_slug_whose_leg_is_no_team_of_the_title_falls_back_to_the_question(aliases):
    rows = _mapped(aliases, _real_lens_leg(slug="fl1-rcl-aja-2026-08-22-xyz"))
    assert rows["sportsbook_outcome"].to_dict() == {"Yes": LENS, "No": f"not {LENS}"}
    unread = _mapped(aliases, _real_lens_leg(slug="fl1-rcl-aja-2026-08-22-xyz", question="Lens?"))
    assert (unread["status"] == "unmapped").all()


BRIGHTON, UNITED = "Brighton and Hove Albion", "Manchester United"
CODES = {BRIGHTON: "bha", UNITED: "mun"}


@settings(max_examples=40, deadline=None)
@given(
    leg=st.sampled_from([BRIGHTON, UNITED, "Draw"]),
    title_swapped=st.booleans(),
    home_swapped=st.booleans(),
    yes_first=st.booleans(),
    worded=st.booleans(),
)
def test_team_order_never_flips_the_mapped_side(aliases, leg, title_swapped, home_swapped, yes_first, worded):
    first, second = (UNITED, BRIGHTON) if title_swapped else (BRIGHTON, UNITED)
    home, away = (UNITED, BRIGHTON) if home_swapped else (BRIGHTON, UNITED)
    suffix = "draw" if leg == "Draw" else CODES[leg]
    if worded:
        question = f"Will {first} vs. {second} end in a draw?" if leg == "Draw" else f"Will {leg} win?"
    else:
        question = "Premier League, 22 August"
    outcomes = ["Yes", "No"] if yes_first else ["No", "Yes"]
    market = {
        "market_id": "m1",
        "question": question,
        "slug": f"epl-{CODES[first]}-{CODES[second]}-2026-08-22-{suffix}",
        "event_title": f"{first} vs. {second}",
        "sports_market_type": "moneyline",
        "game_start_ts": KICKOFF,
        "outcomes": json.dumps(outcomes),
        "clob_token_ids": json.dumps(["t0", "t1"]),
    }
    rows = _mapped(aliases, pd.DataFrame([market]), _events(home, away, "soccer_epl"))
    assert (rows["status"] == "mapped").all()
    assert rows.loc["Yes", "sportsbook_outcome"] == leg
    assert rows.loc["No", "sportsbook_outcome"] == f"not {leg}"
