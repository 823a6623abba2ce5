"""Nested lists of JSON records as child tables: one row per element, keyed by copied parent columns.

Only loaded parent records have children: a rejected record's lists are in its quarantined original. Elements
whose fields do not convert are rejected like any record (`quarantine/<source>__<child>/`). The child pass reads
the file's records again, numbered, and joins each to its parent's raw record by position.
"""

from __future__ import annotations

import duckdb

from qs_platform.config.models import ChildTable, Source, normalise_column_name
from qs_platform.ingest.formats import FileRecords, json_path
from qs_platform.ingest.keys import encode_key
from qs_platform.ingest.validation import checked_select
from qs_platform.lake import Lake
from qs_platform.sql.text import quote, sql_string

ELEMENT = "$element"


def child_raw_key(source: Source, child: ChildTable, landing_key: str) -> str:
    return f"raw/{source.name}__{child.name}/{encode_key(landing_key.removeprefix(source.landing_prefix))}.parquet"


def child_quarantine_key(source: Source, child: ChildTable, landing_key: str) -> str:
    return f"quarantine/{source.name}__{child.name}/rows/{encode_key(landing_key.removeprefix(source.landing_prefix))}.parquet"


def elements_relation(source: Source, child: ChildTable, records: FileRecords, raw_file: str) -> str:
    """One row per element of `child.path` in the loaded parents of `raw_file`, parents' key columns copied."""
    parents = ", ".join(f"p.{quote(normalise_column_name(c))}" for c in child.parent_columns)
    path = sql_string(json_path(child.path))
    return f"""(
        select {parents}, cast(e.key as bigint) as _position, f._record + 1 as _line_number, e.value as {quote(ELEMENT)}
        from (select row_number() over () - 1 as _record, json from {records.relation}) as f
        join read_parquet({sql_string(raw_file)}, file_row_number = true) as p on p.file_row_number = f._record,
             json_each(json_extract(f.json, {path})) as e
        where p._reject is null and json_type(json_extract(f.json, {path})) = 'ARRAY'
        order by f._record, _position
    )"""


def write_children(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    source: Source,
    landing_key: str,
    path,
    raw_file: str,
    records: FileRecords,
) -> dict[str, dict]:
    """Write every child table of one file; {child: {"loaded": n, "rejected": n}}."""
    from qs_platform.ingest.load import RAW_COMPRESSION, copy_counted, write_quarantined_rows

    counts = {}
    for child in source.children:
        parents = [normalise_column_name(c) for c in child.parent_columns]
        element = quote(ELEMENT)
        texts = {
            c.column_name: f"json_extract_string({element}, {sql_string(json_path(c.path or c.name))})"
            for c in child.columns
        }
        keys = {name: quote(name) for name in parents} | {"_position": "_position", "_line_number": "_line_number"}
        child_source = source.model_copy(update={"columns": child.columns, "rules": []})
        select, output = checked_select(
            child_source, child.columns, texts, keys, elements_relation(source, child, records, raw_file), 1
        )
        lineage = "_source_key, _content_hash, _ingested_at"  # the parent file's
        target_key = child_raw_key(source, child, landing_key)
        with lake.staged_write(target_key) as target:
            total, rejected = copy_counted(
                con,
                f"copy (select c.*, p.* from ({select}) as c, (select {lineage} from read_parquet({sql_string(raw_file)}) limit 1) as p) "
                f"to {sql_string(str(target))} (format parquet, compression {RAW_COMPRESSION}, return_stats)",
            )
            loaded = total - rejected
            if rejected:
                write_quarantined_rows(
                    con,
                    lake,
                    child_source,
                    str(target),
                    output,
                    [],
                    child_quarantine_key(source, child, landing_key),
                    line_number=None,
                )
            else:
                lake.delete(child_quarantine_key(source, child, landing_key))
        counts[child.name] = {"loaded": loaded, "rejected": rejected}
    return counts


def forget_children(lake: Lake, source: Source, landing_key: str) -> None:
    for child in source.children:
        lake.delete(child_raw_key(source, child, landing_key))
        lake.delete(child_quarantine_key(source, child, landing_key))
