"""Distributions the simulated world draws from, counted from the real captures in ../shared/fixtures.

`count(fixtures)` recounts them from the files (a test holds the constants to it);
`python -m edge_assets.simulator.captured DIR` prints the table of docs/simulator_fidelity.md.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# oddsapi_odds.json (regions=us, 28 events): how many books price each event, fewest first.
US_BOOKS_PER_EVENT = (1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 6, 6, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 13, 14, 14, 14)
# polymarket_gamma_markets_*.json: markets whose orderPriceMinTickSize is 0.001, of all 20.
FINE_TICK_MARKETS = (18, 20)
# polymarket_clob_book*.json: levels on each side (bids, asks) of the four captured books.
BOOK_SIDE_LEVELS = ((51, 42), (0, 64), (14, 135), (5, 5))
# the same books: levels priced in tenths of a cent (three decimals), of all levels.
THREE_DECIMAL_LEVELS = (84, 316)
# predictit_marketdata_all.json: contracts with no Yes bid (bestSellYesCost and bestBuyNoCost null).
PREDICTIT_NO_YES_BID = (23, 28)

_BOOK_FILES = ("polymarket_clob_books.json", "polymarket_clob_book_single.json")


def _books(fixtures: Path) -> list[dict]:
    captured = json.loads((fixtures / _BOOK_FILES[0]).read_text())
    books = [entry["book"]["body"] for entry in captured.values() if entry["book"]["status"] == 200]
    return books + [json.loads((fixtures / _BOOK_FILES[1]).read_text())]


def count(fixtures: Path) -> dict:
    """Every distribution above, and each `us` book's listing count, recounted from `fixtures`."""
    events = json.loads((fixtures / "oddsapi_odds.json").read_text())
    markets = [
        market
        for name in ("polymarket_gamma_markets_active.json", "polymarket_gamma_markets_closed.json")
        for market in json.loads((fixtures / name).read_text())
    ]
    books = _books(fixtures)
    levels = [level["price"] for book in books for level in book["bids"] + book["asks"]]
    contracts = [
        contract
        for market in json.loads((fixtures / "predictit_marketdata_all.json").read_text())["markets"]
        for contract in market["contracts"]
    ]
    return {
        "US_BOOKS_PER_EVENT": tuple(sorted(len(event["bookmakers"]) for event in events)),
        "FINE_TICK_MARKETS": (
            sum(float(m["orderPriceMinTickSize"]) == 0.001 for m in markets),
            len(markets),
        ),
        "BOOK_SIDE_LEVELS": tuple((len(book["bids"]), len(book["asks"])) for book in books),
        "THREE_DECIMAL_LEVELS": (sum(len(p.split(".")[-1]) == 3 for p in levels), len(levels)),
        "PREDICTIT_NO_YES_BID": (
            sum(c["bestSellYesCost"] is None and c["bestBuyNoCost"] is None for c in contracts),
            len(contracts),
        ),
        "us_book_listings": dict(Counter(book["key"] for event in events for book in event["bookmakers"])),
    }


if __name__ == "__main__":
    for name, value in count(Path(sys.argv[1])).items():
        print(f"{name}: {value}")
