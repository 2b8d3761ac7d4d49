"""The parquet lake: raw venue payloads and asset frames, in a local directory or under an S3 prefix.

Keys are `/`-separated relative paths (`raw/polymarket/books/2026-11-20-13:00/...`); a frame is stored
at `<key>.parquet`. Parquet only, never pickle, so any tool can read the lake.
"""

from __future__ import annotations

import functools
import io
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_aws.s3 import S3Resource

PARQUET_SUFFIX = ".parquet"
RAW_PAYLOAD_SCHEMA = pa.schema(
    [
        pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("status", pa.int32(), nullable=False),
        pa.field("body", pa.string(), nullable=False),
    ]
)
# Key segments: no `/` (it separates segments), no leading dot (no `..`, no hidden files).
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_\-:=+@][A-Za-z0-9_.\-:=+@|]*$")


class Lake(dg.ConfigurableResource):
    """Parquet files under a local directory or an `s3://bucket/prefix` URL."""

    url: str
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    def write_raw(self, venue: str, asset: str, partition: str, payloads: list[dict[str, Any]]) -> str:
        """Store raw HTTP payloads as one parquet file; return its URI.

        Each payload is a dict with `fetched_at` (tz-aware datetime), `url`, `status` and `body` (the
        response text exactly as received). The file is
        `raw/<venue>/<asset>/<partition>/<earliest fetched_at, UTC>-<random>.parquet`, so repeated
        fetches of a partition never overwrite each other and list in time order.
        """
        missing = [
            (index, field)
            for index, payload in enumerate(payloads)
            for field in RAW_PAYLOAD_SCHEMA.names
            if field not in payload
        ]
        if missing:
            raise ValueError(f"Raw payloads lack fields (index, field): {missing[:5]}")
        fetched = [pd.Timestamp(payload["fetched_at"]).tz_convert("UTC") for payload in payloads]
        stamp = min(fetched, default=pd.Timestamp(datetime.now(UTC)))
        table = pa.Table.from_pydict(
            {
                "fetched_at": fetched,
                "url": [payload["url"] for payload in payloads],
                "status": [payload["status"] for payload in payloads],
                "body": [payload["body"] for payload in payloads],
            },
            schema=RAW_PAYLOAD_SCHEMA,
        )
        name = f"{stamp.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}"
        return self._put(join_key("raw", venue, asset, partition, name), _parquet_bytes(table))

    def write_frame(self, key: str, frame: pd.DataFrame) -> str:
        """Store a DataFrame at `<key>.parquet` (replacing it); return its URI."""
        return self._put(join_key(key), _parquet_bytes(pa.Table.from_pandas(frame)))

    def read_frame(self, key: str) -> pd.DataFrame:
        """The DataFrame stored at `<key>.parquet`."""
        return pq.read_table(io.BytesIO(self._get(join_key(key)))).to_pandas()

    def write_asset(self, asset_key: Sequence[str], frame: pd.DataFrame, partition: str | None = None) -> str:
        """Store an asset's frame (one partition of it, if given) at its place in the lake."""
        return self.write_frame(asset_location(asset_key, partition), frame)

    def read_asset(self, asset_key: Sequence[str], partition: str | None = None) -> pd.DataFrame:
        """An asset's frame (one partition of it, if given)."""
        return self.read_frame(asset_location(asset_key, partition))

    def asset_partitions(self, asset_key: Sequence[str]) -> list[str]:
        """The partition keys an asset has in the lake, sorted."""
        prefix = asset_location(asset_key) + "/"
        return [key.removeprefix(prefix) for key in self.list_keys(prefix)]

    def list_keys(self, prefix: str = "") -> list[str]:
        """Sorted keys (without `.parquet`) of the files whose key starts with `prefix`."""
        return sorted(
            name[: -len(PARQUET_SUFFIX)]
            for name in self._list(prefix.lstrip("/"))
            if name.endswith(PARQUET_SUFFIX) and name.startswith(prefix.lstrip("/"))
        )

    def uri(self, key: str) -> str:
        """Where `<key>.parquet` lives: an `s3://` URI or an absolute local path."""
        if self._is_s3():
            bucket, root = self._s3_location()
            return f"s3://{bucket}/{_s3_key(root, join_key(key))}{PARQUET_SUFFIX}"
        return str(self._local_path(join_key(key)))

    def _is_s3(self) -> bool:
        return self.url.startswith("s3://")

    def _s3_location(self) -> tuple[str, str]:
        bucket, _, root = self.url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"Lake URL {self.url!r} names no bucket")
        return bucket, root.strip("/")

    def _s3_client(self) -> Any:
        return _s3_client(self.s3_endpoint_url, self.s3_region)

    def _local_path(self, key: str) -> Path:
        return Path(self.url).expanduser().resolve() / f"{key}{PARQUET_SUFFIX}"

    def _put(self, key: str, data: bytes) -> str:
        if self._is_s3():
            bucket, root = self._s3_location()
            self._s3_client().put_object(
                Bucket=bucket, Key=f"{_s3_key(root, key)}{PARQUET_SUFFIX}", Body=data
            )
        else:
            path = self._local_path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees a half-written file.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=PARQUET_SUFFIX)
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        return self.uri(key)

    def _get(self, key: str) -> bytes:
        if self._is_s3():
            bucket, root = self._s3_location()
            response = self._s3_client().get_object(
                Bucket=bucket, Key=f"{_s3_key(root, key)}{PARQUET_SUFFIX}"
            )
            return response["Body"].read()
        return self._local_path(key).read_bytes()

    def _list(self, prefix: str) -> list[str]:
        """Keys (with suffix) under the directory part of `prefix`; the caller filters by prefix."""
        if self._is_s3():
            bucket, root = self._s3_location()
            listed_prefix = _s3_key(root, prefix)
            pages = (
                self._s3_client()
                .get_paginator("list_objects_v2")
                .paginate(Bucket=bucket, Prefix=listed_prefix)
            )
            strip = len(root) + 1 if root else 0
            return [item["Key"][strip:] for page in pages for item in page.get("Contents", [])]
        base = Path(self.url).expanduser().resolve()
        directory = base / prefix.rpartition("/")[0]
        if not directory.is_dir():
            return []
        return [
            path.relative_to(base).as_posix()
            for path in directory.rglob(f"*{PARQUET_SUFFIX}")
            if not path.name.startswith(".tmp-")
        ]


def asset_location(asset_key: Sequence[str], partition: str | None = None) -> str:
    """Where an asset's frames live in the lake: `assets/<key path>[/<partition key>]`."""
    return join_key("assets", *asset_key, *([partition] if partition else []))


def join_key(*parts: str) -> str:
    """Join and validate `/`-separated key parts; every segment must be a safe file and S3 name."""
    segments = [segment for part in parts for segment in part.strip("/").split("/")]
    for segment in segments:
        if not _SAFE_SEGMENT.match(segment):
            raise ValueError(f"Unsafe lake key segment {segment!r} in {'/'.join(parts)!r}")
    return "/".join(segments)


@functools.lru_cache(maxsize=8)
def _s3_client(endpoint_url: str | None, region: str) -> Any:
    """One boto3 client per endpoint and region (clients are thread-safe and costly to build)."""
    return S3Resource(endpoint_url=endpoint_url, region_name=region).get_client()


def _s3_key(root: str, key: str) -> str:
    return f"{root}/{key}" if root else key


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()
