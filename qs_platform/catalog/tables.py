"""Where the data of a catalog name (`raw.x`, `processed.y`, `quarantine.x`) lives in the lake, as DuckDB SQL."""

from __future__ import annotations

from qs_platform.config.models import ChildTable, ProjectConfig, Source, normalise_column_name
from qs_platform.ingest.batches import released_rows_select
from qs_platform.ingest.load import LINEAGE_COLUMNS
from qs_platform.lake import Lake
from qs_platform.sql.text import quote


class TableNotMaterialized(LookupError):
    pass


def table_prefix(table_name: str) -> str:
    layer, name = table_name.split(".", 1)
    return f"quarantine/{name}/rows/" if layer == "quarantine" else f"{layer}/{name}/"


def empty_raw_select(source: Source, child: ChildTable | None = None) -> str:
    """A typed, empty relation with the raw table's columns, for a source that has no files yet."""
    declared = {c.column_name: c.duckdb_type for c in source.columns}
    if child is None:
        columns = list(declared.items())
    else:
        parents = [normalise_column_name(c) for c in child.parent_columns]
        columns = (
            [(p, declared[p]) for p in parents]
            + [("_position", "BIGINT")]
            + [(c.column_name, c.duckdb_type) for c in child.columns]
        )
    columns += [(f, "VARCHAR") for f in source.key_fields] + list(LINEAGE_COLUMNS.items())
    return "select " + ", ".join(f"cast(null as {t}) as {quote(n)}" for n, t in columns) + " where false"


def first_copies_filter(scan: str) -> str:
    """The same content delivered under several keys counts once: the rows of the first key (in key order) win.

    Recomputed at every read, so deleting or re-uploading one of the copies can never lose or double rows. A
    semi-join on the first key per content hash (a hash aggregate) rather than a window over every row (a sort).
    """
    return f"where _source_key in (select min(_source_key) from {scan} group by coalesce(_content_hash, _source_key))"


def loaded_records_select(scan: str, child: ChildTable | None) -> str:
    """The loaded records of raw files (rejected ones are there too, marked by `_reject`), numbered by line.

    A source's raw file numbers its records by position (`_first_line` + the row's position in the file); a child
    table's file carries the line of each element's parent record itself.
    """
    if child is not None:
        return f"select * exclude (_reject) from {scan} where _reject is null"
    return (
        f"select * exclude (_reject, _first_line, file_row_number), file_row_number + _first_line as _line_number "
        f"from {scan} where _reject is null"
    )


def raw_rows_select(
    lake: Lake, source: Source, child: ChildTable | None = None, *, first_copy_only: bool = True
) -> str:
    """Every loaded row of a source (or of one of its child tables), batches complete or not; each content counted
    once unless `first_copy_only` is off (batch completeness counts every file that arrived, copies included)."""
    scan = lake.parquet_scan(
        table_prefix(source.child_table_name(child) if child else source.table_name), file_row_number=child is None
    )
    if scan is None:
        return empty_raw_select(source, child)
    rows = loaded_records_select(scan, child)
    return f"select * from ({rows}) {first_copies_filter(scan) if first_copy_only else ''}"


def table_select(lake: Lake, config: ProjectConfig, table_name: str) -> str:
    """SELECT reading the table's current data as downstream sees it; TableNotMaterialized if there is none.

    A raw table of a batched source shows only the rows of released batches (complete, or past the deadline).
    """
    layer, name = table_name.split(".", 1)
    if layer == "raw" and table_name in config.catalog_tables:
        source, child = config.raw_owner(table_name)
        rows = raw_rows_select(lake, source, child)
        if source.batch and child is None:
            arrived = raw_rows_select(lake, source, first_copy_only=False)
            return released_rows_select(source, f"({rows})", f"({arrived})")
        return rows
    scan = lake.parquet_scan(table_prefix(table_name))
    if scan:
        return f"select * from {scan}"
    raise TableNotMaterialized(f"{table_name} has no data in {lake.uri(table_prefix(table_name))} yet")


def duplicate_copies_select(lake: Lake, table_name: str) -> str | None:
    """(source key, first copy) of every raw file whose content was delivered earlier under another key."""
    scan = lake.parquet_scan(table_prefix(table_name))
    if scan is None:
        return None
    return f"""
        select distinct _source_key, first_value(_source_key) over (partition by _content_hash order by _source_key) as first_copy
        from {scan} where _content_hash is not null
        qualify _source_key <> first_copy
        order by _source_key
    """
