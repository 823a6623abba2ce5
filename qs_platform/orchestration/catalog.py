"""Asset factory of the catalog layer: one entry per raw, processed and ledger table; the ledger balances."""

import dagster as dg

from qs_platform.catalog.base import Catalog, CatalogTable, SchemaError
from qs_platform.catalog.tables import TableNotMaterialized, duplicate_copies_select
from qs_platform.config.models import ProjectConfig
from qs_platform.lake import Lake
from qs_platform.orchestration.processed import asset_key_for_table, table_schema
from qs_platform.orchestration.resources import CatalogResource, LakeResource
from qs_platform.runtime.status import source_balance
from qs_platform.sql.engine import connect

SCHEMA_CHECK = "schema_compatible"
LEDGER_CHECK = "ledger_balanced"
PENDING_GRACE_SECONDS = 600  # a file landed a moment ago is being loaded, not lost


def ledger_check(balance, grace: float = PENDING_GRACE_SECONDS) -> dg.AssetCheckResult:
    """Landed = loaded + expanded + quarantined (+ pending younger than the grace), and every file's rows add up."""
    stale = [(key, age) for key, age in balance.pending if age > grace]
    problems = (
        [f"{len(stale)} files pending for over {grace:.0f} s (oldest {stale[0][0]}, {stale[0][1]:.0f} s)"]
        if stale
        else []
    )
    problems += (
        [f"rows do not add up (input != loaded + rejected) in {balance.unreconciled[:10]}"]
        if balance.unreconciled
        else []
    )
    return dg.AssetCheckResult(
        check_name=LEDGER_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(problems) or None,
        metadata={
            "landed": balance.landed,
            "loaded": balance.loaded,
            "expanded": balance.expanded,
            "quarantined": balance.quarantined,
            "pending": len(balance.pending),
            "oldest_pending_s": round(balance.pending[0][1]) if balance.pending else 0,
            "removed_from_landing": balance.removed,
            "input_rows": balance.input_rows,
            "loaded_rows": balance.loaded_rows,
            "rejected_rows": balance.rejected_rows,
        },
    )


def catalog_asset_key(table_name: str) -> dg.AssetKey:
    return dg.AssetKey(["catalog", *table_name.split(".")])


def duplicate_copies(lake: Lake, table_name: str) -> list[tuple[str, str]]:
    """(ignored key, key whose identical content counts) pairs of a raw table."""
    select = duplicate_copies_select(lake, table_name)
    if select is None:
        return []
    with connect() as con:
        return con.execute(select).fetchall()


def register_quarantine(catalog: Catalog, raw_table: str) -> CatalogTable | None:
    """`quarantine.<source>`: the rejected rows of a source with the rules they broke, when there are any."""
    try:
        return catalog.register("quarantine." + raw_table.split(".", 1)[1])
    except TableNotMaterialized:
        return None


def catalog_location_metadata(catalog: Catalog, table_name: str) -> dict:
    where, query = catalog.query_hint(table_name)
    return {"catalog": where, "query": dg.MetadataValue.md(f"```\n{query}\n```")}


def declaration_version(table_name: str, config: ProjectConfig) -> str | None:
    """The code version of a catalog entry: its source's or table's declaration, which the registered view is
    written from (a raw view applies the batch deadline, for one): editing it registers the table again."""
    layer, name = table_name.split(".", 1)
    if layer == "raw":
        return config.raw_owner(table_name)[0].version
    if layer == "processed":
        return config.table(name).version
    return None


def build_catalog_asset(
    table_name: str, config: ProjectConfig, condition: dg.AutomationCondition
) -> dg.AssetsDefinition:
    key = catalog_asset_key(table_name)
    is_ledger = table_name.startswith("ledger.")
    checks = [
        dg.AssetCheckSpec(SCHEMA_CHECK, asset=key, blocking=True, description="The new data fits the registered table")
    ]
    if is_ledger:
        checks.append(
            dg.AssetCheckSpec(
                LEDGER_CHECK,
                asset=key,
                description="landed files = loaded + expanded + quarantined (+ pending a moment), rows add up per file",
            )
        )

    @dg.asset(
        key=key,
        check_specs=checks,
        deps=[asset_key_for_table(table_name, config)],
        group_name="catalog",
        kinds={"duckdb"},
        description=f"{table_name} registered in the catalog (a view in the local DuckDB catalog).",
        automation_condition=condition,
        code_version=declaration_version(table_name, config),
    )
    def _catalog_entry(
        context: dg.AssetExecutionContext, lake: LakeResource, landing: LakeResource, catalog: CatalogResource
    ) -> dg.MaterializeResult:
        lake_ = lake.get()
        try:
            entry = catalog.get(lake_, config).register(table_name)
        except SchemaError as error:
            context.log.error(f"{table_name}: not registered: {error}")
            return dg.MaterializeResult(
                metadata={"registered": False},
                check_results=[
                    dg.AssetCheckResult(check_name=SCHEMA_CHECK, passed=False, metadata={"error": str(error)})
                ]
                + (
                    [
                        dg.AssetCheckResult(
                            check_name=LEDGER_CHECK, passed=False, description="the ledger is not registered"
                        )
                    ]
                    if is_ledger
                    else []
                ),
            )
        duplicates = duplicate_copies(lake_, table_name) if table_name.startswith("raw.") else []
        quarantined = (
            register_quarantine(catalog.get(lake_, config), table_name) if table_name.startswith("raw.") else None
        )
        if duplicates:
            context.log.info(
                f"{table_name}: {len(duplicates)} files repeat content delivered earlier and are not counted again"
            )
        return dg.MaterializeResult(
            metadata={
                **({"duplicate_files_ignored": dg.MetadataValue.json(dict(duplicates))} if duplicates else {}),
                **({"quarantined_rows": quarantined.row_count} if quarantined else {}),
                "dagster/row_count": entry.row_count,
                "dagster/column_schema": table_schema(entry.columns, config.column_descriptions(table_name)),
                **catalog_location_metadata(catalog.get(lake_, config), table_name),
            },
            check_results=[dg.AssetCheckResult(check_name=SCHEMA_CHECK, passed=True)]
            + (
                [ledger_check(source_balance(landing.get(), lake_, config.source(table_name.split(".", 1)[1])))]
                if is_ledger
                else []
            ),
        )

    return _catalog_entry
