"""`engine: athena`: a processed table's DuckDB SQL run on Athena as CTAS / INSERT INTO, then published to the lake.

The declaration stays DuckDB SQL (one source of truth, testable locally); sqlglot translates it (duckdb → athena).
Constructs sqlglot translates wrongly or not at all are refused before anything runs (`UNPORTABLE`); integer
division is safe (sqlglot casts the dividend to DOUBLE, keeping DuckDB's `/` semantics).

A run:
1. `SELECT DISTINCT` the partition values (partitioned tables), to split the work into statements of at most
   100 partitions each (Athena's limit for CTAS and INSERT INTO);
2. CTAS into a fresh staging table (`processed.<table>__stage_<token>`, Parquet, at `_athena/staging/<table>/<token>/`,
   partition column `_qs_partition` last), then INSERT INTO it for every further batch of 100 partitions;
3. the table's checks run with DuckDB over the staged files (the same `audit` as the DuckDB engine): a failing
   blocking check publishes nothing;
4. publish: the staged files are copied (server side) to `processed/<table>/[<column>=<value>/]part-<token>-<n>.parquet`
   and the table's previous files are deleted; the partition column stays inside the files, as the DuckDB engine
   writes it, so every reader sees the same columns;
5. the staging table and files are removed, whatever happened.
Raw tables are read as the DuckDB engine reads them: each content counted once (first copy by key).
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb
import sqlglot
from botocore.exceptions import ClientError
from sqlglot import exp

from qs_platform.catalog.athena import Athena
from qs_platform.catalog.glue import GlueCatalog, duckdb_type
from qs_platform.catalog.tables import table_prefix
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.lake import Lake, S3Lake
from qs_platform.lake.layered import LayeredLake
from qs_platform.lake.s3 import copy_object
from qs_platform.sql.text import sql_string
from qs_platform.transform.incremental import NULL_PARTITION, empty_marker_key
from qs_platform.transform.run import TransformResult, audit

MAX_PARTITIONS_PER_STATEMENT = 100
PARTITION_COLUMN = "_qs_partition"
STAGING_PREFIX = "_athena/staging"
FIRST_COPY_RANK = "_qs_copy_rank"
EMPTY_NAME = "empty.parquet"


class NotPortable(ValueError):
    """The table's SQL uses a construct that does not translate to Athena."""


def _group_by_all(node: exp.Expression) -> bool:
    return isinstance(node, exp.Group) and bool(node.args.get("all"))


