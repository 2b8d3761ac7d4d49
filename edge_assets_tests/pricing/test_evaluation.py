import argparse
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from edge_assets.pricing import DEVIG_METHODS
from edge_assets.pricing.evaluation import add_devig_eval_arguments, evaluate_devig, run_devig_eval

NFL_GAMES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "nfl_games_nflverse.csv"


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_devig_eval_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def small_games(tmp_path):
    path = tmp_path / "games.csv"
    pd.DataFrame(
        {
            "home_moneyline": [-200, 150, -110, None, -150, 120],
            "away_moneyline": [170, -170, -110, 100, 130, -140],
            "home_score": [24, 10, 20, 17, 13, None],
            "away_score": [17, 21, 23, 14, 13, 3],
        }
    ).to_csv(path, index=False)
    return path


def test_keeps_decided_games_with_both_lines(small_games):
    result = evaluate_devig(small_games)
    # Dropped: a missing line, a tie (13-13) and a missing score.
    assert result["games"] == 3
    assert set(result["methods"]) == set(DEVIG_METHODS)
    # Game 3 is -110/-110: every method says 0.5 there.
    multiplicative = result["methods"]["multiplicative"]
    home = [(1 / 1.5) / (1 / 1.5 + 1 / 2.7), (1 / 2.5) / (1 / 2.5 + 1 / (1 + 100 / 170)), 0.5]
    won = [1, 0, 0]
    brier = sum((p - y) ** 2 for p, y in zip(home, won, strict=True)) / 3
    logloss = -sum(math.log(p if y else 1 - p) for p, y in zip(home, won, strict=True)) / 3
    assert multiplicative == pytest.approx({"brier": brier, "logloss": logloss})


def test_real_nfl_closing_lines_are_calibrated():
    result = evaluate_devig(NFL_GAMES)
    assert result["games"] == 5189
    for figures in result["methods"].values():
        # A coin flip scores 0.25 and ln 2 = 0.693; closing lines do clearly better.
        assert 0.20 < figures["brier"] < 0.22
        assert 0.59 < figures["logloss"] < 0.63
    # In a two-way market Shin's model and the additive method coincide.
    assert result["methods"]["shin"] == pytest.approx(result["methods"]["additive"])


def test_cli_table_and_json(small_games, capsys):
    assert run_devig_eval(parse("--games", str(small_games))) == 0
    table = capsys.readouterr().out
    assert "3 decided NFL games" in table and "odds_ratio" in table
    assert run_devig_eval(parse("--games", str(small_games), "--json")) == 0
    assert json.loads(capsys.readouterr().out) == evaluate_devig(small_games)


def test_cli_reports_a_bad_file(tmp_path, capsys):
    assert run_devig_eval(parse("--games", str(tmp_path / "missing.csv"))) == 2
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    assert run_devig_eval(parse("--games", str(tmp_path / "other.csv"))) == 2
    assert "home_moneyline" in capsys.readouterr().err
