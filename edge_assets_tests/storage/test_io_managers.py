"""IO managers under real `dagster.materialize` runs against SQLite, PostgreSQL and a local lake."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake

HOURS_13_TO_14 = (datetime(2026, 11, 20, 13, tzinfo=UTC), datetime(2026, 11, 20, 14, tzinfo=UTC))
HOURLY = dg.HourlyPartitionsDefinition(start_date="2026-11-20-00:00")
RANGE_TAGS = {
    ASSET_PARTITION_RANGE_START_TAG: "2026-11-20-10:00",
    ASSET_PARTITION_RANGE_END_TAG: "2026-11-20-12:00",
}


def consensus_for(start: datetime, end: datetime, fair_prob: float) -> pd.DataFrame:
    """One consensus row per hour in [start, end)."""
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    return pd.DataFrame(
        {
            "quote_ts": hours,
            "event_id": "ev1",
            "outcome": "home",
            "fair_prob": fair_prob,
            "n_books": 3,
            "dispersion": 0.0,
            "method": "power",
        }
    )


@dg.asset(
    partitions_def=HOURLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    io_manager_key="warehouse_io",
    metadata={"partition_column": "quote_ts"},
)
def consensus(context: dg.AssetExecutionContext) -> pd.DataFrame:
    window = context.partition_time_window
    return consensus_for(window.start, window.end, fair_prob=0.55)


@dg.asset(
    partitions_def=HOURLY, backfill_policy=dg.BackfillPolicy.single_run(), io_manager_key="warehouse_io"
)
def consensus_row_counts(context: dg.AssetExecutionContext, consensus: pd.DataFrame) -> None:
    context.add_output_metadata({"upstream_rows": len(consensus)})


@dg.asset(
    io_manager_key="warehouse_io",
    metadata={"write_mode": "upsert", "primary_key": ["league", "alias"]},
)
def team_aliases() -> pd.DataFrame:
    return pd.DataFrame(
        {"league": ["nba"], "alias": ["lakers"], "team": ["Los Angeles Lakers"], "source": ["t"]}
    )


@dg.asset
def alias_count(team_aliases: pd.DataFrame) -> int:
    return len(team_aliases)


def warehouse_resources(url: str) -> dict:
    warehouse = Warehouse(url=url)
    return {"warehouse_io": WarehouseIOManager(warehouse=warehouse), "warehouse": warehouse}


def output_metadata(result: dg.ExecuteInProcessResult, asset_key: str) -> dict:
    """Output metadata of an asset's materializations (one per partition, all with the same metadata)."""
    materialization = result.asset_materializations_for_node(asset_key)[-1]
    return {key: value.value for key, value in materialization.metadata.items()}


def test_partition_is_replaced_idempotently(database_url: str) -> None:
    resources = warehouse_resources(database_url)
    for _ in range(2):
        result = dg.materialize([consensus], partition_key="2026-11-20-13:00", resources=resources)
        assert result.success
    dg.materialize([consensus], partition_key="2026-11-20-14:00", resources=resources)

    rows = resources["warehouse"].read_frame("SELECT quote_ts FROM consensus ORDER BY quote_ts")
    assert rows["quote_ts"].tolist() == [
        pd.Timestamp("2026-11-20 13:00", tz="UTC"),
        pd.Timestamp("2026-11-20 14:00", tz="UTC"),
    ]
    assert output_metadata(result, "consensus")["dagster/table_name"] == "consensus"
    assert output_metadata(result, "consensus")["dagster/row_count"] == 1
    schema = output_metadata(result, "consensus")["dagster/column_schema"]
    assert [column.name for column in schema.columns] == list(consensus_for(*HOURS_13_TO_14, 0.5).columns)


