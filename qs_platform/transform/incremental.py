"""Partitioned processed tables: one Parquet file per partition; a run recomputes only the partitions it must.

Layout: `processed/<table>/<column>=<value>/data.parquet` (Hive style, so Athena/Glue can read it), plus
`processed/<table>/_manifest.json`, written after the partitions, recording what the published data was built from:

- `spec`: the table declaration's version (SQL, partitioning, checks): a change rebuilds every partition;
- `inputs`: a fingerprint of every input except the partitioning one: a change rebuilds every partition;
- `files`: for each visible file of the partitioning input, its content hash and the partitions its rows fall in.

A new, changed or removed file touches the partitions of its rows (old and new), and only those are recomputed: the
partitioning input is filtered to them before the SQL runs. The manifest is written last, so a crash in between
only means the next run recomputes the same partitions again.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import duckdb

from qs_platform.catalog.tables import table_prefix, table_select
from qs_platform.config.models import PartitionBy, ProjectConfig, Table
from qs_platform.lake import Lake
from qs_platform.sql.text import sql_string

MANIFEST = "_manifest.json"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Hive's and Athena's name for the partition of NULL values
PARTITION_COLUMN = "_qs_partition"


@dataclass
class Plan:
    full: bool
    reason: str
    touched: set[str] = field(default_factory=set)  # partition values to recompute (incremental runs)


@dataclass
class Manifest:
    spec: str
    inputs: dict[str, str]
    files: dict[str, dict]  # source key -> {"hash": ..., "partitions": [...]}

    def to_json(self) -> bytes:
        return json.dumps({"spec": self.spec, "inputs": self.inputs, "files": self.files}, sort_keys=True).encode()


def partition_value_sql(expression: str, grain: str) -> str:
    """The partition value of a row as text: `2024-01-31` (day), `2024-01` (month) or the value itself."""
    if grain == "day":
        value = f"strftime(cast({expression} as date), '%Y-%m-%d')"
    elif grain == "month":
        value = f"strftime(cast({expression} as date), '%Y-%m')"
    else:
        value = f"cast({expression} as varchar)"
    return f"coalesce({value}, {sql_string(NULL_PARTITION)})"


def in_partitions(value_sql: str, values: set[str]) -> str:
    return f"{value_sql} in ({', '.join(sql_string(v) for v in sorted(values))})" if values else "false"


def partition_key(table: Table, value: str) -> str:
    return f"{table_prefix(table.table_name)}{table.partition_by.column}={quote(value, safe='')}/data.parquet"


def empty_marker_key(table: Table) -> str:
    """An empty file with the table's columns, so a table without any partition still has a schema to read."""
    return table_prefix(table.table_name) + "_empty.parquet"


def partition_of_key(table: Table, key: str) -> str | None:
    """The partition value of one of the table's partition files; None for any other key."""
    relative = key.removeprefix(table_prefix(table.table_name))
    folder, _, name = relative.partition("/")
    column, equals, value = folder.partition("=")
    if name != "data.parquet" or not equals or column != table.partition_by.column:
        return None
    return unquote(value)


def load_manifest(lake: Lake, table: Table) -> Manifest | None:
    key = table_prefix(table.table_name) + MANIFEST
    if not lake.exists(key):
        return None
    try:
        data = json.loads(lake.read_bytes(key))
        return Manifest(data["spec"], data["inputs"], data["files"])
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: rebuild everything, which rewrites it


