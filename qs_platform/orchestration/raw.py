"""Asset factories of the landing and raw layers: one landing spec and one raw asset per source.

The raw asset is not partitioned: a run loads a group of landed files (named in its config by the landing sensor,
or, launched from the UI with no files, every pending one) and its materialization describes that group, file by
file; the ledger (`ledger.<source>` in the catalog) keeps the whole history, one record per file.
"""

from collections import Counter

import dagster as dg
from pydantic import Field

from qs_platform.config.models import ProjectConfig, Source
from qs_platform.ingest.landing import landed, pending
from qs_platform.ingest.ledger import Ledger
from qs_platform.ingest.runner import GroupResult, ingest_group
from qs_platform.orchestration.metadata import RawRun
from qs_platform.orchestration.resources import IngestResource, LakeResource
from qs_platform.runtime.progress import RunProgress

ROWS_RECONCILED = "rows_reconciled"
FILE_READABLE = "file_readable"
SCHEMA_MATCHES = "schema_matches"
FILES_SHOWN = 100
DECLARATION = "declaration"  # the source as declared in assets_config/, shown in the UI


def declared_sources(defs: dg.Definitions) -> list[Source]:
    """The sources behind a code location's raw assets, read back from their declaration metadata."""
    graph = defs.resolve_asset_graph()
    found = []
    for key in sorted(graph.get_all_asset_keys(), key=str):
        value = graph.get(key).metadata.get(DECLARATION) if key.path[0] == "raw" else None
        if value is not None:
            found.append(Source.model_validate(getattr(value, "value", value)))
    return found


class IngestConfig(dg.Config):
    files: list[str] = Field(
        default_factory=list, description="Landing keys to load; empty: every pending file of the source"
    )
    reprocess: bool = Field(
        default=False,
        description="Load the files again even when their content has not changed "
        "(e.g. after editing the source's columns or rules)",
    )


def raw_asset_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey(["raw", source.name])


def landing_asset_key(source: Source) -> dg.AssetKey:
    return dg.AssetKey(["landing", source.name])


def raw_op_name(source: Source) -> str:
    return raw_asset_key(source).to_python_identifier()


def landing_spec(source: Source) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=landing_asset_key(source),
        description=f"Files as they land under {source.landing_prefix} ({source.file_pattern}).",
        group_name="landing",
        kinds={"file"},
        metadata={"landing_prefix": source.landing_prefix, "file_pattern": source.file_pattern},
    )


def _column_schema(source: Source) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(c.column_name, c.type, description=c.description) for c in source.columns]
    )


def resolve_files(store, lake, source: Source, config: IngestConfig, ledger: Ledger):
    """The objects to load: the named keys as they are now (skipping those the ledger already has at that
    fingerprint), or every pending file."""
    if not config.files:
        known = {key: record.fingerprint for key, record in ledger.records.items()}
        return pending(landed(store, source), {} if config.reprocess else known)
    objects = []
    for key in dict.fromkeys(config.files):
        obj = store.stat(key)
        record = ledger.get(key)
        if obj is not None and (config.reprocess or record is None or record.fingerprint != obj.etag):
            objects.append(obj)
    return objects


def group_metadata(group: GroupResult, ledger: Ledger) -> dict:
    outcomes = group.outcomes
    status = Counter("unchanged" if o.unchanged else o.record.status for o in outcomes)
    results = [o.result for o in outcomes if o.result is not None]
    by_rule = Counter()
    for r in results:
        by_rule.update(r.rejected_by_rule)
    rows = [
        f"| {o.obj.key} | {'unchanged' if o.unchanged else o.record.status} | {o.record.loaded_rows} | {o.record.rejected_rows} | "
        f"{o.record.content_hash[:12]} | {(o.record.reason or '').replace('|', '/')[:160]} |"
        for o in outcomes[:FILES_SHOWN]
    ]
    more = len(outcomes) - FILES_SHOWN
    table = "\n".join(
        ["| file | status | loaded | rejected | content | reason |", "|---|---|---|---|---|---|", *rows]
        + ([f"| … {more} more: see ledger.<source> in the catalog | | | | | |"] if more > 0 else [])
    )
    new_columns = sorted({c for r in results for c in r.new_columns})
    children: dict[str, Counter] = {}
    for r in results:
        for child, counts in r.children.items():
            children.setdefault(child, Counter()).update(counts)
    quarantined = {
        r.landing_key: r.reason for r in results if r.reason and (r.status == "quarantined" or r.refused_members)
    }
    run = RawRun(
        files=len(outcomes),
        files_loaded=status["loaded"],
        files_quarantined=status["quarantined"],
        files_unchanged=status["unchanged"],
        archives_expanded=status["expanded"],
        input_rows=sum(r.input_rows for r in results),
        loaded_rows=sum(r.loaded_rows for r in results),
        rejected_rows=sum(r.rejected_rows for r in results),
        quarantined_files=dict(list(quarantined.items())[:FILES_SHOWN]),
    )
    metadata = {
        **run.to_metadata(),
        "rejected_by_rule": dg.MetadataValue.json(dict(sorted(by_rule.items()))),
        "file_outcomes": dg.MetadataValue.md(table),
        "dagster/row_count": sum(r.loaded_rows for r in ledger.records.values() if r.status == "loaded"),
        "ledger_files": len(ledger.records),
    }
    if new_columns:
        metadata["new_columns"] = dg.MetadataValue.json(new_columns)
    if children:
        metadata["child_tables"] = dg.MetadataValue.json({k: dict(v) for k, v in children.items()})
    if group.vanished:
        metadata["vanished_files"] = dg.MetadataValue.json(group.vanished[:FILES_SHOWN])
    expanded = {r.landing_key: r.archive_members for r in results if r.status == "expanded"}
    if expanded:
        metadata["archive_members"] = dg.MetadataValue.json(expanded)
    refused = {r.landing_key: r.refused_members for r in results if r.refused_members}
    if refused:
        metadata["refused_members"] = dg.MetadataValue.json(refused)
    return metadata


