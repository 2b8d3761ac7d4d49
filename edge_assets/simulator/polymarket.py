"""Polymarket payloads: Gamma markets and events, CLOB order books (shapes as in the fixtures)."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

import orjson

from .randomness import mix64
from .world import PolymarketMarket, World, iso_z, minute_of

GAMMA_MAX_LIMIT = 500
# Largest page each keyset route serves (`/markets/keyset` 100, `/events/keyset` 500, as documented).
GAMMA_KEYSET_MAX_LIMIT = {"markets": 100, "events": 500}
MIN_ORDER_SIZE = "5"  # shares, as on the real books
TICK_SIZE, FINE_TICK_SIZE = "0.01", "0.001"
FINE_TICK_BELOW, FINE_TICK_ABOVE = 40, 960  # mills: beyond these the CLOB quotes in tenths of a cent
# Fractional digits of Gamma's createdAt: mostly six (18 of 20 in the captures, the other two five);
# four and none also occur on the real API, so a few are drawn too.
STAMP_DIGITS = (6, 6, 6, 6, 6, 6, 6, 5, 4, 0)
_IMAGE = "https://polymarket-upload.s3.us-east-2.amazonaws.com/league-{}.png"


def gamma_time(ts: float) -> str:
    """Gamma's space-separated instant with a bare +00 offset (gameStartTime, closedTime)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M:%S+00")


def gamma_micros(ts: float) -> str:
    """Gamma's ISO instant with microseconds (createdAt, updatedAt), trailing zeros dropped as the
    real API drops them: six fractional digits, fewer, or none on a whole second."""
    whole = math.floor(ts)
    micros = round((ts - whole) * 1_000_000)
    fraction = f".{micros:06d}".rstrip("0").rstrip(".") if micros < 1_000_000 else ""
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _stamp_fraction(world: World, market: PolymarketMarket, tag: int) -> float:
    """A sub-second part with STAMP_DIGITS significant digits, drawn per market."""
    draw = mix64(world.seed, market.key, tag)
    digits = STAMP_DIGITS[draw % len(STAMP_DIGITS)]
    if not digits:
        return 0.0
    significant = (draw >> 8) % 10**digits
    significant += significant % 10 == 0  # a last digit of 0 would be dropped, leaving fewer digits
    return significant * 10 ** (6 - digits) / 1_000_000


@lru_cache(maxsize=1024)  # a few hundred prices, on every book
def price_text(mills: int) -> str:
    """A CLOB price string from thousandths: '0.45', '0.5', '0.1', '0.455'."""
    return str(mills / 1000)


# A depth block's sizes recur in both tokens' books and in the recheck. Sizes are positive, so the
# cache never takes -0.0 for 0.0 (equal keys, different texts).
@lru_cache(maxsize=1 << 16)
def size_text(size: float) -> str:
    """A CLOB size string: '1160422.93', '25'."""
    return f"{size:.2f}".rstrip("0").rstrip(".")


def base_fee_bps(market: PolymarketMarket) -> int:
    """The market's base fee in basis points, as Gamma's `takerBaseFee` and the CLOB's `/fee-rate`."""
    return 1000 if market.fee_rate else 0


def book_hash(book: dict) -> str:
    """The CLOB's book hash: SHA-1 of the compact JSON book in the server's field order with an
    empty `hash` (the algorithm py-clob-client reproduces, and the real fixtures' hashes follow)."""
    fields = ("market", "asset_id", "timestamp", "hash", "bids", "asks")
    payload = {name: book[name] for name in fields} | {"hash": ""}
    payload |= {name: book[name] for name in ("min_order_size", "tick_size", "neg_risk", "last_trade_price")}
    # orjson writes what json.dumps(separators=(",", ":"), ensure_ascii=False) does for these strings
    # and bools (test_clob_orders holds it to the real books' hashes and to py-clob-client's)
    return hashlib.sha1(orjson.dumps(payload)).hexdigest()


def touch(book: dict) -> tuple[Decimal, Decimal]:
    """(best bid, best ask) of a `/book` payload: an empty bid side quotes 0, as the real CLOB's
    `/price` and `/midpoint` do (fixtures); an empty ask side quotes 1, its mirror."""
    bid = Decimal(book["bids"][-1]["price"]) if book["bids"] else Decimal(0)
    ask = Decimal(book["asks"][-1]["price"]) if book["asks"] else Decimal(1)
    return bid, ask


def tick_size(fine: bool, bids: list[tuple[int, float]], asks: list[tuple[int, float]]) -> str:
    """A book's minimum tick: 0.001 on a fine-tick market; otherwise the CLOB tightens it to 0.001
    once the price passes 0.96 or 0.04 (best bid above, best ask below) and the simulator loosens
    it again when the price comes back (its levels stay on whole cents, which are on both grids)."""
    if fine or (bids and bids[0][0] > FINE_TICK_ABOVE) or (asks and asks[0][0] < FINE_TICK_BELOW):
        return FINE_TICK_SIZE
    return TICK_SIZE