def input_files(
    con: duckdb.DuckDBPyConnection, partition_by: PartitionBy, known: dict[str, dict] | None = None
) -> dict[str, dict]:
    """Each visible file of the partitioning input with its content hash and the partitions of its rows.

    `known` (the previous manifest's files, same declaration) saves computing the partitions of unchanged files:
    a late file costs a scan of two lineage columns, not a partition expression over every row.
    """
    known = known or {}
    visible = dict(
        con.execute(
            f"select _source_key, any_value(coalesce(_content_hash, _source_key)) from {partition_by.input} group by 1"
        ).fetchall()
    )
    files = {
        key: known[key] for key, content_hash in visible.items() if key in known and known[key]["hash"] == content_hash
    }
    new = sorted(visible.keys() - files.keys())
    if new:
        value = partition_value_sql(partition_by.input_sql, partition_by.grain)
        rows = con.execute(
            f"select _source_key, list(distinct {value}) from {partition_by.input} "
            f"where _source_key in (select unnest(?)) group by 1",
            [new],
        ).fetchall()
        files.update({key: {"hash": visible[key], "partitions": sorted(parts)} for key, parts in rows})
    return files


def input_fingerprints(lake: Lake, con: duckdb.DuckDBPyConnection, table: Table, deps: list[str]) -> dict[str, str]:
    """A fingerprint of each input other than the partitioning one: the files behind it, as the table sees them."""
    fingerprints = {}
    for dep in deps:
        if dep == table.partition_by.input:
            continue
        if dep.startswith("raw."):
            files = con.execute(
                f"select distinct _source_key, coalesce(_content_hash, '') from {dep} order by 1, 2"
            ).fetchall()
        else:
            files = [(o.key, o.size, o.etag) for o in lake.list(table_prefix(dep)) if o.key.endswith(".parquet")]
        fingerprints[dep] = hashlib.sha256(repr(files).encode()).hexdigest()[:16]
    return fingerprints


def plan(previous: Manifest | None, current: Manifest, full_rebuild: bool) -> Plan:
    if full_rebuild:
        return Plan(True, "full rebuild requested")
    if previous is None:
        return Plan(True, "first build (no manifest)")
    if previous.spec != current.spec:
        return Plan(True, "the table's declaration changed")
    changed = sorted(
        name
        for name in current.inputs.keys() | previous.inputs.keys()
        if current.inputs.get(name) != previous.inputs.get(name)
    )
    if changed:
        return Plan(True, f"input changed: {', '.join(changed)}")
    touched: set[str] = set()
    for key in previous.files.keys() | current.files.keys():
        old, new = previous.files.get(key), current.files.get(key)
        if old != new:
            touched.update((old or {}).get("partitions", []), (new or {}).get("partitions", []))
    if not touched:
        return Plan(False, "no input file changed")
    return Plan(False, f"{len(touched)} partition(s) touched by new, changed or removed input files", touched)


def restrict_input(
    con: duckdb.DuckDBPyConnection, lake: Lake, config: ProjectConfig, partition_by: PartitionBy, values: set[str]
) -> None:
    """Replace the partitioning input's view by its rows in the given partitions only."""
    value = partition_value_sql(partition_by.input_sql, partition_by.grain)
    layer, name = partition_by.input.split(".", 1)
    con.execute(
        f'create or replace view "{layer}"."{name}" as select * from ({table_select(lake, config, partition_by.input)}) '
        f"where {in_partitions(value, values)}"
    )


def existing_partitions(lake: Lake, table: Table) -> tuple[dict[str, str], list[str]]:
    """The table's partition files ({value: key}), and every other data file under its prefix (an older layout)."""
    partitions, others = {}, []
    for obj in lake.list(table_prefix(table.table_name)):
        value = partition_of_key(table, obj.key)
        if value is not None:
            partitions[value] = obj.key
        elif obj.key.endswith(".parquet"):
            others.append(obj.key)
    return partitions, others


def write_partitions(con: duckdb.DuckDBPyConnection, lake: Lake, selects: dict[str, str]) -> None:
    """Each `key: select` written to its staged file first, and published only once all are written: a failure
    (a full disk) publishes none of them, so the table never mixes new partitions with old ones."""
    with ExitStack() as publish_on_exit:
        for key, select in selects.items():
            target = publish_on_exit.enter_context(lake.staged_write(key))
            con.execute(f"copy ({select}) to {sql_string(str(target))} (format parquet, compression zstd)")
