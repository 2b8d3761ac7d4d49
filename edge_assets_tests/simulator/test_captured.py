"""The distributions the simulator draws from are the ones counted in the real captures."""

from __future__ import annotations

from edge_assets.simulator import captured
from edge_assets.simulator.leagues import BOOKMAKERS
from edge_assets_tests.fixtures.paths import SHARED_FIXTURES


def test_constants_are_the_counts_of_the_real_captures():
    counted = captured.count(SHARED_FIXTURES)
    for name in ("US_BOOKS_PER_EVENT", "FINE_TICK_MARKETS", "BOOK_SIDE_LEVELS", "THREE_DECIMAL_LEVELS"):
        assert getattr(captured, name) == counted[name], name
    assert captured.PREDICTIT_NO_YES_BID == counted["PREDICTIT_NO_YES_BID"]
    us_books = {book.key: book.listing_weight for book in BOOKMAKERS if book.region == "us"}
    assert us_books == counted["us_book_listings"]
    assert [book.key for book in BOOKMAKERS if book.region == "eu"] == ["pinnacle"]