def market_state(world: World, market: PolymarketMarket, now_ts: float) -> str:
    """'open', 'ended' (game over, not yet resolved) or 'closed' (resolved)."""
    game = market.game
    if game is None:
        return "open"
    now_min = minute_of(now_ts)
    if now_min >= game.resolve_min:
        return "closed"
    return "ended" if now_min >= game.end_min else "open"


def listed_markets(world: World, now_ts: float) -> list[PolymarketMarket]:
    """Markets Gamma lists at `now_ts`: created by then and not resolved before the history window."""
    history_min = minute_of(world.history_start_ts(now_ts))
    now_min = minute_of(now_ts)
    markets = [
        market
        for game in world.served_games(now_ts)
        for market in game.markets
        if market.created_min <= now_min and game.resolve_min >= history_min
    ]
    return sorted(world.political_markets + markets, key=lambda market: int(market.market_id))


def gamma_market(world: World, market: PolymarketMarket, now_ts: float, nested: bool = False) -> dict:
    """A Gamma market object as `/markets` returns it (without `events` when nested in an event)."""
    game = market.game
    state = market_state(world, market, now_ts)
    closed = state == "closed"
    created_ts = market.created_min * 60 + 9 + _stamp_fraction(world, market, 16)
    vol_seed = int(market.market_id) % 997
    volume = 25_000.0 + vol_seed * 311.7
    if game is not None:
        end_ts = game.start_min * 60 if game.league.three_way else game.start_min * 60 + 6 * 3600
        image = _IMAGE.format(game.league.slug)
        resolution_source = "https://www.espn.com/"
    else:
        end_ts = datetime(2028, 11, 7, tzinfo=UTC).timestamp()
        image = _IMAGE.format("politics")
        resolution_source = ""
    winner_first = state != "open" and world.path(game).probs[market.truth_row, -1] > 0.5
    if state != "open":
        # Ended, the result proposed but not resolved: still trading at 0.9995/0.0005, as on Gamma.
        won, lost = ("1", "0") if closed else ("0.9995", "0.0005")
        outcome_prices = [won, lost] if winner_first else [lost, won]
        best_bid, best_ask, last_trade = (0.999, 1, 0.999) if winner_first else (None, 0.001, 0.001)
        spread = 0.001
        updated_ts = (game.resolve_min if closed else game.end_min) * 60 + 146.346609
    else:
        bid, ask, _ = world.top_of_book(market, minute_of(now_ts))
        bid, ask = max(bid, 1), min(ask, 99)
        mid = (bid + ask) / 200
        outcome_prices = [f"{mid:.3f}".rstrip("0").rstrip("."), f"{1 - mid:.3f}".rstrip("0").rstrip(".")]
        best_bid, best_ask = bid / 100, ask / 100
        last_trade = (bid if market.key % 2 else ask) / 100
        spread = round(best_ask - best_bid, 2)
        updated_ts = now_ts - 7.825847
    payload = {
        "id": market.market_id,
        "question": market.question,
        "conditionId": market.condition_id,
        "slug": market.slug,
        "resolutionSource": resolution_source,
        "endDate": iso_z(end_ts),
        "liquidity": f"{volume / 12:.4f}",
        "startDate": iso_z(market.created_min * 60 + 18),
        "image": image,
        "icon": image,
        "description": _description(market),
        "outcomes": json.dumps(list(market.outcomes)),
        "outcomePrices": json.dumps(outcome_prices),
        "volume": repr(volume),
        "active": True,
        "closed": closed,
        "marketMakerAddress": "",
        "createdAt": gamma_micros(created_ts),
        "updatedAt": gamma_micros(updated_ts),
        "new": False,
        "featured": False,
        "archived": False,
        "restricted": True,
        "groupItemTitle": market.group_item_title,
        "questionID": "0x" + hashlib.blake2b(market.condition_id.encode(), digest_size=32).hexdigest(),
        "enableOrderBook": True,
        "orderPriceMinTickSize": float(FINE_TICK_SIZE if world.fine_tick(market) else TICK_SIZE),
        "orderMinSize": 5,
        "volumeNum": volume,
        "liquidityNum": volume / 12,
        "endDateIso": iso_z(end_ts)[:10],
        "startDateIso": iso_z(market.created_min * 60)[:10],
        "hasReviewedDates": True,
        "volume24hr": volume / 3,
        "clobTokenIds": json.dumps(list(market.token_ids)),
        "umaBond": "250",
        "umaReward": "1.5",
        "volumeClob": volume,
        "liquidityClob": volume / 12,
        "makerBaseFee": base_fee_bps(market),
        "takerBaseFee": base_fee_bps(market),
        "customLiveness": 900,
        "acceptingOrders": not closed,
        "negRisk": market.neg_risk,
    }
    if market.neg_risk:
        payload["negRiskMarketID"] = (
            "0x" + hashlib.blake2b(market.pm_event_id.encode(), digest_size=32).hexdigest()
        )
    if not nested:
        payload["events"] = [gamma_event_header(world, market, now_ts)]
    payload.update(
        {
            "ready": False,
            "funded": False,
            "acceptingOrdersTimestamp": iso_z(market.created_min * 60 + 18),
            "cyom": False,
            "competitive": 0.97,
            "approved": True,
            "rewardsMinSize": 50,
            "rewardsMaxSpread": 4.5,
            "spread": spread,
            "oneDayPriceChange": 0.0,
            "oneHourPriceChange": 0.0,
            "lastTradePrice": last_trade,
            "bestBid": best_bid,
            "bestAsk": best_ask,
            "automaticallyActive": True,
            "clearBookOnStart": True,
            "manualActivation": False,
            "negRiskOther": False,
            "umaResolutionStatuses": "[]" if state == "open" else '["proposed"]',
            "pendingDeployment": False,
            "deploying": False,
            "rfqEnabled": False,
            "holdingRewardsEnabled": False,
            "feesEnabled": True,
            "requiresTranslation": False,
            "feeType": "sports_fees_v3" if game is not None else "politics_fees",
            "feeSchedule": {
                "exponent": 1,
                "rate": market.fee_rate if game is not None else 0.04,
                "takerOnly": True,
                "rebateRate": 0.15,
            },
            "version": "v1",
        }
    )
    if game is not None:
        payload["gameStartTime"] = gamma_time(game.start_min * 60)
        payload["gameId"] = str(game.key)
        payload["sportsMarketType"] = "moneyline"
        if not game.league.three_way:  # Gamma omits eventStartTime on soccer legs, as in the fixture
            payload["eventStartTime"] = iso_z(game.start_min * 60)
    if state == "ended":
        payload["umaResolutionStatus"] = "proposed"
        if not winner_first:
            del payload["bestBid"]  # nobody bids for the loser: Gamma leaves the key out, not null
    if closed:
        for name in ("liquidity", "liquidityNum", "liquidityClob"):
            del payload[name]  # resolved markets carry no liquidity fields on Gamma
        payload.update(
            {
                "closedTime": gamma_time(game.resolve_min * 60),
                "umaResolutionStatus": "resolved",
                "umaEndDate": iso_z(game.resolve_min * 60),
                "automaticallyResolved": True,
            }
        )
    return payload


