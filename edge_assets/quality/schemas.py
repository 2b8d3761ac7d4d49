"""Pandera schemas of the raw and canonical tables: types, ranges, keys, no future timestamps.

Built per validation because "not in the future" depends on when the check runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pandera.pandas as pa

from edge_assets.trading.limits import TradingMode

# Clocks differ a little between venues and us; a timestamp this far ahead is still "now".
CLOCK_SKEW = timedelta(minutes=5)
UTC_TS = pd.DatetimeTZDtype(tz="UTC")


def _past(now: datetime, *, nullable: bool = False) -> pa.Column:
    limit = pd.Timestamp(now + CLOCK_SKEW)
    return pa.Column(
        UTC_TS, pa.Check.le(limit, error="timestamp in the future"), nullable=nullable, coerce=True
    )


def _any_time(*, nullable: bool = True) -> pa.Column:
    return pa.Column(UTC_TS, nullable=nullable, coerce=True)


def _prob(*, nullable: bool = False, closed: bool = True) -> pa.Column:
    check = pa.Check.in_range(0.0, 1.0) if closed else pa.Check.in_range(0.0, 1.0, False, False)
    return pa.Column(float, check, nullable=nullable, coerce=True)


def _text(*, nullable: bool = False, isin: list[str] | None = None) -> pa.Column:
    checks = [pa.Check.isin(isin)] if isin else []
    return pa.Column(str, checks, nullable=nullable, coerce=not nullable)


def _odds() -> pa.Column:
    return pa.Column(float, pa.Check.gt(1.0, error="decimal odds must exceed 1"), coerce=True)


def _nonneg(*, nullable: bool = True) -> pa.Column:
    return pa.Column(float, pa.Check.ge(0.0), nullable=nullable, coerce=True)


def table_schemas(now: datetime | None = None) -> dict[str, pa.DataFrameSchema]:
    """Schema per table name, judged as of `now` (default: the wall clock)."""
    now = now or datetime.now(UTC)
    return {
        "polymarket_markets": pa.DataFrameSchema(
            {
                "market_id": _text(),
                "question": _text(),
                "game_start_ts": _any_time(),
                "active": pa.Column(bool, coerce=True),
                "closed": pa.Column(bool, coerce=True),
                "outcomes": _text(),
                "clob_token_ids": _text(),
                "best_bid": _prob(nullable=True),
                "best_ask": _prob(nullable=True),
                "fee_rate": pa.Column(float, pa.Check.in_range(0.0, 0.25), nullable=True, coerce=True),
                "fetched_at": _past(now),
            },
            unique=["market_id"],
            name="polymarket_markets",
        ),
        "polymarket_resolutions": pa.DataFrameSchema(
            {
                "token_id": _text(),
                "market_id": _text(),
                "payout": pa.Column(float, pa.Check.isin([0.0, 1.0]), coerce=True),
                "fetched_at": _past(now),
            },
            unique=["token_id"],
            name="polymarket_resolutions",
        ),
        "order_book_snapshots": _book_schema("order_book_snapshots", now),
        "order_book_rechecks": _book_schema("order_book_rechecks", now),
        "oddsapi_live_odds": _odds_schema(
            "oddsapi_live_odds", now, ["snapshot_ts", "event_id", "bookmaker", "outcome"]
        ),
        "oddsapi_historical_odds": _odds_schema(
            "oddsapi_historical_odds", now, ["partition_ts", "event_id", "bookmaker", "outcome"]
        ),
        "oddsapi_scores": pa.DataFrameSchema(
            {
                "event_id": _text(),
                "sport_key": _text(),
                "commence_ts": _any_time(nullable=False),
                "completed": pa.Column(bool, coerce=True),
                "home_score": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
                "away_score": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
                "last_update_ts": _past(now, nullable=True),
                "fetched_at": _past(now),
            },
            unique=["event_id"],
            name="oddsapi_scores",
        ),
        "predictit_market_data": pa.DataFrameSchema(
            {
                "data_id": _text(),
                "timestamp": _past(now),
                "market_id": _text(),
                "contract_name": _text(),
                "last_trade_price": _prob(nullable=True),
                "best_buy_yes_cost": _prob(nullable=True),
                "best_buy_no_cost": _prob(nullable=True),
                "best_sell_yes_cost": _prob(nullable=True),
                "best_sell_no_cost": _prob(nullable=True),
                "fetched_at": _past(now),
            },
            unique=["data_id", "timestamp"],
            name="predictit_market_data",
        ),
        "team_aliases": pa.DataFrameSchema(
            {"league": _text(), "alias": _text(), "team": _text(), "source": _text()},
            unique=["league", "alias"],
            name="team_aliases",
        ),
        "market_mappings": pa.DataFrameSchema(
            {
                "pm_token_id": _text(),
                "pm_market_id": _text(),
                "confidence": _prob(),
                "status": _text(isin=["mapped", "ambiguous", "unmapped", "suspect"]),
                "mapped_at": _past(now),
            },
            unique=["pm_token_id"],
            name="market_mappings",
        ),
        "quotes": pa.DataFrameSchema(
            {
                "quote_ts": _past(now),
                "venue": _text(isin=["oddsapi", "polymarket", "predictit"]),
                "bookmaker": _text(),
                "market_key": _text(),
                "outcome": _text(),
                "side": _text(isin=["back", "ask", "bid"]),
                "decimal_odds": _odds(),
                "implied_prob": _prob(closed=False),
                "size": _nonneg(),
                "source_ts": _past(now, nullable=True),
            },
            unique=["quote_ts", "venue", "bookmaker", "market_key", "outcome", "side"],
            name="quotes",
        ),
        "consensus": pa.DataFrameSchema(
            {
                "quote_ts": _past(now),
                "event_id": _text(),
                "outcome": _text(),
                "fair_prob": _prob(),
                "n_books": pa.Column(int, pa.Check.ge(1), coerce=True),
                "dispersion": _nonneg(nullable=False),
            },
            unique=["quote_ts", "event_id", "outcome"],
            name="consensus",
        ),
        "signals": pa.DataFrameSchema(
            {
                "signal_id": _text(),
                "created_at": _past(now),
                "pm_token_id": _text(),
                "pm_price": _prob(closed=False),
                "fee": _nonneg(nullable=False),
                "fair_prob": _prob(),
                "ev_after_costs": pa.Column(float, coerce=True),
                "size_available": _nonneg(nullable=False),
                "detected_at": _past(now),
                "vwap": _prob(closed=False),
                "stake": _nonneg(nullable=False),
                "fill_prob": _prob(),
                "devig_method": _text(),
            },
            unique=["signal_id"],
            name="signals",
        ),
        "features_latest": pa.DataFrameSchema(
            {
                "quote_ts": _past(now),
                "pm_token_id": _text(),
                "bid": _prob(nullable=True),
                "ask": _prob(nullable=True),
                "fair_prob": _prob(nullable=True),
                "spread": pa.Column(float, pa.Check.ge(-1e-9), nullable=True, coerce=True),
                "n_books": _nonneg(),
            },
            unique=["pm_token_id"],
            name="features_latest",
        ),
        "fee_tables": pa.DataFrameSchema(
            {
                "venue": _text(isin=["polymarket", "predictit"]),
                "market_key": _text(),
                "rate": pa.Column(float, pa.Check.in_range(0.0, 0.25), coerce=True),
                "exponent": _nonneg(),
                "updated_at": _past(now),
            },
            unique=["venue", "market_key"],
            name="fee_tables",
        ),
        "cost_models": pa.DataFrameSchema(
            {
                "venue": _text(),
                "fill_prob": _prob(),
                "observations": pa.Column(int, pa.Check.ge(0), coerce=True),
                "median_depth_usdc": _nonneg(),
                "computed_at": _past(now),
            },
            unique=["venue"],
            name="cost_models",
        ),
        "positions": pa.DataFrameSchema(
            {
                "mode": _text(isin=[str(mode) for mode in TradingMode]),
                "pm_token_id": _text(),
                "pm_market_id": _text(),
                "outcome": _text(),
                # The trader only buys, so a holding is never short.
                "size": _nonneg(nullable=False),
                "cost": _nonneg(nullable=False),
                "mark_price": _prob(nullable=True),
                "updated_at": _past(now),
            },
            unique=["mode", "pm_token_id"],
            name="positions",
        ),
    }


def _book_schema(name: str, now: datetime) -> pa.DataFrameSchema:
    """An order-book table: one row per token, side and price level of a snapshot."""
    return pa.DataFrameSchema(
        {
            "snapshot_ts": _past(now),
            "token_id": _text(),
            "side": _text(isin=["bid", "ask"]),
            "level": pa.Column(int, pa.Check.ge(0), coerce=True),
            "price": _prob(closed=False),
            "size": pa.Column(float, pa.Check.gt(0.0), coerce=True),
            "book_ts": _past(now, nullable=True),
            "fetched_at": _past(now),
        },
        unique=["snapshot_ts", "token_id", "side", "level"],
        name=name,
    )


def _odds_schema(name: str, now: datetime, key: list[str]) -> pa.DataFrameSchema:
    columns = {
        "snapshot_ts": _past(now),
        "event_id": _text(),
        "sport_key": _text(),
        "commence_ts": _any_time(nullable=False),
        "home_team": _text(),
        "away_team": _text(),
        "bookmaker": _text(),
        "book_update_ts": _past(now, nullable=True),
        "outcome": _text(),
        "decimal_odds": _odds(),
        "fetched_at": _past(now),
    }
    if "partition_ts" in key:
        columns["partition_ts"] = _past(now)
    return pa.DataFrameSchema(columns, unique=key, name=name)


def validate(table: str, frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame | None:
    """Failure cases of `frame` against its table's schema (None when it conforms)."""
    try:
        table_schemas(now)[table].validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return errors.failure_cases
    return None