def group_checks(group: GroupResult) -> list[dg.AssetCheckResult]:
    results = [o.result for o in group.outcomes if o.result is not None]
    unreconciled = [r.landing_key for r in results if not r.reconciled]
    unreadable = [f"{r.landing_key}: {r.reason}" for r in results if r.status == "quarantined" or r.refused_members]
    drifted = {r.landing_key: r.new_columns for r in results if r.new_columns}
    return [
        dg.AssetCheckResult(
            check_name=ROWS_RECONCILED,
            passed=not unreconciled,
            description=f"input rows differ from loaded + rejected in {unreconciled}" if unreconciled else None,
            metadata={"files": len(results), "unreconciled": dg.MetadataValue.json(unreconciled)},
        ),
        dg.AssetCheckResult(
            check_name=FILE_READABLE,
            passed=not unreadable,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(unreadable[:20])[:2000] if unreadable else None,
            metadata={"quarantined_files": len(unreadable)},
        ),
        dg.AssetCheckResult(
            check_name=SCHEMA_MATCHES,
            passed=not drifted,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"undeclared columns kept as text: {dict(list(drifted.items())[:20])}" if drifted else None,
            metadata={"new_columns": dg.MetadataValue.json(sorted({c for cols in drifted.values() for c in cols}))},
        ),
    ]


def build_raw_asset(source: Source, project: ProjectConfig) -> dg.AssetsDefinition:
    key = raw_asset_key(source)

    @dg.asset(
        key=key,
        output_required=False,  # a run that only confirmed unchanged files records no new version of the table
        deps=[landing_asset_key(source)],
        group_name="raw",
        kinds={"duckdb", "parquet"},
        description=f"Typed records of {source.name} files ({source.description or 'no description'}); bad rows quarantined. "
        "A run loads a group of landed files; with no files in its config, every pending one.",
        check_specs=[
            dg.AssetCheckSpec(
                ROWS_RECONCILED, asset=key, description="every file: loaded + rejected rows = input rows"
            ),
            dg.AssetCheckSpec(
                FILE_READABLE,
                asset=key,
                description="every file could be parsed at all (warns on files quarantined whole)",
            ),
            dg.AssetCheckSpec(
                SCHEMA_MATCHES,
                asset=key,
                description="no undeclared columns arrived (warns on drift; they are kept as text)",
            ),
        ],
        metadata={
            "dagster/column_schema": _column_schema(source),
            "landing_prefix": source.landing_prefix,
            DECLARATION: dg.MetadataValue.json(source.model_dump(mode="json")),
        },
    )
    def _raw(
        context: dg.AssetExecutionContext,
        config: IngestConfig,
        lake: LakeResource,
        landing: LakeResource,
        ingest: IngestResource,
    ):
        store, lake_ = landing.get(), lake.get()
        ledger = Ledger.load(lake_, source)
        objects = resolve_files(store, lake_, source, config, ledger)
        context.log.info(f"{source.name}: {len(objects)} files to load ({sum(o.size for o in objects):,} bytes)")
        progress = RunProgress(context.instance, source.name, context.run_id, context.log)
        group = ingest_group(
            lake_,
            store,
            source,
            objects,
            ledger,
            run_id=context.run_id,
            progress=progress,
            reprocess=config.reprocess,
            max_deaths=ingest.max_run_deaths,
            config=project,
        )
        for outcome in group.outcomes:
            if outcome.record.status == "quarantined" and not outcome.unchanged:
                context.log.warning(f"quarantined {outcome.obj.key}: {outcome.record.reason}")
        if group.changed:
            yield dg.MaterializeResult(metadata=group_metadata(group, ledger), check_results=group_checks(group))
        else:
            context.log.info(f"{source.name}: {len(group.outcomes)} files confirmed unchanged; nothing new downstream")
            yield from group_checks(group)

    return _raw
