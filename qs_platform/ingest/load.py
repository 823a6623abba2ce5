"""One landed file -> `raw/<source>/<file id>.parquet` in one streamed DuckDB pass; rejected rows also in `quarantine/`.

The raw file is the typed image of every record of the landed file, in file order: loaded records have
`_reject` NULL; a rejected record keeps in `_reject` (JSON) its original text per column.
Readers of `raw.<source>` see the loaded records only, numbered by their position (`_line_number` =
`_first_line` + position), so no record number has to be computed while loading (that would serialise the pass).
When records were rejected, a second, small pass over the raw file works out which rules each broke and why
(`explained_select`) and copies them to `quarantine/<source>/rows/<file id>.parquet`, with their text per column,
line number, rules and messages. A file that cannot be read at all is copied whole
to `quarantine/<source>/files/<file id>` with `.reason.json`. Every record is loaded or rejected exactly once:
loaded + rejected = input rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow.parquet as pq

from qs_platform.config.models import Source, template_regex
from qs_platform.ingest.children import forget_children, write_children
from qs_platform.ingest.formats import FileRecords, UnreadableFile, describe_duckdb_error, read_records
from qs_platform.ingest.keys import encode_key
from qs_platform.ingest.validation import checked_select, explained_select, text_ref
from qs_platform.lake import Lake
from qs_platform.sql.engine import DUCKDB_MACHINE_ERRORS
from qs_platform.sql.text import constant_string, quote, sql_string

LINEAGE_COLUMNS = {
    "_source_key": "VARCHAR",
    "_content_hash": "VARCHAR",
    "_ingested_at": "TIMESTAMP",
    "_line_number": "BIGINT",
}
RECORD_STATUS_COLUMNS = ("_reject", "_first_line")  # stored in raw files, not shown by raw.<source>
RAW_COMPRESSION = "snappy"  # DuckDB's default: the fastest to write; readers do not notice the difference


@dataclass
class IngestResult:
    landing_key: str
    status: str  # "loaded" | "quarantined" | "expanded" | "unchanged"
    input_rows: int
    loaded_rows: int
    rejected_rows: int
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    raw_key: str | None = None
    quarantine_key: str | None = None
    new_columns: list[str] = field(default_factory=list)  # undeclared, kept as text (schema drift)
    renamed_columns: dict[str, str] = field(default_factory=dict)  # undeclared name in the file -> its column
    missing_columns: list[str] = field(default_factory=list)  # declared optional, absent from the file
    archive_members: list[str] = field(default_factory=list)  # landing keys of an expanded archive's members
    refused_members: dict[str, str] = field(default_factory=dict)  # archive member -> why it was not landed
    children: dict[str, dict] = field(default_factory=dict)  # child table -> {"loaded": n, "rejected": n}
    content_hash: str | None = None  # xxh3-128 of the bytes that were read

    @property
    def reconciled(self) -> bool:
        return self.loaded_rows + self.rejected_rows == self.input_rows


def file_id(source: Source, landing_key: str) -> str:
    return encode_key(landing_key.removeprefix(source.landing_prefix))


def raw_key(source: Source, landing_key: str) -> str:
    return f"raw/{source.name}/{file_id(source, landing_key)}.parquet"


def quarantined_rows_key(source: Source, landing_key: str) -> str:
    return f"quarantine/{source.name}/rows/{file_id(source, landing_key)}.parquet"


def quarantined_file_key(source: Source, landing_key: str) -> str:
    return f"quarantine/{source.name}/files/{file_id(source, landing_key)}"


def key_fields(source: Source, landing_key: str) -> dict[str, str]:
    """The named fields of the source's key template, read from the landing key."""
    if not source.key_template:
        return {}
    relative = landing_key.removeprefix(source.landing_prefix)
    match = template_regex(source.key_template).fullmatch(relative)
    if match is None:
        raise UnreadableFile(f"key {relative!r} does not match key_template {source.key_template!r}")
    return match.groupdict()


def _lineage(
    fields: dict[str, str], landing_key: str, content_hash: str, ingested_at: datetime, first_line: int
) -> str:
    return ", ".join(
        [f"{constant_string(value)} as {quote(name)}" for name, value in fields.items()]
        + [
            f"{constant_string(landing_key)} as _source_key",
            f"{constant_string(content_hash)} as _content_hash",
            f"cast({sql_string(ingested_at.isoformat(sep=' '))} as timestamp) as _ingested_at",
            f"cast({first_line} as bigint) as _first_line",
        ]
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    source: Source,
    landing_key: str,
    path,
    *,
    content_hash: str,
    ingested_at: datetime,
) -> IngestResult:
    """Load the local file `path` (the landed `landing_key`) into the lake: raw records, rejected rows, or the
    whole file in quarantine with the reason it could not be read."""
    try:
        fields = key_fields(source, landing_key)
        records = read_records(con, path, source)
        return _load(con, lake, source, landing_key, path, records, fields, content_hash, ingested_at)
    except UnreadableFile as error:
        return quarantine_file(lake, source, landing_key, path, str(error), error.input_rows, content_hash, ingested_at)


