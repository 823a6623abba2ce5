"""Run a processed table's SQL with DuckDB over the lake and publish the result as Parquet (write, audit, publish).

An unpartitioned table is recomputed whole into `processed/<table>/data.parquet`. A table with `partition_by` keeps
one file per partition and recomputes only the partitions its input changed (see `incremental.py`). Either way the
checks run on the whole new table before anything is published: a failing blocking check keeps the previous data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from qs_platform.catalog.tables import table_prefix, table_select
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.lake import Lake
from qs_platform.sql.dependencies import sql_dependencies
from qs_platform.sql.engine import DUCKDB_MACHINE_ERRORS, MachineFault, connect
from qs_platform.sql.text import quote, sql_string
from qs_platform.transform import incremental
from qs_platform.transform.checks import CheckOutcome, evaluate_checks
from qs_platform.transform.incremental import PARTITION_COLUMN


class PartitionMismatch(ValueError):
    """A partitioned table's SQL wrote rows outside the partitions it was recomputing: the declaration is wrong."""


@dataclass
class PartitionStats:
    mode: str  # "full" or "incremental"
    reason: str
    total: int  # partitions of the published table
    rewritten: dict[str, int] = field(default_factory=dict)  # partition -> rows, for the partitions written this run
    deleted: list[str] = field(default_factory=list)  # partitions that no longer have rows


@dataclass
class TransformResult:
    table: str
    key: str
    row_count: int
    columns: list[tuple[str, str]]
    preview: list[tuple]
    checks: list[CheckOutcome] = field(default_factory=list)
    published: bool = True  # False when a blocking check failed: the previous data stays in place
    partitions: PartitionStats | None = None


def output_key(table: Table) -> str:
    return f"processed/{table.name}/data.parquet"


def connect_with_tables(lake: Lake, config: ProjectConfig, table_names: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB where each named table is a view over its lake files (no shared catalog lock)."""
    con = connect()
    con.execute("create schema if not exists raw; create schema if not exists processed")
    for name in table_names:
        layer, table = name.split(".", 1)
        con.execute(f'create view "{layer}"."{table}" as {table_select(lake, config, name)}')
    return con


def audit(
    con: duckdb.DuckDBPyConnection, table: Table, result: TransformResult, relation: str, preview_rows: int
) -> bool:
    """Row count, preview and checks of the new table; True when it may be published."""
    result.row_count = con.execute(f"select count(*) from {relation}").fetchone()[0]
    result.preview = con.execute(f"select * from {relation} limit {preview_rows}").fetchall()
    result.checks = evaluate_checks(con, table.checks, relation)
    result.published = not any(c.blocking and not c.passed for c in result.checks)
    return result.published


def run_transform(
    lake: Lake, config: ProjectConfig, table: Table, preview_rows: int = 5, *, full_rebuild: bool = False
) -> TransformResult:
    con = connect_with_tables(lake, config, sql_dependencies(table.sql))
    try:
        if table.partition_by:
            return _run_partitioned(con, lake, config, table, preview_rows, full_rebuild)
        return _run_whole(con, lake, table, preview_rows)
    except (*DUCKDB_MACHINE_ERRORS, OSError, MemoryError) as error:
        raise MachineFault(
            f"{table.table_name} was not written to {table_prefix(table.table_name)}: {str(error) or type(error).__name__} "
            "(a fault of the machine, not of the table: what was published before stays)"
        ) from error
    finally:
        con.close()


def _run_whole(con: duckdb.DuckDBPyConnection, lake: Lake, table: Table, preview_rows: int) -> TransformResult:
    con.execute(f"create temp view result as {table.sql}")
    columns = [(row[0], row[1]) for row in con.execute("describe result").fetchall()]
    result = TransformResult(table.table_name, output_key(table), 0, columns, [])

    class _Withheld(Exception):
        pass

    try:
        with lake.staged_write(result.key) as target:  # leaving with an exception publishes nothing
            con.execute(f"copy (select * from result) to {sql_string(str(target))} (format parquet, compression zstd)")
            con.execute(f"create temp view written as select * from read_parquet({sql_string(str(target))})")
            if not audit(con, table, result, "written", preview_rows):
                raise _Withheld
    except _Withheld:
        pass
    return result


def _run_partitioned(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    config: ProjectConfig,
    table: Table,
    preview_rows: int,
    full_rebuild: bool,
) -> TransformResult:
    partition_by = table.partition_by
    deps = sql_dependencies(table.sql)
    previous = incremental.load_manifest(lake, table)
    known = previous.files if previous and previous.spec == table.version else None
    current = incremental.Manifest(
        table.version,
        incremental.input_fingerprints(lake, con, table, deps),
        incremental.input_files(con, partition_by, known),
    )
    plan = incremental.plan(previous, current, full_rebuild)
    if not plan.full:
        incremental.restrict_input(con, lake, config, partition_by, plan.touched)
    output_value = incremental.partition_value_sql(quote(partition_by.column), partition_by.grain)
    con.execute(
        f"create temp table fresh as select *, {output_value} as {PARTITION_COLUMN} from ({table.sql}) order by {PARTITION_COLUMN}"
    )
    produced = dict(con.execute(f"select {PARTITION_COLUMN}, count(*) from fresh group by 1").fetchall())
    if not plan.full and not produced.keys() <= plan.touched:
        raise PartitionMismatch(
            f"{table.table_name}: partition_by: recomputing partitions {sorted(plan.touched)} from the rows of {partition_by.input} "
            f"in them produced rows for {sorted(produced.keys() - plan.touched)}; `{partition_by.input_sql}` over {partition_by.input} "
            f"must give the same {partition_by.grain} as `{partition_by.column}` in the output"
        )
    existing, strays = incremental.existing_partitions(lake, table)
    rewrite = (existing.keys() | produced.keys()) if plan.full else plan.touched
    kept = existing.keys() - rewrite

    con.execute(f"create temp view fresh_rows as select * exclude ({PARTITION_COLUMN}) from fresh")
    kept_scan = lake.parquet_scan(table_prefix(table.table_name)) if kept else None
    written = "fresh_rows"
    if kept_scan:
        con.execute(
            f"create temp view written as select * from {kept_scan} where not {incremental.in_partitions(output_value, rewrite)} "
            "union all by name select * from fresh_rows"
        )
        written = "written"
    columns = [(row[0], row[1]) for row in con.execute("describe fresh_rows").fetchall()]
    result = TransformResult(table.table_name, table_prefix(table.table_name), 0, columns, [])
    deleted = sorted(v for v in rewrite if v not in produced and v in existing)
    result.partitions = PartitionStats(
        "full" if plan.full else "incremental",
        plan.reason,
        len(kept) + len(produced),
        dict(sorted(produced.items())),
        deleted,
    )
    if not audit(con, table, result, written, preview_rows):
        return result
    incremental.write_partitions(
        con,
        lake,
        {
            incremental.partition_key(
                table, value
            ): f"select * exclude ({PARTITION_COLUMN}) from fresh where {PARTITION_COLUMN} = {sql_string(value)}"
            for value in sorted(produced)
        },
    )
    for value in deleted:
        lake.delete(existing[value])
    for key in strays if plan.full else []:
        lake.delete(key)  # an older layout (e.g. the unpartitioned data.parquet) or the empty marker
    if not kept and not produced:
        incremental.write_partitions(con, lake, {incremental.empty_marker_key(table): "select * from fresh_rows"})
    elif incremental.empty_marker_key(table) in strays:
        lake.delete(incremental.empty_marker_key(table))
    lake.put_bytes(table_prefix(table.table_name) + incremental.MANIFEST, current.to_json())
    return result
