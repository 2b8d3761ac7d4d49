"""Asset checks shared by every group, each judging the rows an asset most recently wrote:
its Pandera schema, stale source timestamps, holes in an hour's coverage, row-count anomalies,
mapping coverage, and the share of a landing's records quarantined. Checks that guard money (stale
quotes and books feeding signals) are blocking."""

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import timedelta

import dagster as dg
import pandas as pd

from edge_assets.defs.common import QUARANTINED_KEY, QUARANTINED_SHARE_KEY
from edge_assets.quality.rules import missing_per_hour, stale_rows, volume_ratio
from edge_assets.quality.schemas import validate
from edge_assets.storage.db import Warehouse
from edge_assets.storage.io_managers import table_name

SCHEMA_CHECK = "pandera_schema"
STALE_CHECK = "no_stale_source_timestamps"
COMPLETENESS_CHECK = "every_hour_complete"
VOLUME_CHECK = "row_count_in_range"
COVERAGE_CHECK = "mapping_coverage"
QUARANTINE_CHECK = "quarantined_share_in_range"
# More than one record in a hundred unreadable is a feed gone wrong, not the odd bad record.
MAX_QUARANTINED_SHARE = 0.01
QUARANTINE_DESCRIPTION = (
    f"At most {MAX_QUARANTINED_SHARE:.0%} of the rows of the latest landing were lost to quarantined "
    "records (each weighed by the rows it would have landed as): more is a feed gone wrong, and its "
    "data is missing."
)
# Partitioned and append-only tables are judged on their recent rows, not their whole history.
RECENT_WINDOW = timedelta(hours=48)
MAX_FAILURE_ROWS = 20
# The simulator's and the venues' normal lag is minutes; half an hour old is stale.
MAX_SOURCE_AGE = timedelta(minutes=30)
MAX_STALE_SHARE = 0.01
VOLUME_RANGE = (0.5, 2.0)
MIN_MAPPING_COVERAGE = 0.8

Evaluation = Callable[[pd.DataFrame], dg.AssetCheckResult]

# What an asset downstream of a blocking check follows under the daemon: its inputs' updates, but
# only once every blocking check of those inputs passed (a failed one holds that partition back).
FOLLOW_CHECKED_INPUTS = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
)


@dataclass(frozen=True)
class TableCheck:
    """One check of a table's recent rows: its name, what it asserts, and how it judges them."""

    name: str
    description: str
    evaluate: Evaluation
    blocking: bool = False


def table_checks(
    assets: dg.AssetsDefinition,
    checks: Sequence[TableCheck] = (),
    key: str | None = None,
    *,
    landed: bool = False,
) -> dg.AssetChecksDefinition:
    """The schema check and `checks` of an asset's table in one step: its recent rows are read once
    and judged by each. The table and the column dating its rows come from the asset's definition
    (`key` picks one asset of a multi-asset). A `landed` source asset's latest landing is also
    judged by the quarantined share it reports (`judge_quarantined_share`)."""
    asset_key = dg.AssetKey(key) if key else assets.key
    table = table_name(asset_key)
    recent_column = assets.specs_by_key[asset_key].metadata.get("time_column")
    checks = [schema_check(table), *checks]
    specs = [
        dg.AssetCheckSpec(check.name, asset=asset_key, description=check.description, blocking=check.blocking)
        for check in checks
    ]
    if landed:
        specs.append(dg.AssetCheckSpec(QUARANTINE_CHECK, asset=asset_key, description=QUARANTINE_DESCRIPTION))

    @dg.multi_asset_check(specs=specs, name=f"{table}_checks")
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        frame = _recent_rows(warehouse, table, recent_column)
        results = [(check.name, check.evaluate(frame)) for check in checks]
        if landed:
            event = context.instance.get_latest_materialization_event(asset_key)
            metadata = event.asset_materialization.metadata if event else None
            results.append((QUARANTINE_CHECK, judge_quarantined_share(metadata)))
        for name, result in results:
            yield dg.AssetCheckResult(
                asset_key=asset_key,
                check_name=name,
                passed=result.passed,
                severity=result.severity,
                metadata=result.metadata,
            )

    return _checks


