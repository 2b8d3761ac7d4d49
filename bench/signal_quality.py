"""Quality of the signals over several seeds: planted recall and precision, null false alarms,
realistic precision and ROI, each measured on a full demo run (the whole Dagster pipeline).

    .venv/bin/python bench/signal_quality.py [--seeds 1 2 3] [--days 3] [--scenarios planted null realistic]

planted    a signal is a hit when its token and created_at fall in a planted window; a window is
           actionable when, at some hourly snapshot inside it, buying the rule's stake walks the
           simulator's book to an EV after costs (fee, and the run's fill probability, as the
           signals asset prices it), against the true probability, of at least the rule's
           minimum, with the rule's minimum size at the best ask.
           precision = hit signals / signals, recall = actionable windows hit / actionable windows
null       signals per 1000 mapped market-hours (hours a mapped Polymarket market was quoted)
realistic  precision = share of signals with positive EV after fees against the true probability;
           ROI = mean payout / (VWAP + fee) - 1 over resolved signals at one unit each, with a 95%
           bootstrap interval resampling events (signals of one game are not independent).
           The signals table is model-gated once a champion gates it (model_version set); the
           ungated rule is then recomputed from the same tables, and both are compared over the
           hours from the first gated signal on. The walk-forward
           holdout of a model trained on the run's own history is shown beside it, and its
           backtest: the rule's holdout signals, ungated and kept by the learnt threshold, with
           precision (held against the close), mean CLV and ROI, intervals resampling events.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from edge_assets.features import HISTORY_HOURS, book_depth, build_features
from edge_assets.modeling.evaluation import evaluate_walk_forward
from edge_assets.modeling.labels import closing_consensus, entry_costs, label_edges
from edge_assets.modeling.training import InsufficientTrainingData, build_training_set
from edge_assets.pricing import ev_after_costs, fee_per_share, walk_book
from edge_assets.signals.comparator import SignalRule, find_signals, priced_asks
from edge_assets.simulator import World
from edge_assets.storage.db import Warehouse

TABLES = (
    "cost_models",
    "quotes",
    "consensus",
    "order_book_snapshots",
    "market_mappings",
    "polymarket_markets",
    "polymarket_resolutions",
    "signals",
)
BOOTSTRAP_SAMPLES = 2000
HOLDOUT_FIGURES = (
    "auc", "brier", "gate_threshold", "ungated_signals", "gated_signals", "ungated_clv", "gated_clv",
    "ungated_precision", "gated_precision",
)  # fmt: skip


def run_demo_isolated(days: int, seed: int, scenario: str, home: Path) -> None:
    """One demo in a fresh process: the demo sets environment variables and a Dagster instance."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(_run_demo, days, seed, scenario, home).result()


def _run_demo(days: int, seed: int, scenario: str, home: Path) -> None:
    from edge_assets.demo import DemoOptions, run_demo

    summary = run_demo(DemoOptions(days=days, seed=seed, scenario=scenario, home=home), log=lambda _: None)
    if summary["failed_runs"]:
        raise RuntimeError(f"demo runs failed: {summary['failed_runs']}")


def read_tables(home: Path) -> dict[str, pd.DataFrame]:
    warehouse = Warehouse(url=f"sqlite:///{home / 'edge.db'}")
    return {name: warehouse.read_frame(f"SELECT * FROM {name}") for name in TABLES}


def venue_fill_prob(tables: dict[str, pd.DataFrame]) -> float:
    """The run's Polymarket fill probability, the same cost the signals asset scales EV by."""
    costs = tables["cost_models"].query("venue == 'polymarket'")["fill_prob"]
    return float(costs.iloc[0]) if len(costs) else 0.0


def ungated_rule_signals(tables: dict[str, pd.DataFrame], rule: SignalRule) -> pd.DataFrame:
    """The comparator's rule alone over every hour of the run, with the run's fill probability."""
    books = tables["order_book_snapshots"]
    priced = priced_asks(
        tables["quotes"], tables["consensus"], tables["market_mappings"], tables["polymarket_markets"]
    )
    return find_signals(
        priced, books[books["side"] == "ask"], rule, datetime.now(UTC), fill_prob=venue_fill_prob(tables)
    )


