"""Nested lists of JSON records as child tables: one row per element, keyed by copied parent columns.

Only loaded parent rows have children: a quarantined record's lists are in its quarantined original.
Elements whose fields do not convert go to quarantine/<source>__<child>/ like any rejected row.
"""

from __future__ import annotations

import duckdb

from qs_platform.config.models import ChildTable, Source, normalise_column_name
from qs_platform.ingest.formats import _json_path, quote
from qs_platform.lake import Lake
from qs_platform.lake.local import sql_string


def child_raw_key(source: Source, child: ChildTable, partition_key: str) -> str:
    return f"raw/{source.name}__{child.name}/{partition_key}.parquet"


def child_quarantine_key(source: Source, child: ChildTable, partition_key: str) -> str:
    return f"quarantine/{source.name}__{child.name}/rows/{partition_key}.parquet"


def child_select(source: Source, child: ChildTable) -> str:
    from qs_platform.ingest.load import _type_violation, text_column, typed_expression

    element_texts = ", ".join(
        f"json_extract_string(e.value, {sql_string(_json_path(c.path or c.name))}) as {text_column(c.column_name)}" for c in child.columns
    )
    parents = ", ".join(f"p.{quote(normalise_column_name(c))}" for c in child.parent_columns)
    typed = ", ".join(f"{typed_expression(c)} as {quote(c.column_name)}" for c in child.columns)
    violations = [_type_violation(c) for c in child.columns if c.type not in ("string", "varchar")]
    violations += [(f"{c.column_name}_required", f"{quote(c.column_name)} is null", sql_string(f"{c.column_name}_required: {c.column_name} is required"))
                   for c in child.columns if c.required]
    names = ", ".join(f"case when {cond} then {sql_string(name)} end" for name, cond, _ in violations) or "null"
    messages = ", ".join(f"case when {cond} then {msg} end" for _, cond, msg in violations) or "null"
    return f"""
        with elements as (
            select p._row, cast(e.key as bigint) as _position, {parents}, {element_texts}
            from checked as p
            join (select rowid as _row, json from file_rows) as f using (_row),
                 json_each(json_extract(f.json, {sql_string(_json_path(child.path))})) as e
            where len(p._rules) = 0 and json_type(json_extract(f.json, {sql_string(_json_path(child.path))})) = 'ARRAY'
        ),
        typed as (select *, {typed} from elements)
        select *,
               list_filter([{names}], lambda x: x is not null) as _rules,
               list_filter([{messages}], lambda x: x is not null) as _errors
        from typed
    """


def write_children(con: duckdb.DuckDBPyConnection, lake: Lake, source: Source, partition_key: str, lineage: str) -> dict[str, dict]:
    """Write every child table of one file; {child: {"loaded": n, "rejected": n}}."""
    from qs_platform.ingest.load import text_column, write_split

    counts = {}
    for child in source.children:
        con.execute(f"create or replace temp view child_checked as {child_select(source, child)}")
        loaded, rejected = con.execute("select count(*) filter (where len(_rules) = 0), count(*) filter (where len(_rules) > 0) from child_checked").fetchone()
        parents = ", ".join(quote(normalise_column_name(c)) for c in child.parent_columns)
        typed = ", ".join(quote(c.column_name) for c in child.columns)
        texts = ", ".join(f"{text_column(c.column_name)} as {quote(c.column_name)}" for c in child.columns)
        write_split(
            con, lake, "child_checked", f"{parents}, _position, {typed}, {lineage}", f"{parents}, _position, {texts}, {lineage}",
            child_raw_key(source, child, partition_key), child_quarantine_key(source, child, partition_key), order="_row, _position",
        )
        counts[child.name] = {"loaded": loaded, "rejected": rejected}
    return counts


def forget_children(lake: Lake, source: Source, partition_key: str) -> None:
    for child in source.children:
        lake.delete(child_raw_key(source, child, partition_key))
        lake.delete(child_quarantine_key(source, child, partition_key))
