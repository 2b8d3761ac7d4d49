"""Wall time per stage and peak memory of `edge-assets demo`, against a baseline revision.

    python bench/demo_footprint.py [--days 14 30] [--baseline REV] [--repeat N] [--floor]

Peak memory is the largest sum of resident memory over the demo process and all its descendants
(the simulator, the multiprocess steps), sampled every 100 ms; the line after each run says which
processes held it at that moment, and in which demo stage. With `--baseline REV`, the same demo
of REV (a git worktree under /tmp, run with this interpreter and PYTHONPATH at the worktree) runs
back to back with this checkout's, alternating which goes first, and each figure is printed with
its ratio to the baseline's; both runs' signals (same seed) are compared over the hours both
covered. `--floor` adds Dagster's own cost: the demo's runs over no-op assets of the same shape
(bench/dagster_floor.py).
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import psutil

SAMPLE_S = 0.1
CHECKOUT = Path(__file__).resolve().parents[1]
# `-c` rather than `-m edge_assets.cli`: a spawned step process re-imports a `-m` main module.
DEMO = "import sys; from edge_assets.cli import main; sys.exit(main())"
STAGE_LINE = re.compile(r"^\[(\d+)/\d+\] (.*?) \.\.\.$")
JOB_LINE = re.compile(r"^\s+(\w+): (ok|FAILED)")
DONE_LINE = re.compile(r"^\s+done in ([\d.]+) s")
HISTORY_LINE = re.compile(r"backfill hourly sources (\S+) \.\. (\S+) ")
# Signal columns that depend on the wall clock or the run, not on the data.
RUN_DEPENDENT = ["detected_at", "model_version", "provenance"]


@dataclass
class DemoRun:
    label: str
    days: int
    exit: int
    wall_s: float
    peak_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    home: Path | None = None
    peak_holders: str = ""
    stage_peaks_mb: dict[str, float] = field(default_factory=dict)


def tree_rss(process: psutil.Process) -> list[tuple[str, int]]:
    """(role, resident bytes) of the process and each descendant still alive."""
    held = []
    for proc in [process, *process.children(recursive=True)]:
        try:
            held.append((_role(proc, process), proc.memory_info().rss))
        except psutil.NoSuchProcess:
            pass
    return held


def _role(proc: psutil.Process, demo: psutil.Process) -> str:
    if proc.pid == demo.pid:
        return "demo"
    command = " ".join(proc.cmdline())
    if " simulate " in command:
        return "simulator"
    return "step" if "multiprocessing" in command else proc.name()


class StageFollower:
    """The last stage line the demo has printed so far ("[2/13] backfill hourly sources"), read off
    the growing log a new piece at a time."""

    def __init__(self, log: Path):
        self.log, self.offset, self.stage, self.partial = log, 0, "start-up", ""

    def current(self) -> str:
        with self.log.open() as text:
            text.seek(self.offset)
            new = self.partial + text.read()
            self.offset = text.tell()
        *lines, self.partial = new.split("\n")
        for line in lines:
            if STAGE_LINE.match(line):
                self.stage = line.split(" ...")[0]
        return self.stage


def _holders(held: list[tuple[str, int]], stage: str) -> str:
    big = sorted(held, key=lambda item: -item[1])[:5]
    return f"in {stage}: " + ", ".join(f"{role} {rss / 2**20:.0f}" for role, rss in big) + " MB"


def stage_times(output: str) -> dict[str, float]:
    """Seconds per demo stage, named by its number and the jobs it ran ("4 hourly_pricing")."""
    stages: dict[str, float] = {}
    number, jobs = None, []
    for line in output.splitlines():
        if match := STAGE_LINE.match(line):
            number, jobs = match.group(1), []
            if match.group(2).startswith("alerts"):
                jobs = ["alerts"]
        elif (match := JOB_LINE.match(line)) and number:
            jobs.append(match.group(1))
        elif (match := DONE_LINE.match(line)) and number:
            stages[f"{number} {'+'.join(jobs)}"] = float(match.group(1))
            number = None
    return stages


def run_demo(label: str, source: Path, days: int, seed: int, home: Path) -> DemoRun:
    """One demo of the code at `source`, its process tree watched until it exits."""
    command = [
        sys.executable, "-c", DEMO, "demo",
        "--days", str(days), "--seed", str(seed), "--home", str(home),
    ]  # fmt: skip
    env = {**_clean_environment(), "PYTHONPATH": str(source)}
    log = home.with_suffix(".log")
    started = time.monotonic()
    with log.open("w") as out:
        child = subprocess.Popen(command, cwd=source, env=env, stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        peak, holders, follower, stage_peaks = 0, "", StageFollower(log), {}
        while child.poll() is None:
            try:
                held = tree_rss(watched)
            except psutil.NoSuchProcess:
                break
            total, stage = sum(rss for _, rss in held), follower.current()
            stage_peaks[stage] = max(stage_peaks.get(stage, 0), total)
            if total > peak:
                peak, holders = total, _holders(held, stage)
            time.sleep(SAMPLE_S)
    wall = time.monotonic() - started
    stages = stage_times(log.read_text())
    run = DemoRun(label, days, child.returncode, round(wall, 1), round(peak / 2**20), stages, home, holders)
    run.stage_peaks_mb = {stage: round(rss / 2**20) for stage, rss in stage_peaks.items()}
    return run


def _clean_environment() -> dict[str, str]:
    import os

    # The demo sets its own Dagster and edge variables; inherited ones would point elsewhere.
    return {k: v for k, v in os.environ.items() if not k.startswith(("EDGE_", "DAGSTER_"))}


def baseline_worktree(rev: str) -> Path:
    """A detached worktree of `rev` under /tmp (reused when it is already there)."""
    commit = subprocess.run(
        ["git", "-C", str(CHECKOUT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if commit.returncode != 0:
        raise SystemExit(f"--baseline {rev}: not a commit of {CHECKOUT}")
    sha = commit.stdout.strip()
    path = Path(tempfile.gettempdir()) / f"edge_baseline_{sha[:12]}"
    if not path.exists():
        subprocess.run(
            ["git", "-C", str(CHECKOUT), "worktree", "add", "--detach", str(path), sha],
            check=True, capture_output=True,
        )  # fmt: skip
    return path


def signal_rows(home: Path) -> pd.DataFrame:
    with sqlite3.connect(f"file:{home / 'edge.db'}?mode=ro", uri=True) as connection:
        return pd.read_sql("SELECT * FROM signals", connection)


def history_range(run: DemoRun) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last hour the run's backfill covered, read off its log."""
    match = HISTORY_LINE.search(run.home.with_suffix(".log").read_text())
    first, last = (pd.Timestamp(datetime.strptime(key, "%Y-%m-%d-%H:%M"), tz="UTC") for key in match.groups())
    return first, last


