"""PredictIt: the parser of the all-markets snapshot endpoint (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from edge_assets.sources.parsing import (
    MARKET_DATA,
    ParseResult,
    QuarantinedRecord,
    RecordError,
    as_float,
    as_text,
    as_utc,
    build_frame,
    check_not_null,
    require,
    utc_instant,
)

PREDICTIT_TZ = "America/New_York"
_PRICE_COLUMNS = {
    "last_trade_price": "lastTradePrice",
    "best_buy_yes_cost": "bestBuyYesCost",
    "best_buy_no_cost": "bestBuyNoCost",
    "best_sell_yes_cost": "bestSellYesCost",
    "best_sell_no_cost": "bestSellNoCost",
    "last_close_price": "lastClosePrice",
}

# The columns whose change makes a new `predictit_market_data` row: a contract that moved.
PREDICTIT_QUOTE_COLUMNS = [
    "status",
    "last_trade_price",
    "best_buy_yes_cost",
    "best_buy_no_cost",
    "best_sell_yes_cost",
    "best_sell_no_cost",
]


def _local_time(value: Any, name: str, tz: str) -> Any:
    """A PredictIt local time as UTC, truncated to microseconds (what SQL timestamps keep).

    PredictIt sends 7 fractional digits; keeping the 100 ns digit would make a stored row
    differ from a re-parsed one and defeat the (data_id, timestamp) de-duplication.
    """
    if value == "NA":
        return None
    stamp = as_utc(value, name, tz=tz)
    return None if stamp is None else stamp.floor("us")


def _contract_row(
    market: Mapping[str, Any], contract: Mapping[str, Any], tz: str, fetched_at: Any
) -> dict[str, Any]:
    row = {
        "data_id": as_text(require(contract, "id"), "contract id"),
        "timestamp": _local_time(require(market, "timeStamp"), "timeStamp", tz),
        "market_id": as_text(require(market, "id"), "market id"),
        "market_name": as_text(require(market, "name"), "market name"),
        "contract_name": as_text(require(contract, "name"), "contract name"),
        "status": as_text(contract.get("status"), "status"),
        "date_end_ts": _local_time(contract.get("dateEnd"), "dateEnd", tz),
        "fetched_at": fetched_at,
    }
    for column, key in _PRICE_COLUMNS.items():
        price = as_float(contract.get(key), key)
        if price is not None and not 0.0 <= price <= 1.0:
            raise RecordError(f"{key} {price} is outside [0, 1]")
        row[column] = price
    check_not_null(MARKET_DATA, row)
    return row


def parse_predictit(payload: dict, fetched_at: datetime, tz: str = PREDICTIT_TZ) -> ParseResult:
    """Rows of `market_data`, one per contract, stamped with its market's `timeStamp` read in `tz`.

    `dateEnd` "NA" becomes null and null costs (no offers on that side) stay null. A bad
    contract is quarantined with its market's id and name so the record stays traceable.
    """
    fetched = utc_instant(fetched_at, "fetched_at")
    markets = payload.get("markets") if isinstance(payload, Mapping) else None
    if not isinstance(markets, list):
        return ParseResult(
            build_frame(MARKET_DATA, []),
            [QuarantinedRecord({"value": payload}, "payload has no markets list")],
        )
    rows: list[dict[str, Any]] = []
    quarantined: list[QuarantinedRecord] = []
    for market in markets:
        contracts = market.get("contracts") if isinstance(market, Mapping) else None
        if not isinstance(contracts, list):
            record = dict(market) if isinstance(market, Mapping) else {"value": market}
            quarantined.append(QuarantinedRecord(record, "market has no contracts list"))
            continue
        for contract in contracts:
            try:
                if not isinstance(contract, Mapping):
                    raise RecordError("contract is not an object")
                rows.append(_contract_row(market, contract, tz, fetched))
            except RecordError as error:
                context = {
                    "market_id": market.get("id"),
                    "market_name": market.get("name"),
                    "timeStamp": market.get("timeStamp"),
                }
                quarantined.append(QuarantinedRecord({"market": context, "contract": contract}, str(error)))
    frame = build_frame(MARKET_DATA, rows).drop_duplicates(["data_id", "timestamp"], keep="last")
    return ParseResult(frame.reset_index(drop=True), quarantined)
