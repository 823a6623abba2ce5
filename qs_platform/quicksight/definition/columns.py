"""The QuickSight column types of each dataset, known offline from the config alone.

Raw tables are their declared empty relations and processed tables their SQL over them, as views in an in-memory
DuckDB: `describe` gives the exact output types without any data, lake or API call (what `qs-platform validate`
checks dashboards against).
"""

from __future__ import annotations

import duckdb

from qs_platform.catalog.tables import empty_raw_select
from qs_platform.config.models import ProjectConfig
from qs_platform.quicksight.datasets import quicksight_type
from qs_platform.sql.dependencies import sql_dependencies


def _create_view(con: duckdb.DuckDBPyConnection, config: ProjectConfig, name: str, created: set[str]) -> None:
    if name in created:
        return
    layer, table = name.split(".", 1)
    if layer == "raw":
        source, child = config.raw_owner(name)
        select = empty_raw_select(source, child)
    else:
        definition = config.table(table)
        for dependency in sql_dependencies(definition.sql):
            _create_view(con, config, dependency, created)
        select = definition.sql
    con.execute(f'create view "{layer}"."{table}" as {select}')
    created.add(name)


def offline_column_types(
    config: ProjectConfig, dataset_ids: list[str] | None = None
) -> dict[str, dict[str, str] | None]:
    """dataset id -> {column: QuickSight type}; None for a dataset whose table cannot be described offline."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'; create schema raw; create schema processed")
    created: set[str] = set()
    types: dict[str, dict[str, str] | None] = {}
    for dataset in config.datasets:
        if dataset_ids is not None and dataset.id not in dataset_ids:
            continue
        try:
            _create_view(con, config, dataset.table, created)
            described = con.execute(f"describe select * from {dataset.table}").fetchall()
        except (duckdb.Error, KeyError, StopIteration):
            types[dataset.id] = None
            continue
        types[dataset.id] = {row[0]: quicksight_type(row[1]) for row in described}
    return types
