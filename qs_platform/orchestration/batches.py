"""Per batched source: an asset with the state of every batch, and a sensor releasing batches at their deadline."""

import hashlib

import dagster as dg

from qs_platform.catalog.tables import raw_rows_select
from qs_platform.config.models import Source
from qs_platform.ingest.batches import batch_status_select
from qs_platform.orchestration.resources import LakeResource
from qs_platform.sql.engine import connect

BATCHES_COMPLETE = "batches_complete"


def batches_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey(["batches", source.name])


def batch_states(lake, source: Source) -> list[dict]:
    with connect() as con:
        arrived = "(" + raw_rows_select(lake, source, first_copy_only=False) + ")"
        relation = con.execute(f"select * from ({batch_status_select(source, arrived)}) order by all")
        columns = [d[0] for d in relation.description]
        return [dict(zip(columns, row)) for row in relation.fetchall()]


def _describe(batch: dict, source: Source) -> str:
    key = "/".join(str(batch[k]) for k in source.batch.key)
    return f"{key}: missing {batch['missing']}" if batch["missing"] else f"{key}: {len(batch['present'])} files"


def build_batches_asset(source: Source, raw_key: dg.AssetKey, condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    key = batches_key(source)

    @dg.asset(
        key=key,
        deps=[raw_key],
        group_name="raw",
        kinds={"duckdb"},
        automation_condition=condition,
        description=f"Completeness of {source.name} batches ({', '.join(source.batch.key)}): downstream sees complete ones, "
        "and incomplete ones past their deadline.",
        check_specs=[
            dg.AssetCheckSpec(BATCHES_COMPLETE, asset=key, description="every released batch had all its files")
        ],
    )
    def _batches(lake: LakeResource) -> dg.MaterializeResult:
        states = batch_states(lake.get(), source)
        by_state = {s: [b for b in states if b["state"] == s] for s in ("complete", "waiting", "released_incomplete")}
        incomplete = [_describe(b, source) for b in by_state["released_incomplete"]]
        return dg.MaterializeResult(
            metadata={
                "complete": len(by_state["complete"]),
                "waiting": len(by_state["waiting"]),
                "released_incomplete": len(by_state["released_incomplete"]),
                "waiting_batches": dg.MetadataValue.json([_describe(b, source) for b in by_state["waiting"]]),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=BATCHES_COMPLETE,
                    passed=not incomplete,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=("released past the deadline without: " + "; ".join(incomplete))
                    if incomplete
                    else None,
                    metadata={"released_incomplete": dg.MetadataValue.json(incomplete)},
                )
            ],
        )

    return _batches


def overdue_fingerprint(states: list[dict], source: Source) -> str | None:
    """Identifies the set of batches released by their deadline (complete ones are released by their last file)."""
    overdue = sorted(
        "/".join(str(b[k]) for k in source.batch.key) for b in states if b["state"] == "released_incomplete"
    )
    return hashlib.md5("\n".join(overdue).encode()).hexdigest() if overdue else None


def build_deadline_sensor(source: Source) -> dg.SensorDefinition:
    key = batches_key(source)

    @dg.sensor(
        name=f"batch_deadlines_{source.name}",
        description=f"Releases {source.name} batches whose deadline passed, so downstream proceeds without the missing files.",
        asset_selection=[key],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
    )
    def _deadlines(context: dg.SensorEvaluationContext, lake: LakeResource):
        fingerprint = overdue_fingerprint(batch_states(lake.get(), source), source)
        if fingerprint is None or fingerprint == context.cursor:
            return dg.SkipReason("no batch reached its deadline since the last tick")
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"released|{fingerprint}")], cursor=fingerprint)

    return _deadlines
