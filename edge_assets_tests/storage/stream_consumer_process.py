"""A stream consumer to be killed by a test: it writes each batch to the warehouse, then notes the
batch's change ids in a file, then dawdles before its acks, so a SIGKILL lands mid-stream.

    python -m edge_assets_tests.storage.stream_consumer_process URL DURABLE DATABASE_URL LOG_FILE
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.storage.stream import QuoteChange, QuoteStream
from edge_assets.storage.stream_writer import WarehouseWriter

BATCH = 10
PAUSE_SECONDS = 0.1


async def consume(url: str, durable: str, database_url: str, log_path: Path) -> None:
    writer = WarehouseWriter(SqlWarehouse(url=database_url))

    async def handler(changes: list[QuoteChange]) -> None:
        await writer(changes)
        with log_path.open("a") as log:
            log.write(json.dumps([change.change_id for change in changes]) + "\n")
            log.flush()
            os.fsync(log.fileno())
        await asyncio.sleep(PAUSE_SECONDS)

    async with await QuoteStream.connect(url) as stream:
        await stream.consume(durable, handler, batch=BATCH)


if __name__ == "__main__":
    stream_url, durable_name, warehouse_url, log_file = sys.argv[1:5]
    asyncio.run(consume(stream_url, durable_name, warehouse_url, Path(log_file)))
