"""Per-record damage for the malformed and stale fault knobs.

Each function takes one freshly built record (never cached state) and corrupts it in place the way
real feeds go wrong, so parsers can be tested on quarantining bad records in otherwise good payloads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .faults import FaultInjector

_ISO_Z = "%Y-%m-%dT%H:%M:%SZ"


def _shift_iso(value: str, seconds: float) -> str:
    instant = datetime.strptime(value, _ISO_Z).replace(tzinfo=UTC) - timedelta(seconds=seconds)
    return instant.strftime(_ISO_Z)


def gamma_market(market: dict, faults: FaultInjector) -> None:
    if faults.malformed():
        corruption = faults.pick(("outcomePrices", "clobTokenIds", "question"))
        if corruption == "outcomePrices":
            market["outcomePrices"] = "not json"
        elif corruption == "clobTokenIds":
            market["clobTokenIds"] = '["' + market["clobTokenIds"][2:20]
        else:
            del market["question"]


def clob_book(book: dict, faults: FaultInjector) -> None:
    if faults.malformed():
        levels = book["bids"] or book["asks"]
        if levels:
            level = faults.pick(levels)
            level[faults.pick(("price", "size"))] = "abc"
    side = faults.emptied_side()
    if side:
        book[side] = []
    stale = faults.stale_seconds()
    if stale:
        book["timestamp"] = str(int(book["timestamp"]) - int(stale * 1000))


def odds_event(event: dict, faults: FaultInjector) -> None:
    if faults.malformed():
        outcomes = [
            o for book in event["bookmakers"] for market in book["markets"] for o in market["outcomes"]
        ]
        if outcomes and faults.pick((True, False)):
            faults.pick(outcomes)["price"] = None
        else:
            del event["home_team"]
    for book in event["bookmakers"]:
        stale = faults.stale_seconds()
        if stale:
            book["last_update"] = _shift_iso(book["last_update"], stale)
            for market in book["markets"]:
                market["last_update"] = _shift_iso(market["last_update"], stale)


def score_row(row: dict, faults: FaultInjector) -> None:
    if faults.malformed():
        if row["scores"]:
            row["scores"][0]["score"] = "?"
        else:
            del row["home_team"]


def predictit_market(market: dict, faults: FaultInjector, stamp) -> None:
    """`stamp(seconds_ago)` renders PredictIt's timeStamp that far in the past."""
    for contract in market["contracts"]:
        if faults.malformed():
            contract[faults.pick(("bestBuyYesCost", "bestSellNoCost", "lastTradePrice"))] = "n/a"
    stale = faults.stale_seconds()
    if stale:
        market["timeStamp"] = stamp(stale)
