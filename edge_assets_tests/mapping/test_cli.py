import argparse
import copy
import json

import pandas as pd
import pytest

from edge_assets.mapping.cli import MATCH_COLUMNS, add_match_arguments, run_match
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES


def parse(*argv):
    parser = argparse.ArgumentParser(prog="edge-assets match")
    add_match_arguments(parser)
    return parser.parse_args(list(argv))


def nhl_market(market_id, outcomes, prices, question="Avalanche vs. Canadiens"):
    """A Gamma record for the real fixture's Avalanche-Canadiens game, cloned from a real record."""
    record = copy.deepcopy(
        json.loads((SHARED_FIXTURES / "polymarket_gamma_markets_active.json").read_text())[0]
    )
    record.update(
        id=market_id,
        question=question,
        slug=f"nhl-col-mtl-{market_id}",
        outcomes=json.dumps(outcomes),
        outcomePrices=json.dumps(prices),
        clobTokenIds=json.dumps([f"{market_id}-{i}" for i in range(len(outcomes))]),
        gameStartTime="2024-03-27 01:00:00+00",
    )
    return record


@pytest.fixture
def gamma_file(tmp_path):
    records = json.loads((SHARED_FIXTURES / "polymarket_gamma_markets_active.json").read_text())
    records += [
        nhl_market("900", ["Colorado Avalanche", "Montreal Canadiens"], ["0.62", "0.38"]),
        # Priced as if its outcomes were swapped: the guard holds it.
        nhl_market("901", ["Canadiens", "Avalanche"], ["0.64", "0.36"]),
        nhl_market("902", ["Yes", "No"], ["0.6", "0.4"], question="Will the Avalanche win?"),
    ]
    path = tmp_path / "gamma.json"
    path.write_text(json.dumps(records))
    return path


def test_match_writes_one_row_per_token(gamma_file, tmp_path):
    out = tmp_path / "match.csv"
    assert (
        run_match(
            parse(
                "--polymarket",
                str(gamma_file),
                "--oddsapi",
                str(SHARED_FIXTURES / "oddsapi_odds.json"),
                "--out",
                str(out),
            )
        )
        == 0
    )
    frame = pd.read_csv(out, dtype=str).set_index("pm_token_id")
    assert len(frame) == 26
    assert frame.loc["900-0", ["event_id", "sportsbook_outcome", "status"]].tolist() == [
        "e5e12b53bda84093e0f0c7463245657e",
        "Colorado Avalanche",
        "mapped",
    ]
    assert frame.loc["900-1", "sportsbook_outcome"] == "Montréal Canadiens"
    assert frame.loc[["901-0", "901-1"], "status"].eq("suspect").all()
    assert "gap" in frame.loc["901-0", "reason"]
    assert frame.loc["902-1", "sportsbook_outcome"] == "Montréal Canadiens"  # two-way: No is the opponent
    assert frame.loc[frame["pm_market_id"] == "2252243", "status"].eq("unmapped").all()


def test_match_prints_csv_without_out(gamma_file, capsys):
    assert (
        run_match(
            parse("--polymarket", str(gamma_file), "--oddsapi", str(SHARED_FIXTURES / "oddsapi_odds.json"))
        )
        == 0
    )
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split(",") == MATCH_COLUMNS


def test_match_reports_an_unreadable_input(tmp_path, capsys):
    bad = tmp_path / "odds.json"
    bad.write_text('{"not": "a list"}')
    assert run_match(parse("--polymarket", str(bad), "--oddsapi", str(bad))) == 2
    assert "not a JSON list" in capsys.readouterr().err


def test_match_names_the_file_that_is_not_json(gamma_file, tmp_path, capsys):
    broken = tmp_path / "odds.json"
    broken.write_text('[{"id": ')
    assert run_match(parse("--polymarket", str(gamma_file), "--oddsapi", str(broken))) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and str(broken) in error and "not valid JSON" in error


def test_match_refuses_a_list_of_the_wrong_objects(gamma_file, capsys):
    # The Gamma file given as the Odds API file: a JSON list, but not of events.
    assert run_match(parse("--polymarket", str(gamma_file), "--oddsapi", str(gamma_file))) == 2
    error = capsys.readouterr().err
    assert str(gamma_file) in error and "item 0 is not one of the Odds API event objects" in error


def test_match_into_a_missing_folder_is_one_line_and_exit_2(gamma_file, tmp_path, capsys):
    odds = str(SHARED_FIXTURES / "oddsapi_odds.json")
    out = tmp_path / "no" / "such" / "folder" / "m.csv"
    assert run_match(parse("--polymarket", str(gamma_file), "--oddsapi", odds, "--out", str(out))) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and f"--out {out} cannot be written" in error
