"""Asset factory of the catalog layer: one entry per raw and processed table."""

import dagster as dg

from qs_platform.catalog.base import Catalog, CatalogTable, SchemaError
from qs_platform.catalog.tables import TableNotMaterialized, duplicate_copies_select
from qs_platform.config.models import ProjectConfig
from qs_platform.lake import Lake
from qs_platform.resources import CatalogResource, LakeResource
from qs_platform.transform.assets import asset_key_for_table, table_schema
from qs_platform.engine import connect


SCHEMA_CHECK = "schema_compatible"


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


def catalog_location_metadata(catalog: CatalogResource, table_name: str) -> dict:
    aws = catalog.aws
    if aws:
        layer, name = table_name.split(".", 1)
        database = aws.glue_databases[layer]
        return {"catalog": f"glue:{database}.{name}", "query": dg.MetadataValue.md(f'```sql\nselect * from "{database}"."{name}" limit 10  -- Athena\n```')}
    return {"catalog": catalog.path, "query": dg.MetadataValue.md(f"```\nduckdb {catalog.path} -c \"select * from {table_name} limit 10\"\n```")}


def build_catalog_asset(table_name: str, config: ProjectConfig, condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    key = catalog_asset_key(table_name)

    @dg.asset(
        key=key,
        check_specs=[dg.AssetCheckSpec(SCHEMA_CHECK, asset=key, blocking=True, description="The new data fits the registered table")],
        deps=[asset_key_for_table(table_name, config)],
        group_name="catalog",
        kinds={"duckdb"},
        description=f"{table_name} registered in the catalog (a view in the local DuckDB catalog).",
        automation_condition=condition,
    )
    def _catalog_entry(context: dg.AssetExecutionContext, lake: LakeResource, catalog: CatalogResource) -> dg.MaterializeResult:
        lake_ = lake.get()
        try:
            entry = catalog.get(lake_, config).register(table_name)
        except SchemaError as error:
            context.log.error(f"{table_name}: not registered: {error}")
            return dg.MaterializeResult(
                metadata={"registered": False},
                check_results=[dg.AssetCheckResult(check_name=SCHEMA_CHECK, passed=False, metadata={"error": str(error)})],
            )
        duplicates = duplicate_copies(lake_, table_name) if table_name.startswith("raw.") else []
        quarantined = register_quarantine(catalog.get(lake_, config), table_name) if table_name.startswith("raw.") else None
        if duplicates:
            context.log.info(f"{table_name}: {len(duplicates)} files repeat content delivered earlier and are not counted again")
        return dg.MaterializeResult(
            metadata={
                **({"duplicate_files_ignored": dg.MetadataValue.json(dict(duplicates))} if duplicates else {}),
                **({"quarantined_rows": quarantined.row_count} if quarantined else {}),
                "dagster/row_count": entry.row_count,
                "dagster/column_schema": table_schema(entry.columns),
                **catalog_location_metadata(catalog, table_name),
            },
            check_results=[dg.AssetCheckResult(check_name=SCHEMA_CHECK, passed=True)],
        )

    return _catalog_entry
