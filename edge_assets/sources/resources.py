"""Every venue's Dagster resource: HTTP settings, a lazily built `VenueClient` and the endpoints.

The only module of `sources` that imports Dagster; the clients and parsers it builds on are plain
Python, so scripts and domain code can parse venue payloads without loading Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import dagster as dg
from pydantic import Field, PrivateAttr

from edge_assets.sources.http import Payload, VenueClient
from edge_assets.sources.oddsapi import H2H, OddsFormat, Quota, QuotaFloorReached
from edge_assets.sources.parsing import utc_instant
from edge_assets.sources.polymarket import gamma_page_records
from edge_assets.sources.predictit import PREDICTIT_TZ


class VenueResource(dg.ConfigurableResource):
    """HTTP settings common to all venues; subclasses add `base_url` and the endpoints.

    The `VenueClient` is built on first use, not at import or definition time, so loading
    the code location never opens connections or needs a secret to be set.
    """

    base_url: str
    timeout_s: float = Field(default=30.0, description="Read timeout per attempt, in seconds.")
    connect_timeout_s: float = Field(default=5.0, description="Connect timeout per attempt, in seconds.")
    max_attempts: int = Field(default=5, description="Attempts per request, the first one included.")
    backoff_base_s: float = Field(default=0.5, description="First backoff ceiling; doubles per retry.")
    max_backoff_s: float = Field(default=30.0, description="Largest backoff ceiling between attempts.")
    max_retry_after_s: float = Field(default=60.0, description="Longest Retry-After wait that is honoured.")

    _client: VenueClient | None = PrivateAttr(default=None)

    def _secrets(self) -> tuple[str, ...]:
        """Values to redact from URLs, logs and errors; venues with an API key override this."""
        return ()

    @property
    def client(self) -> VenueClient:
        """This resource's `VenueClient`, created on first access."""
        if self._client is None:
            self._client = VenueClient(
                self.base_url,
                connect_timeout_s=self.connect_timeout_s,
                read_timeout_s=self.timeout_s,
                max_attempts=self.max_attempts,
                backoff_base_s=self.backoff_base_s,
                max_backoff_s=self.max_backoff_s,
                max_retry_after_s=self.max_retry_after_s,
                secrets=self._secrets(),
            )
        return self._client

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class PolymarketGammaResource(VenueResource):
    """Polymarket's Gamma API: market and event metadata, every page of a listing.

    Keyset by default (`/markets/keyset`, `/events/keyset`, following `next_cursor`): the real
    Gamma's replacement for its offset listings. `pagination="offset"` reads `/markets` and
    `/events` with limit/offset, ending at a short page.
    """

    base_url: str = "https://gamma-api.polymarket.com"
    pagination: Literal["keyset", "offset"] = Field(default="keyset", description="How listings are paged.")
    page_size: int = Field(default=500, description="Records asked for per page (keyset routes cap it).")
    max_pages: int = Field(default=1000, description="Safety stop for a server that never ends a listing.")

    def fetch_markets(self, active: bool | None = None, closed: bool | None = None) -> list[Payload]:
        """Every page of the markets listing matching the filters (None leaves a filter out)."""
        return self._fetch_pages("markets", active, closed)

    def fetch_events(self, active: bool | None = None, closed: bool | None = None) -> list[Payload]:
        """Every page of the events listing; each event embeds its markets (see `parse_gamma_events`)."""
        return self._fetch_pages("events", active, closed)

    def _fetch_pages(self, kind: str, active: bool | None, closed: bool | None) -> list[Payload]:
        filters = {
            name: str(value).lower()
            for name, value in (("active", active), ("closed", closed))
            if value is not None
        }
        keyset = self.pagination == "keyset"
        path = f"/{kind}/keyset" if keyset else f"/{kind}"
        pages: list[Payload] = []
        cursor: str | None = None
        while len(pages) < self.max_pages:
            params: dict[str, Any] = {**filters, "limit": self.page_size}
            if keyset and cursor is not None:
                params["after_cursor"] = cursor
            elif not keyset:
                params["offset"] = len(pages) * self.page_size
            page = self.client.get(path, params=params)
            if keyset != isinstance(page.data, Mapping):
                shape = "an object with next_cursor" if keyset else "a list"
                raise ValueError(
                    f"Gamma {path} returned {type(page.data).__name__}, expected {shape}: {page.url}"
                )
            records = gamma_page_records(page.data, kind)
            pages.append(page)
            cursor = page.data.get("next_cursor") if keyset else None
            if (keyset and not cursor) or (not keyset and len(records) < self.page_size):
                return pages
        raise RuntimeError(
            f"Gamma {path} still had more pages after {self.max_pages} pages of {self.page_size}; "
            "raise max_pages if the listing really is that long"
        )


