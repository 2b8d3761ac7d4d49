import pandas as pd

from edge_assets.mapping import ALIAS_COLUMNS, learned_aliases, load_team_aliases, map_markets
from edge_assets_tests.mapping.test_markets import MAPPED_AT, T0, event, market

EVENTS = pd.DataFrame(
    [
        event("e1", "soccer_epl", "Manchester United", "Brighton and Hove Albion"),
        event("e2", "soccer_epl", "Manchester United", "Arsenal", T0 + pd.Timedelta(days=7)),
        event("e3", "icehockey_nhl", "Arizona Coyotes", "Columbus Blue Jackets"),
    ]
)


def test_a_spelling_confirmed_by_two_markets_is_learned():
    aliases = load_team_aliases()
    markets = pd.DataFrame(
        [
            market("m1", "Will Manchestr United win?", ["Yes", "No"]),
            market(
                "m2",
                "Manchestr United vs Arsenal",
                ["Manchestr United", "Arsenal"],
                T0 + pd.Timedelta(days=7),
            ),
            market("m3", "Will Brighton win?", ["Yes", "No"]),  # a known alias: nothing to learn
        ]
    )
    mappings = map_markets(markets, EVENTS, aliases, mapped_at=MAPPED_AT)
    assert (mappings["status"] == "mapped").all()
    learned = learned_aliases(mappings, markets, EVENTS, aliases)
    assert list(learned.columns) == ALIAS_COLUMNS
    assert learned.to_dict("records") == [
        {
            "league": "soccer_epl",
            "alias": "manchestr united",
            "team": "Manchester United",
            "source": "learned",
        }
    ]
    assert learned_aliases(mappings, markets, EVENTS, aliases, min_confirmations=3).empty


def test_learned_aliases_name_the_current_team_and_skip_unmapped_and_conflicting_rows():
    aliases = load_team_aliases()
    markets = pd.DataFrame(
        [market("m1", "g", ["Yotes", "Columbus"]), market("m2", "g", ["Yotes", "Columbus"])]
    )
    base = {"sport_key": "icehockey_nhl", "event_id": "e3", "confidence": 0.7, "reason": None}
    rows = [
        {
            "pm_token_id": f"{m}-0",
            "pm_market_id": m,
            "pm_outcome": "Yotes",
            "sportsbook_outcome": "Arizona Coyotes",
        }
        | base
        | {"status": "mapped"}
        for m in ("m1", "m2")
    ]
    mappings = pd.DataFrame(rows)
    learned = learned_aliases(mappings, markets, EVENTS, aliases)
    assert learned[["alias", "team"]].values.tolist() == [["yotes", "Utah Mammoth"]]
    assert learned_aliases(mappings.assign(status="suspect"), markets, EVENTS, aliases).empty
    # The same spelling also mapped to another team of the league: a conflict, not an alias.
    other = mappings.iloc[[0]].assign(
        pm_market_id="m3", pm_token_id="m3-0", sportsbook_outcome="Columbus Blue Jackets"
    )
    markets3 = pd.concat([markets, pd.DataFrame([market("m3", "g", ["Yotes", "Columbus"])])])
    assert learned_aliases(pd.concat([mappings, other]), markets3, EVENTS, aliases).empty
