"""De-vig and consensus throughput over a million sportsbook quote rows, vectorised vs a Python loop.

The rows are synthetic but shaped like the `quotes` table: seven books quoting two-way and
three-way events at hourly snapshots, each book with its own margin and noise. Every task runs
once as the vectorised pricing code and once as a plain per-row Python loop over the same rows
(dicts, floats and `statistics.median`, the way one would write it without numpy), and the two are
checked to agree before their speeds are compared.

Usage: python bench/pricing_throughput.py [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np
import pandas as pd

from edge_assets.pricing import consensus_fair_prob, devig_frame

BOOKS = ["pinnacle", "draftkings", "fanduel", "betmgm", "williamhill_us", "betrivers", "bovada"]
MARKET = ["quote_ts", "event_id", "bookmaker"]


def synthetic_quotes(rows: int, seed: int) -> pd.DataFrame:
    """About `rows` quote rows: events of 2 or 3 outcomes (3 in one of four) quoted by all books."""
    rng = np.random.default_rng(seed)
    n_events = int(rows / (len(BOOKS) * 2.25))  # 2.25 outcomes per event on average
    n_outcomes = np.where(rng.random(n_events) < 0.25, 3, 2)
    # True probabilities per event outcome, then each book's noisy, margined price of them.
    outcome_event = np.repeat(np.arange(n_events), n_outcomes)
    raw = rng.gamma(2.0, size=outcome_event.size)
    truth = raw / np.bincount(outcome_event, weights=raw)[outcome_event]
    n_books = len(BOOKS)
    event = np.repeat(outcome_event, n_books)
    book = np.tile(np.arange(n_books), outcome_event.size)
    outcome = np.repeat(
        np.arange(outcome_event.size) - np.repeat(np.cumsum(n_outcomes) - n_outcomes, n_outcomes), n_books
    )
    margin = 1.0 + np.linspace(0.03, 0.075, n_books)[book]
    implied = np.clip(
        np.repeat(truth, n_books) * np.exp(rng.normal(0, 0.04, event.size)) * margin, 0.01, 0.98
    )
    frame = pd.DataFrame(
        {
            "quote_ts": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(event % 24, unit="h"),
            "event_id": "ev" + pd.Series(event).astype(str),
            "bookmaker": np.array(BOOKS)[book],
            "outcome": "o" + pd.Series(outcome).astype(str),
            "decimal_odds": 1.0 / implied,
        }
    )
    return frame


# -- the plain Python versions ------------------------------------------------------------------


def loop_markets(rows: list[tuple]) -> dict[tuple, list[tuple[str, float]]]:
    """Group rows into each book's market, one row at a time."""
    markets: dict[tuple, list[tuple[str, float]]] = defaultdict(list)
    for quote_ts, event_id, bookmaker, outcome, decimal_odds in rows:
        markets[(quote_ts, event_id, bookmaker)].append((outcome, 1.0 / decimal_odds))
    return markets


def loop_multiplicative(implied: list[float]) -> list[float]:
    total = sum(implied)
    return [q / total for q in implied]


def loop_shin(implied: list[float]) -> list[float]:
    """Shin's fair probabilities by bisection on z, one market at a time."""
    booksum = sum(implied)
    low, high = -1.0, 1.0
    probs = implied
    for _ in range(100):
        z = (low + high) / 2
        probs = [(math.sqrt(z * z + 4 * (1 - z) * q * q / booksum) - z) / (2 * (1 - z)) for q in implied]
        excess = sum(probs) - 1.0
        if abs(excess) <= 1e-12:
            break
        low, high = (z, high) if excess > 0 else (low, z)
    total = sum(probs)
    return [p / total for p in probs]


def loop_devig(rows: list[tuple], method: Callable[[list[float]], list[float]]) -> dict[tuple, float]:
    """Fair probability per (quote_ts, event_id, bookmaker, outcome)."""
    fair = {}
    for key, quotes in loop_markets(rows).items():
        for (outcome, _), prob in zip(quotes, method([q for _, q in quotes]), strict=True):
            fair[(*key, outcome)] = prob
    return fair


def loop_consensus(rows: list[tuple], method: Callable[[list[float]], list[float]]) -> dict[tuple, float]:
    """Median fair probability across books per (quote_ts, event_id, outcome), renormalised."""
    by_outcome: dict[tuple, list[float]] = defaultdict(list)
    for (quote_ts, event_id, _, outcome), prob in loop_devig(rows, method).items():
        by_outcome[(quote_ts, event_id, outcome)].append(prob)
    medians = {key: statistics.median(probs) for key, probs in by_outcome.items()}
    event_sums: dict[tuple, float] = defaultdict(float)
    for (quote_ts, event_id, _), median in medians.items():
        event_sums[(quote_ts, event_id)] += median
    return {key: median / event_sums[key[:2]] for key, median in medians.items()}


# -- timing -------------------------------------------------------------------------------------


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    quotes = synthetic_quotes(args.rows, args.seed)
    rows = list(quotes.itertuples(index=False, name=None))
    n = len(quotes)
    n_markets, n_events = quotes.groupby(MARKET).ngroups, quotes["event_id"].nunique()
    print(f"{n:,} quote rows, {n_markets:,} book markets, {n_events:,} events")

    loop_methods = {"multiplicative": loop_multiplicative, "shin": loop_shin}
    tasks = []
    for method in ["multiplicative", "additive", "power", "shin", "odds_ratio"]:
        vector_s, fair = timed(lambda method=method: devig_frame(quotes, MARKET, method=method))
        loop_s = None
        if method in loop_methods:
            loop_s, looped = timed(lambda method=method: loop_devig(rows, loop_methods[method]))
            keys = zip(
                quotes["quote_ts"], quotes["event_id"], quotes["bookmaker"], quotes["outcome"], strict=True
            )
            assert np.allclose(fair.to_numpy(), [looped[key] for key in keys], atol=1e-9)
        tasks.append((f"devig {method}", vector_s, loop_s))
    for method in loop_methods:
        vector_s, consensus = timed(lambda method=method: consensus_fair_prob(quotes, method=method))
        loop_s, looped = timed(lambda method=method: loop_consensus(rows, loop_methods[method]))
        keys = zip(consensus["quote_ts"], consensus["event_id"], consensus["outcome"], strict=True)
        assert np.allclose(consensus["fair_prob"].to_numpy(), [looped[key] for key in keys], atol=1e-9)
        tasks.append((f"consensus {method}", vector_s, loop_s))
    vector_s, _ = timed(
        lambda: consensus_fair_prob(
            quotes.assign(source_ts=quotes["quote_ts"]),
            method="shin",
            book_weights={"pinnacle": 3.0},
            max_age=pd.Timedelta(minutes=30),
            outlier_z=3.5,
        )
    )
    tasks.append(("consensus shin, weighted, stale + outlier filters", vector_s, None))

    print(f"{'task':<52} {'vectorised rows/s':>18} {'python loop rows/s':>19} {'ratio':>7}")
    for name, vector_s, loop_s in tasks:
        loop_rate = f"{n / loop_s:>19,.0f}" if loop_s else f"{'-':>19}"
        ratio = f"{loop_s / vector_s:>6.1f}x" if loop_s else f"{'-':>7}"
        print(f"{name:<52} {n / vector_s:>18,.0f} {loop_rate} {ratio}")


if __name__ == "__main__":
    main()
