"""What the live service publishes to the per-market stream: each venue's quotes as `QuoteChange`s (pure).

A Polymarket token's best bid and ask are published when either moves (not every level change); a
sportsbook poll and a PredictIt poll are published whole, since the stream stores a change it
already holds once (its id is a hash of its content).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from edge_assets.live.books import OrderBooks
from edge_assets.storage.stream import QuoteChange, predictit_quote_changes

TopOfBook = tuple[float | None, float | None]


def book_changes(
    books: OrderBooks,
    tokens: Iterable[str],
    token_labels: Mapping[str, tuple[str, str]],
    published: dict[str, TopOfBook],
) -> list[QuoteChange]:
    """Best bid and ask of each of `tokens` whose top of book moved since `published` (updated);
    `token_labels` maps a token to its (market id, outcome) (`MarketContext.token_labels`)."""
    changes = []
    for token in tokens:
        book = books.book(token)
        if book is None or token not in token_labels or book.book_ts is None:
            continue
        top = (book.best("bid"), book.best("ask"))
        if published.get(token) == top:
            continue
        published[token] = top
        market_id, outcome = token_labels[token]
        for side, price in zip(("bid", "ask"), top, strict=True):
            size = book.side(side).get(price) if price is not None else None
            changes.append(
                QuoteChange(
                    venue="polymarket",
                    market_id=str(market_id),
                    outcome=str(outcome),
                    side=side,
                    price=price,
                    size=size,
                    token_id=token,
                    source_ts=book.book_ts,
                )  # fmt: skip
            )
    return changes


def odds_changes(odds: pd.DataFrame) -> list[QuoteChange]:
    """Every bookmaker's back price of one live-odds poll (`oddsapi_live_odds` rows)."""
    return [
        QuoteChange(
            venue="sportsbook",
            market_id=str(row.event_id),
            event_id=str(row.event_id),
            bookmaker=str(row.bookmaker),
            outcome=str(row.outcome),
            side="back",
            price=float(row.decimal_odds),
            source_ts=(row.book_update_ts if pd.notna(row.book_update_ts) else row.snapshot_ts),
        )  # fmt: skip
        for row in odds.itertuples(index=False)
    ]


def predictit_changes(market_data: pd.DataFrame) -> list[QuoteChange]:
    """The four legs of every contract of one PredictIt poll (`predictit_market_data` rows)."""
    return [change for row in market_data.to_dict("records") for change in predictit_quote_changes(row)]