class PolymarketClobResource(VenueResource):
    """Polymarket's CLOB: order books for outcome tokens, fetched in batches via `POST /books`.

    The real CLOB serves only the current book. The simulator also serves past books
    (`ts=<unix seconds>`); `historical_books=True` enables that for backfills against it.
    """

    base_url: str = "https://clob.polymarket.com"
    batch_size: int = Field(default=200, description="Token ids per POST /books request.")
    historical_books: bool = Field(
        default=False,
        description="Ask for books as of a past instant (simulator only; the real CLOB has none).",
    )

    def fetch_books(self, token_ids: Sequence[str], at: datetime | None = None) -> list[Payload]:
        """Books for `token_ids`, one payload per batch; `at` asks for books as of that instant."""
        params: dict[str, int] | None = None
        if at is not None:
            if not self.historical_books:
                raise ValueError(
                    "Polymarket's CLOB has no order-book history, so books can only be fetched for now; "
                    "past books exist only where the server supports `ts` (the simulator) and need "
                    "historical_books=True on PolymarketClobResource"
                )
            params = {"ts": int(utc_instant(at, "at").timestamp())}
        return [
            self.client.post(
                "/books",
                [{"token_id": str(token)} for token in token_ids[start : start + self.batch_size]],
                params=params,
            )
            for start in range(0, len(token_ids), self.batch_size)
        ]


class OddsApiResource(VenueResource):
    """The Odds API v4 (h2h markets only). The key travels as `apiKey` and is redacted everywhere.

    Every response updates `last_quota`; once its `remaining` is below `quota_floor`, further
    requests raise `QuotaFloorReached` instead of spending the reserve.
    """

    base_url: str = "https://api.the-odds-api.com"
    api_key: str = Field(description="The Odds API key; pass dg.EnvVar('EDGE_ODDS_API_KEY').")
    # `eu` brings in Pinnacle, the consensus's sharp book: The Odds API lists it in no other region.
    regions: str = Field(default="us,eu", description="Bookmaker regions, comma separated.")
    odds_format: OddsFormat = Field(default="american", description="Odds format asked for.")
    quota_floor: int = Field(default=100, description="Stop when fewer requests than this remain.")

    _last_quota: Quota | None = PrivateAttr(default=None)

    def _secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    @property
    def last_quota(self) -> Quota | None:
        """Usage counters from the most recent response, or None before the first one."""
        return self._last_quota

    def fetch_sports(self) -> Payload:
        """`GET /v4/sports`: the sports currently in season."""
        return self._get("/v4/sports", {})

    def fetch_odds(self, sport: str) -> Payload:
        """`GET /v4/sports/{sport}/odds`: live and upcoming events with h2h prices."""
        return self._get(f"/v4/sports/{quote(sport, safe='')}/odds", self._odds_params())

    def fetch_historical_odds(self, sport: str, at: datetime) -> Payload:
        """`GET /v4/historical/sports/{sport}/odds`: the snapshot at or before `at`."""
        date = utc_instant(at, "at").strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._get(
            f"/v4/historical/sports/{quote(sport, safe='')}/odds", {**self._odds_params(), "date": date}
        )

    def fetch_scores(self, sport: str, days_from: int = 3) -> Payload:
        """`GET /v4/sports/{sport}/scores`: live games and those completed in the last `days_from` days."""
        params = {"daysFrom": days_from, "dateFormat": "iso"}
        return self._get(f"/v4/sports/{quote(sport, safe='')}/scores", params)

    def _odds_params(self) -> dict[str, str]:
        return {"regions": self.regions, "markets": H2H, "oddsFormat": self.odds_format, "dateFormat": "iso"}

    def _get(self, path: str, params: dict[str, Any]) -> Payload:
        quota = self._last_quota
        if quota is not None and quota.remaining is not None and quota.remaining < self.quota_floor:
            raise QuotaFloorReached(
                f"The Odds API quota is below its floor: {quota.remaining} requests remain "
                f"(used {quota.used}) and quota_floor is {self.quota_floor}, so {path} was not requested. "
                "Wait for the quota to reset, upgrade the plan, or lower quota_floor to spend the reserve."
            )
        payload = self.client.get(path, params={**params, "apiKey": self.api_key})
        self._last_quota = Quota.from_headers(payload.headers, payload.fetched_at) or quota
        return payload


class PredictItResource(VenueResource):
    """PredictIt's public market data: every open market and contract in one response.

    PredictIt's timestamps carry no zone; `timestamp_tz` is the zone they are read in
    (pass it to `parse_predictit`).
    """

    base_url: str = "https://www.predictit.org"
    timestamp_tz: str = Field(
        default=PREDICTIT_TZ, description="IANA zone of PredictIt's zone-less timestamps."
    )

    def fetch_all(self) -> Payload:
        """`GET /api/marketdata/all/`: `{"markets": [{..., "contracts": [...]}]}`."""
        return self.client.get("/api/marketdata/all/")
