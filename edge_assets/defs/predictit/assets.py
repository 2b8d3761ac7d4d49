"""PredictIt: political contract prices, polled, stored only when a quote changes."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import ingest, ingest_lag_seconds, quarantine_metadata, table_metadata
from edge_assets.defs.partitions import UNPARTITIONED
from edge_assets.sources.changes import changed_rows
from edge_assets.sources.predictit import PREDICTIT_QUOTE_COLUMNS, parse_predictit
from edge_assets.sources.resources import PredictItResource
from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake

GROUP = "predictit"
LATEST_QUOTES_SQL = """
SELECT m.data_id, m.status, m.last_trade_price, m.best_buy_yes_cost, m.best_buy_no_cost,
       m.best_sell_yes_cost, m.best_sell_no_cost
FROM predictit_market_data AS m
JOIN (SELECT data_id, MAX(timestamp) AS latest FROM predictit_market_data GROUP BY data_id) AS l
  ON m.data_id = l.data_id AND m.timestamp = l.latest
"""


@dg.asset(
    group_name=GROUP,
    kinds={"python", "sql"},
    pool="predictit",
    metadata=table_metadata("insert_missing", primary_key=["data_id", "timestamp"], time_column="fetched_at"),
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=timedelta(minutes=15)),
)
def predictit_market_data(
    predictit: PredictItResource, lake: Lake, warehouse: Warehouse
) -> dg.Output[pd.DataFrame]:
    """PredictIt contract quotes (last trade, best buy and sell of Yes and No), keyed by
    contract id (`data_id`) and the venue's timestamp. A poll that repeats a contract's last
    stored quote adds nothing, so the table holds one row per change.
    """
    quotes = ingest(
        lake,
        warehouse,
        "predictit",
        "market_data",
        UNPARTITIONED,
        fetch=lambda: [predictit.fetch_all()],
        # One response holds every market.
        parse=lambda payloads: parse_predictit(
            payloads[0].data, payloads[0].fetched_at, predictit.timestamp_tz
        ),
    )
    previous = warehouse.read_frame(LATEST_QUOTES_SQL)
    frame = changed_rows(quotes.frame, previous, ["data_id"], PREDICTIT_QUOTE_COLUMNS)
    return dg.Output(
        frame,
        metadata={
            "contracts": len(quotes.frame),
            "changed": len(frame),
            "unchanged": len(quotes.frame) - len(frame),
            "ingest_lag_s": dg.MetadataValue.float(ingest_lag_seconds(quotes.frame, "timestamp")),
            **quarantine_metadata([quotes]),
        },
    )
