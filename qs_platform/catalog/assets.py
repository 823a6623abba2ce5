"""Asset factory of the catalog layer: one entry per raw and processed table."""

import dagster as dg

from qs_platform.config.models import ProjectConfig
from qs_platform.resources import CatalogResource, LakeResource
from qs_platform.transform.assets import asset_key_for_table, table_schema


def catalog_asset_key(table_name: str) -> dg.AssetKey:
    return dg.AssetKey(["catalog", *table_name.split(".")])


def build_catalog_asset(table_name: str, config: ProjectConfig, condition: dg.AutomationCondition) -> dg.AssetsDefinition:
    @dg.asset(
        key=catalog_asset_key(table_name),
        deps=[asset_key_for_table(table_name)],
        group_name="catalog",
        kinds={"duckdb"},
        description=f"{table_name} registered in the catalog (a view in the local DuckDB catalog).",
        automation_condition=condition,
    )
    def _catalog_entry(context: dg.AssetExecutionContext, lake: LakeResource, catalog: CatalogResource) -> dg.MaterializeResult:
        entry = catalog.get(lake.get(), config).register(table_name)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": entry.row_count,
                "dagster/column_schema": table_schema(entry.columns),
                "catalog": catalog.path,
                "query": dg.MetadataValue.md(f"```\nduckdb {catalog.path} -c \"select * from {table_name} limit 10\"\n```"),
            }
        )

    return _catalog_entry
