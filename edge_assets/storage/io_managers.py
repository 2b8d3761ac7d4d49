"""IO managers: asset DataFrames to warehouse tables (partition aware) or to parquet in the lake.

An asset's table is named as its key (`table_name`). WarehouseIOManager reads these keys from an
asset's definition metadata:

- `write_mode`: `replace_partition` (default for partitioned assets), `upsert`, `insert_missing` or
  `replace_all` (default for unpartitioned assets);
- `partition_column`: the timestamp column holding the partition's instants (`replace_partition`, and
  loading a partitioned asset's rows for a window);
- `primary_key`: the key columns (`upsert`, `insert_missing`).
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd

from edge_assets.storage.db import Warehouse
from edge_assets.storage.lake import Lake, asset_location

WRITE_MODES = ("replace_partition", "upsert", "insert_missing", "replace_all")


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Stores asset DataFrames in the Warehouse table named by the asset's metadata."""

    warehouse: dg.ResourceDependency[Warehouse]

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"WarehouseIOManager stores DataFrames; {context.asset_key} returned {type(obj)}")
        metadata = context.definition_metadata
        table = table_name(context.asset_key)
        default_mode = "replace_partition" if context.has_asset_partitions else "replace_all"
        write_mode = metadata.get("write_mode", default_mode)
        if write_mode == "replace_partition":
            window = context.asset_partitions_time_window  # the whole range for a single-run backfill
            rows = self.warehouse.replace_window(
                table, obj, _required(metadata, "partition_column", write_mode), window.start, window.end
            )
        elif write_mode == "upsert":
            rows = self.warehouse.upsert(table, obj, _required(metadata, "primary_key", write_mode))
        elif write_mode == "insert_missing":
            rows = self.warehouse.insert_missing(table, obj, _required(metadata, "primary_key", write_mode))
        elif write_mode == "replace_all":
            rows = self.warehouse.replace_all(table, obj)
        else:
            raise ValueError(
                f"Unknown write_mode {write_mode!r} for {context.asset_key}; use one of {WRITE_MODES}"
            )
        output_metadata = {"dagster/table_name": table, "dagster/row_count": len(obj)}
        if not spans_partitions(context):
            output_metadata["dagster/column_schema"] = column_schema(obj)
        context.add_output_metadata({**output_metadata, "write_mode": write_mode, "rows_written": rows})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        upstream = context.upstream_output
        metadata = upstream.definition_metadata if upstream is not None else {}
        table = table_name(context.asset_key)
        if not context.has_asset_partitions:
            return self.warehouse.read_table(table)
        partition_column = metadata.get("partition_column")
        if partition_column is None:
            raise ValueError(
                f"Cannot load partitions of {context.asset_key}: its metadata names no partition_column"
            )
        window = context.asset_partitions_time_window
        return self.warehouse.read_table(table, partition_column, window.start, window.end)


class LakeIOManager(dg.ConfigurableIOManager):
    """Stores asset DataFrames as parquet under `assets/<asset key path>[/<partition key>]`.

    A run covering several partitions (a single-run backfill) writes one file per partition key:
    the asset returns a dict {partition key: frame}, or a frame that the time window of each partition
    splits on the `partition_column` named in its metadata. Loading several partitions returns a dict
    {partition key: frame}, the convention of Dagster's own file IO managers.
    """

    lake: dg.ResourceDependency[Lake]

    def handle_output(
        self, context: dg.OutputContext, obj: pd.DataFrame | Mapping[str, pd.DataFrame]
    ) -> None:
        path = context.asset_key.path
        if not context.has_asset_partitions:
            frame = _frame(obj, context.asset_key)
            uri = self.lake.write_asset(path, frame)
            context.add_output_metadata(
                {"uri": uri, "dagster/row_count": len(frame), "dagster/column_schema": column_schema(frame)}
            )
            return
        frames = _frames_by_partition(context, obj)
        for partition_key, frame in frames.items():
            self.lake.write_asset(path, frame, partition_key)
        context.add_output_metadata(
            {
                "uri": self.lake.uri(asset_location(path)),
                "partitions": len(frames),
                "dagster/row_count": sum(len(frame) for frame in frames.values()),
            }
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        path = context.asset_key.path
        if not context.has_asset_partitions:
            return self.lake.read_asset(path)
        keys = context.asset_partition_keys
        if len(keys) == 1:
            return self.lake.read_asset(path, keys[0])
        return {key: self.lake.read_asset(path, key) for key in keys}


def table_name(asset_key: dg.AssetKey | str) -> str:
    """The warehouse table an asset is stored in: its key's last component."""
    return dg.AssetKey.from_coercible(asset_key).path[-1]


def spans_partitions(context: dg.OutputContext) -> bool:
    """Whether the output is a range of partitions (a single-run backfill). Dagster copies a range's
    metadata into the event of each of its partitions, and a schema of 20 columns costs about 4 KB
    and 5 ms per event: 4 s of event writing per asset in a 30-day backfill (720 hours). The same
    columns show from the next single-partition or unpartitioned materialization."""
    return context.has_asset_partitions and len(context.asset_partition_keys) > 1


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    """A frame's columns and their types, as Dagster shows them in the UI."""
    return dg.TableSchema(
        columns=[dg.TableColumn(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]
    )


def _required(metadata: Mapping[str, Any], key: str, write_mode: str) -> Any:
    if key not in metadata:
        raise ValueError(f"write_mode {write_mode!r} needs asset metadata {key!r}")
    return metadata[key]


def _frame(obj: Any, asset_key: dg.AssetKey) -> pd.DataFrame:
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(f"LakeIOManager stores DataFrames; {asset_key} returned {type(obj)}")
    return obj


def _frames_by_partition(context: dg.OutputContext, obj: Any) -> dict[str, pd.DataFrame]:
    """One frame per partition key of the run."""
    keys = list(context.asset_partition_keys)
    if isinstance(obj, Mapping):
        if set(obj) != set(keys):
            raise ValueError(f"{context.asset_key} returned frames for {sorted(obj)}, expected {keys}")
        return {key: _frame(obj[key], context.asset_key) for key in keys}
    frame = _frame(obj, context.asset_key)
    if len(keys) == 1:
        return {keys[0]: frame}
    partition_column = context.definition_metadata.get("partition_column")
    if partition_column is None:
        raise ValueError(
            f"{context.asset_key} covers {len(keys)} partitions: return a dict of frames by partition key "
            "or name a partition_column in its metadata"
        )
    partitions_def = context.asset_partitions_def
    if not isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        raise ValueError(f"Splitting {context.asset_key} on {partition_column} needs time-window partitions")
    stamps = pd.to_datetime(frame[partition_column], utc=True)
    frames = {}
    for key in keys:
        window = partitions_def.time_window_for_partition_key(key)
        inside = (stamps >= pd.Timestamp(window.start)) & (stamps < pd.Timestamp(window.end))
        frames[key] = frame[inside.to_numpy()].reset_index(drop=True)
    stray = len(frame) - sum(len(part) for part in frames.values())
    if stray:
        raise ValueError(f"{stray} rows of {context.asset_key} lie outside its partitions' time windows")
    return frames