def _star_modifiers(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except_", "except", "replace", "rename"))


def _unnamed_projection_with_qualify(node: exp.Expression) -> bool:
    """sqlglot rewrites QUALIFY as a subquery and loses the names of unaliased expressions."""
    return (
        isinstance(node, exp.Select)
        and node.args.get("qualify") is not None
        and any(not isinstance(p, (exp.Alias, exp.Column, exp.Star)) for p in node.expressions)
    )


def _selects_star(select: exp.Select) -> bool:
    return any(isinstance(p, exp.Star) for p in select.expressions)


def _reaches_output(select: exp.Select) -> bool:
    """Whether a `select *`'s columns flow into the query's result (directly, or through CTEs and subqueries read by `*`)."""
    parent = select.parent
    while isinstance(parent, (exp.Union, exp.Subquery)) and not isinstance(parent, exp.CTE):
        if isinstance(parent, exp.Subquery):
            outer = parent.find_ancestor(exp.Select)
            return outer is not None and _selects_star(outer) and _reaches_output(outer)
        parent = parent.parent
    if parent is None or isinstance(parent, exp.Union):
        return True
    if isinstance(parent, exp.CTE):
        name = parent.alias
        root = select.root()
        return any(
            _selects_star(reader) and _reaches_output(reader)
            for reader in root.find_all(exp.Select)
            if any(
                t.name == name and not t.db
                for t in reader.args.get("from_", reader.args.get("from")).find_all(exp.Table)
            )
            if reader.args.get("from_", reader.args.get("from"))
        )
    return False


def _star_with_qualify_in_output(node: exp.Expression) -> bool:
    """sqlglot rewrites `select * … qualify` as `select *, <window> as _w …`: the helper column leaks into `*` readers."""
    return (
        isinstance(node, exp.Select)
        and node.args.get("qualify") is not None
        and _selects_star(node)
        and _reaches_output(node)
    )


def _regexp_replace_first_only(node: exp.Expression) -> bool:
    """DuckDB's regexp_replace replaces the first match unless 'g'; Trino's replaces every match and takes no options."""
    if not isinstance(node, exp.RegexpReplace):
        return False
    modifiers = node.args.get("modifiers")
    return not (isinstance(modifiers, exp.Literal) and modifiers.this == "g")


UNPORTABLE = [
    (
        _group_by_all,
        "GROUP BY ALL",
        "Trino reads it as the ALL set quantifier, not 'every non-aggregated column': list the columns",
    ),
    (_star_modifiers, "* EXCLUDE / * REPLACE / * RENAME", "Trino has no star modifiers: list the columns"),
    (lambda n: isinstance(n, exp.Pivot), "PIVOT / UNPIVOT", "Trino has none: use conditional aggregation or UNNEST"),
    (_unnamed_projection_with_qualify, "QUALIFY with an unaliased expression", "alias every selected expression"),
    (
        _star_with_qualify_in_output,
        "select * … QUALIFY feeding the result",
        "sqlglot's rewrite adds a _w column: list the columns",
    ),
    (
        _regexp_replace_first_only,
        "regexp_replace without the 'g' option",
        "DuckDB replaces the first match, Athena every match: pass 'g'",
    ),
    (
        lambda n: isinstance(n, (exp.Median, exp.PercentileCont, exp.PercentileDisc)),
        "exact percentiles (median, quantile_cont, percentile_cont)",
        "sqlglot emits PERCENTILE_CONT, which Athena lacks; approx_quantile(x, q) gives approx_percentile on both engines",
    ),
]


def unportable_constructs(sql: str) -> list[str]:
    """Each construct of a DuckDB query that does not carry over to Athena, with what to write instead."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    found = []
    for test, name, hint in UNPORTABLE:
        if any(test(node) for node in tree.walk()):
            found.append(f"{name}: {hint}")
    return found


RECORD_STATUS = ("_reject", "_first_line")  # in raw files beside the data (ingest/load.py), not columns of raw.<source>


def first_copy_only(columns: list[str], database: str, name: str) -> exp.Select:
    """A raw table's loaded rows with each content counted once, as `catalog/tables.py` reads it for DuckDB."""
    listed = ", ".join(f'"{c}"' for c in columns if c not in RECORD_STATUS)
    loaded = "where _reject is null" if "_reject" in columns else ""
    return sqlglot.parse_one(
        f"select {listed} from (select {listed}, dense_rank() over (partition by coalesce(_content_hash, _source_key) "
        f'order by _source_key) as {FIRST_COPY_RANK} from "{database}"."{name}" {loaded}) where {FIRST_COPY_RANK} = 1',
        read="athena",
    )


def translate(
    table: Table, config: ProjectConfig, databases: dict[str, str], raw_columns: dict[str, list[str]] | None = None
) -> str:
    """The table's SQL in Athena's dialect, reading the Glue databases; NotPortable when it cannot be."""
    problems = unportable_constructs(table.sql)
    if problems:
        raise NotPortable(
            f"{table.table_name}: engine athena: the SQL uses constructs Athena cannot run as written: "
            + "; ".join(problems)
        )
    tree = sqlglot.parse_one(table.sql, read="duckdb")
    for node in tree.find_all(exp.RegexpReplace):
        node.set("modifiers", None)  # 'g' (checked above) is what Trino's regexp_replace always does
    for node in list(tree.find_all(exp.Table)):
        layer, name = node.db, node.name
        if layer not in ("raw", "processed"):
            continue
        if layer == "raw":
            source, child = config.raw_owner(f"raw.{name}")
            if source.batch and child is None:
                raise NotPortable(
                    f"{table.table_name}: engine athena: raw.{name} is batched; batch release is computed by the duckdb engine"
                )
            if raw_columns is not None:
                alias = node.alias or name
                node.replace(
                    exp.Subquery(
                        this=first_copy_only(raw_columns[f"raw.{name}"], databases["raw"], name),
                        alias=exp.TableAlias(this=exp.to_identifier(alias)),
                    )
                )
                continue
        node.set("db", exp.to_identifier(databases[layer], quoted=True))
        node.set("this", exp.to_identifier(name, quoted=True))
    athena_sql = tree.sql(dialect="athena")
    unknown = sorted({f.name for f in sqlglot.parse_one(athena_sql, read="athena").find_all(exp.Anonymous)})
    if unknown:
        raise NotPortable(
            f"{table.table_name}: engine athena: functions sqlglot cannot translate (passed through as is): {unknown}"
        )
    return athena_sql


def portability_problems(config: ProjectConfig) -> list[str]:
    """Why each `engine: athena` table cannot run on Athena (for `validate`, before any query is started)."""
    problems = []
    for table in config.tables:
        if table.engine == "athena":
            try:
                translate(table, config, {layer: layer for layer in ("raw", "processed")})
            except NotPortable as error:
                problems.append(str(error))
    return problems


def partition_value_sql(column: str, grain: str) -> str:
    """Athena's spelling of `incremental.partition_value_sql`: the partition folder's value of a row."""
    quoted = f'"{column}"'
    value = {
        "day": f"date_format(cast({quoted} as date), '%Y-%m-%d')",
        "month": f"date_format(cast({quoted} as date), '%Y-%m')",
    }.get(grain, f"cast({quoted} as varchar)")
    return f"coalesce({value}, '{NULL_PARTITION}')"


@dataclass(frozen=True)
class Staging:
    database: str
    name: str
    location: str  # s3:// URL ending in /
    prefix: str  # the lake key prefix of location


def with_partition(select_sql: str, table: Table) -> str:
    if not table.partition_by:
        return select_sql
    value = partition_value_sql(table.partition_by.column, table.partition_by.grain)
    return f"select *, {value} as {PARTITION_COLUMN} from ({select_sql}) as _qs_result"


def in_batch(select_sql: str, values: list[str] | None) -> str:
    if values is None:
        return select_sql
    condition = f"{PARTITION_COLUMN} in ({', '.join(sql_string(v) for v in values)})" if values else "false"
    return f"select * from ({select_sql}) as _qs_rows where {condition}"


def statements(table: Table, select_sql: str, staging: Staging, partition_values: list[str]) -> list[str]:
    """CTAS for the first ≤100 partitions, INSERT INTO for each further batch (partition column last)."""
    source = with_partition(select_sql, table)
    properties = [
        ("format", "'PARQUET'"),
        ("write_compression", "'ZSTD'"),
        ("external_location", sql_string(staging.location)),
    ]
    if not table.partition_by:
        batches: list[list[str] | None] = [None]
    else:
        values = sorted(partition_values)
        batches = [
            values[i : i + MAX_PARTITIONS_PER_STATEMENT] for i in range(0, len(values), MAX_PARTITIONS_PER_STATEMENT)
        ] or [[]]
        properties.append(("partitioned_by", f"ARRAY['{PARTITION_COLUMN}']"))
    target = f'"{staging.database}"."{staging.name}"'
    with_clause = ", ".join(f"{k} = {v}" for k, v in properties)
    first, *rest = batches
    return [f"create table {target} with ({with_clause}) as {in_batch(source, first)}"] + [
        f"insert into {target} {in_batch(source, batch)}" for batch in rest
    ]


def run_athena_transform(
    athena: Athena, catalog: GlueCatalog, config: ProjectConfig, table: Table, preview_rows: int = 5
) -> TransformResult:
    lake = catalog.lake
    if not all(
        isinstance(layer, S3Lake)
        for layer in (_s3(lake, STAGING_PREFIX + "/"), _s3(lake, table_prefix(table.table_name)))
    ):
        raise NotPortable(f"{table.table_name}: engine athena needs an s3:// lake, not {lake.url}")
    # Athena reads the inputs through Glue: make sure their tables show the data as it is now (idempotent, cheap).
    inputs = {dep: catalog.register(dep) for dep in _dependencies(table)}
    raw_columns = {dep: [c for c, _ in entry.columns] for dep, entry in inputs.items() if dep.startswith("raw.")}
    select_sql = translate(table, config, catalog.target.databases, raw_columns)
    token = uuid.uuid4().hex[:12]
    staging_prefix = f"{STAGING_PREFIX}/{table.name}/{token}/"
    staging = Staging(
        catalog.database("processed"), f"{table.name}__stage_{token}", lake.uri(staging_prefix), staging_prefix
    )
    database = catalog.database("processed")
    try:
        values = []
        if table.partition_by:
            value = partition_value_sql(table.partition_by.column, table.partition_by.grain)
            rows = athena.query(f"select distinct {value} as v from ({select_sql}) as _qs_result", database)
            values = [r["v"] for r in rows]
        for statement in statements(table, select_sql, staging, values):
            athena.discard_results(athena.execute(statement, database))
        staged = [o.key for o in lake.list(staging_prefix) if not o.key.rsplit("/", 1)[-1].startswith(("_", "."))]
        if not staged:  # no rows: Athena wrote no file, so one empty file carries the columns
            staged = [_write_empty(catalog, lake, staging, table)]
        result = _audit_staged(lake, table, staged, preview_rows)
        if result.published:
            _publish(lake, table, staging_prefix, staged, token)
        return result
    finally:
        _drop_staging(catalog, lake, staging)


def _write_empty(catalog: GlueCatalog, lake: Lake, staging: Staging, table: Table) -> str:
    """An empty Parquet file with the staging table's columns (as Athena registered them in Glue)."""
    try:
        registered = catalog.glue.get_table(DatabaseName=staging.database, Name=staging.name)["Table"]
    except ClientError as error:
        raise NotPortable(
            f"{table.table_name}: Athena wrote no rows and no table {staging.database}.{staging.name}: {error}"
        ) from error
    columns = [c for c in registered["StorageDescriptor"]["Columns"] if c["Name"] != PARTITION_COLUMN]
    select = ", ".join(f'cast(null as {duckdb_type(c["Type"])}) as "{c["Name"]}"' for c in columns)
    key = f"{staging.prefix}{EMPTY_NAME}"
    with lake.staged_write(key) as path, duckdb.connect() as con:
        con.execute(f"copy (select {select} where false) to {sql_string(str(path))} (format parquet)")
    return key


def _s3(lake: Lake, key: str) -> S3Lake:
    """The S3 lake holding `key` (a layer of its own under a LayeredLake)."""
    return lake.lake_for(key) if isinstance(lake, LayeredLake) else lake


def _dependencies(table: Table) -> list[str]:
    from qs_platform.sql.dependencies import sql_dependencies

    return sql_dependencies(table.sql)


def _audit_staged(lake: Lake, table: Table, staged: list[str], preview_rows: int) -> TransformResult:
    """Row count, preview and checks (DuckDB) over the files Athena wrote."""
    if not staged:
        raise NotPortable(f"{table.table_name}: Athena wrote no files to the staging location; nothing to publish")
    result = TransformResult(table.table_name, table_prefix(table.table_name), 0, [], [])
    with tempfile.TemporaryDirectory(prefix="qs-athena-") as folder, duckdb.connect() as con:
        paths = [str(Path(folder) / f"{n}.parquet") for n in range(len(staged))]
        for key, path in zip(staged, paths):
            _s3(lake, key).download(key, path)
        listed = ", ".join(sql_string(p) for p in paths)
        # Athena keeps partition columns out of the files: what is left are exactly the table's columns.
        con.execute(
            f"create temp view written as select * from read_parquet([{listed}], union_by_name = true, hive_partitioning = false)"
        )
        result.columns = [(r[0], r[1]) for r in con.execute("describe written").fetchall()]
        audit(con, table, result, "written", preview_rows)
    return result


def _publish(lake: Lake, table: Table, staging_prefix: str, staged: list[str], token: str) -> None:
    """New files in under unique names first, then the previous files out (S3 has no atomic rename of a folder)."""
    prefix = table_prefix(table.table_name)
    published = set()
    for n, key in enumerate(sorted(staged)):
        target = _published_key(table, key.removeprefix(staging_prefix), f"part-{token}-{n:05d}.parquet")
        copy_object(_s3(lake, key), key, _s3(lake, target), target)
        published.add(target)
    for obj in list(lake.list(prefix)):
        if obj.key.endswith(".parquet") and obj.key not in published:
            lake.delete(obj.key)


def _published_key(table: Table, staged: str, name: str) -> str:
    """Where a staged file goes: `<column>=<value>/<name>` for Athena's `_qs_partition=<value>/…` folders."""
    if staged == EMPTY_NAME:
        return empty_marker_key(table)  # the columns of a table without rows, as the DuckDB engine writes them
    if not table.partition_by:
        return table_prefix(table.table_name) + name
    value = unquote(staged.split("/", 1)[0].partition("=")[2])
    return f"{table_prefix(table.table_name)}{table.partition_by.column}={quote(value, safe='')}/{name}"


def _drop_staging(catalog: GlueCatalog, lake: Lake, staging: Staging) -> None:
    for obj in list(lake.list(staging.prefix)):
        lake.delete(obj.key)
    try:
        catalog.glue.delete_table(DatabaseName=staging.database, Name=staging.name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityNotFoundException":
            raise