def test_single_run_backfill_writes_and_loads_the_whole_range(database_url: str) -> None:
    resources = warehouse_resources(database_url)
    dg.materialize([consensus], partition_key="2026-11-20-09:00", resources=resources)

    result = dg.materialize(
        [consensus, consensus_row_counts],
        selection=[consensus, consensus_row_counts],
        tags=RANGE_TAGS,
        resources=resources,
    )

    assert result.success
    assert output_metadata(result, "consensus")["dagster/row_count"] == 3
    # The schema a single partition's event carries is left out of the range's three copies.
    assert "dagster/column_schema" not in output_metadata(result, "consensus")
    assert output_metadata(result, "consensus_row_counts")["upstream_rows"] == 3  # 09:00 is outside
    assert len(resources["warehouse"].read_frame("SELECT * FROM consensus")) == 4


def test_unpartitioned_upsert_and_load(database_url: str) -> None:
    resources = warehouse_resources(database_url)
    resources["warehouse"].upsert(
        "team_aliases",
        pd.DataFrame(
            {"league": ["nba"], "alias": ["celtics"], "team": ["Boston Celtics"], "source": ["seed"]}
        ),
        ["league", "alias"],
    )

    result = dg.materialize(
        [team_aliases, alias_count], resources={**resources, "io_manager": dg.mem_io_manager}
    )

    assert result.success
    assert result.output_for_node("alias_count") == 2
    assert output_metadata(result, "team_aliases")["write_mode"] == "upsert"


def test_missing_metadata_is_a_clear_error(database_url: str) -> None:
    @dg.asset(name="consensus", partitions_def=HOURLY, io_manager_key="warehouse_io")
    def consensus_without_partition_column() -> pd.DataFrame:
        return consensus_for(
            datetime(2026, 11, 20, 13, tzinfo=UTC), datetime(2026, 11, 20, 14, tzinfo=UTC), 0.5
        )

    with pytest.raises(ValueError, match="partition_column"):
        dg.materialize(
            [consensus_without_partition_column],
            partition_key="2026-11-20-13:00",
            resources=warehouse_resources(database_url),
        )


@dg.asset(
    key_prefix=["pricing"],
    partitions_def=HOURLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    io_manager_key="lake_io",
    metadata={"partition_column": "quote_ts"},
)
def fair_prices(context: dg.AssetExecutionContext) -> pd.DataFrame:
    window = context.partition_time_window
    return consensus_for(window.start, window.end, fair_prob=0.6)


@dg.asset(partitions_def=HOURLY, backfill_policy=dg.BackfillPolicy.single_run(), io_manager_key="lake_io")
def fair_price_summary(fair_prices: dict) -> dict:
    """Loads the upstream range as {partition key: frame} and returns one frame per partition key."""
    return {key: pd.DataFrame({"rows": [len(frame)]}) for key, frame in fair_prices.items()}


@dg.asset(key_prefix=["models"], io_manager_key="lake_io")
def feature_table() -> pd.DataFrame:
    return pd.DataFrame({"feature": [0.1, 0.2], "label": [1, 0]})


def test_lake_io_manager_writes_one_file_per_partition(tmp_path: Path) -> None:
    lake = Lake(url=str(tmp_path / "lake"))
    resources = {"lake_io": LakeIOManager(lake=lake)}

    single = dg.materialize([fair_prices], partition_key="2026-11-20-09:00", resources=resources)
    backfill = dg.materialize([fair_prices, fair_price_summary], tags=RANGE_TAGS, resources=resources)
    unpartitioned = dg.materialize([feature_table], resources=resources)

    assert single.success and backfill.success and unpartitioned.success
    assert lake.list_keys("assets/pricing/fair_prices/") == [
        f"assets/pricing/fair_prices/2026-11-20-{hour}:00" for hour in ("09", "10", "11", "12")
    ]
    assert len(lake.read_frame("assets/pricing/fair_prices/2026-11-20-11:00")) == 1
    assert lake.list_keys("assets/fair_price_summary/") == [
        f"assets/fair_price_summary/2026-11-20-{hour}:00" for hour in ("10", "11", "12")
    ]
    assert lake.read_frame("assets/fair_price_summary/2026-11-20-12:00")["rows"].tolist() == [1]
    pd.testing.assert_frame_equal(lake.read_frame("assets/models/feature_table"), feature_table())