def schema_check(table: str) -> TableCheck:
    """`table` matches its Pandera schema: types, ranges, keys, no future timestamps."""

    def evaluate(frame: pd.DataFrame) -> dg.AssetCheckResult:
        failures = validate(table, frame)
        if failures is None:
            return dg.AssetCheckResult(passed=True, metadata={"rows_checked": len(frame)})
        summary = failures.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_checked": len(frame),
                "failure_cases": len(failures),
                "failed_checks": dg.MetadataValue.md(summary.head(MAX_FAILURE_ROWS).to_markdown(index=False)),
            },
        )

    description = f"`{table}` matches its Pandera schema: types, ranges, keys, no future timestamps."
    return TableCheck(SCHEMA_CHECK, description, evaluate)


def stale_check(source_column: str, as_of_column: str) -> TableCheck:
    """At most 1% of recent rows carry a venue timestamp more than 30 minutes older than their hour."""

    def evaluate(frame: pd.DataFrame) -> dg.AssetCheckResult:
        stale = stale_rows(frame, source_column, as_of_column, MAX_SOURCE_AGE)
        share = float(stale.mean()) if len(frame) else 0.0
        oldest = (frame[as_of_column] - frame[source_column]).max() if len(frame) else pd.Timedelta(0)
        return dg.AssetCheckResult(
            passed=share <= MAX_STALE_SHARE,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_checked": len(frame),
                "stale_rows": int(stale.sum()),
                "stale_share": dg.MetadataValue.float(share),
                "oldest_lag_minutes": dg.MetadataValue.float(oldest.total_seconds() / 60),
            },
        )

    description = (
        f"`{source_column}` is at most {MAX_SOURCE_AGE} older than `{as_of_column}` for all but "
        f"{MAX_STALE_SHARE:.0%} of recent rows: stale prices must not feed signals."
    )
    # Blocking: stale prices must never reach pricing and signals.
    return TableCheck(STALE_CHECK, description, evaluate, blocking=True)


def completeness_check(hour_column: str, listings: dict[str, list[str]]) -> TableCheck:
    """No hour lacks what was listed before and after it: `listings` maps a reported column (a sport,
    a bookmaker) to the columns naming one listing of it (an event, an event's bookmaker)."""

    def evaluate(frame: pd.DataFrame) -> dg.AssetCheckResult:
        holes = {
            column: missing_per_hour(frame, hour_column, entity, column)
            for column, entity in listings.items()
        }
        metadata = {f"hours_missing_{column}": len(found) for column, found in holes.items()}
        found = [found.assign(kind=column) for column, found in holes.items() if len(found)]
        if found:
            examples = pd.concat(found, ignore_index=True)
            examples["missing"] = examples["missing"].map(", ".join)
            metadata["holes"] = dg.MetadataValue.md(examples.tail(MAX_FAILURE_ROWS).to_markdown(index=False))
        return dg.AssetCheckResult(passed=not found, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)

    description = (
        f"No hour lacks a {' or a '.join(listings)} that was listed in the hours before and after it."
    )
    return TableCheck(COMPLETENESS_CHECK, description, evaluate)


def volume_check(hour_column: str) -> TableCheck:
    """The latest hour's row count is within half and twice the trailing hours' average."""

    def evaluate(frame: pd.DataFrame) -> dg.AssetCheckResult:
        hour, ratio = volume_ratio(frame, hour_column)
        low, high = VOLUME_RANGE
        metadata = {"latest_hour": str(hour), "ratio_to_trailing_mean": dg.MetadataValue.float(ratio or 1.0)}
        return dg.AssetCheckResult(
            passed=ratio is None or low <= ratio <= high,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )

    description = (
        f"Rows in the latest hour are {VOLUME_RANGE[0]}x to {VOLUME_RANGE[1]}x the trailing average."
    )
    return TableCheck(VOLUME_CHECK, description, evaluate)