def gamma_event_header(world: World, market: PolymarketMarket, now_ts: float) -> dict:
    """The event summary Gamma embeds in each market's `events` list."""
    game = market.game
    closed = market_state(world, market, now_ts) == "closed"
    header = {
        "id": market.pm_event_id,
        "ticker": _event_slug(market),
        "slug": _event_slug(market),
        "title": _event_title(market),
        "startDate": iso_z(market.created_min * 60 + 18),
        "creationDate": gamma_micros(market.created_min * 60 + 118 + _stamp_fraction(world, market, 17)),
        "active": True,
        "closed": closed,
        "archived": False,
        "negRisk": market.neg_risk,
        "enableNegRisk": market.neg_risk,
    }
    if game is not None:
        now_min = minute_of(now_ts)
        completed, score = world.score_state(game, now_min)
        header.update(
            {
                "endDate": iso_z(game.start_min * 60 + (0 if game.league.three_way else 6 * 3600)),
                "seriesSlug": game.league.slug,
                "eventDate": iso_z(game.start_min * 60)[:10],
                "startTime": iso_z(game.start_min * 60),
                "score": f"{score[0]}-{score[1]}" if score else "",
                "live": score is not None and not completed,
                "ended": completed,
                "gameId": game.key,
            }
        )
    return header


def gamma_event(world: World, markets: list[PolymarketMarket], now_ts: float) -> dict:
    """A Gamma `/events` object: the event header plus its nested markets."""
    event = gamma_event_header(world, markets[0], now_ts)
    event["closed"] = all(market_state(world, m, now_ts) == "closed" for m in markets)
    event["markets"] = [gamma_market(world, market, now_ts, nested=True) for market in markets]
    event.update(_event_details(markets[0]))
    return event


