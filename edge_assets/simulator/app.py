"""Request routing for all venues: parameters in, (status, JSON body, headers) out. No sockets here."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from . import damage, oddsapi, polymarket, predictit
from .faults import FaultInjector, Faults
from .leagues import BOOKMAKERS_PER_REGION_UNIT, LEAGUES_BY_KEY, ODDS_REGIONS
from .orders import END_CURSOR, Booked, ClobError, Credentials, OrderBookLedger
from .world import PolymarketMarket, World

NO_BOOK = {"error": "No orderbook exists for the requested token id"}
ODDS_MARKETS = frozenset({"h2h", "spreads", "totals", "outrights"})  # only h2h carries prices here
CLOB_BASE = "/clob"  # the CLOB's base path: its routes answer here as on clob.polymarket.com
# The simulator's own replay of its CLOB: under /clob/at/<unix seconds> (or /at/...), books, quotes and order
# matching are those of that world instant, so a backfill paper-trades a past signal against the
# book it was found on (the real CLOB trades only now). Signatures are over the path without it.
CLOB_AT = re.compile(r"^/at/(\d+(?:\.\d+)?)(/.*)$")
# The world instant of the CLOB request being answered (its thread's), when replayed under /at/.
_clob_instant: ContextVar[float | None] = ContextVar("clob_instant", default=None)
CLOB_QUOTES = ("/tick-size", "/neg-risk", "/fee-rate", "/midpoint", "/price", "/spread", "/last-trade-price")
CLOB_BATCH_QUOTES = {  # batch path -> the single quote it repeats
    "/midpoints": "/midpoint",
    "/prices": "/price",
    "/spreads": "/spread",
    "/last-trades-prices": "/last-trade-price",
}
CLOB_AUTHENTICATED = frozenset(
    {"_api_key", "_post_order", "_cancel_order", "_order_log"}
)  # routes given the request headers


@dataclass
class Response:
    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)
    # The body holds only str, bool, list and dict, which orjson encodes byte for byte as the json
    # module does (compact, UTF-8); floats and wide ints it would write differently or refuse.
    strings_only: bool = False


class Query:
    """Parsed query parameters (`parse_qs` shape: name -> list of values)."""

    def __init__(self, params: dict[str, list[str]]):
        self.params = params

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else default

    def all(self, name: str) -> list[str]:
        return self.params.get(name, [])

    def flag(self, name: str) -> bool | None:
        value = self.get(name)
        return None if value is None else value.lower() == "true"


class BadRequest(Exception):
    """A client error to answer with `status` and `body`."""

    def __init__(self, status: int, body: dict):
        super().__init__(body)
        self.status = status
        self.body = body


def _keyset_cursor(last_id: int) -> str:
    """An opaque keyset cursor: the page resumes after this id."""
    return base64.urlsafe_b64encode(json.dumps({"after_id": last_id}).encode()).decode()


def _keyset_after(cursor: str | None) -> int:
    """The id a keyset cursor resumes after (-1, before every id, without one)."""
    if cursor is None:
        return -1
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["after_id"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise BadRequest(422, {"error": "after_cursor is not a cursor this server issued"}) from error


class SimulatorApp:
    """Answers requests against one world, with one fault injector and one Odds API quota."""

    def __init__(self, world: World, faults: Faults, api_key: str | None, quota: int):
        self.world = world
        self.faults = FaultInjector(faults)
        self.api_key = api_key
        self.quota = quota
        self._used = 0
        self._quota_lock = threading.Lock()
        self.ledger = OrderBookLedger(Credentials(world.seed))
        self.base_url = ""  # set by the server once its port is known

    def venues(self) -> dict[str, str]:
        """Each venue's base URL on this simulator, as `/health` lists them."""
        base = self.base_url
        return {"gamma": base, "clob": base + CLOB_BASE, "oddsapi": base, "predictit": base}

    def handle(
        self, method: str, path: str, query: Query, body: bytes, headers: Mapping[str, str] | None = None
    ) -> Response:
        """Answer one request; `headers` (lower-case names) carry the CLOB's L1/L2 auth.

        The CLOB answers under CLOB_BASE too (its own host in reality), where `/markets` is the
        CLOB's list rather than Gamma's; its other paths also answer at the root, as before."""
        if path == "/health":
            return Response(200, {"status": "ok", "venues": self.venues()})
        clob = path.startswith(CLOB_BASE + "/")
        path = path.removeprefix(CLOB_BASE) if clob else path
        replayed = CLOB_AT.match(path)
        if replayed is not None:
            instant, path = float(replayed.group(1)), replayed.group(2)
            reset = _clob_instant.set(instant)
            try:
                return self._answer(method, path, query, body, headers, clob)
            finally:
                _clob_instant.reset(reset)
        return self._answer(method, path, query, body, headers, clob)

    def _answer(
        self, method: str, path: str, query: Query, body: bytes, headers: Mapping[str, str] | None, clob: bool
    ) -> Response:
        route = (
            self._clob_markets
            if clob and method == "GET" and path == "/markets"
            else self._route(method, path)
        )
        if route is None:
            return Response(404, {"error": f"no route for {method} {path}"})
        delay = self.faults.delay()
        if delay:
            time.sleep(delay)
        failure = self.faults.failure()
        if failure is not None:
            status, headers = failure
            return Response(status, {"error": "simulated failure", "status": status}, headers)
        try:
            if route.__name__ in CLOB_AUTHENTICATED:
                return route(path, query, body, headers or {})
            return route(path, query, body)
        except BadRequest as error:
            return Response(error.status, error.body)
        except ClobError as error:
            return Response(error.status, {"error": error.message})

    def _route(self, method: str, path: str):
        if method == "GET":
            if path == "/markets":
                return self._gamma_markets
            if path == "/events":
                return self._gamma_events
            if path in ("/markets/keyset", "/events/keyset"):
                return self._gamma_keyset
            if path.startswith(("/markets/", "/events/")):
                return self._gamma_one
            if path == "/book":
                return self._book
            if path in CLOB_QUOTES:
                return self._quote
            if path == "/time":
                return self._clob_time
            if path == "/auth/derive-api-key":
                return self._api_key
            if path in ("/data/orders", "/data/trades") or path.startswith("/data/order/"):
                return self._order_log
            if path in ("/api/marketdata/all/", "/api/marketdata/all"):
                return self._predictit
            if path.startswith("/v4/"):
                return self._odds_api
        if method == "POST" and path == "/books":
            return self._books
        if method == "POST" and path in CLOB_BATCH_QUOTES:
            return self._batch_quotes
        if method == "POST" and path == "/auth/api-key":
            return self._api_key
        if method == "POST" and path == "/order":
            return self._post_order
        if method == "DELETE" and path == "/order":
            return self._cancel_order
        return None

    # --- Polymarket ---------------------------------------------------------------------------

    def _page(self, query: Query) -> tuple[int, int]:
        try:
            limit = int(query.get("limit", "100"))
            offset = int(query.get("offset", "0"))
        except ValueError as error:
            raise BadRequest(422, {"error": "limit and offset must be integers"}) from error
        if limit < 0 or offset < 0:
            raise BadRequest(422, {"error": "limit and offset must not be negative"})
        return min(limit, polymarket.GAMMA_MAX_LIMIT), offset

    def _gamma_markets(self, path: str, query: Query, body: bytes) -> Response:
        limit, offset = self._page(query)
        markets = self._selected_markets(query)[offset : offset + limit]
        return Response(200, self._gamma_market_objects(markets))

    def _selected_markets(self, query: Query) -> list[PolymarketMarket]:
        """The listed markets that pass the query's filters, in id order."""
        now_ts = self.world.now_ts()
        ids, slugs = set(query.all("id")), set(query.all("slug"))
        active, closed = query.flag("active"), query.flag("closed")
        selected = []
        for market in polymarket.listed_markets(self.world, now_ts):
            is_closed = polymarket.market_state(self.world, market, now_ts) == "closed"
            if (ids and market.market_id not in ids) or (slugs and market.slug not in slugs):
                continue
            if (closed is not None and is_closed != closed) or active is False:
                continue  # every listed market is active, as on Gamma
            selected.append(market)
        return selected

    def _gamma_market_objects(self, markets: list[PolymarketMarket]) -> list[dict]:
        now_ts = self.world.now_ts()
        payload = [polymarket.gamma_market(self.world, market, now_ts) for market in markets]
        for market in payload:
            damage.gamma_market(market, self.faults)
        return payload

    def _gamma_events(self, path: str, query: Query, body: bytes) -> Response:
        limit, offset = self._page(query)
        events = self._selected_events(query)[offset : offset + limit]
        return Response(200, self._gamma_event_objects(events))

    def _selected_events(self, query: Query) -> list[list[PolymarketMarket]]:
        """The markets of each event that passes the query's filters, events in id order."""
        now_ts = self.world.now_ts()
        ids, slugs = set(query.all("id")), set(query.all("slug"))
        active, closed = query.flag("active"), query.flag("closed")
        grouped: dict[str, list] = {}
        for market in polymarket.listed_markets(self.world, now_ts):
            grouped.setdefault(market.pm_event_id, []).append(market)
        events = []
        for event_id in sorted(grouped, key=int):
            markets = grouped[event_id]
            event_closed = all(polymarket.market_state(self.world, m, now_ts) == "closed" for m in markets)
            slug = polymarket.gamma_event_header(self.world, markets[0], now_ts)["slug"]
            if (ids and event_id not in ids) or (slugs and slug not in slugs):
                continue
            if (closed is not None and event_closed != closed) or active is False:
                continue
            events.append(markets)
        return events

    def _gamma_event_objects(self, events: list[list[PolymarketMarket]]) -> list[dict]:
        now_ts = self.world.now_ts()
        payload = [polymarket.gamma_event(self.world, markets, now_ts) for markets in events]
        for event in payload:
            for market in event["markets"]:
                damage.gamma_market(market, self.faults)
        return payload

    def _gamma_keyset(self, path: str, query: Query, body: bytes) -> Response:
        """`/markets/keyset` and `/events/keyset`: the list routes' filters, paged by an opaque
        `after_cursor` instead of an offset (which they reject). The body is `{"markets": [...]}` or
        `{"events": [...]}` with a `next_cursor`, absent on the last page."""
        kind = path.strip("/").split("/")[0]
        if query.get("offset") is not None:
            raise BadRequest(422, {"error": "offset is not supported on keyset endpoints; use after_cursor"})
        try:
            limit = int(query.get("limit", str(polymarket.GAMMA_KEYSET_MAX_LIMIT[kind])))
        except ValueError as error:
            raise BadRequest(422, {"error": "limit must be an integer"}) from error
        if limit < 1:
            raise BadRequest(422, {"error": "limit must be positive"})
        limit = min(limit, polymarket.GAMMA_KEYSET_MAX_LIMIT[kind])
        after = _keyset_after(query.get("after_cursor"))
        if kind == "markets":
            rest = [market for market in self._selected_markets(query) if int(market.market_id) > after]
            answer: dict = {kind: self._gamma_market_objects(rest[:limit])}
        else:
            rest = [event for event in self._selected_events(query) if int(event[0].pm_event_id) > after]
            answer = {kind: self._gamma_event_objects(rest[:limit])}
        if len(rest) > limit:
            answer["next_cursor"] = _keyset_cursor(int(answer[kind][-1]["id"]))
        return Response(200, answer)

    def _gamma_one(self, path: str, query: Query, body: bytes) -> Response:
        """Gamma's single-object routes: `/markets/{id}`, `/markets/slug/{slug}`, `/events/{id}` and
        `/events/slug/{slug}`, answered off the list routes' filters."""
        kind, _, rest = path.strip("/").partition("/")
        field, _, value = rest.partition("/") if rest.startswith("slug/") else ("id", "", rest)
        if not value or "/" in value:
            return Response(404, {"error": f"no route for GET {path}"})
        listing = self._gamma_markets if kind == "markets" else self._gamma_events
        found = listing(path, Query({field: [value]}), body).body
        if not found:
            return Response(404, {"type": "not found error", "error": f"{kind[:-1]} {value} not found"})
        return Response(200, found[0])

    def _clob_now_ts(self) -> float:
        """The CLOB's world instant: the replayed one under /clob/at/<unix>, else the world's now."""
        instant = _clob_instant.get()
        return self.world.now_ts() if instant is None else instant

    def _book_instant(self, query: Query) -> float:
        value = query.get("ts")
        if value is None:
            return self._clob_now_ts()
        try:
            return float(value)
        except ValueError as error:
            raise BadRequest(400, {"error": "ts must be unix seconds"}) from error

    def _served_book(self, token: str, instant: float, history_start: float) -> dict | None:
        """`token`'s book at `instant` as `/book` serves it: the world's levels less the depth the
        simulator's own fills took (orders.py)."""
        return polymarket.clob_book(self.world, token, instant, history_start, self.ledger.remaining)

    def _book(self, path: str, query: Query, body: bytes) -> Response:
        token = query.get("token_id")
        if not token:
            raise BadRequest(400, {"error": "Invalid token id"})
        instant = self._book_instant(query)
        book = self._served_book(token, instant, self.world.history_start_ts())
        if book is None:
            return Response(404, NO_BOOK, strings_only=True)
        damage.clob_book(book, self.faults)
        return Response(200, book, strings_only=True)

    def _books(self, path: str, query: Query, body: bytes) -> Response:
        try:
            requested = json.loads(body or b"null")
            tokens = [str(item["token_id"]) for item in requested]
        except (ValueError, TypeError, KeyError) as error:
            raise BadRequest(400, {"error": 'body must be a JSON list of {"token_id": ...}'}) from error
        instant = self._book_instant(query)
        history_start = self.world.history_start_ts()
        books = []
        for token in tokens:
            book = self._served_book(token, instant, history_start)
            if book is not None:  # unknown or closed tokens are left out, as on the CLOB
                damage.clob_book(book, self.faults)
                books.append(book)
        return Response(200, books, strings_only=True)

    # --- Polymarket CLOB: quotes, auth and orders -------------------------------------------------

    def _quote_of(self, path: str, token: str | None, side: str | None):
        """The body of one CLOB quote (`path` one of CLOB_QUOTES) for `token`, read off the book
        `/book` serves now; None where there is no book."""
        if not token:
            raise BadRequest(400, {"error": "Invalid token id"})
        book = self._served_book(token, self._clob_now_ts(), self.world.history_start_ts())
        if book is None:
            return None
        market = self.world.token(token)[0]
        bid, ask = polymarket.touch(book)
        if path == "/tick-size":
            return {"minimum_tick_size": float(book["tick_size"])}
        if path == "/neg-risk":
            return {"neg_risk": book["neg_risk"]}
        if path == "/fee-rate":
            return {"base_fee": polymarket.base_fee_bps(market)}
        if path == "/last-trade-price":
            return {"price": book["last_trade_price"], "side": "BUY" if market.key % 2 else "SELL"}
        if path == "/price":
            if side not in ("BUY", "SELL"):
                raise BadRequest(400, {"error": "Invalid side"})
            return {"price": str(bid if side == "BUY" else ask)}  # BUY quotes the best bid, as on the CLOB
        if path == "/midpoint":
            return {"mid": str((bid + ask) / 2)}
        return {"spread": str(ask - bid)}

    def _quote(self, path: str, query: Query, body: bytes) -> Response:
        quote = self._quote_of(path, query.get("token_id"), (query.get("side") or "").upper() or None)
        return Response(404, NO_BOOK) if quote is None else Response(200, quote)

    def _batch_quotes(self, path: str, query: Query, body: bytes) -> Response:
        """`POST /midpoints`, `/prices`, `/spreads` and `/last-trades-prices` over a list of
        `{"token_id": ..., ["side": ...]}`; tokens without a quote are left out."""
        try:
            requested = [(str(item["token_id"]), item.get("side")) for item in json.loads(body or b"null")]
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise BadRequest(400, {"error": "Invalid payload"}) from error
        single = CLOB_BATCH_QUOTES[path]
        answers: dict = {}
        trades: list[dict] = []
        for token, side in requested:
            quote = self._quote_of(single, token, side)
            if quote is None:
                continue
            if path == "/prices":
                answers.setdefault(token, {})[side] = quote["price"]
            elif path == "/last-trades-prices":
                trades.append({"token_id": token, **quote})
            else:
                answers[token] = next(iter(quote.values()))
        return Response(200, trades if path == "/last-trades-prices" else answers)

    def _clob_markets(self, path: str, query: Query, body: bytes) -> Response:
        """CLOB `/markets`: every listed market, one page (the cursor is already the last)."""
        now_ts = self.world.now_ts()
        data = [
            polymarket.clob_market(polymarket.gamma_market(self.world, market, now_ts))
            for market in polymarket.listed_markets(self.world, now_ts)
        ]
        return Response(
            200, {"limit": len(data), "count": len(data), "next_cursor": END_CURSOR, "data": data}
        )

    def _clob_time(self, path: str, query: Query, body: bytes) -> Response:
        return Response(200, int(self._clob_now_ts()))

    def _api_key(self, path: str, query: Query, body: bytes, headers: Mapping[str, str]) -> Response:
        return Response(200, self.ledger.credentials.issue(headers).body())

    def _booked(self, token: str) -> Booked | None:
        """What matching needs of `token`'s book now, or None where no book is served."""
        found = polymarket.clob_levels(self.world, token, self._clob_now_ts(), self.world.history_start_ts())
        if found is None:
            return None
        market, minute, bids, asks = found
        bids, asks = self.ledger.remaining(token, minute, bids, asks)
        tick = polymarket.tick_size(self.world.fine_tick(market), bids, asks)
        return Booked(
            token=token,
            market_id=market.condition_id,
            outcome=market.outcomes[self.world.token(token)[1]],
            minute=minute,
            bids=bids,
            asks=asks,
            tick_mills=round(float(tick) * 1000),
            min_size=float(polymarket.MIN_ORDER_SIZE),
            neg_risk=market.neg_risk,
        )

    def _cancel_order(self, path: str, query: Query, body: bytes, headers: Mapping[str, str]) -> Response:
        owner = self.ledger.credentials.verify_l2(headers, "DELETE", path, body)
        return Response(200, self.ledger.cancel(owner, body))

    def _post_order(self, path: str, query: Query, body: bytes, headers: Mapping[str, str]) -> Response:
        owner = self.ledger.credentials.verify_l2(headers, "POST", path, body)
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise ClobError(400, "Invalid order payload") from error
        answer = self.ledger.place(owner, payload, self._booked, self._clob_now_ts())
        stall = self.faults.order_timeout()
        if stall:  # the ambiguous case: matched and logged, but the client sees no answer in time
            time.sleep(stall)
        return Response(200, answer)

    def _order_log(self, path: str, query: Query, body: bytes, headers: Mapping[str, str]) -> Response:
        owner = self.ledger.credentials.verify_l2(headers, "GET", path, body)
        filters = {name: query.get(name) for name in ("id", "market", "asset_id", "maker_address")}
        if path == "/data/orders":
            return Response(200, self.ledger.orders(owner, filters))
        if path == "/data/trades":
            return Response(200, self.ledger.trades(owner, filters))
        return Response(200, self.ledger.order(owner, path.removeprefix("/data/order/")))

    # --- PredictIt ----------------------------------------------------------------------------

    def _predictit(self, path: str, query: Query, body: bytes) -> Response:
        now_ts = self.world.now_ts()
        payload = predictit.marketdata_all(self.world.seed, now_ts)
        for market in payload["markets"]:
            damage.predictit_market(market, self.faults, lambda ago: predictit.eastern_stamp(now_ts - ago))
        return Response(200, payload)

    # --- The Odds API -------------------------------------------------------------------------

    def _odds_api(self, path: str, query: Query, body: bytes) -> Response:
        parts = path.strip("/").split("/")
        try:
            self._check_key(query)
            if parts == ["v4", "sports"]:
                return self._charged(0, oddsapi.sports())
            if len(parts) == 4 and parts[:2] == ["v4", "sports"] and parts[3] in ("odds", "scores", "events"):
                league = self._league(parts[2])
                if parts[3] == "odds":
                    return self._live_odds(league, query)
                if parts[3] == "events":
                    return self._events(league, query)
                return self._scores(league, query)
            if (
                len(parts) == 6
                and parts[:2] == ["v4", "sports"]
                and parts[3] == "events"
                and parts[5] == "odds"
            ):
                return self._event_odds(self._league(parts[2]), parts[4], query)
            if len(parts) == 5 and parts[:3] == ["v4", "historical", "sports"] and parts[4] == "odds":
                return self._historical_odds(self._league(parts[3]), query)
        except BadRequest as error:
            return self._charged(0, error.body, error.status)
        return self._charged(0, {"message": "Route not found", "error_code": "NOT_FOUND"}, 404)

    def _check_key(self, query: Query) -> None:
        key = query.get("apiKey")
        if not key:
            raise BadRequest(
                401,
                {
                    "message": "API key is missing. Pass it as the apiKey query parameter.",
                    "error_code": "MISSING_KEY",
                },
            )
        if self.api_key is not None and key != self.api_key:
            raise BadRequest(401, {"message": "API key is not valid.", "error_code": "INVALID_KEY"})

    def _league(self, sport_key: str):
        league = LEAGUES_BY_KEY.get(sport_key)
        if league is None:
            raise BadRequest(404, {"message": f"Unknown sport: {sport_key}", "error_code": "UNKNOWN_SPORT"})
        return league

    def _odds_params(self, query: Query) -> tuple[set[str], list[str], str, set[str] | None, int]:
        """(regions, markets, odds format, bookmakers or None, regions billed): `bookmakers=`
        replaces `regions`, and every BOOKMAKERS_PER_REGION_UNIT of them bill as one region."""
        wanted = {b for b in (query.get("bookmakers") or "").split(",") if b} or None
        regions = {r for r in (query.get("regions") or "").split(",") if r}
        if wanted is None and (not regions or not regions <= ODDS_REGIONS):
            raise BadRequest(
                422,
                {
                    "message": f"Invalid regions; use a comma list of {sorted(ODDS_REGIONS)}",
                    "error_code": "INVALID_REGION",
                },
            )
        billed = -(-len(wanted) // BOOKMAKERS_PER_REGION_UNIT) if wanted else len(regions)
        markets = [m for m in (query.get("markets") or "h2h").split(",") if m]
        if not set(markets) <= ODDS_MARKETS:
            raise BadRequest(
                422, {"message": f"Invalid markets: {','.join(markets)}", "error_code": "INVALID_MARKET"}
            )
        odds_format = query.get("oddsFormat", "decimal")
        if odds_format not in oddsapi.ODDS_FORMATS:
            raise BadRequest(
                422,
                {"message": "oddsFormat must be american or decimal", "error_code": "INVALID_ODDS_FORMAT"},
            )
        return regions, markets, odds_format, wanted, billed

    def _date_format(self, query: Query) -> str:
        date_format = query.get("dateFormat", "iso")
        if date_format not in oddsapi.DATE_FORMATS:
            raise BadRequest(
                422, {"message": "dateFormat must be iso or unix", "error_code": "INVALID_DATE_FORMAT"}
            )
        return date_format

    def _commence(self, query: Query) -> tuple[float, float] | None:
        """(commenceTimeFrom, commenceTimeTo) in unix seconds, open ends unbounded; None when unset."""
        bounds = []
        for name, unbounded in (("commenceTimeFrom", float("-inf")), ("commenceTimeTo", float("inf"))):
            value = query.get(name)
            try:
                bounds.append(unbounded if value is None else datetime.fromisoformat(value).timestamp())
            except ValueError as error:
                raise BadRequest(
                    422,
                    {
                        "message": f"{name} must be an ISO 8601 instant, e.g. 2026-01-01T12:00:00Z",
                        "error_code": "INVALID_COMMENCE_TIME",
                    },
                ) from error
        return None if bounds == [float("-inf"), float("inf")] else (bounds[0], bounds[1])

    def _events(self, league, query: Query) -> Response:
        """`/v4/sports/{sport}/events`: the listed events without odds, free of quota."""
        date_format = self._date_format(query)
        games = oddsapi.listed_games(self.world, league, self.world.now_ts(), self._commence(query))
        return self._charged(0, [oddsapi.event_header(game, date_format) for game in games])

    def _event_odds(self, league, event_id: str, query: Query) -> Response:
        """`/v4/sports/{sport}/events/{id}/odds`: one event's odds object, billed like `/odds`."""
        regions, markets, odds_format, wanted, billed = self._odds_params(query)
        now_ts = self.world.now_ts()
        game = next(
            (g for g in oddsapi.listed_games(self.world, league, now_ts) if g.event_id == event_id), None
        )
        if game is None:
            raise BadRequest(404, {"message": "Event not found", "error_code": "EVENT_NOT_FOUND"})
        event = oddsapi.event_odds(
            self.world, game, now_ts, regions, odds_format, wanted, self._date_format(query)
        )
        damage.odds_event(event, self.faults)
        return self._charged(len(markets) * billed, event)

    def _live_odds(self, league, query: Query) -> Response:
        regions, markets, odds_format, wanted, billed = self._odds_params(query)
        event_ids = {e for e in (query.get("eventIds") or "").split(",") if e} or None
        events = oddsapi.odds_events(
            self.world,
            league,
            self.world.now_ts(),
            regions,
            odds_format,
            wanted,
            event_ids,
            self._date_format(query),
            self._commence(query),
        )
        for event in events:
            damage.odds_event(event, self.faults)
        return self._charged(len(markets) * billed, events)

    def _historical_odds(self, league, query: Query) -> Response:
        regions, markets, odds_format, wanted, billed = self._odds_params(query)
        try:
            date_ts = datetime.fromisoformat((query.get("date") or "").replace("Z", "+00:00")).timestamp()
        except ValueError as error:
            raise BadRequest(
                422,
                {
                    "message": "date must be an ISO 8601 timestamp, e.g. 2026-01-01T12:00:00Z",
                    "error_code": "INVALID_HISTORICAL_TIMESTAMP",
                },
            ) from error
        payload = oddsapi.historical_odds(
            self.world,
            league,
            date_ts,
            self.world.now_ts(),
            regions,
            odds_format,
            wanted,
            self._date_format(query),
        )
        for event in payload["data"]:
            damage.odds_event(event, self.faults)
        return self._charged(10 * len(markets) * billed, payload)

    def _scores(self, league, query: Query) -> Response:
        days_from = query.get("daysFrom")
        if days_from is not None and days_from not in ("1", "2", "3"):
            raise BadRequest(
                422, {"message": "daysFrom must be 1, 2 or 3", "error_code": "INVALID_DAYS_FROM"}
            )
        rows = oddsapi.scores(
            self.world,
            league,
            self.world.now_ts(),
            int(days_from) if days_from else None,
            self._date_format(query),
        )
        for row in rows:
            damage.score_row(row, self.faults)
        return self._charged(2 if days_from else 1, rows)

    def _charged(self, cost: int, body: object, status: int = 200) -> Response:
        """Charge `cost` against the quota (only for successful calls) and add the usage headers."""
        with self._quota_lock:
            if status == 200 and self._used + cost > self.quota:
                status, cost = 429, 0
                body = {
                    "message": "Usage quota has been reached. Upgrade your plan or wait for the reset.",
                    "error_code": "OUT_OF_USAGE_CREDITS",
                }
            if status != 200:
                cost = 0
            self._used += cost
            headers = {
                "x-requests-remaining": str(max(self.quota - self._used, 0)),
                "x-requests-used": str(self._used),
                "x-requests-last": str(cost),
            }
        return Response(status, body, headers)