def coverage_check() -> TableCheck:
    """At least 80% of sports tokens are mapped."""

    def evaluate(frame: pd.DataFrame) -> dg.AssetCheckResult:
        sports = frame[frame["sport_key"].notna()]
        coverage = float((sports["status"] == "mapped").mean()) if len(sports) else 1.0
        return dg.AssetCheckResult(
            passed=coverage >= MIN_MAPPING_COVERAGE,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"coverage": dg.MetadataValue.float(coverage), "sports_tokens": len(sports)},
        )

    description = f"At least {MIN_MAPPING_COVERAGE:.0%} of sports tokens map to a sportsbook outcome."
    return TableCheck(COVERAGE_CHECK, description, evaluate)


def judge_quarantined_share(metadata: dict | None) -> dg.AssetCheckResult:
    """The quarantine check's verdict on a landing's materialization metadata: at most
    MAX_QUARANTINED_SHARE of its rows lost to quarantine; None (nothing landed yet) quarantined nothing."""
    if metadata is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "nothing landed yet"})
    if QUARANTINED_SHARE_KEY not in metadata:  # every landed asset reports it: a missing key is a bug
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"reason": f"the latest materialization reports no {QUARANTINED_SHARE_KEY}"},
        )
    share = float(metadata[QUARANTINED_SHARE_KEY].value)
    quarantined = metadata.get(QUARANTINED_KEY)
    return dg.AssetCheckResult(
        passed=share <= MAX_QUARANTINED_SHARE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            QUARANTINED_KEY: int(quarantined.value) if quarantined is not None else 0,
            QUARANTINED_SHARE_KEY: dg.MetadataValue.float(share),
            "max_share": dg.MetadataValue.float(MAX_QUARANTINED_SHARE),
        },
    )


def _recent_rows(warehouse: Warehouse, table: str, column: str | None) -> pd.DataFrame:
    if column is None:
        return warehouse.read_frame(f"SELECT * FROM {table}")  # table names come from code, never input
    latest = warehouse.read_frame(f"SELECT MAX({column}) AS latest_ts FROM {table}")["latest_ts"].iloc[0]
    if pd.isna(latest):  # empty table
        return warehouse.read_frame(f"SELECT * FROM {table} WHERE 1 = 0")
    return warehouse.read_frame(
        f"SELECT * FROM {table} WHERE {column} >= :since", {"since": latest - RECENT_WINDOW}
    )


def holds_back(evaluation: dg.AssetCheckEvaluation) -> bool:
    """A failed blocking check of error severity: Dagster skips the checked asset's downstream steps
    in its run (a warning, like the champion gate's decision, holds nothing back)."""
    return (
        evaluation.blocking and not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    )


def failed_blocking_checks(instance: dg.DagsterInstance, asset_graph) -> dict[str, dg.AssetKey]:
    """Each blocking check ("asset:check") whose newest evaluation holds back (`holds_back`), with
    its asset: what a schedule reads before it launches anything downstream."""
    failed = {}
    for key in sorted(asset_graph.asset_check_keys, key=str):
        if not asset_graph.get_check_spec(key).blocking:
            continue
        record = instance.get_latest_asset_check_evaluation_record(key)
        if record is not None and record.evaluation is not None and holds_back(record.evaluation):
            failed[f"{key.asset_key.to_user_string()}:{key.name}"] = key.asset_key
    return failed


def checks_upstream_of(
    asset_graph, failed: Mapping[str, dg.AssetKey], targets: Set[dg.AssetKey]
) -> list[str]:
    """Of the `failed` blocking checks (each with its asset), those upstream of any of `targets`:
    while one holds, running the targets would price, train or signal on the data it refused."""
    return sorted(
        check
        for check, asset in failed.items()
        if dg.AssetSelection.assets(asset).downstream(include_self=False).resolve(asset_graph) & targets
    )
