"""Paper trading over several seeds of realistic and planted worlds: ROI, closing-line value and
maximum drawdown of the paper trader's fills, with 95% intervals resampling events, side by side for
the ungated rule and the champion-gated signals, and the share of decisions each limit stopped.

    .venv/bin/python bench/paper_trading.py [--seeds 1 2 3] [--days 1] [--scenarios realistic planted]
                                            [--workers 2] [--home-root DIR] [--reuse]

Each world is a full `edge-assets demo --trading paper` (the whole Dagster pipeline; the trader
decides on every hourly signal at its hour, with the default risk limits, and fills on the
simulator's CLOB as of that hour). Its `signals` table is the champion-gated set once a champion
gates it (model_version set): the ungated rule is then recomputed from the same tables, over the
hours from the first gated signal on, and traded the same way (the `signal_trades` asset, on a copy
of the run's database, against a simulator of the same world) for the side-by-side. The copy keeps
the trading tables as of the first gated hour, so the replay starts from the book the gated run held
there (its open stake, cooldowns and order rate); both columns count the fills from that hour on.
Without a champion the rule ran alone and the two sets are the same trades.

ROI        sum of fill P&L (realised at the payout, else marked at the newest best bid, less the
           taker fee) over the sum of their cost (size x (price + fee))
CLV        mean closing-line value per fill (closing de-vigged consensus minus price plus fee)
max DD     the largest fall of the running P&L below its peak (from zero), fills in time order
intervals  2.5 and 97.5 percentiles over resamples of whole events (a game's fills move together)
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from signal_quality import ungated_rule_signals  # noqa: E402  (the bench folder's shared rule replay)

from edge_assets.signals.comparator import SIGNAL_COLUMNS, SignalRule  # noqa: E402
from edge_assets.storage.db import Warehouse  # noqa: E402
from edge_assets.storage.lake import Lake  # noqa: E402

BOOTSTRAP_SAMPLES = 2000
MODE = "paper"
TABLES = (
    "cost_models", "quotes", "consensus", "order_book_snapshots", "market_mappings", "polymarket_markets",
    "polymarket_resolutions", "signals", "executions",
)  # fmt: skip
# What the gated run's trader had decided and held before its first gated hour (`:since`): the
# ungated replay starts from this book, so the pre-gate stake, cooldowns and order rate bind both
# columns alike. Fills are made at placement (FOK), so cutting orders and fills by time agrees.
PRE_GATE_CUTS = (
    "DELETE FROM executions WHERE decided_at >= :since",
    "DELETE FROM fills WHERE filled_at >= :since",
    "DELETE FROM orders WHERE created_at >= :since",
    "DELETE FROM signals WHERE created_at >= :since",
    "DELETE FROM trading_locks",
)


def _run_demo(days: int, seed: int, scenario: str, home: Path) -> None:
    from edge_assets.demo import DemoOptions, run_demo

    options = DemoOptions(days=days, seed=seed, scenario=scenario, home=home, trading=MODE)
    summary = run_demo(options, log=lambda _: None)
    if summary["failed_runs"]:
        raise RuntimeError(f"demo runs failed: {summary['failed_runs']}")


def read_tables(home: Path) -> dict[str, pd.DataFrame]:
    warehouse = Warehouse(url=f"sqlite:///{home / 'edge.db'}")
    return {name: warehouse.read_frame(f"SELECT * FROM {name}") for name in TABLES}


def pre_gate_book(warehouse: Warehouse, since: pd.Timestamp) -> None:
    """Cut a copy of a demo's database back to its trading tables as of `since`: the rows decided
    before it stay, and each position is rebuilt from the fills kept by the trader's own rule, its
    mark dropped when taken at or after `since` (it would show the replay a price from its future;
    the replay's trader marks each token again as it decides on it)."""
    from edge_assets.trading.store import TradingStore

    bound = {"since": since.to_pydatetime()}
    for statement in PRE_GATE_CUTS:
        warehouse.execute(statement, bound)
    warehouse.execute(
        "UPDATE positions SET mark_price = NULL, marked_at = NULL WHERE marked_at >= :since", bound
    )
    warehouse.execute(
        "DELETE FROM positions WHERE NOT EXISTS "
        "(SELECT 1 FROM fills f WHERE f.mode = positions.mode AND f.pm_token_id = positions.pm_token_id)"
    )
    store = TradingStore(warehouse)
    for (mode, token), rows in warehouse.read_frame("SELECT * FROM fills").groupby(["mode", "pm_token_id"]):
        store.record_fills(rows.to_dict("records"), str(mode), str(token), since.to_pydatetime())


def trade_ungated(
    home: Path, seed: int, scenario: str, days: int, signals: pd.DataFrame, since: pd.Timestamp
) -> Path:
    """Paper-trade `signals` (the ungated rule's, from `since` on) as the demo traded its own, on a
    copy of its database holding the book the demo held at `since`, against a simulator of the same
    world; return the copy's home."""
    import dagster as dg

    from edge_assets.defs.partitions import HOURLY_KEY_FORMAT
    from edge_assets.defs.trading.assets import settled_fills, signal_trades
    from edge_assets.environment import Environment
    from edge_assets.simulator import World
    from edge_assets.simulator.faults import Faults
    from edge_assets.simulator.server import start_server
    from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager

    copy = home / "ungated"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    shutil.copy(home / "edge.db", copy / "edge.db")
    warehouse = Warehouse(url=f"sqlite:///{copy / 'edge.db'}")
    pre_gate_book(warehouse, since)
    warehouse.upsert("signals", signals[SIGNAL_COLUMNS], ["signal_id"])
    server = start_server(World(seed, scenario, days=days + 1), Faults(seed=seed))
    try:
        env = Environment.from_env(
            {"EDGE_ENV": "local", "EDGE_HOME": str(copy), "EDGE_SIMULATOR_URL": server.url,
             "EDGE_TRADING_MODE": MODE}
        )  # fmt: skip
        lake = Lake(url=str(copy / "lake"))
        resources = {
            "warehouse": warehouse,
            "io_manager": WarehouseIOManager(warehouse=warehouse),
            "lake_io_manager": LakeIOManager(lake=lake),
            "trading": dg.ResourceDefinition.hardcoded_resource(env.trading_config_as_of),
        }
        sources = [dg.SourceAsset(name) for name in ("market_mappings", "polymarket_markets")]
        hours = pd.to_datetime(signals["created_at"], utc=True)
        tags = {
            "dagster/asset_partition_range_start": hours.min().strftime(HOURLY_KEY_FORMAT),
            "dagster/asset_partition_range_end": hours.max().strftime(HOURLY_KEY_FORMAT),
        }
        assert dg.materialize([signal_trades, *sources], resources=resources, tags=tags).success
        sources.append(dg.SourceAsset("polymarket_resolutions"))
        assert dg.materialize([settled_fills, *sources], resources=resources).success
    finally:
        server.shutdown()
    return copy


def traded(home: Path, world: str, mappings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(settled fills with their event, decisions) of a demo home's paper trader."""
    fills = Lake(url=str(home / "lake")).read_asset(["settled_fills"])
    fills = fills[fills["mode"] == MODE]
    events = mappings.drop_duplicates("pm_token_id").set_index("pm_token_id")["event_id"]
    fills = fills.assign(event=world + ":" + fills["pm_token_id"].map(events).fillna(fills["pm_market_id"]))
    decisions = Warehouse(url=f"sqlite:///{home / 'edge.db'}").read_frame(
        "SELECT COALESCE(stopped_by, status) AS outcome FROM executions WHERE mode = :mode", {"mode": MODE}
    )
    return fills, decisions


def figures(fills: pd.DataFrame) -> dict[str, float]:
    """ROI, mean CLV and maximum drawdown of `fills` (settled fills)."""
    if fills.empty:
        return {"roi": float("nan"), "clv": float("nan"), "max_dd": float("nan")}
    pnl = fills["realised_pnl"] + fills["mtm_pnl"]
    cost = (fills["size"] * fills["effective_price"]).sum()
    running = pnl.to_numpy()[np.argsort(pd.to_datetime(fills["filled_at"], utc=True).to_numpy())].cumsum()
    peak = np.maximum.accumulate(np.maximum(running, 0.0))
    return {
        "roi": float(pnl.sum() / cost) if cost else float("nan"),
        "clv": float(fills["clv"].mean()),
        "max_dd": float((peak - running).max()),
    }


def bootstrap(fills: pd.DataFrame, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95% intervals of `figures`, resampling whole events."""
    events = fills["event"].unique()
    if len(events) < 2:
        return {name: (float("nan"), float("nan")) for name in ("roi", "clv", "max_dd")}
    by_event = {event: rows for event, rows in fills.groupby("event")}
    rng = np.random.default_rng(seed)
    samples = [
        figures(pd.concat([by_event[event] for event in rng.choice(events, len(events))]))
        for _ in range(BOOTSTRAP_SAMPLES)
    ]
    frame = pd.DataFrame(samples)
    return {name: tuple(np.nanpercentile(frame[name], [2.5, 97.5])) for name in frame}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--scenarios", nargs="+", default=["realistic", "planted"])
    parser.add_argument("--workers", type=int, default=2, help="demos run side by side")
    parser.add_argument("--home-root", type=Path, default=None, help="keep the demo homes here")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the demo homes under --home-root that have traded"
    )
    args = parser.parse_args()
    root = args.home_root or Path(tempfile.mkdtemp(prefix="paper_trading_"))
    started = time.monotonic()
    worlds = [
        (scenario, seed, root / f"{scenario}-{seed}") for scenario in args.scenarios for seed in args.seeds
    ]
    context = multiprocessing.get_context("spawn")
    # A fresh process per demo: the demo sets environment variables and a Dagster instance.
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=context, max_tasks_per_child=1) as pool:
        pending = [
            pool.submit(_run_demo, args.days, seed, scenario, home)
            for scenario, seed, home in worlds
            if not (args.reuse and (home / "lake" / "assets" / "pnl_daily.parquet").exists())
        ]
        for future in pending:
            future.result()
    print(f"{len(worlds)} paper demos of {args.days}-day worlds in {time.monotonic() - started:.0f} s")
    rule = SignalRule()
    for scenario in args.scenarios:
        sets: dict[str, list[pd.DataFrame]] = {"ungated rule": [], "champion-gated": []}
        decisions: list[pd.DataFrame] = []
        gated_worlds = 0
        for seed in args.seeds:
            home = root / f"{scenario}-{seed}"
            tables = read_tables(home)
            world = f"{scenario}-{seed}"
            fills, decided = traded(home, world, tables["market_mappings"])
            decisions.append(decided)
            signals = tables["signals"]
            if signals["model_version"].notna().any():
                gated_worlds += 1
                since = pd.to_datetime(
                    signals.loc[signals["model_version"].notna(), "created_at"], utc=True
                ).min()
                ungated = ungated_rule_signals(tables, rule)
                ungated = ungated[pd.to_datetime(ungated["created_at"], utc=True) >= since]
                copy = trade_ungated(home, seed, scenario, args.days, ungated, since)
                replayed = traded(copy, world, tables["market_mappings"])[0]
                sets["ungated rule"].append(
                    replayed[pd.to_datetime(replayed["filled_at"], utc=True) >= since]
                )
                sets["champion-gated"].append(fills[pd.to_datetime(fills["filled_at"], utc=True) >= since])
            else:
                sets["ungated rule"].append(fills)
            print(f"  {world}: {len(signals)} signals, {len(decided)} decisions, {len(fills)} fills")
        print()
        print(f"{scenario}: {len(args.seeds)} worlds, {gated_worlds} with a champion gating its signals")
        header = "  ".join(f"{title:>26s}" for title in ("ROI [95%]", "CLV [95%]", "max DD USDC [95%]"))
        print(f"  {'set':15s} {'fills':>5s} {'events':>6s}  {header}")
        for name, frames in sets.items():
            if not frames:
                print(f"  {name:15s} none: no champion gated these worlds' signals (the rule ran alone)")
                continue
            pooled = pd.concat(frames, ignore_index=True)
            point, interval = figures(pooled), bootstrap(pooled)
            cells = [
                f"{point[key]:+8.4f} [{interval[key][0]:+.4f}, {interval[key][1]:+.4f}]"
                for key in ("roi", "clv", "max_dd")
            ]
            print(
                f"  {name:15s} {len(pooled):5d} {pooled['event'].nunique():6d}  "
                + "  ".join(f"{c:>26s}" for c in cells)
            )
        outcomes = pd.concat(decisions)["outcome"].value_counts()
        shares = ", ".join(f"{outcome} {count / outcomes.sum():.1%}" for outcome, count in outcomes.items())
        print(f"  decisions ({outcomes.sum()}) by what stopped them, else their status: {shares}")
        print()


if __name__ == "__main__":
    main()
