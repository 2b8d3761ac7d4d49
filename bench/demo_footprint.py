"""Wall time and peak memory of `edge-assets demo` at 14 and 30 days.

Peak memory is the largest sum of resident memory over the demo process and its children (the
simulator), sampled every 100 ms. Usage: python bench/demo_footprint.py [DAYS ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SAMPLE_S = 0.1


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(days: int, scenario: str = "realistic", seed: int = 7) -> dict:
    with tempfile.TemporaryDirectory() as home:
        command = [
            sys.executable, "-m", "edge_assets.cli", "demo",
            "--days", str(days), "--seed", str(seed), "--scenario", scenario, "--home", home,
        ]  # fmt: skip
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        watched = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            try:
                peak = max(peak, tree_rss(watched))
            except psutil.NoSuchProcess:
                break
            time.sleep(SAMPLE_S)
        wall = time.monotonic() - started
        summary = json.loads((Path(home) / "summary.json").read_text()) if child.returncode == 0 else {}
    return {
        "days": days,
        "exit": child.returncode,
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(peak / 2**20),
        "signals": summary.get("signals"),
        "quotes": summary.get("quotes"),
    }


def main() -> None:
    days_list = [int(a) for a in sys.argv[1:]] or [14, 30]
    columns = ["days", "exit", "wall_s", "peak_rss_mb", "quotes", "signals"]
    print(" ".join(f"{name:>11}" for name in columns))
    for days in days_list:
        result = measure(days)
        print(" ".join(f"{result[name]!s:>11}" for name in columns))


if __name__ == "__main__":
    main()