def mapped_market_hours(tables: dict[str, pd.DataFrame]) -> int:
    quotes = tables["quotes"]
    asks = quotes[(quotes["venue"] == "polymarket") & (quotes["side"] == "ask")]
    mapped = tables["market_mappings"].query("status == 'mapped'")[["pm_token_id", "pm_market_id"]]
    hours = asks.merge(mapped, left_on="market_key", right_on="pm_token_id")[["pm_market_id", "quote_ts"]]
    return len(hours.drop_duplicates())


def actionable_windows(
    world: World, windows: pd.DataFrame, hours: pd.DatetimeIndex, rule: SignalRule, fill_prob: float
) -> pd.Series:
    """Per planted window, whether the rule's stake could be bought at it with EV >= min_ev (see top)."""
    actionable = []
    for window in windows.itertuples():
        market, token_index = world.token(window.pm_token_id)
        inside = hours[(hours >= window.start_ts) & (hours < window.end_ts)]
        actionable.append(
            any(
                _actionable_at(world, market, token_index, window.pm_token_id, ts, rule, fill_prob)
                for ts in inside
            )
        )
    return pd.Series(actionable, index=windows.index, dtype=bool)


def _actionable_at(
    world: World, market, token_index: int, token: str, ts: pd.Timestamp, rule: SignalRule, fill_prob: float
) -> bool:
    _, asks = world.book_levels(market, token_index, int(ts.timestamp() // 60))
    if not asks or asks[0][1] < rule.min_size:
        return False
    fill = walk_book([(mills / 1000, size) for mills, size in asks], rule.stake)
    if not fill.filled:
        return False
    fee = fee_per_share(fill.vwap, market.fee_rate, 1.0)
    true_ev = ev_after_costs(world.true_prob(token, ts.to_pydatetime()), fill.vwap, fee, fill_prob)
    return true_ev >= rule.min_ev


def planted_figures(tables, home: Path, seed: int, days: int, rule: SignalRule) -> dict:
    windows = pd.read_csv(
        home / "ground_truth" / "planted_edges.csv", dtype={"pm_token_id": str, "pm_market_id": str}
    )
    windows["start_ts"] = pd.to_datetime(windows["start_ts"], utc=True)
    windows["end_ts"] = pd.to_datetime(windows["end_ts"], utc=True)
    hours = pd.DatetimeIndex(tables["quotes"]["quote_ts"].unique())
    world = World(seed, "planted", days + 1)
    windows["actionable"] = actionable_windows(world, windows, hours, rule, venue_fill_prob(tables))
    signals = tables["signals"]
    hits = signals.merge(windows.reset_index(names="window"), on="pm_token_id")
    hits = hits[(hits["created_at"] >= hits["start_ts"]) & (hits["created_at"] < hits["end_ts"])]
    windows["hit"] = windows.index.isin(hits["window"])
    actionable = windows[windows["actionable"]]
    return {
        "signals": len(signals),
        "hit_signals": hits["signal_id"].nunique(),
        "windows": len(windows),
        "actionable": len(actionable),
        "actionable_hit": int(actionable["hit"].sum()),
    }


def truth_and_returns(signals: pd.DataFrame, tables, world: World) -> pd.DataFrame:
    """Signals with their EV against the truth and their realised return per unit staked."""
    # Signals priced before the book was walked (no vwap) cost their best ask.
    price = pd.to_numeric(signals["vwap"]).fillna(signals["pm_price"])
    cost = price + signals["fee"]
    truth = [
        world.true_prob(token, ts.to_pydatetime())
        for token, ts in zip(signals["pm_token_id"], signals["created_at"], strict=True)
    ]
    payouts = tables["polymarket_resolutions"].set_index("token_id")["payout"]
    return signals.assign(
        true_ev=np.asarray(truth, dtype=float) / cost - 1.0,
        realized_return=signals["pm_token_id"].map(payouts) / cost - 1.0,
    )[["event_id", "true_ev", "realized_return"]]


def holdout_figures(tables, rule: SignalRule) -> dict:
    """Train on the run's own history and return the walk-forward holdout's gated/ungated figures."""
    hours = pd.DatetimeIndex(sorted(tables["quotes"]["quote_ts"].unique()))[HISTORY_HOURS:]
    features = build_features(
        tables["quotes"], tables["consensus"], book_depth(tables["order_book_snapshots"]),
        tables["market_mappings"], tables["polymarket_markets"], hours,
    )  # fmt: skip
    closing = closing_consensus(tables["consensus"], tables["market_mappings"], tables["polymarket_markets"])
    costs = entry_costs(tables["order_book_snapshots"], tables["polymarket_markets"], rule.stake)
    labels = label_edges(
        features[["quote_ts", "pm_token_id"]], closing, tables["polymarket_resolutions"], costs
    )
    training = build_training_set(features, labels, ungated_rule_signals(tables, rule))
    try:
        report = evaluate_walk_forward(training, n_folds=3)
    except InsufficientTrainingData as exc:  # e.g. one class only in a short run
        return {"error": str(exc)}
    rows = report.holdout_rows
    backtested = rows.loc[
        rows["rule_fired"], ["event_id", "edge_valid", "closing_ev", "realized_return", "gated"]
    ]
    return {
        **{key: report.holdout[key] for key in HOLDOUT_FIGURES},
        "beats_rule": report.beats_rule,
        "signals": backtested,
    }


def holdout_summary(holdout: dict) -> dict:
    """The holdout's figures without its backtested rows."""
    return {key: value for key, value in holdout.items() if key != "signals"}


def bootstrap_mean(values: pd.Series, groups: pd.Series, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean of `values`, resampling whole groups."""
    frame = pd.DataFrame({"value": values.to_numpy(), "group": groups.to_numpy()}).dropna()
    if frame.empty:
        return float("nan"), float("nan")
    sums = frame.groupby("group")["value"].agg(["sum", "count"])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sums), (BOOTSTRAP_SAMPLES, len(sums)))
    means = sums["sum"].to_numpy()[picks].sum(axis=1) / sums["count"].to_numpy()[picks].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--scenarios", nargs="+", default=["planted", "null", "realistic"])
    parser.add_argument("--home-root", type=Path, default=None, help="keep the demo homes here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure demo homes already under --home-root instead of rerunning",
    )
    args = parser.parse_args()
    rule = SignalRule()
    root = args.home_root or Path(tempfile.mkdtemp(prefix="signal_quality_"))
    planted, null, realistic = [], [], []
    started = time.monotonic()
    for scenario in args.scenarios:
        for seed in args.seeds:
            home = root / f"{scenario}-{seed}"
            run_start = time.monotonic()
            if not (args.reuse and (home / "summary.json").exists()):
                run_demo_isolated(args.days, seed, scenario, home)
            tables = read_tables(home)
            signals = tables["signals"]
            print(
                f"{scenario:9s} seed {seed}: demo {time.monotonic() - run_start:.0f} s,"
                f" {len(signals)} signals"
            )
            if scenario == "planted":
                planted.append(planted_figures(tables, home, seed, args.days, rule))
                print(f"          {planted[-1]}")
            elif scenario == "null":
                null.append({"signals": len(signals), "market_hours": mapped_market_hours(tables)})
            else:
                world = World(seed, "realistic", args.days + 1)
                gated = signals["model_version"].notna().any()
                ungated = ungated_rule_signals(tables, rule) if gated else signals
                if gated:  # compare over the hours the champion gated, from its first signal on
                    since = signals.loc[signals["model_version"].notna(), "created_at"].min()
                    signals = signals[signals["created_at"] >= since]
                    ungated = ungated[ungated["created_at"] >= since]
                realistic.append(
                    {
                        "seed": seed,
                        "gated": gated,
                        "table": truth_and_returns(signals, tables, world).assign(seed=seed),
                        "ungated": truth_and_returns(ungated, tables, world).assign(seed=seed),
                        "holdout": holdout_figures(tables, rule),
                    }
                )
                print(f"          walk-forward holdout: {holdout_summary(realistic[-1]['holdout'])}")
    print()
    print(
        f"signal quality over seeds {args.seeds}, {args.days}-day worlds ({time.monotonic() - started:.0f} s)"
    )
    if planted:
        totals = pd.DataFrame(planted).sum()
        precision = totals["hit_signals"] / totals["signals"] if totals["signals"] else float("nan")
        recall = totals["actionable_hit"] / totals["actionable"] if totals["actionable"] else float("nan")
        print(f"  planted   precision {precision:.3f} ({totals['hit_signals']}/{totals['signals']} signals)"
              f"  recall {recall:.3f} ({totals['actionable_hit']}/{totals['actionable']} actionable windows"
              f" of {totals['windows']})")  # fmt: skip
    if null:
        totals = pd.DataFrame(null).sum()
        rate = 1000 * totals["signals"] / totals["market_hours"]
        print(
            f"  null      {rate:.2f} signals per 1000 market-hours"
            f" ({totals['signals']} in {totals['market_hours']})"
        )
    if realistic:
        _print_realistic(realistic)


def _print_realistic(runs: list[dict]) -> None:
    gated = any(run["gated"] for run in runs)
    sets = {"ungated rule": pd.concat([run["ungated"] for run in runs])}
    if gated:
        sets["model-gated"] = pd.concat([run["table"] for run in runs])
    else:
        print("  realistic (no champion gated the signals table: the rule ran alone)")
    for name, frame in sets.items():
        groups = frame["seed"].astype(str) + ":" + frame["event_id"].astype(str)
        low, high = bootstrap_mean(frame["realized_return"], groups)
        resolved = frame["realized_return"].dropna()
        precision = (frame["true_ev"] > 0).mean()
        print(
            f"  realistic {name}: {len(frame)} signals, precision {precision:.3f}, ROI {resolved.mean():+.3f}"
            f" [95% CI {low:+.3f}, {high:+.3f}] over {len(resolved)} resolved"
        )
    trained = [run for run in runs if "error" not in run["holdout"]]
    if trained:
        backtested = pd.concat([run["holdout"]["signals"].assign(seed=run["seed"]) for run in trained])
        groups = backtested["seed"].astype(str) + ":" + backtested["event_id"].astype(str)
        everything = np.ones(len(backtested), dtype=bool)
        for name, taken in (("ungated rule", everything), ("gated", backtested["gated"].to_numpy())):
            chosen, chosen_groups = backtested[taken], groups[taken]
            roi_low, roi_high = bootstrap_mean(chosen["realized_return"], chosen_groups)
            clv_low, clv_high = bootstrap_mean(chosen["closing_ev"], chosen_groups)
            print(
                f"  holdout backtest, {name}: {len(chosen)} signals,"
                f" precision {chosen['edge_valid'].mean():.3f},"
                f" CLV {chosen['closing_ev'].mean():+.4f} [95% CI {clv_low:+.4f}, {clv_high:+.4f}],"
                f" ROI {chosen['realized_return'].mean():+.3f} [95% CI {roi_low:+.3f}, {roi_high:+.3f}]"
                f" over {chosen['realized_return'].notna().sum()} resolved"
            )
        holdouts = pd.DataFrame([holdout_summary(run["holdout"]) for run in trained])
        sums = holdouts[["ungated_signals", "gated_signals"]].sum()
        mean = holdouts.mean(numeric_only=True)
        print(
            f"  walk-forward holdout (per seed mean): AUC {mean['auc']:.3f}, Brier {mean['brier']:.3f};"
            f" signals ungated {sums['ungated_signals']:.0f}, gated {sums['gated_signals']:.0f}"
            f" (threshold {mean['gate_threshold']:.3f}); CLV ungated {mean['ungated_clv']:+.4f},"
            f" gated {mean['gated_clv']:+.4f}; precision ungated {mean['ungated_precision']:.3f},"
            f" gated {mean['gated_precision']:.3f};"
            f" the gate beats the rule in {int(holdouts['beats_rule'].sum())} of {len(holdouts)} seeds"
        )


if __name__ == "__main__":
    main()
