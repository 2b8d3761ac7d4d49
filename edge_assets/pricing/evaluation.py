"""How well each de-vig method turns real closing moneylines into calibrated win probabilities.

The nflverse games table holds the closing American moneylines of both teams and the final score of
every NFL game since 2006. For each game with both lines and both scores (ties dropped, as a
moneyline bet on a tie is void), every method in `DEVIG_METHODS` gives the home team's fair win
probability, scored against the result by Brier score and log loss; lower is better for both.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from edge_assets.pricing.devig import DEVIG_METHODS, devig_frame
from edge_assets.pricing.odds import american_to_decimal

GAMES_COLUMNS = ["home_moneyline", "away_moneyline", "home_score", "away_score"]
# Probabilities are clipped this far from 0 and 1 in the log loss, so a method that prices a side
# at exactly 0 is punished heavily but finitely.
LOGLOSS_EPSILON = 1e-15


def decided_games(games: pd.DataFrame) -> pd.DataFrame:
    """Games with both closing moneylines and both scores, ties dropped."""
    missing = [c for c in GAMES_COLUMNS if c not in games.columns]
    if missing:
        raise ValueError(f"games table lacks columns {missing}")
    complete = games.dropna(subset=GAMES_COLUMNS)
    return complete[complete["home_score"] != complete["away_score"]].reset_index(drop=True)


def home_fair_probability(games: pd.DataFrame, method: str) -> np.ndarray:
    """The home team's fair win probability per game from the two moneylines, de-vigged by `method`."""
    # One two-way market per game, stacked as rows (home, away) with the game's index as its group.
    odds = pd.DataFrame(
        {
            "game": np.repeat(np.arange(len(games)), 2),
            "decimal_odds": american_to_decimal(
                games[["home_moneyline", "away_moneyline"]].to_numpy().ravel()
            ),
        }
    )
    return devig_frame(odds, ["game"], method=method).to_numpy()[0::2]


def brier_score(prob: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared error of probabilities against 0/1 outcomes."""
    return float(np.mean((prob - outcome) ** 2))


def log_loss(prob: np.ndarray, outcome: np.ndarray) -> float:
    """Mean negative log-likelihood (natural log) of 0/1 outcomes."""
    clipped = np.clip(prob, LOGLOSS_EPSILON, 1.0 - LOGLOSS_EPSILON)
    return float(-np.mean(outcome * np.log(clipped) + (1.0 - outcome) * np.log(1.0 - clipped)))


def evaluate_devig(games_csv_path: str | Path) -> dict[str, Any]:
    """{"games": n, "methods": {name: {"brier": x, "logloss": y}}} on an nflverse games CSV."""
    games = decided_games(pd.read_csv(games_csv_path))
    if games.empty:
        raise ValueError(f"{games_csv_path} has no decided games with both moneylines")
    home_won = (games["home_score"] > games["away_score"]).to_numpy(float)
    methods = {}
    for method in DEVIG_METHODS:
        prob = home_fair_probability(games, method)
        methods[method] = {"brier": brier_score(prob, home_won), "logloss": log_loss(prob, home_won)}
    return {"games": len(games), "methods": methods}


def add_devig_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The `devig-eval` command's options."""
    parser.add_argument(
        "--games", required=True, type=Path, metavar="FILE", help="nflverse games CSV (games.csv)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def format_devig_table(result: dict[str, Any]) -> str:
    """The evaluation as an aligned text table, best log loss first."""
    ranked = sorted(result["methods"].items(), key=lambda item: item[1]["logloss"])
    width = max(len("method"), *(len(name) for name in result["methods"]))
    lines = [
        f"{result['games']} decided NFL games, home win probability from closing moneylines",
        f"{'method':<{width}}  {'brier':>8}  {'log loss':>8}",
    ]
    lines += [f"{name:<{width}}  {m['brier']:>8.6f}  {m['logloss']:>8.6f}" for name, m in ranked]
    return "\n".join(lines)


def run_devig_eval(args: argparse.Namespace) -> int:
    """Run the evaluation for parsed `devig-eval` arguments; print it; return the exit status."""
    try:
        result = evaluate_devig(args.games)
    except (OSError, ValueError) as error:
        print(f"devig-eval: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else format_devig_table(result))
    return 0
