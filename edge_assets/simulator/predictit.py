"""PredictIt `/api/marketdata/all/` payload (shape and quirks as in the fixture)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from . import captured, politics
from .randomness import mix64, uniform

EASTERN = ZoneInfo("America/New_York")
QUOTE_BLOCK_MIN = 10  # PredictIt quotes are re-evaluated this often, so pollers see repeats


def eastern_stamp(ts: float) -> str:
    """PredictIt's `timeStamp`: US Eastern wall time, 7 fractional digits, no zone."""
    local = datetime.fromtimestamp(ts, UTC).astimezone(EASTERN)
    ticks = int(round((ts % 1) * 10_000_000)) % 10_000_000
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{ticks:07d}"


def _cents(value: float) -> float | None:
    """A cost in dollars, or None (no offer) outside 1..99 cents."""
    cents = int(round(value * 100))
    return cents / 100 if 1 <= cents <= 99 else None


def _contract(
    seed: int,
    contract: politics.PoliticalContract,
    truth: float,
    close_truth: float,
    block: int,
    date_end: str,
) -> dict:
    draw = mix64(seed, contract.contract_id, block, 11)
    yes_ask = math.ceil(truth * 100) + draw % 2
    yes_bid = min(math.floor(truth * 100) - (draw >> 8) % 2, yes_ask - 1)
    last = yes_ask if draw >> 16 & 1 else yes_bid
    no_yes_bid, contracts = captured.PREDICTIT_NO_YES_BID
    if uniform(seed, contract.contract_id, 15) < no_yes_bid / contracts:
        yes_bid = 0  # nobody bids for Yes, as in most real contracts: no Yes sale, no No purchase
    return {
        "id": contract.contract_id,
        "dateEnd": date_end,
        "image": f"https://az620379.vo.msecnd.net/images/Contracts/small_{contract.contract_id}.jpg",
        "name": contract.name,
        "shortName": contract.short_name,
        "status": "Open",
        "lastTradePrice": _cents(min(max(last, 1), 99) / 100),
        "bestBuyYesCost": _cents(yes_ask / 100),
        "bestBuyNoCost": _cents(1 - yes_bid / 100),
        "bestSellYesCost": _cents(yes_bid / 100),
        "bestSellNoCost": _cents(1 - yes_ask / 100),
        "lastClosePrice": _cents(min(max(round(close_truth * 100), 1), 99) / 100),
        "displayOrder": contract.display_order,
    }


def marketdata_all(seed: int, now_ts: float) -> dict:
    """All PredictIt markets as of `now_ts`; quotes change at most every QUOTE_BLOCK_MIN minutes."""
    minute = int(now_ts // 60)
    block = minute // QUOTE_BLOCK_MIN
    quote_minute = block * QUOTE_BLOCK_MIN
    local_midnight = (
        datetime.fromtimestamp(now_ts, UTC).astimezone(EASTERN).replace(hour=0, minute=0, second=0)
    )
    close_minute = int(local_midnight.timestamp() // 60)
    by_market: dict[int, list[politics.PoliticalContract]] = {}
    for contract in politics.contracts().values():
        by_market.setdefault(contract.market_id, []).append(contract)
    markets = []
    for market_id, name, short_name, date_end, _ in politics.PREDICTIT_MARKETS:
        truths = politics.market_truths(seed, market_id, quote_minute)
        closes = politics.market_truths(seed, market_id, close_minute)
        slug = name.replace("?", "").replace(" ", "-")
        markets.append(
            {
                "id": market_id,
                "name": name,
                "shortName": short_name,
                "image": f"https://az620379.vo.msecnd.net/images/Markets/{market_id}.jpg",
                "url": f"https://www.predictit.org/markets/detail/{market_id}/{slug}",
                "contracts": [
                    _contract(seed, c, truths[c.contract_id], closes[c.contract_id], block, date_end)
                    for c in by_market[market_id]
                ],
                "timeStamp": eastern_stamp(now_ts),
                "status": "Open",
            }
        )
    return {"markets": markets}