def compare_signals(current: DemoRun, baseline: DemoRun) -> str:
    """Whether both runs found the same signals in the hours both covered in full."""
    ranges = [history_range(run) for run in (current, baseline)]
    # The first day is history warm-up (line moves, z-scores); the last hour was still in progress.
    start = max(first for first, _ in ranges) + pd.Timedelta(days=1)
    end = min(last for _, last in ranges)
    columns = None

    def window(run: DemoRun) -> pd.DataFrame:
        nonlocal columns
        frame = signal_rows(run.home)
        stamps = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
        columns = columns or [name for name in frame.columns if name not in RUN_DEPENDENT]
        inside = frame[(stamps >= start) & (stamps < end)][columns]
        return inside.sort_values(["created_at", "signal_id"]).reset_index(drop=True)

    a, b = window(current), window(baseline)
    hours = f"{start:%m-%d %H:%M} .. {end:%m-%d %H:%M}"
    if not a.equals(b):
        # As text: a column all null in one run and not the other has two dtypes, which merge refuses.
        merged = a.astype(str).merge(b.astype(str), how="outer", indicator=True)
        only = merged["_merge"].value_counts().to_dict()
        # The cost models are fitted on the whole history, so an hour more of it moves every fill
        # probability (and EV) a little: only runs started in the same clock hour compare.
        straddled = ranges[0][1] != ranges[1][1]
        why = "; the histories end in different hours, which alone moves them: rerun" if straddled else ""
        return f"signals DIFFER over {hours}: {len(a)} vs {len(b)} rows, {only}{why}"
    return f"signals identical over {hours} ({len(a)} signals, {len(columns)} columns compared)"


def ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else "-"


def report(runs: list[DemoRun], baseline_runs: list[DemoRun]) -> None:
    for days in sorted({run.days for run in runs}):
        ours = [run for run in runs if run.days == days]
        theirs = [run for run in baseline_runs if run.days == days]
        print(f"\n== {days} days ({len(ours)} run(s) each; medians) ==")
        print(f"{'':34} {'current':>9} {'baseline':>9} {'ratio':>7}")
        rows = [("wall s", lambda run: run.wall_s), ("peak tree RSS MB", lambda run: run.peak_mb)]
        rows += [(f"  {stage}", lambda run, s=stage: run.stages.get(s, 0.0)) for stage in ours[0].stages]
        for name, pick in rows:
            value = _median([pick(run) for run in ours])
            base = _median([pick(run) for run in theirs]) if theirs else None
            base_text = f"{base:9.1f}" if base is not None else f"{'-':>9}"
            print(f"{name:34} {value:9.1f} {base_text} {ratio(value, base):>7}")
        print("exit codes:", [run.exit for run in ours], "baseline", [run.exit for run in theirs])


def _median(values: list[float]) -> float:
    return float(pd.Series(values).median()) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[14, 30])
    parser.add_argument("--baseline", metavar="REV", help="also run this revision and print ratios")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (alternating with the baseline)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--floor", action="store_true", help="also time no-op assets of the same shape")
    parser.add_argument("--keep", metavar="DIR", help="keep the demo homes and logs under DIR")
    args = parser.parse_args()
    sources = [("current", CHECKOUT)]
    if args.baseline:
        sources.append(("baseline", baseline_worktree(args.baseline)))
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="demo_footprint_"))
    root.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[DemoRun]] = {label: [] for label, _ in sources}
    for repeat in range(args.repeat):
        for days in args.days:
            order = sources if repeat % 2 == 0 else sources[::-1]
            for label, source in order:
                home = root / f"{label}_{days}d_{repeat}"
                run = run_demo(label, source, days, args.seed, home)
                print(
                    f"{label:8} {days:3} days: exit {run.exit}, {run.wall_s} s, peak {run.peak_mb} MB"
                    f"\n         peak {run.peak_holders}"
                    f"\n         peak tree MB by stage: {run.stage_peaks_mb}",
                    flush=True,
                )
                runs[label].append(run)
            if args.baseline:
                current, baseline = runs["current"][-1], runs["baseline"][-1]
                if current.exit == 0 and baseline.exit == 0:
                    print("   ", compare_signals(current, baseline), flush=True)
    report(runs["current"], runs.get("baseline", []))
    if args.floor:
        from dagster_floor import measure_floor

        for days in args.days:
            floor = measure_floor(days, root / f"floor_{days}d")
            print(f"\nDagster floor, {days} days (no-op assets, the demo's runs): {floor}")
    print(f"\nlogs and homes under {root}")


if __name__ == "__main__":
    main()
