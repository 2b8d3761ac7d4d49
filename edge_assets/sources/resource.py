"""The Dagster resource base shared by every venue: HTTP settings and a lazily built client."""

from __future__ import annotations

import dagster as dg
from pydantic import Field, PrivateAttr

from edge_assets.sources.http import VenueClient


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
