"""The warehouse writer: a stream consumer's handler that stores quote changes in SQL, idempotently.

PredictIt legs become `predictit_market_data` rows under the table's own key (`data_id`,
`timestamp`), and a contract quote that repeats the one before it is not stored again, as the
poller does. Polymarket and sportsbook changes become `quote_changes` rows keyed by `change_id`.
Both writes insert only missing keys, so a batch delivered twice (the stream delivers at least
once) leaves the tables as one delivery would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pandas as pd

from edge_assets.sources.predictit import PREDICTIT_QUOTE_COLUMNS
from edge_assets.storage.sql import WarehouseTables
from edge_assets.storage.stream import QuoteChange, predictit_row

PREDICTIT_TABLE = "predictit_market_data"
PREDICTIT_KEY = ["data_id", "timestamp"]
QUOTE_CHANGES_TABLE = "quote_changes"
QUOTE_CHANGE_COLUMNS = [
    "change_id",
    "venue",
    "market_id",
    "token_id",
    "outcome",
    "side",
    "bookmaker",
    "event_id",
    "price",
    "size",
    "source_ts",
    "published_at",
]
# Per contract in the batch: its last stored row before the batch's first timestamp, and every
# stored row from then on, which is what the batch's rows must be compared with.
_STORED_AROUND_SQL = """
SELECT m.data_id, m.timestamp, {quote_columns}
FROM predictit_market_data AS m
WHERE m.data_id IN ({data_ids})
  AND m.timestamp >= COALESCE(
        (SELECT MAX(p.timestamp) FROM predictit_market_data AS p
         WHERE p.data_id = m.data_id AND p.timestamp < :since),
        :since)
"""


class WarehouseWriter:
    """`QuoteStream.consume`'s handler that writes each batch of changes to the warehouse (the
    Dagster resource `Warehouse` or, in a service without Dagster, `SqlWarehouse`)."""

    def __init__(self, warehouse: WarehouseTables) -> None:
        self.warehouse = warehouse

    async def __call__(self, changes: list[QuoteChange]) -> None:
        # The warehouse is synchronous; a thread keeps the consumer's event loop (and acks) moving.
        await asyncio.to_thread(self.write, changes)

    def write(self, changes: Sequence[QuoteChange]) -> int:
        """Store a batch; return the rows inserted (0 for a batch already stored)."""
        predictit = [change for change in changes if change.venue == "predictit"]
        others = [change for change in changes if change.venue != "predictit"]
        return self._write_predictit(predictit) + self._write_quote_changes(others)

    def _write_predictit(self, changes: list[QuoteChange]) -> int:
        if not changes:
            return 0
        rows = pd.DataFrame([predictit_row(change) for change in changes]).drop_duplicates(PREDICTIT_KEY)
        rows["timestamp"] = pd.to_datetime(rows["timestamp"], utc=True)
        data_ids = {f"data_id_{index}": data_id for index, data_id in enumerate(rows["data_id"].unique())}
        stored = self.warehouse.read_frame(
            _STORED_AROUND_SQL.format(
                quote_columns=", ".join(f"m.{name}" for name in PREDICTIT_QUOTE_COLUMNS),
                data_ids=", ".join(f":{name}" for name in data_ids),
            ),
            {**data_ids, "since": rows["timestamp"].min().to_pydatetime()},
        )
        new = rows_that_change(rows, stored, "data_id", "timestamp", PREDICTIT_QUOTE_COLUMNS)
        return self.warehouse.insert_missing(PREDICTIT_TABLE, new, PREDICTIT_KEY)

    def _write_quote_changes(self, changes: list[QuoteChange]) -> int:
        if not changes:
            return 0
        frame = pd.DataFrame(
            [{name: getattr(change, name) for name in QUOTE_CHANGE_COLUMNS} for change in changes]
        )
        return self.warehouse.insert_missing(QUOTE_CHANGES_TABLE, frame, ["change_id"])


def rows_that_change(
    new: pd.DataFrame, stored: pd.DataFrame, key: str, order: str, compare: list[str]
) -> pd.DataFrame:
    """Rows of `new` not in `stored` whose `compare` values differ from the row just before them, in
    `order`, of the same `key`, whether that row is stored or new; a key's first row is a change.

    This is `sources.changes.changed_rows` over a sequence rather than against the latest row
    alone: a batch can hold several quotes of one contract, and a redelivered batch can fall before
    rows stored since. Nulls compare equal to nulls.
    """
    both = new.assign(_new=True)
    if not stored.empty:
        both = pd.concat([stored.assign(_new=False), both], ignore_index=True)
    # A row both stored and new is the stored one (False sorts first).
    both = both.sort_values([key, order, "_new"], kind="stable").drop_duplicates([key, order], keep="first")
    before = both.groupby(key)[compare].shift()
    values = both[compare]
    same = ((values == before) | (values.isna() & before.isna())).all(axis=1)
    first_of_key = ~both[key].duplicated()
    changed = both[both["_new"] & (first_of_key | ~same)]
    return changed[list(new.columns)].reset_index(drop=True)
