"""The lake stores raw payloads and frames as parquet, in a local directory and on S3 (moto_server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pandas as pd
import pyarrow.parquet as pq
import pytest

from edge_assets.storage.lake import Lake

FETCHED = datetime(2026, 11, 20, 13, 5, 7, 123456, tzinfo=UTC)
PARTITION = "2026-11-20-13:00"


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    if request.param == "local":
        return Lake(url=str(tmp_path / "lake"))
    bucket = request.getfixturevalue("s3_bucket")
    return Lake(url=f"s3://{bucket}/edge/lake", s3_endpoint_url=request.getfixturevalue("moto_server"))


def payload(minutes: int, body: dict) -> dict:
    return {
        "fetched_at": FETCHED + timedelta(minutes=minutes),
        "url": "https://clob.polymarket.com/book?token_id=1",
        "status": 200,
        "body": json.dumps(body),
    }


def test_write_raw_lays_out_files_by_venue_asset_partition(lake: Lake) -> None:
    uri = lake.write_raw(
        "polymarket", "order_books", PARTITION, [payload(0, {"bids": []}), payload(1, {"a": 1})]
    )

    keys = lake.list_keys("raw/polymarket/order_books/")
    assert len(keys) == 1
    assert keys[0].startswith(f"raw/polymarket/order_books/{PARTITION}/20261120T130507123456Z-")
    assert uri.endswith(f"{keys[0]}.parquet")

    rows = lake.read_frame(keys[0])
    assert list(rows.columns) == ["fetched_at", "url", "status", "body"]
    assert rows["fetched_at"].tolist() == [
        pd.Timestamp(FETCHED),
        pd.Timestamp(FETCHED + timedelta(minutes=1)),
    ]
    assert [json.loads(body) for body in rows["body"]] == [{"bids": []}, {"a": 1}]
    assert rows["status"].tolist() == [200, 200]


def test_repeated_raw_writes_of_a_partition_do_not_overwrite(lake: Lake) -> None:
    lake.write_raw("oddsapi", "historical_odds", PARTITION, [payload(0, {})])
    lake.write_raw("oddsapi", "historical_odds", PARTITION, [payload(0, {})])
    assert len(lake.list_keys(f"raw/oddsapi/historical_odds/{PARTITION}")) == 2


def test_write_raw_rejects_incomplete_payloads(lake: Lake) -> None:
    with pytest.raises(ValueError, match="body"):
        lake.write_raw(
            "predictit", "market_data", "latest", [{"fetched_at": FETCHED, "url": "u", "status": 200}]
        )


def test_frame_round_trip_and_listing(lake: Lake) -> None:
    frame = pd.DataFrame(
        {
            "quote_ts": pd.to_datetime(["2026-11-20T13:00:00Z", "2026-11-20T14:00:00Z"]),
            "price": [0.41, None],
            "venue": ["polymarket", "draftkings"],
            "size": pd.array([5, None], dtype="Int64"),
        }
    )
    lake.write_frame("assets/pricing/quotes/2026-11-20-13:00", frame)
    lake.write_frame("assets/pricing/consensus", frame.head(1))

    pd.testing.assert_frame_equal(lake.read_frame("assets/pricing/quotes/2026-11-20-13:00"), frame)
    assert lake.list_keys("assets/pricing/") == [
        "assets/pricing/consensus",
        "assets/pricing/quotes/2026-11-20-13:00",
    ]
    assert lake.list_keys("assets/pricing/q") == ["assets/pricing/quotes/2026-11-20-13:00"]
    assert lake.list_keys("nothing/here") == []


@pytest.mark.parametrize("key", ["../escape", "a/../b", "a//b/.hidden", "a\\b"])
def test_unsafe_keys_are_rejected(lake: Lake, key: str) -> None:
    with pytest.raises(ValueError, match="Unsafe"):
        lake.write_frame(key, pd.DataFrame({"a": [1]}))


def test_local_files_are_plain_parquet(tmp_path: Path) -> None:
    lake = Lake(url=str(tmp_path))
    uri = lake.write_frame("assets/x", pd.DataFrame({"a": [1, 2]}))
    assert Path(uri) == tmp_path / "assets" / "x.parquet"
    assert pq.read_table(uri).column("a").to_pylist() == [1, 2]


def test_s3_objects_live_under_the_url_prefix(moto_server: str, s3_bucket: str) -> None:
    lake = Lake(url=f"s3://{s3_bucket}/team/lake", s3_endpoint_url=moto_server)
    uri = lake.write_raw("polymarket", "markets", "latest", [payload(0, {})])

    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("team/lake/raw/polymarket/markets/latest/")
    assert uri == f"s3://{s3_bucket}/{keys[0]}"
