"""One order in flight per market: the database lock holds between two real processes, and a lock
left by a dead holder is taken over once its TTL has passed."""

from __future__ import annotations

import subprocess
import sys

from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.store import TradingStore

# The other process: takes market m1's lock at epoch 1000 for 30 s, says so, and waits for a line
# on stdin before releasing it (or exits without releasing when told "die").
HOLDER = """
import sys
from edge_assets.storage.sql import SqlWarehouse
from edge_assets.trading.store import TradingStore
store = TradingStore(SqlWarehouse(sys.argv[1]))
print("held" if store.take_lock("m1", "other-process", 1000.0, 30.0) else "refused", flush=True)
if sys.stdin.readline().strip() == "release":
    store.release_lock("m1", "other-process")
print("done", flush=True)
"""


def start_holder(url: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    return process


def finish(process: subprocess.Popen, command: str) -> None:
    process.stdin.write(command + "\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "done"
    process.wait(timeout=60)


def test_the_market_lock_holds_across_processes_until_released(database_url):
    store = TradingStore(SqlWarehouse(database_url))
    other = start_holder(database_url)
    try:
        assert not store.take_lock("m1", "this-process", 1010.0, 30.0)
        assert store.take_lock("m2", "this-process", 1010.0, 30.0)  # other markets are free
    finally:
        finish(other, "release")
    assert store.take_lock("m1", "this-process", 1010.0, 30.0)


def test_a_dead_holders_lock_is_taken_over_after_its_ttl(database_url):
    store = TradingStore(SqlWarehouse(database_url))
    finish(start_holder(database_url), "die")
    assert not store.take_lock("m1", "this-process", 1029.0, 30.0)
    assert store.take_lock("m1", "this-process", 1031.0, 30.0)
    # Once taken over, the old holder cannot release it.
    TradingStore(SqlWarehouse(database_url)).release_lock("m1", "other-process")
    assert not store.take_lock("m1", "third-process", 1032.0, 30.0)
