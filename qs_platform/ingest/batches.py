"""Batch completeness as SQL over a raw table: which batches are complete, waiting, or released past a deadline.

Computed at read time from the files that loaded, so it is never out of step with the lake: re-uploads,
deletions and late files change the answer by themselves.
"""

from __future__ import annotations

from qs_platform.config.models import Source
from qs_platform.sql.text import quote, sql_string

NOW_UTC = "cast(timezone('UTC', now()) as timestamp)"


def _file_name(source: Source) -> str:
    return quote("name") if "name" in source.key_fields else "_source_key"


def batch_status_select(source: Source, rows: str) -> str:
    """One row per batch: key fields, files present, files missing, first arrival, state."""
    batch = source.batch
    keys = ", ".join(quote(k) for k in batch.key)
    expected = "[" + ", ".join(sql_string(n) for n in batch.expected_files) + "]::varchar[]"
    complete = f"len(list_filter({expected}, lambda n: not list_contains(present, n))) = 0"
    if batch.expected_count is not None:
        complete += f" and len(present) >= {batch.expected_count}"
    overdue = (
        f"{NOW_UTC} > first_arrival + interval {batch.deadline_seconds} second"
        if batch.deadline_seconds is not None
        else "false"
    )
    return f"""
        with files as (
            select {keys}, list(distinct {_file_name(source)} order by {_file_name(source)}) as present, min(_ingested_at) as first_arrival
            from {rows} group by all
        )
        select *,
               list_filter({expected}, lambda n: not list_contains(present, n)) as missing,
               case when {complete} then 'complete' when {overdue} then 'released_incomplete' else 'waiting' end as state
        from files
    """


def released_rows_select(source: Source, rows: str, arrived: str) -> str:
    """The `rows` of batches downstream may use: complete ones, and incomplete ones past their deadline.

    Completeness is judged on `arrived` (every loaded file, duplicate copies included): a file whose rows are
    counted under an identical copy's key has still arrived.
    """
    keys = ", ".join(quote(k) for k in source.batch.key)
    return f"""
        select r.* from {rows} as r
        semi join (select {keys} from ({batch_status_select(source, arrived)}) where state <> 'waiting') using ({keys})
    """
