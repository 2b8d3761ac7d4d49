"""`edge-assets match`: map saved Gamma markets onto saved Odds API events, one CSV row per token.

Pure: reads two JSON files, runs the resolver and the sanity guard, writes CSV. The sanity guard
compares each market's Gamma `outcomePrices` with the de-vigged consensus of the events' books.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from edge_assets.mapping.aliases import load_team_aliases
from edge_assets.mapping.guard import DEFAULT_MAX_GAP, flag_suspect
from edge_assets.mapping.markets import DEFAULT_START_TOLERANCE, map_markets
from edge_assets.pricing.consensus import consensus_fair_prob
from edge_assets.sources.oddsapi import parse_odds_events
from edge_assets.sources.polymarket import parse_gamma_markets

MATCH_COLUMNS = [
    "pm_market_id",
    "pm_token_id",
    "pm_outcome",
    "event_id",
    "sportsbook_outcome",
    "confidence",
    "status",
    "reason",
]
EVENT_COLUMNS = ["event_id", "sport_key", "commence_ts", "home_team", "away_team"]


def add_match_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `edge-assets match`."""
    parser.add_argument("--polymarket", type=Path, required=True, help="JSON list of Gamma /markets objects")
    parser.add_argument(
        "--oddsapi", type=Path, required=True, help="JSON list of Odds API /v4/sports/{sport}/odds events"
    )
    parser.add_argument("--out", type=Path, help="CSV file to write (default: stdout)")
    parser.add_argument(
        "--odds-format",
        choices=["auto", "american", "decimal"],
        default="auto",
        help="price format of the Odds API file; auto reads all-integer prices of 100 or more as American",
    )
    parser.add_argument(
        "--tolerance-hours",
        type=float,
        default=DEFAULT_START_TOLERANCE.total_seconds() / 3600,
        help="largest start-time difference for a match",
    )
    parser.add_argument(
        "--max-gap",
        type=float,
        default=DEFAULT_MAX_GAP,
        help="Polymarket vs consensus probability gap above which a mapping is suspect",
    )


# The keys that tell one payload from another: a file without them is the wrong file.
GAMMA_MARKET_KEYS = ("id", "question", "clobTokenIds")
ODDS_EVENT_KEYS = ("id", "commence_time", "home_team", "away_team", "bookmakers")


def _read_list(path: Path, what: str, keys: tuple[str, ...]) -> list[Any]:
    """The JSON list of `what` objects in `path`, each carrying `keys`; a ValueError naming the file
    and the first object that is not one of them otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(data, list):
        raise ValueError(f"{path} is not a JSON list of {what}")
    for index, item in enumerate(data):
        missing = [key for key in keys if not isinstance(item, dict) or key not in item]
        if missing:
            raise ValueError(
                f"{path}: item {index} is not one of the {what} (it lacks {', '.join(missing)}); "
                "check that the file is the right one"
            )
    return data


def _odds_format(events: list[Any]) -> str:
    """American when every price is an integer of magnitude 100 or more, else decimal."""
    prices = [
        outcome.get("price")
        for event in events
        if isinstance(event, dict)
        for book in event.get("bookmakers") or []
        if isinstance(book, dict)
        for market in book.get("markets") or []
        if isinstance(market, dict)
        for outcome in market.get("outcomes") or []
        if isinstance(outcome, dict)
    ]
    numbers = [p for p in prices if isinstance(p, int | float)]
    american = bool(numbers) and all(float(p).is_integer() and abs(p) >= 100 for p in numbers)
    return "american" if american else "decimal"


def _polymarket_prices(markets: pd.DataFrame) -> pd.DataFrame:
    """pm_token_id and pm_price from each market's Gamma outcomePrices."""
    rows = [
        (token, float(price))
        for tokens, prices in zip(markets["clob_token_ids"], markets["outcome_prices"], strict=True)
        if isinstance(prices, str)
        for token, price in zip(json.loads(tokens), json.loads(prices), strict=True)
    ]
    return pd.DataFrame(rows, columns=["pm_token_id", "pm_price"])


def match_frame(
    gamma_records: list[Any],
    odds_events: list[Any],
    odds_format: str = "auto",
    start_tolerance: timedelta = DEFAULT_START_TOLERANCE,
    max_gap: float = DEFAULT_MAX_GAP,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The `match` rows (MATCH_COLUMNS) for raw Gamma market records and raw Odds API events."""
    now = now or datetime.now(UTC)
    markets = parse_gamma_markets(gamma_records, now).frame
    odds_format = _odds_format(odds_events) if odds_format == "auto" else odds_format
    odds = parse_odds_events(odds_events, now, now, odds_format).frame  # type: ignore[arg-type]
    events = odds[EVENT_COLUMNS].drop_duplicates("event_id")
    mappings = map_markets(
        markets, events, load_team_aliases(), start_tolerance=start_tolerance, mapped_at=now
    )
    quotes = odds.rename(columns={"snapshot_ts": "quote_ts"})
    consensus = consensus_fair_prob(quotes)
    checked = flag_suspect(mappings, _polymarket_prices(markets), consensus, max_gap=max_gap)
    return checked[MATCH_COLUMNS]


def run_match(args: argparse.Namespace) -> int:
    """Run `edge-assets match`; 0 on success, 2 when an input cannot be read."""
    try:
        gamma = _read_list(args.polymarket, "Gamma market objects", GAMMA_MARKET_KEYS)
        odds = _read_list(args.oddsapi, "Odds API event objects", ODDS_EVENT_KEYS)
    except (OSError, ValueError) as error:
        print(f"edge-assets match: {error}", file=sys.stderr)
        return 2
    frame = match_frame(
        gamma,
        odds,
        odds_format=args.odds_format,
        start_tolerance=timedelta(hours=args.tolerance_hours),
        max_gap=args.max_gap,
    )
    if args.out is None:
        frame.to_csv(sys.stdout, index=False)
        return 0
    try:
        frame.to_csv(args.out, index=False)
    except OSError as error:
        print(
            f"edge-assets match: --out {args.out} cannot be written ({error.strerror or error}); "
            "choose a file in an existing, writable folder",
            file=sys.stderr,
        )
        return 2
    counts = frame["status"].value_counts().to_dict()
    print(f"wrote {len(frame)} token(s) to {args.out}: {counts}", file=sys.stderr)
    return 0
