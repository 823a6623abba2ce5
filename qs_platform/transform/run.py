"""Run a processed table's SQL with DuckDB over the lake and publish the result as Parquet."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from qs_platform.catalog.tables import table_select
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.lake import Lake
from qs_platform.lake.local import sql_string
from qs_platform.transform.checks import CheckOutcome, evaluate_checks
from qs_platform.transform.sql import sql_dependencies


@dataclass
class TransformResult:
    table: str
    key: str
    row_count: int
    columns: list[tuple[str, str]]
    preview: list[tuple]
    checks: list[CheckOutcome] = field(default_factory=list)
    published: bool = True  # False when a blocking check failed: the previous data stays in place


class _BlockingCheckFailed(Exception):
    pass


def output_key(table: Table) -> str:
    return f"processed/{table.name}/data.parquet"


def connect_with_tables(lake: Lake, config: ProjectConfig, table_names: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB where each named table is a view over its lake files (no shared catalog lock)."""
    con = duckdb.connect()
    con.execute("create schema if not exists raw; create schema if not exists processed")
    for name in table_names:
        layer, table = name.split(".", 1)
        con.execute(f'create view "{layer}"."{table}" as {table_select(lake, config, name)}')
    return con


def run_transform(lake: Lake, config: ProjectConfig, table: Table, preview_rows: int = 5) -> TransformResult:
    con = connect_with_tables(lake, config, sql_dependencies(table.sql))
    try:
        con.execute(f"create temp view result as {table.sql}")
        columns = [(row[0], row[1]) for row in con.execute("describe result").fetchall()]
        key = output_key(table)
        result = TransformResult(table.table_name, key, 0, columns, [])
        try:
            # write, audit, publish: the new data replaces the old only when no blocking check fails
            with lake.staged_write(key) as target:
                con.execute(f"copy (select * from result) to {sql_string(str(target))} (format parquet, compression zstd)")
                con.execute(f"create temp view written as select * from read_parquet({sql_string(str(target))})")
                result.row_count = con.execute("select count(*) from written").fetchone()[0]
                result.preview = con.execute(f"select * from written limit {preview_rows}").fetchall()
                result.checks = evaluate_checks(con, table.checks, "written")
                if any(c.blocking and not c.passed for c in result.checks):
                    raise _BlockingCheckFailed
        except _BlockingCheckFailed:
            result.published = False
        return result
    finally:
        con.close()
