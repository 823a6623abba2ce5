"""Asset factory of the processed layer: one asset per table declared in SQL."""

import dagster as dg
import duckdb
from pydantic import Field

from qs_platform.catalog.athena import AthenaQueryFailed
from qs_platform.catalog.tables import TableNotMaterialized
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.orchestration.metadata import TableBuild
from qs_platform.orchestration.resources import CatalogResource, LakeResource
from qs_platform.runtime.state import MACHINE_FAULT_TAG
from qs_platform.sql.dependencies import sql_dependencies
from qs_platform.sql.engine import MachineFault
from qs_platform.transform.athena import NotPortable
from qs_platform.transform.checks import CheckOutcome
from qs_platform.transform.run import PartitionMismatch, PartitionStats, run_transform

PARTITION_ROWS_SHOWN = 30


def asset_key_for_table(table_name: str, config: ProjectConfig) -> dg.AssetKey:
    """The asset writing a catalog table: child tables (raw.<source>__<list>) and the ledger (ledger.<source>) are
    written by their source's raw asset."""
    if table_name.startswith("ledger."):
        return dg.AssetKey(["raw", table_name.split(".", 1)[1]])
    if table_name.startswith("raw."):
        return dg.AssetKey(config.raw_owner(table_name)[0].table_name.split("."))
    return dg.AssetKey(table_name.split("."))


def table_schema(columns: list[tuple[str, str]], descriptions: dict[str, str] | None = None) -> dg.TableSchema:
    described = descriptions or {}
    return dg.TableSchema(
        columns=[dg.TableColumn(name, type_, description=described.get(name)) for name, type_ in columns]
    )


def preview_markdown(columns: list[tuple[str, str]], rows: list[tuple]) -> str:
    header = "| " + " | ".join(name for name, _ in columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def upstream_keys(table: Table, config: ProjectConfig) -> list[dg.AssetKey]:
    """The tables its SQL reads, and the batch state of batched sources (a released batch is new input)."""
    keys = []
    for dep in sql_dependencies(table.sql):
        keys.append(asset_key_for_table(dep, config))
        if dep.startswith("raw.") and config.raw_owner(dep)[0].batch:
            keys.append(dg.AssetKey(["batches", config.raw_owner(dep)[0].name]))
    return list(dict.fromkeys(keys))


def check_result(outcome: CheckOutcome, columns: list[str] | None = None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata={
            "violations": outcome.violations,
            "sample": dg.MetadataValue.json([[str(v) for v in row] for row in outcome.sample]),
        },
    )


class TransformConfig(dg.Config):
    full_rebuild: bool = Field(
        default=False, description="Recompute every partition of a partitioned table, not only the changed ones."
    )


def full_rebuild_config(keys: list[dg.AssetKey]) -> dict:
    """Run config recomputing the given processed assets whole."""
    return {"ops": {key.to_python_identifier(): {"config": {"full_rebuild": True}} for key in keys}}


def rebuild_job(tables: list[Table]):
    """`rebuild_processed` in the UI: every processed table recomputed whole, then everything downstream of them."""
    keys = [dg.AssetKey(t.table_name.split(".")) for t in tables]
    return dg.define_asset_job(
        "rebuild_processed",
        selection=dg.AssetSelection.assets(*keys).downstream(),
        config=full_rebuild_config(keys),
        description="Recompute every processed table whole (all partitions), then the catalog, datasets and dashboards.",
    )


def partition_metadata(stats: PartitionStats) -> dict:
    rows = [f"| {value} | {count} |" for value, count in list(stats.rewritten.items())[:PARTITION_ROWS_SHOWN]]
    more = len(stats.rewritten) - PARTITION_ROWS_SHOWN
    table = "\n".join(["| partition | rows |", "|---|---|", *rows] + ([f"| … {more} more | |"] if more > 0 else []))
    return {
        "partitions_deleted": dg.MetadataValue.json(stats.deleted),
        "rewritten_partitions": dg.MetadataValue.md(table),
    }


def execute(
    table: Table, project: ProjectConfig, lake: LakeResource, catalog: CatalogResource, full_rebuild: bool, log
):
    """DuckDB here, or Athena for `engine: athena` where the catalog has one (locally such a table runs on DuckDB)."""
    athena = catalog.athena() if table.engine == "athena" else None
    if athena is not None:
        from qs_platform.transform.athena import run_athena_transform

        return run_athena_transform(athena, catalog.get(lake.get(), project), project, table)
    if table.engine == "athena":
        log.info(f"{table.table_name}: engine athena runs on DuckDB under the local profile")
    return run_transform(lake.get(), project, table, full_rebuild=full_rebuild)


def build_processed_asset(
    table: Table, project: ProjectConfig, condition: dg.AutomationCondition
) -> dg.AssetsDefinition:
    key = asset_key_for_table(table.table_name, project)

    @dg.asset(
        key=key,
        check_specs=[
            dg.AssetCheckSpec(c.name, asset=key, blocking=c.blocking, description=c.description or f"{c.kind} check")
            for c in table.checks
        ],
        deps=upstream_keys(table, project),
        group_name="processed",
        kinds={"duckdb", "parquet"},
        description=table.description or None,
        automation_condition=condition,
        code_version=table.version,
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{table.sql}\n```")},
    )
    def _processed(
        context: dg.AssetExecutionContext, config: TransformConfig, lake: LakeResource, catalog: CatalogResource
    ) -> dg.MaterializeResult:
        try:
            result = execute(table, project, lake, catalog, config.full_rebuild, context.log)
        except MachineFault:
            context.instance.add_run_tags(context.run_id, {MACHINE_FAULT_TAG: "true"})  # automation tries it again
            raise
        except (duckdb.Error, TableNotMaterialized, PartitionMismatch, NotPortable, AthenaQueryFailed) as error:
            raise dg.Failure(description=f"{table.table_name}: {error}") from error
        if result.published:
            context.log.info(f"{table.table_name}: {result.row_count} rows -> {result.key}")
        else:
            failed = [f"{c.name}: {c.description}" for c in result.checks if c.blocking and not c.passed]
            context.log.error(
                f"{table.table_name}: NOT published, blocking checks failed: {failed}; the previous data stays"
            )
        undescribed = sorted(set(table.columns) - {name for name, _ in result.columns})
        if undescribed:
            context.log.warning(
                f"{table.table_name}: `columns:` describes {undescribed}, which its SQL does not return"
            )
        stats = result.partitions
        build = TableBuild(
            row_count=result.row_count,
            published=result.published,
            partition_mode=stats.mode if stats else "",
            partition_reason=stats.reason if stats else "",
            partitions=stats.total if stats else 0,
            partitions_rewritten=len(stats.rewritten) if stats else 0,
        )
        metadata = {
            **build.to_metadata(),
            "dagster/column_schema": table_schema(result.columns, table.columns),
            "preview": dg.MetadataValue.md(preview_markdown(result.columns, result.preview)),
            "key": result.key,
        }
        if result.partitions:
            metadata.update(partition_metadata(result.partitions))
            context.log.info(
                f"{table.table_name}: {result.partitions.mode} ({result.partitions.reason}), {len(result.partitions.rewritten)} partition(s) rewritten"
            )
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[check_result(c) for c in result.checks],
        )

    return _processed