def _load(
    con, lake, source, landing_key, path, records: FileRecords, fields, content_hash, ingested_at
) -> IngestResult:
    select, output = checked_select(
        source, source.columns, records.texts, records.extras, records.relation, records.first_line
    )
    lineage = _lineage(fields, landing_key, content_hash, ingested_at, records.first_line)
    out_key, q_key = raw_key(source, landing_key), quarantined_rows_key(source, landing_key)
    try:
        with one_transaction(con), lake.staged_write(out_key) as target:
            total, rejected = copy_counted(
                con,
                f"copy (select *, {lineage} from ({select})) to {sql_string(str(target))} "
                f"(format parquet, compression {RAW_COMPRESSION}, return_stats)",
            )
            by_rule = (
                write_quarantined_rows(
                    con, lake, source, str(target), output, list(fields), q_key, first_line=records.first_line
                )
                if rejected
                else {}
            )
            if not rejected:
                lake.delete(q_key)
            children = (
                write_children(con, lake, source, landing_key, path, str(target), records) if source.children else {}
            )
    except duckdb.Error as error:
        if not is_content_error(error):
            raise
        raise UnreadableFile(describe_duckdb_error(error, str(path))) from error
    forget_quarantined_file(lake, source, landing_key)
    return IngestResult(
        landing_key,
        "loaded",
        total,
        total - rejected,
        rejected,
        by_rule,
        None,
        out_key,
        q_key if rejected else None,
        new_columns=list(records.extras),
        renamed_columns=records.renamed,
        missing_columns=records.missing,
        children=children,
        content_hash=content_hash,
    )


@contextmanager
def one_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The passes over one file in one DuckDB transaction: a rule on `now()` or `current_date` sees one time in the
    loading pass and in the one that explains its rejections."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


def copy_counted(con, copy: str) -> tuple[int, int]:
    """(records written, records rejected) of the COPY `copy` (with `return_stats`) of a raw file, from the
    statistics it returns: `_reject` is NULL for a loaded record, so the file is not read again to count."""
    _, total, _, _, statistics, *_ = con.execute(copy).fetchone()
    return total, total - int(statistics[quote("_reject")]["null_count"])


def is_content_error(error: duckdb.Error) -> bool:
    """Errors caused by what the file holds (quarantine it), as opposed to the machine (memory, disk: fail the run)."""
    return not isinstance(error, DUCKDB_MACHINE_ERRORS)


def write_quarantined_rows(
    con,
    lake: Lake,
    source: Source,
    raw_file: str,
    output: list[str],
    fields: list[str],
    key: str,
    line_number: str | None = "file_row_number + _first_line",
    first_line: int = 1,
) -> dict[str, int]:
    """The rejected records of a raw file with their original text per column, line number, rules and messages;
    how many records broke each rule.

    `line_number` is SQL for the record's line, or None when the file stores `_line_number` itself (child tables)."""
    declared = {c.column_name for c in source.columns}
    texts = [f"{text_ref(name)} as {quote(name)}" if name in declared else quote(name) for name in output]
    lineage = [quote(f) for f in fields] + ["_source_key", "_content_hash", "_ingested_at"]
    explained = explained_select(source, f"read_parquet({sql_string(raw_file)}, file_row_number = true)", first_line)
    with lake.staged_write(key) as target:
        con.execute(
            f"copy (select {', '.join(texts + lineage)}{f', {line_number} as _line_number' if line_number else ''}, "
            f"_rules, _errors from ({explained})) to {sql_string(str(target))} (format parquet, compression zstd)"
        )
        counted = con.execute(
            f"select r, count(*) from (select unnest(_rules) as r from read_parquet({sql_string(str(target))})) "
            "group by r order by r"
        ).fetchall()
    return dict(counted)


def count_lines(path, source: Source) -> int:
    """Records in a file that could not be parsed: its lines (a last line without newline counts), less a header."""
    import gzip

    if source.format == "parquet":
        try:
            return pq.ParquetFile(path).metadata.num_rows
        except Exception:  # not Parquet at all: nothing countable
            return 0
    count, last = 0, b"\n"
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                count += chunk.count(b"\n")
                last = chunk[-1:]
    except (OSError, EOFError):  # a broken archive: count what could be read
        pass
    lines = count + (0 if last == b"\n" else 1)
    return max(lines - (1 if source.format == "csv" and source.csv.header else 0), 0)


def quarantine_file(
    lake: Lake,
    source: Source,
    landing_key: str,
    path,
    reason: str,
    input_rows: int | None,
    content_hash: str | None,
    ingested_at: datetime,
) -> IngestResult:
    """The whole file to `quarantine/<source>/files/`, with its reason; its earlier rows no longer count anywhere."""
    input_rows = count_lines(path, source) if input_rows is None else input_rows
    key = quarantined_file_key(source, landing_key)
    if path is not None:
        with lake.staged_write(key) as target, open(path, "rb") as original, open(target, "wb") as copy:
            for chunk in iter(lambda: original.read(1 << 20), b""):
                copy.write(chunk)
    record = {
        "landing_key": landing_key,
        "reason": reason,
        "input_rows": input_rows,
        "quarantined_at": ingested_at.isoformat(),
    }
    lake.put_bytes(key + ".reason.json", json.dumps(record, indent=2).encode())
    lake.delete(raw_key(source, landing_key))
    lake.delete(quarantined_rows_key(source, landing_key))
    forget_children(lake, source, landing_key)
    return IngestResult(
        landing_key,
        "quarantined",
        input_rows,
        0,
        input_rows,
        {"unreadable_file": input_rows} if input_rows else {},
        reason,
        None,
        key,
        content_hash=content_hash,
    )


def forget_quarantined_file(lake: Lake, source: Source, landing_key: str) -> None:
    key = quarantined_file_key(source, landing_key)
    lake.delete(key)
    lake.delete(key + ".reason.json")
