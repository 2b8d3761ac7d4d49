"""The simulated market world: games, their true probabilities, and every venue's prices.

The world is a pure function of (seed, scenario) and absolute time. Each UTC day's schedule comes
from a generator seeded by (seed, day, league) and each game's price path from (seed, game key), so
two simulators started hours apart with one seed serve the same world; `days` and `now` only decide
which part of it is visible. Time inside the world is counted in whole minutes since the epoch:
truths, book spreads and sportsbook quotes are constant within a minute.

Truth model: a game's result is the sign of a latent Gaussian X = m + W. Before the game the mean m
drifts slowly; during the game W is a Brownian motion on [0, 1] and P(home wins) = Phi((m + W_t - c) /
sqrt(1 - t)), a martingale that converges to the result it is drawn with. Soccer adds a draw band
|X| < c.

News (`realistic` only): before some games the mean jumps once. Polymarket prices the jump at once,
while the sportsbooks see it only after a delay of tens of minutes: in that gap Polymarket looks
cheap (or rich) against a stale consensus, an apparent edge the closing line will not confirm.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np
import pandas as pd

from . import captured, politics
from .leagues import BOOKMAKERS, EPL, LEAGUES, MLB, NBA, NFL, NHL, Bookmaker, League, Team
from .randomness import generator, hex_id, mix64, mix64_many, norm_cdf, token_id, uniform, uniform_many

SCENARIOS = ("realistic", "planted", "null")
K, V = TypeVar("K"), TypeVar("V")

MINUTES_PER_DAY = 24 * 60
PRE_GAME_DRIFT = 0.0023  # latent sd per minute before the game: about 0.15 over three days
OPEN_LEAD_MIN = (60 * 60, 96 * 60)  # markets and sportsbooks open this long before the game
RESOLVE_DELAY_MIN = (60, 180)  # Polymarket resolves this long after the final whistle
POLYMARKET_SHARE = 0.85  # share of games with a Polymarket market
PLANT_PROBABILITY = 0.3  # chance that a Polymarket market gets a planted window (without a plant rate)
PLANT_GAP = (0.025, 0.07)  # planted ask below the truth by this much (then floored to a tick)
PLANT_EDGE_BOUNDS = (0.02, 0.08)  # the window ends once the truth leaves this band above the ask
PLANT_MINUTES = (10, 120)
PLANT_LEAD_MIN = 30  # no window in a market's first half hour...
PLANT_GUARD_MIN = 5  # ...nor in the last minutes before the game
SLATE_KEY_STRIDE = 10**9  # game keys of extra slates sit this far apart (day keys stay under 10**8)
BOOK_NOISE_BLOCK_MIN = 30  # a sportsbook's error against the truth is redrawn this often
SPREAD_BLOCK_MIN = 5  # Polymarket quotes keep their spread for this long
DEPTH_BLOCK_MIN = 15  # resting sizes are redrawn this often
RECENT_BOOKS = 4096  # token-0 books kept for their mirror token: more than one capture's markets
SIDE_LADDERS = 4096  # book sides' draws kept per depth block: a capture's minute and its recheck share them
REALISTIC_NOISE_PERIODS_MIN = (47, 131, 313)  # Polymarket's mispricing waves in `realistic`
REALISTIC_NOISE_AMPLITUDE = 0.1  # logit amplitude per wave: a few points of error at 50%
NEWS_PER_GAME = 2.0  # mean pieces of pregame news per game (Poisson) in `realistic`
NEWS_JUMP_SD = 0.3  # latent jump: about 12 points at 50%
NEWS_BOOK_DELAY_MIN = (30, 180)  # the sportsbooks price the news this much later than Polymarket
_BOOK_LAGS = np.array([book.lag_min for book in BOOKMAKERS])
_US_BOOKS = np.array([i for i, book in enumerate(BOOKMAKERS) if book.region == "us"])
_US_BOOK_SHARES = np.array([BOOKMAKERS[i].listing_weight for i in _US_BOOKS], float)
_US_BOOK_SHARES /= _US_BOOK_SHARES.sum()
_BOOK_VIGS = np.array([book.vig for book in BOOKMAKERS])
_CAPTURED_SIDE_DEPTHS = tuple(levels for book in captured.BOOK_SIDE_LEVELS for levels in book)
_CENTS = np.arange(1, 100)  # the whole cents a ladder rests on, 0.01..0.99
_LOG_10, _LOG_500 = math.log(10), math.log(500)  # resting sizes' log-uniform range, from 10 shares
_SPREAD_TICKS = (0, 0, 1, 2)  # extra ticks between the truth and the touch, mostly none
POLITICAL_CREATED = datetime(2025, 1, 15, 16, 0, tzinfo=UTC)
MARGIN_SCALE = {
    NFL.sport_key: 10.0,
    NBA.sport_key: 12.0,
    NHL.sport_key: 1.5,
    MLB.sport_key: 2.5,
    EPL.sport_key: 1.2,
}


@dataclass(frozen=True)
class PlantedWindow:
    """A stale resting offer: token `token_index` can be bought at `ask_ticks` cents below the truth."""

    token_index: int
    start_min: int
    end_min: int  # exclusive
    ask_ticks: int
    size: float
    true_prob: float  # truth at the window's start


@dataclass(frozen=True)
class SideLadder:
    """One side of token 0's book in one depth block, all but its touch: the ladder from every cent
    to the far end of the book, and the resting size of each level from the touch."""

    depth: int
    prices: np.ndarray  # mills, walking away from the spread from cent 1 (bids: cent 99)
    starts: tuple[int, ...]  # index in `prices` of each whole cent (by cent; 0 unused)
    sizes: tuple[float, ...]  # max(depth, 1) levels: a planted offer needs its one

    def levels(self, touch_cents: int, depth: int) -> list[tuple[int, float]]:
        """(price, size) of `depth` levels from the touch, best first, none off the 1..99 grid."""
        if not 1 <= touch_cents <= 99:
            return []
        start = self.starts[touch_cents]
        return list(zip(self.prices[start : start + depth].tolist(), self.sizes, strict=False))


@dataclass
class PolymarketMarket:
    """A binary Polymarket market; token 1 is the complement of token 0 and its book mirrors it."""

    key: int
    market_id: str
    pm_event_id: str
    condition_id: str
    question: str
    slug: str
    outcomes: tuple[str, str]
    token_ids: tuple[str, str]
    neg_risk: bool
    group_item_title: str
    fee_rate: float
    created_min: int
    game: Game | None = None
    truth_row: int = 0  # row of the game's probabilities that token 0 pays on
    contract_id: int | None = None  # political markets: the PredictIt contract it mirrors
    windows: list[PlantedWindow] = field(default_factory=list)


@dataclass
class GamePath:
    """A game's simulated trajectory, on a one-minute grid from its open to its resolution."""

    probs: np.ndarray  # (outcomes, minutes): rows in `Game.outcome_names` order
    winner: int  # row of the winning outcome
    final_scores: tuple[int, int]  # (home, away)
    book_noise: np.ndarray  # (bookmakers, noise blocks, outcomes): logit error of each book
    book_probs: np.ndarray  # like `probs`, as the sportsbooks believe them (late on news)