def _event_details(market: PolymarketMarket) -> dict:
    """The fields a full Gamma event carries beyond its header: description, tags, series, metadata."""
    game = market.game
    slug, title = (game.league.slug, game.league.sport_title) if game else ("politics", "Politics")
    return {
        "description": _description(market),
        "tags": [{"id": str(100 + sum(map(ord, slug))), "label": title, "slug": slug}],
        "series": [{"id": str(sum(map(ord, slug))), "ticker": slug, "slug": slug, "title": title}],
        "eventMetadata": {"context_description": _description(market)},
    }


def _event_slug(market: PolymarketMarket) -> str:
    if market.game is None:
        return f"politics-{market.pm_event_id}"
    slug = market.slug
    if market.game.league.three_way:
        slug = slug.rsplit("-", 1)[0]  # the legs add -home/-draw/-away to the event slug
    return slug


def _event_title(market: PolymarketMarket) -> str:
    game = market.game
    if game is None:
        return market.question
    if game.league.three_way:
        return f"{game.pm_home} vs. {game.pm_away}"
    return market.question


def _description(market: PolymarketMarket) -> str:
    game = market.game
    if game is None:
        return f'This market will resolve to "Yes" if: {market.question}'
    start = datetime.fromtimestamp(game.start_min * 60, UTC).strftime("%B %d, %Y at %H:%M UTC")
    return (
        f"This market refers to the {game.league.sport_title} game between {game.home.full} and "
        f"{game.away.full}, scheduled for {start}. It resolves on the official final result."
    )


def clob_market(gamma: dict) -> dict:
    """A CLOB `/markets` entry, read off the market's Gamma payload (the same market, one truth)."""
    prices = [float(price) for price in json.loads(gamma["outcomePrices"])]
    tokens = json.loads(gamma["clobTokenIds"])
    closed = gamma["closed"]
    return {
        "enable_order_book": True,
        "active": gamma["active"],
        "closed": closed,
        "archived": False,
        "accepting_orders": gamma["acceptingOrders"],
        "minimum_order_size": gamma["orderMinSize"],
        "minimum_tick_size": gamma["orderPriceMinTickSize"],
        "condition_id": gamma["conditionId"],
        "question_id": gamma["questionID"],
        "question": gamma["question"],
        "description": gamma["description"],
        "market_slug": gamma["slug"],
        "end_date_iso": gamma["endDate"],
        "game_start_time": gamma.get("gameStartTime"),
        "seconds_delay": 0,
        "maker_base_fee": gamma["makerBaseFee"],
        "taker_base_fee": gamma["takerBaseFee"],
        "neg_risk": gamma["negRisk"],
        "icon": gamma["icon"],
        "image": gamma["image"],
        "tokens": [
            {"token_id": token, "outcome": outcome, "price": price, "winner": closed and price == 1.0}
            for token, outcome, price in zip(tokens, json.loads(gamma["outcomes"]), prices, strict=True)
        ],
    }


def clob_levels(
    world: World, token: str, ts: float, history_start_ts: float
) -> tuple[PolymarketMarket, int, list[tuple[int, float]], list[tuple[int, float]]] | None:
    """(market, minute, bids, asks) of `token`'s book at instant `ts`, best first, or None where no
    order book exists."""
    found = world.token(token)
    if found is None or ts < history_start_ts:
        return None
    market, index = found
    minute = minute_of(ts)
    if minute < market.created_min or (market.game is not None and minute >= market.game.resolve_min):
        return None
    bids, asks = world.book_levels(market, index, minute)
    return market, minute, bids, asks


def clob_book(world: World, token: str, ts: float, history_start_ts: float, taken=None) -> dict | None:
    """A CLOB `/book` payload for `token` at instant `ts`, or None where no order book exists.

    `taken(token, minute, bids, asks)`, when given, returns the levels left once the simulator's
    own fills are taken out (orders.OrderBookLedger.remaining)."""
    found = clob_levels(world, token, ts, history_start_ts)
    if found is None:
        return None
    market, minute, bids, asks = found
    if taken is not None:
        bids, asks = taken(token, minute, bids, asks)
    bid_rows = [{"price": price_text(p), "size": size_text(s)} for p, s in reversed(bids)]
    ask_rows = [{"price": price_text(p), "size": size_text(s)} for p, s in reversed(asks)]
    last = bids[0][0] if bids and market.key % 2 else asks[0][0] if asks else 500
    book = {
        "market": market.condition_id,
        "asset_id": token,
        "timestamp": str(int(ts * 1000)),
        "hash": "",
        "bids": bid_rows,
        "asks": ask_rows,
        "min_order_size": MIN_ORDER_SIZE,
        "tick_size": tick_size(world.fine_tick(market), bids, asks),
        "neg_risk": market.neg_risk,
        "last_trade_price": f"{last / 1000:.3f}",
    }
    book["hash"] = book_hash(book)
    return book
