"""Asset factories of the landing and raw layers: one landing spec and one raw asset per source."""

import dagster as dg

from qs_platform.config.models import Source
from qs_platform.ingest.load import IngestResult, ingest_file
from qs_platform.ingest.partitions import partition_key_for, partitions_def_name, relative_key_for
from qs_platform.resources import LakeResource

ROWS_RECONCILED = "rows_reconciled"
FILE_READABLE = "file_readable"
SCHEMA_MATCHES = "schema_matches"


def file_partitions(source: Source) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=partitions_def_name(source.name))


def landing_key_for(source: Source, partition_key: str) -> str:
    return source.landing_prefix + relative_key_for(partition_key)


def landing_spec(source: Source, partitions: dg.DynamicPartitionsDefinition) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=["landing", source.name],
        description=f"Files as they land under {source.landing_prefix} ({source.file_pattern}).",
        partitions_def=partitions,
        group_name="landing",
        kinds={"file"},
        metadata={"landing_prefix": source.landing_prefix, "file_pattern": source.file_pattern},
    )


def ingest_metadata(result: IngestResult, partition_key: str) -> dict:
    metadata = {
        "status": result.status,
        "landing_key": result.landing_key,
        "partition_key": partition_key,
        "input_rows": result.input_rows,
        "loaded_rows": result.loaded_rows,
        "rejected_rows": result.rejected_rows,
        "rejected_by_rule": dg.MetadataValue.json(result.rejected_by_rule),
        "dagster/row_count": result.loaded_rows,
    }
    if result.content_hash:
        metadata["md5"] = result.content_hash
    if result.reason:
        metadata["quarantine_reason"] = result.reason
    if result.raw_key:
        metadata["raw_key"] = result.raw_key
    if result.quarantine_key:
        metadata["quarantine_key"] = result.quarantine_key
    if result.children:
        metadata["child_tables"] = dg.MetadataValue.json(result.children)
    if result.archive_members:
        metadata["archive_members"] = dg.MetadataValue.json(result.archive_members)
    if result.refused_members:
        metadata["refused_members"] = dg.MetadataValue.json(result.refused_members)
    if result.new_columns:
        metadata["new_columns"] = dg.MetadataValue.json(result.new_columns)
    if result.missing_columns:
        metadata["missing_columns"] = dg.MetadataValue.json(result.missing_columns)
    return metadata


def build_raw_asset(source: Source, partitions: dg.DynamicPartitionsDefinition) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", source.name])

    @dg.asset(
        key=key,
        deps=[dg.AssetKey(["landing", source.name])],
        partitions_def=partitions,
        group_name="raw",
        kinds={"duckdb", "parquet"},
        description=f"Typed rows of {source.name} files ({source.description or 'no description'}); bad rows quarantined.",
        check_specs=[
            dg.AssetCheckSpec(ROWS_RECONCILED, asset=key, description="loaded + rejected rows = input rows"),
            dg.AssetCheckSpec(FILE_READABLE, asset=key, description="the file could be parsed at all (warns when it was quarantined whole)"),
            dg.AssetCheckSpec(SCHEMA_MATCHES, asset=key, description="no undeclared columns arrived (warns on drift; they are kept as text)"),
        ],
        metadata={"columns": dg.TableSchema(columns=[dg.TableColumn(c.column_name, c.type, description=c.description) for c in source.columns])},
    )
    def _raw(context: dg.AssetExecutionContext, lake: LakeResource, landing: LakeResource) -> dg.MaterializeResult:
        partition_key = context.partition_key
        landing_key = landing_key_for(source, partition_key)
        store = landing.get()
        if not store.exists(landing_key):
            raise dg.Failure(description=f"{store.uri(landing_key)} no longer exists; nothing to ingest for partition {partition_key}")
        # Hashed again here: the file may have changed since the sensor saw it, and metadata must name what was read.
        result = ingest_file(lake.get(), source, landing_key, partition_key, landing=store)
        if result.status == "quarantined":
            context.log.warning(f"quarantined {landing_key}: {result.reason}")
        elif result.rejected_rows:
            context.log.warning(f"{landing_key}: {result.rejected_rows} of {result.input_rows} rows quarantined: {result.rejected_by_rule}")
        return dg.MaterializeResult(
            metadata=ingest_metadata(result, partition_key),
            check_results=[
                dg.AssetCheckResult(
                    check_name=ROWS_RECONCILED,
                    passed=result.reconciled,
                    metadata={"input_rows": result.input_rows, "loaded_rows": result.loaded_rows, "rejected_rows": result.rejected_rows},
                ),
                dg.AssetCheckResult(
                    check_name=FILE_READABLE,
                    passed=result.status != "quarantined" and not result.refused_members,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=result.reason,
                    metadata={"reason": result.reason or ""},
                ),
                dg.AssetCheckResult(
                    check_name=SCHEMA_MATCHES,
                    passed=not result.new_columns,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=f"undeclared columns kept as text: {result.new_columns}" if result.new_columns else None,
                    metadata={"new_columns": dg.MetadataValue.json(result.new_columns), "missing_columns": dg.MetadataValue.json(result.missing_columns)},
                ),
            ],
        )

    return _raw


__all__ = ["build_raw_asset", "file_partitions", "landing_spec", "landing_key_for", "partition_key_for"]