@dataclass
class Game:
    """One scheduled game, as the sportsbooks and Polymarket list it."""

    key: int
    league: League
    home: Team
    away: Team
    start_min: int
    end_min: int
    open_min: int
    resolve_min: int
    event_id: str
    pm_home: str
    pm_away: str
    bookmakers: tuple[int, ...] = ()  # indices in BOOKMAKERS of the books that price the game
    markets: list[PolymarketMarket] = field(default_factory=list)

    @property
    def outcome_names(self) -> list[str]:
        names = [self.home.full, self.away.full]
        return names + ["Draw"] if self.league.three_way else names


def minute_of(ts: float) -> int:
    """The world minute containing unix time `ts`."""
    return int(math.floor(ts / 60))


def iso_z(ts: float) -> str:
    """ISO 8601 UTC with a Z and whole seconds, as Gamma and The Odds API write instants."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class World:
    """A deterministic market world; see the module docstring."""

    def __init__(
        self,
        seed: int,
        scenario: str = "realistic",
        days: int = 14,
        now: datetime | None = None,
        plant_rate: float | None = None,
        plant_minutes: tuple[int, int] = PLANT_MINUTES,
        scale: int = 1,
    ):
        """`plant_rate` is planted windows per market per day of its pre-game life (None: a window
        with probability PLANT_PROBABILITY, the batch default); `plant_minutes` bounds their
        lengths; `scale` copies each league's daily slate that many times (more games, markets and
        tokens, for load benches: the copies reuse the league's teams)."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
        if days < 1:
            raise ValueError("days must be at least 1")
        if plant_rate is not None and plant_rate < 0:
            raise ValueError("plant_rate must not be negative")
        if not 1 <= plant_minutes[0] <= plant_minutes[1]:
            raise ValueError("plant_minutes must be LO,HI with 1 <= LO <= HI")
        if scale < 1:
            raise ValueError("scale must be at least 1")
        self.seed = seed
        self.scenario = scenario
        self.days = days
        self.plant_rate = plant_rate
        self.plant_minutes = plant_minutes
        self.scale = scale
        self._pinned_now: datetime | None = None
        if now is not None:
            self.pin(now)
        self._lock = threading.RLock()
        self._days: dict[int, list[Game]] = {}
        self._paths: dict[int, GamePath] = {}
        self._tokens: dict[str, tuple[PolymarketMarket, int]] = {}
        # Token 0's levels by (market key, minute), oldest first: a capture asks for both tokens
        # of a market at one instant, and the second is the first's mirror.
        self._recent_books: dict[tuple[int, int], tuple] = {}
        self._side_ladders: dict[tuple[int, int, int], SideLadder] = {}  # by (market key, depth block, side)
        self.political_markets = self._political_markets()
        for market in self.political_markets:
            self._index(market)

    # --- time -------------------------------------------------------------------------------

    def pin(self, now: datetime) -> None:
        """Stop the world's clock at `now` (naive means UTC); tests move it on by pinning again."""
        self._pinned_now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def now(self) -> datetime:
        """The world's current instant: the pinned `now`, else the wall clock."""
        return self._pinned_now or datetime.now(UTC)

    def now_ts(self) -> float:
        return self.now().timestamp()

    def history_start_ts(self, now_ts: float | None = None) -> float:
        """The earliest instant served: `days` before now."""
        return (self.now_ts() if now_ts is None else now_ts) - self.days * 86400

    # --- schedule ---------------------------------------------------------------------------

    def games_on_day(self, day: int) -> list[Game]:
        """Games starting on UTC day `day` (days since the epoch), generated once and cached."""
        with self._lock:
            games = self._days.get(day)
            if games is None:
                games = [
                    game
                    for league in LEAGUES
                    for slate in range(self.scale)
                    for game in self._schedule(league, day, slate)
                ]
                for game in games:
                    for market in game.markets:
                        self._index(market)
                self._days[day] = games
            return games

    def games_overlapping(self, start_min: int, end_min: int) -> list[Game]:
        """Games whose listed life [open, resolve] intersects [start_min, end_min]."""
        first_day = (start_min - RESOLVE_DELAY_MIN[1] - 300) // MINUTES_PER_DAY
        last_day = (end_min + OPEN_LEAD_MIN[1]) // MINUTES_PER_DAY + 1
        return [
            game
            for day in range(first_day, last_day + 1)
            for game in self.games_on_day(day)
            if game.open_min <= end_min and game.resolve_min >= start_min
        ]

    def served_games(self, now_ts: float | None = None) -> list[Game]:
        """Games visible in the served history window [now - days, now]."""
        now_ts = self.now_ts() if now_ts is None else now_ts
        return self.games_overlapping(minute_of(self.history_start_ts(now_ts)), minute_of(now_ts))

    def _schedule(self, league: League, day: int, slate: int) -> list[Game]:
        """One slate of a league's games on `day`; slate 0 is the world's own, the others are the
        copies `scale` adds, drawn from their own keys."""
        copy = (slate,) if slate else ()  # slate 0 keeps the keys the unscaled world always had
        rng = generator(self.seed, day, LEAGUES.index(league), 1, *copy)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        slots = _day_slots(league, weekday, rng)
        order = rng.permutation(len(league.teams))
        games = []
        seen_pairs = set()
        for index, (minute_of_day, pair) in enumerate(slots):
            home, away = league.teams[order[2 * pair]], league.teams[order[2 * pair + 1]]
            if mix64(self.seed, day, pair, *copy) % 2:
                home, away = away, home
            key = slate * SLATE_KEY_STRIDE + day * 1000 + LEAGUES.index(league) * 100 + index
            start_min = day * MINUTES_PER_DAY + minute_of_day
            game = self._game(league, key, start_min, home, away, rematch=pair in seen_pairs, slate=slate)
            games.append(game)
            seen_pairs.add(pair)
        return games

    def _game(
        self, league: League, key: int, start_min: int, home: Team, away: Team, rematch: bool, slate: int
    ) -> Game:
        """A game and its Polymarket markets; `rematch` marks a doubleheader's second game."""
        rng = generator(self.seed, key, 2)
        duration = int(league.duration_min + rng.integers(-15, 16))
        end_min = start_min + duration
        open_min = start_min - int(rng.integers(*OPEN_LEAD_MIN))
        resolve_min = end_min + int(rng.integers(*RESOLVE_DELAY_MIN))
        style = rng.random()
        pm_home, pm_away = (_short_name(home, style), _short_name(away, style))
        game = Game(
            key,
            league,
            home,
            away,
            start_min,
            end_min,
            open_min,
            resolve_min,
            hex_id(f"{self.seed}:game:{key}", 16),
            pm_home,
            pm_away,
            self._listed_books(key),
        )
        if rng.random() < POLYMARKET_SHARE:
            created_min = open_min + int(rng.integers(0, 90))
            game.markets = self._game_markets(game, created_min, rematch, slate)
        return game

    def _listed_books(self, key: int) -> tuple[int, ...]:
        """The books pricing a game: as many `us` books as an event of the real US capture carries
        (drawn from it), picked as often as the capture lists each; other regions' books price all."""
        rng = generator(self.seed, key, 9)
        count = int(rng.choice(captured.US_BOOKS_PER_EVENT))
        us_books = rng.choice(_US_BOOKS, size=count, replace=False, p=_US_BOOK_SHARES)
        others = [i for i, book in enumerate(BOOKMAKERS) if book.region != "us"]
        return tuple(sorted(others + us_books.tolist()))

    def _game_markets(
        self, game: Game, created_min: int, rematch: bool, slate: int
    ) -> list[PolymarketMarket]:
        league = game.league
        pm_event_id = str(game.key)
        specs = _market_specs(game, _event_slug(game, rematch, slate))
        markets = []
        for index, (question, slug, outcomes, row, group_title, neg_risk) in enumerate(specs):
            key = game.key * 4 + index
            label = f"{self.seed}:market:{key}"
            markets.append(
                PolymarketMarket(
                    key=key,
                    market_id=str(key),
                    pm_event_id=pm_event_id,
                    condition_id="0x" + hex_id(label, 32),
                    question=question,
                    slug=slug,
                    outcomes=outcomes,
                    token_ids=(token_id(label + ":0"), token_id(label + ":1")),
                    neg_risk=neg_risk,
                    group_item_title=group_title,
                    fee_rate=league.fee_rate,
                    created_min=created_min,
                    game=game,
                    truth_row=row,
                )
            )
        return markets

    def _political_markets(self) -> list[PolymarketMarket]:
        created_min = minute_of(POLITICAL_CREATED.timestamp())
        markets = []
        for index, (contract_id, question, slug, neg_risk) in enumerate(politics.POLYMARKET_MIRRORS):
            key = 500_000 + index
            label = f"{self.seed}:political:{contract_id}"
            group = contract_id // 100
            markets.append(
                PolymarketMarket(
                    key=key,
                    market_id=str(key),
                    pm_event_id=str(90_000 + group),
                    condition_id="0x" + hex_id(label, 32),
                    question=question,
                    slug=slug,
                    outcomes=("Yes", "No"),
                    token_ids=(token_id(label + ":0"), token_id(label + ":1")),
                    neg_risk=neg_risk,
                    group_item_title=question,
                    fee_rate=0.0,
                    created_min=created_min,
                    contract_id=contract_id,
                )
            )
        return markets

    def _index(self, market: PolymarketMarket) -> None:
        for index, token in enumerate(market.token_ids):
            self._tokens[token] = (market, index)

    # --- truth ------------------------------------------------------------------------------

    def path(self, game: Game) -> GamePath:
        """The game's price path, generated on first use (with its planted windows) and cached."""
        with self._lock:
            path = self._paths.get(game.key)
            if path is None:
                path = self._paths[game.key] = self._simulate(game)
                for market in game.markets:
                    market.windows = self._plant(game, path, market)
            return path

    def _simulate(self, game: Game) -> GamePath:
        league = game.league
        rng = generator(self.seed, game.key, 3)
        minutes = game.resolve_min - game.open_min + 1
        pre = game.start_min - game.open_min
        duration = game.end_min - game.start_min
        latent = np.empty(minutes)
        scale = np.zeros(minutes)
        mean0 = league.home_edge + rng.normal(0.0, league.strength_sd)
        latent[: pre + 1] = mean0 + np.concatenate(([0.0], np.cumsum(rng.normal(0.0, PRE_GAME_DRIFT, pre))))
        scale[: pre + 1] = 1.0
        in_game = slice(pre + 1, pre + duration + 1)
        latent[in_game] = latent[pre] + np.cumsum(rng.normal(0.0, math.sqrt(1.0 / duration), duration))
        scale[in_game] = np.sqrt(1.0 - np.arange(1, duration + 1) / duration)
        unseen = np.zeros(minutes)  # the part of the latent the sportsbooks have not priced yet
        if self.scenario == "realistic":
            unseen = self._news(game, latent, pre)
        final = latent[pre + duration]
        latent[pre + duration + 1 :] = final
        draw_band = _draw_band(league)
        probs = _outcome_probs(latent, scale, draw_band, league.three_way)
        book_probs = (
            _outcome_probs(latent - unseen, scale, draw_band, league.three_way) if unseen.any() else probs
        )
        if league.three_way:
            winner = 0 if final > draw_band else 1 if final < -draw_band else 2
        else:
            winner = 0 if final > 0 else 1
        blocks = minutes // BOOK_NOISE_BLOCK_MIN + 1
        noise_sd = np.array([book.noise_sd for book in BOOKMAKERS])[:, None, None]
        book_noise = rng.normal(0.0, 1.0, (len(BOOKMAKERS), blocks, probs.shape[0])) * noise_sd
        final_scores = _final_scores(league, winner, abs(final), rng)
        return GamePath(probs, winner, final_scores, book_noise, book_probs)

    def _news(self, game: Game, latent: np.ndarray, pre: int) -> np.ndarray:
        """Add the game's pregame news jumps to `latent` (in place); return what the books miss of them."""
        rng = generator(self.seed, game.key, 8)
        unseen = np.zeros(len(latent))
        if pre < 120:
            return unseen
        for _ in range(rng.poisson(NEWS_PER_GAME)):
            at = int(rng.integers(60, pre - 30))
            jump = rng.normal(0.0, NEWS_JUMP_SD)
            delay = int(rng.integers(*NEWS_BOOK_DELAY_MIN))
            latent[at:] += jump
            unseen[at : min(at + delay, pre)] += jump
        return unseen

    def _plant(self, game: Game, path: GamePath, market: PolymarketMarket) -> list[PlantedWindow]:
        """Draw the market's planted windows (used only by the `planted` scenario)."""
        rng = generator(self.seed, market.key, 4)
        if self.plant_rate is not None:
            return self._plant_at_rate(game, path, market, rng)
        if rng.random() >= PLANT_PROBABILITY:
            return []
        low, high = self.plant_minutes
        token_index = int(rng.integers(0, 2))
        length = int(rng.integers(low, high + 1))
        start = int(
            rng.integers(market.created_min + PLANT_LEAD_MIN, game.start_min - length - PLANT_GUARD_MIN)
        )
        window = self._window(game, path, market, rng, token_index, start, length)
        return [window] if window else []

    def _plant_at_rate(
        self, game: Game, path: GamePath, market: PolymarketMarket, rng: np.random.Generator
    ) -> list[PlantedWindow]:
        """A Poisson number of windows at `plant_rate` per pre-game day, one in each of as many
        equal slots of the pre-game life, so they never overlap."""
        first = market.created_min + PLANT_LEAD_MIN
        span = game.start_min - PLANT_GUARD_MIN - first
        count = int(rng.poisson(self.plant_rate * max(span, 0) / MINUTES_PER_DAY))
        low, high = self.plant_minutes
        windows = []
        for slot in range(count):
            slot_start, slot_end = first + slot * span // count, first + (slot + 1) * span // count
            length = min(int(rng.integers(low, high + 1)), slot_end - slot_start)
            if length < low:
                continue  # slots shorter than the shortest window: the asked density is too high
            start = int(rng.integers(slot_start, slot_end - length + 1))
            window = self._window(game, path, market, rng, int(rng.integers(0, 2)), start, length)
            if window:
                windows.append(window)
        return windows

    def _window(
        self,
        game: Game,
        path: GamePath,
        market: PolymarketMarket,
        rng: np.random.Generator,
        token_index: int,
        start: int,
        length: int,
    ) -> PlantedWindow | None:
        """The window offering `token_index` under the truth from `start`, cut where the edge
        leaves its band; None where the price or the cut leaves no window."""
        token_probs = path.probs[market.truth_row]
        if token_index == 1:
            token_probs = 1.0 - token_probs
        p_start = float(token_probs[start - game.open_min])
        ask_ticks = math.floor((p_start - rng.uniform(*PLANT_GAP)) * 100)
        if not 1 <= ask_ticks <= 97:
            return None
        edges = token_probs[start - game.open_min : start - game.open_min + length] - ask_ticks / 100
        inside = (edges >= PLANT_EDGE_BOUNDS[0]) & (edges <= PLANT_EDGE_BOUNDS[1])
        length = int(np.argmin(inside)) if not inside.all() else length  # stop where the edge leaves the band
        if length < self.plant_minutes[0]:
            return None
        size = float(np.round(rng.uniform(200, 3000), 2))
        return PlantedWindow(token_index, start, start + length, ask_ticks, size, p_start)

    def token(self, token_id_: str) -> tuple[PolymarketMarket, int] | None:
        """The market and outcome index of a token id served in the history window, if any."""
        with self._lock:
            found = self._tokens.get(token_id_)
        if found is None:
            self.served_games()  # generate the served days, then look again
            with self._lock:
                found = self._tokens.get(token_id_)
        return found

    def truth0(self, market: PolymarketMarket, minute: int) -> float:
        """True probability that token 0 of `market` pays out, at `minute`."""
        if market.contract_id is not None:
            contract = politics.contracts()[market.contract_id]
            return politics.market_truths(self.seed, contract.market_id, minute)[market.contract_id]
        game = market.game
        probs = self.path(game).probs[market.truth_row]
        return float(probs[min(max(minute, game.open_min), game.resolve_min) - game.open_min])

    def true_prob(self, token_id_: str, ts: datetime | float) -> float:
        """True probability that the token pays out at instant `ts` (datetime or unix seconds)."""
        found = self.token(token_id_)
        if found is None:
            raise KeyError(f"unknown token id {token_id_}")
        market, index = found
        seconds = ts.timestamp() if isinstance(ts, datetime) else ts
        truth = self.truth0(market, minute_of(seconds))
        return truth if index == 0 else 1.0 - truth

    def game_probs(self, game: Game, minute: int) -> np.ndarray:
        """True probabilities of the game's outcomes (in `outcome_names` order) at `minute`."""
        index = min(max(minute, game.open_min), game.resolve_min) - game.open_min
        return self.path(game).probs[:, index]

    # --- Polymarket books -------------------------------------------------------------------

    def top_of_book(self, market: PolymarketMarket, minute: int) -> tuple[int, int, PlantedWindow | None]:
        """Token 0's best bid and ask in cents at `minute` (outside 1..99 means no order there),
        and the planted window in force, if any."""
        truth = self.truth0(market, minute)
        spread_draw = mix64(self.seed, market.key, minute // SPREAD_BLOCK_MIN)
        if self.scenario == "realistic":
            clipped = min(max(truth, 1e-4), 1 - 1e-4)
            logit = math.log(clipped / (1 - clipped)) + self._pricing_error(market, minute)
            belief = 1 / (1 + math.exp(-logit))
            ask = math.ceil(belief * 100) + spread_draw % 2
            bid = math.floor(belief * 100) - (spread_draw >> 8) % 2
        else:
            # Ask at or above the truth and bid at or below it: no mispricing beyond the spread.
            ask = math.ceil(truth * 100) + _SPREAD_TICKS[spread_draw % 4]
            bid = math.floor(truth * 100) - _SPREAD_TICKS[(spread_draw >> 8) % 4]
        bid = min(bid, ask - 1)
        window = self.active_window(market, minute)
        if window is not None:
            if window.token_index == 0:
                ask = window.ask_ticks
                bid = min(bid, ask - 1)
            else:  # token 1's cheap ask is token 0's rich bid
                bid = 100 - window.ask_ticks
                ask = max(ask, bid + 1)
        return bid, ask, window

    def active_window(self, market: PolymarketMarket, minute: int) -> PlantedWindow | None:
        if self.scenario != "planted" or market.game is None:
            return None
        self.path(market.game)
        return next((w for w in market.windows if w.start_min <= minute < w.end_min), None)

    def _pricing_error(self, market: PolymarketMarket, minute: int) -> float:
        """Polymarket's mean-reverting logit error in `realistic`: slow seeded waves."""
        total = 0.0
        for k, period in enumerate(REALISTIC_NOISE_PERIODS_MIN):
            phase = 2 * math.pi * uniform(self.seed, market.key, k, 5)
            total += REALISTIC_NOISE_AMPLITUDE * math.sin(2 * math.pi * minute / period + phase)
        return total

    def fine_tick(self, market: PolymarketMarket) -> bool:
        """Whether the market quotes in tenths of a cent, as most real markets do (captured.py)."""
        fine, total = captured.FINE_TICK_MARKETS
        return uniform(self.seed, market.key, 12) < fine / total

    def book_levels(
        self, market: PolymarketMarket, token_index: int, minute: int
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """A token's (bids, asks) as (price in mills, size) lists, best first.

        Each side is as deep as a side of a real captured book (drawn per depth block, none at
        times: an empty side), on a ladder of whole cents from the touch; a market on the fine tick
        also rests orders between the cents, at the real share of three-decimal levels."""
        bids0, asks0 = self._remembered(
            self._recent_books,
            (market.key, minute),
            RECENT_BOOKS,
            lambda: self._token0_levels(market, minute),
        )
        if token_index == 0:
            return list(bids0), list(asks0)
        return [(1000 - price, size) for price, size in asks0], [
            (1000 - price, size) for price, size in bids0
        ]

    def _token0_levels(
        self, market: PolymarketMarket, minute: int
    ) -> tuple[tuple[tuple[int, float], ...], tuple[tuple[int, float], ...]]:
        """Token 0's (bids, asks) at `minute`, best first; token 1's book is their mirror."""
        bid0, ask0, window = self.top_of_book(market, minute)
        depth_block = minute // DEPTH_BLOCK_MIN
        sides = [self._side_ladder(market, depth_block, side) for side in (0, 1)]
        depths = [ladder.depth for ladder in sides]
        if window is not None:  # the planted offer's side is never empty
            depths[1 if window.token_index == 0 else 0] = max(depths[1 if window.token_index == 0 else 0], 1)
        bids0 = sides[0].levels(bid0, depths[0])
        asks0 = sides[1].levels(ask0, depths[1])
        if window is not None:
            # the planted offer is real depth: hundreds to thousands of shares at that price
            if window.token_index == 0 and asks0:
                asks0[0] = (asks0[0][0], window.size)
            elif window.token_index == 1 and bids0:
                bids0[0] = (bids0[0][0], window.size)
        return tuple(bids0), tuple(asks0)

    def _side_ladder(self, market: PolymarketMarket, depth_block: int, side: int) -> SideLadder:
        return self._remembered(
            self._side_ladders,
            (market.key, depth_block, side),
            SIDE_LADDERS,
            lambda: self._draw_side_ladder(market, depth_block, side),
        )

    def _remembered(self, cache: dict[K, V], key: K, limit: int, make: Callable[[], V]) -> V:
        """`cache[key]`, made by `make` on a miss; the oldest entry goes once `cache` holds more than
        `limit`. `make` runs outside the lock: two threads may both make a missing entry, equal."""
        with self._lock:
            found = cache.get(key)
        if found is None:
            found = make()
            with self._lock:
                cache[key] = found
                if len(cache) > limit:
                    del cache[next(iter(cache))]
        return found

    def _draw_side_ladder(self, market: PolymarketMarket, depth_block: int, side: int) -> SideLadder:
        """A side's depth (as deep as a side of a real captured book), its ladder and its sizes.

        The ladder runs on whole cents away from the spread (bids down, asks up); a market on the
        fine tick also rests an order between two cents, 1..9 mills past a cent, at the rate that
        makes the real share of three-decimal levels. Every draw is keyed by the cent or level it
        is for, so a ladder from any touch is the tail of this one from the first cent."""
        block = (self.seed, market.key, depth_block, side)
        depth = _CAPTURED_SIDE_DEPTHS[mix64(*block, 6) % len(_CAPTURED_SIDE_DEPTHS)]
        step = -1 if side == 0 else 1
        cent_mills = _CENTS[::step] * 10
        if self.fine_tick(market):
            odd, total = captured.THREE_DECIMAL_LEVELS
            fine_share, markets = captured.FINE_TICK_MARKETS
            between = (odd / total) * markets / fine_share  # share of levels off the cent on a fine book
            insert_rate = between / (1 - between)  # off-cent levels per whole-cent level
            inserted = uniform_many(block, cent_mills, (13,)) < insert_rate
            # 1..9 mills from a cent in 0.01..0.99 stays inside the fine grid's 0.001..0.999
            offsets = 1 + (mix64_many(block, cent_mills, (14,)) % np.uint64(9)).astype(np.int64)
            per_cent = 1 + inserted.astype(np.int64)
            prices = np.repeat(cent_mills, per_cent)
            firsts = np.cumsum(per_cent) - per_cent
            prices[firsts[inserted] + 1] += step * offsets[inserted]
        else:
            prices = cent_mills
            firsts = np.arange(cent_mills.size)
        starts = np.zeros(100, np.int64)
        starts[cent_mills // 10] = firsts
        draws = uniform_many(block, np.arange(max(depth, 1)), (7,)).tolist()
        return SideLadder(
            depth,
            prices.astype(np.int16),
            tuple(starts.tolist()),
            tuple(_resting_size(draw, level) for level, draw in enumerate(draws)),
        )

    # --- sportsbooks and scores -------------------------------------------------------------

    def bookmaker_quotes(self, game: Game, ts: float) -> list[tuple[Bookmaker, float, list[int]]]:
        """Each bookmaker's American h2h prices (outcome_names order) and last update at `ts`."""
        minute = minute_of(ts)
        path = self.path(game)
        columns = minute - _BOOK_LAGS - game.open_min  # each book reacts to the truth late
        listed = np.array([i for i in game.bookmakers if columns[i] >= 0], dtype=np.intp)
        if not len(listed):
            return []
        columns = np.minimum(columns[listed], path.probs.shape[1] - 1)
        probs = np.clip(path.book_probs[:, columns].T, 0.01, 0.99)  # (books, outcomes)
        noisy = probs * np.exp(path.book_noise[listed, columns // BOOK_NOISE_BLOCK_MIN])
        implied = noisy / noisy.sum(axis=1, keepdims=True) * (1.0 + _BOOK_VIGS[listed, None])
        quotes = []
        for row, book_index in enumerate(listed.tolist()):
            prices = [american_from_decimal(1.0 / q) for q in implied[row].tolist()]
            updated = minute * 60 - mix64(self.seed, game.key, book_index, minute) % 45
            quotes.append((BOOKMAKERS[book_index], float(max(updated, game.open_min * 60)), prices))
        return quotes

    def score_state(self, game: Game, minute: int) -> tuple[bool, tuple[int, int] | None]:
        """(completed, (home, away) score or None before the start) at `minute`."""
        if minute < game.start_min:
            return False, None
        final = self.path(game).final_scores
        if minute >= game.end_min:
            return True, final
        fraction = (minute - game.start_min) / (game.end_min - game.start_min)
        return False, (int(final[0] * fraction), int(final[1] * fraction))

    # --- ground truth -----------------------------------------------------------------------

    def planted_edges(self) -> pd.DataFrame:
        """Planted windows overlapping the served history [now - days, now], so every window that
        has started by now, also one still running (empty unless `planted`)."""
        columns = ["pm_market_id", "pm_token_id", "outcome", "start_ts", "end_ts", "true_prob", "pm_best_ask"]
        if self.scenario != "planted":
            return pd.DataFrame(columns=columns)
        now_ts = self.now_ts()
        start_min, end_min = minute_of(self.history_start_ts(now_ts)), minute_of(now_ts)
        rows = []
        for game in self.served_games(now_ts):
            self.path(game)
            for market in game.markets:
                for window in market.windows:
                    if window.end_min > start_min and window.start_min <= end_min:
                        rows.append(
                            {
                                "pm_market_id": market.market_id,
                                "pm_token_id": market.token_ids[window.token_index],
                                "outcome": market.outcomes[window.token_index],
                                "start_ts": iso_z(window.start_min * 60),
                                "end_ts": iso_z(window.end_min * 60),
                                "true_prob": round(window.true_prob, 6),
                                "pm_best_ask": window.ask_ticks / 100,
                            }
                        )
        return pd.DataFrame(rows, columns=columns).sort_values(["start_ts", "pm_token_id"], ignore_index=True)


def _resting_size(draw: float, level: int) -> float:
    """Resting size: log-uniform between 10 and 5,000 shares, thinner at the touch."""
    size = math.exp(_LOG_10 + draw * _LOG_500) * (0.4 if level == 0 else 1.0)
    return round(max(size, 5.0), 2) if draw > 0.3 else float(round(size))


def _event_slug(game: Game, rematch: bool, slate: int) -> str:
    """The game's Gamma event slug: league, teams and date, unique for rematches and slate copies."""
    league = game.league
    date = datetime.fromtimestamp(game.start_min * 60, UTC).strftime("%Y-%m-%d")
    first, second = (game.home, game.away) if league.three_way else (game.away, game.home)
    slug = f"{league.slug}-{first.abbr.lower()}-{second.abbr.lower()}-{date}"
    if rematch:
        slug += "-game-2"
    if slate:
        slug += f"-slate-{slate + 1}"  # slugs stay unique when `scale` copies the slate
    return slug


def _market_specs(game: Game, base_slug: str) -> list[tuple]:
    """(question, slug, outcomes, truth row, group title, neg risk) of each of the game's markets:
    one head-to-head market, or the home, draw and away Yes/No markets of a three-way league."""
    date = datetime.fromtimestamp(game.start_min * 60, UTC).strftime("%Y-%m-%d")
    if not game.league.three_way:
        specs = [
            (
                f"{game.pm_away} vs. {game.pm_home}",
                base_slug,
                (game.pm_away, game.pm_home),
                1,
                f"{game.pm_away} vs. {game.pm_home}",
                False,
            )
        ]
    else:
        draw = f"Draw ({game.pm_home} vs. {game.pm_away})"
        specs = [
            (
                f"Will {game.pm_home} win on {date}?",
                f"{base_slug}-{game.home.abbr.lower()}",
                ("Yes", "No"),
                0,
                game.pm_home,
                True,
            ),
            (
                f"Will {game.pm_home} vs. {game.pm_away} end in a draw?",
                f"{base_slug}-draw",
                ("Yes", "No"),
                2,
                draw,
                True,
            ),
            (
                f"Will {game.pm_away} win on {date}?",
                f"{base_slug}-{game.away.abbr.lower()}",
                ("Yes", "No"),
                1,
                game.pm_away,
                True,
            ),
        ]
    return specs


def american_from_decimal(decimal_odds: float) -> int:
    """American odds (integer) for decimal odds."""
    if decimal_odds >= 2.0:
        return int(round((decimal_odds - 1.0) * 100))
    return -int(round(100.0 / (decimal_odds - 1.0)))


def decimal_from_american(american: int) -> float:
    """Decimal odds, rounded to cents as The Odds API prints them."""
    value = 1 + american / 100 if american > 0 else 1 + 100 / -american
    return round(value, 2)


def _outcome_probs(latent: np.ndarray, scale: np.ndarray, draw_band: float, three_way: bool) -> np.ndarray:
    """(outcomes, minutes) probabilities from the latent path: home, away (and draw)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        home = np.where(scale > 0, norm_cdf((latent - draw_band) / scale), (latent > draw_band) * 1.0)
        away = np.where(scale > 0, norm_cdf((-latent - draw_band) / scale), (latent < -draw_band) * 1.0)
    if three_way:
        return np.vstack([home, away, np.clip(1.0 - home - away, 0.0, 1.0)])
    return np.vstack([home, 1.0 - home])


def _draw_band(league: League) -> float:
    # |X| < 0.32 under X ~ N(0, 1) is a 25% draw: about the Premier League's draw rate
    return 0.32 if league.three_way else 0.0


def _short_name(team: Team, style: float) -> str:
    """How Polymarket names a team in one game: nickname mostly, sometimes city or abbreviation."""
    if style < 0.75 or (style < 0.88 and team.city is None):
        return team.nickname
    if style < 0.88:
        return team.city
    return team.abbr


def _final_scores(league: League, winner: int, strength: float, rng: np.random.Generator) -> tuple[int, int]:
    """Final (home, away) score consistent with the winner; margins grow with how clear the result is."""
    low, high = league.score_range
    if winner == 2:
        goals = int(rng.integers(0, 3))
        return goals, goals
    margin = max(1, int(round(strength * MARGIN_SCALE[league.sport_key] * rng.uniform(0.3, 1.2))))
    win_score = max(int(rng.integers(low, high + 1)), margin)
    lose_score = win_score - margin
    return (win_score, lose_score) if winner == 0 else (lose_score, win_score)


def _day_slots(league: League, weekday: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(minute of the UTC day, team pair index) of a league's games on one day."""

    def at(hour: int, minute: int) -> int:
        return hour * 60 + minute

    if league is NFL:
        times = {6: [at(17, 0)] * 9 + [at(20, 25)] * 4, 0: [at(0, 20)], 1: [at(0, 15)], 4: [at(0, 15)]}
        starts = times.get(weekday, [])
    elif league is EPL:
        if weekday == 5:
            starts = [at(11, 30)] + [at(14, 0)] * 4 + [at(16, 30)]
        elif weekday == 6:
            starts = [at(13, 0), at(13, 0), at(15, 30)]
        elif weekday in (1, 2) and rng.random() < 0.35:
            starts = [at(18, 45), at(19, 0), at(19, 0)]
        else:
            starts = []
    else:
        choices = {
            NBA.sport_key: (
                [at(23, 0), at(23, 30), at(0, 0), at(0, 30), at(1, 0), at(2, 0), at(2, 30)],
                (2, 7),
            ),
            NHL.sport_key: ([at(23, 0), at(23, 30), at(0, 0), at(1, 0), at(2, 0), at(18, 0)], (2, 7)),
            MLB.sport_key: (
                [at(17, 5), at(18, 10), at(20, 10), at(23, 5), at(23, 40), at(0, 10), at(2, 10)],
                (4, 9),
            ),
        }[league.sport_key]
        options, count_range = choices
        count = int(rng.integers(*count_range))
        starts = sorted(int(rng.choice(options)) for _ in range(count))
    slots = [(start, pair) for pair, start in enumerate(starts)]
    if league is MLB and rng.random() < 0.2:
        # doubleheader: the first pairing plays again about four hours later
        slots.append((slots[0][0] + 245, slots[0][1]))
    return sorted(slots)
