"""Landed file -> typed Parquet in `raw/`, bad rows (or a whole unreadable file) in `quarantine/`.

DuckDB streams the file as text columns with a strict, declared dialect (no sniffing: sniffing silently
drops malformed rows). Types, date formats and validation rules are applied in SQL, so every input row is
either loaded or quarantined with the rules it broke, and loaded + rejected = input rows.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import pyarrow.parquet as pq

from qs_platform.config.models import (
    AcceptedValuesRule,
    Column,
    ExpressionRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    Source,
    UniqueRule,
    normalise_column_name,
)
from qs_platform.ingest.archives import expand_zip, is_archive, refusal_record
from qs_platform.ingest.children import forget_children, write_children
from qs_platform.ingest.formats import UnreadableFile, quote, stage
from qs_platform.lake import Lake
from qs_platform.lake.local import sql_string

LINEAGE_COLUMNS = {"_source_key": "VARCHAR", "_content_hash": "VARCHAR", "_ingested_at": "TIMESTAMP", "_line_number": "BIGINT"}


@dataclass
class IngestResult:
    landing_key: str
    status: str  # "loaded" | "quarantined"
    input_rows: int
    loaded_rows: int
    rejected_rows: int
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    raw_key: str | None = None
    quarantine_key: str | None = None
    new_columns: list[str] = field(default_factory=list)  # undeclared, kept as text (schema drift)
    archive_members: list[str] = field(default_factory=list)  # landing keys of an expanded archive's members
    refused_members: dict[str, str] = field(default_factory=dict)  # archive member -> why it was not landed
    children: dict[str, dict] = field(default_factory=dict)  # child table -> {"loaded": n, "rejected": n}
    content_hash: str | None = None  # md5 of the bytes that were read
    missing_columns: list[str] = field(default_factory=list)  # declared optional, absent from the file

    @property
    def reconciled(self) -> bool:
        return self.loaded_rows + self.rejected_rows == self.input_rows


def raw_key(source: Source, partition_key: str) -> str:
    return f"raw/{source.name}/{partition_key}.parquet"


def quarantined_rows_key(source: Source, partition_key: str) -> str:
    return f"quarantine/{source.name}/rows/{partition_key}.parquet"


def quarantined_file_key(source: Source, partition_key: str) -> str:
    return f"quarantine/{source.name}/files/{partition_key}"


# ---- typing and rules as SQL ---------------------------------------------------------------------------------


def text_column(name: str) -> str:
    return quote("text_" + name)


def typed_expression(column: Column) -> str:
    """SQL turning the text value of `column` into its declared type; NULL when it does not convert."""
    text = f"nullif(trim({text_column(column.column_name)}), '')"
    if column.formats and column.formats[0] in ("epoch", "epoch_ms"):
        seconds = f"try_cast({text} as double)" + (" / 1000" if column.formats[0] == "epoch_ms" else "")
        return f"cast(to_timestamp({seconds}) as {column.duckdb_type})"
    if column.type in ("date", "timestamp") and column.formats:
        attempts = ", ".join(f"try_strptime({text}, {sql_string(f)})" for f in column.formats)
        parsed = f"coalesce({attempts})" if len(column.formats) > 1 else attempts
        return f"cast({parsed} as {column.duckdb_type})"
    if column.type in ("string", "varchar"):
        return text_column(column.column_name)
    return f"try_cast({text} as {column.duckdb_type})"


def _expected(column: Column) -> str:
    if column.formats:
        return f"{column.type} in format {' or '.join(column.formats)}"
    return column.type


def _type_violation(column: Column) -> tuple[str, str, str]:
    name, text = column.column_name, text_column(column.column_name)
    condition = f"nullif(trim({text}), '') is not null and {quote(name)} is null"
    message = f"{sql_string(f'{name}: expected {_expected(column)}, got ')} || {sql_string(chr(39))} || {text} || {sql_string(chr(39))}"
    return f"type_{name}", condition, message


def _rule_violation(rule) -> tuple[str, str, str]:
    """(rule name, SQL true when a row breaks the rule, SQL message). Rules see typed values."""
    if isinstance(rule, ExpressionRule):
        return rule.name, f"not coalesce(({rule.sql}), true)", sql_string(f"{rule.name}: expected {rule.sql}")
    if isinstance(rule, UniqueRule):
        keys = ", ".join(normalise_column_name(c) for c in rule.columns)
        first = quote(f"_first_{rule.name}")
        present = " and ".join(f"{quote(normalise_column_name(c))} is not null" for c in rule.columns)
        return rule.name, f"{first} < _row and {present}", f"{sql_string(f'{rule.name}: ({keys}) repeats the key of line ')} || ({first} + _first_line)"
    col = normalise_column_name(rule.column)
    value = quote(col)
    shown = f"coalesce(cast({value} as varchar), 'NULL')"
    if isinstance(rule, NotNullRule):
        return rule.name, f"{value} is null", sql_string(f"{rule.name}: {col} is required")
    if isinstance(rule, AcceptedValuesRule):
        allowed = ", ".join(sql_string(str(v)) for v in rule.values)
        listing = ", ".join(str(v) for v in rule.values)
        return (
            rule.name,
            f"{value} is not null and cast({value} as varchar) not in ({allowed})",
            f"{sql_string(f'{rule.name}: {col} must be one of [{listing}], got ')} || {shown}",
        )
    if isinstance(rule, RangeRule):
        bounds = [f"{value} < {rule.min}"] if rule.min is not None else []
        bounds += [f"{value} > {rule.max}"] if rule.max is not None else []
        span = f"[{'' if rule.min is None else rule.min}, {'' if rule.max is None else rule.max}]"
        return (
            rule.name,
            f"{value} is not null and ({' or '.join(bounds)})",
            f"{sql_string(f'{rule.name}: {col} must be within {span}, got ')} || {shown}",
        )
    if isinstance(rule, RegexRule):
        return (
            rule.name,
            f"{value} is not null and not regexp_full_match(cast({value} as varchar), {sql_string(rule.pattern)})",
            f"{sql_string(f'{rule.name}: {col} must match {rule.pattern}, got ')} || {shown}",
        )
    raise TypeError(f"unknown rule {rule!r}")


def checked_select(source: Source, extra: list[str] = ()) -> str:
    """SELECT over the staged text rows: text_* columns, typed columns, the broken rules and their messages."""
    violations = [_type_violation(c) for c in source.columns if c.type not in ("string", "varchar")]
    violations += [
        (f"{c.column_name}_required", f"{quote(c.column_name)} is null", sql_string(f"{c.column_name}_required: {c.column_name} is required"))
        for c in source.columns
        if c.required
    ]
    violations += [_rule_violation(rule) for rule in source.rules]
    names = ", ".join(f"case when {cond} then {sql_string(name)} end" for name, cond, _ in violations) or "null"
    messages = ", ".join(f"case when {cond} then {msg} end" for _, cond, msg in violations) or "null"
    texts = ", ".join([f"{quote(c.column_name)} as {text_column(c.column_name)}" for c in source.columns] + [quote(e) for e in extra])
    typed = ", ".join(f"{typed_expression(c)} as {quote(c.column_name)}" for c in source.columns)
    firsts = "".join(
        f", min(_row) over (partition by {', '.join(quote(normalise_column_name(c)) for c in r.columns)}) as {quote(f'_first_{r.name}')}"
        for r in source.rules if isinstance(r, UniqueRule)
    )
    first_line = 2 if source.format == "csv" and source.csv.header else 1
    return f"""
        with text as (select rowid as _row, {first_line} as _first_line, {texts} from staged),
        typed as (select *, {typed} from text),
        keyed as (select *{firsts} from typed)
        select *,
               list_filter([{names}], lambda x: x is not null) as _rules,
               list_filter([{messages}], lambda x: x is not null) as _errors
        from keyed
    """


def count_input_rows(path, source: Source) -> int:
    """Records in a file that could not be parsed: its lines (a last line without newline counts), less a header."""
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


def ingest_file(
    lake: Lake,
    source: Source,
    landing_key: str,
    partition_key: str,
    *,
    landing: Lake | None = None,
    ingested_at: datetime | None = None,
    content_hash: str | None = None,
) -> IngestResult:
    """Read `landing_key` from the landing store (the lake itself unless given) and write raw/quarantine to the lake."""
    landing = landing or lake
    ingested_at = (ingested_at or datetime.now(timezone.utc)).replace(tzinfo=None)
    if is_archive(landing_key):
        return _expand_archive(landing, lake, source, landing_key, partition_key, ingested_at)
    content_hash = content_hash or landing.content_hash(landing_key)
    with landing.local_copy(landing_key) as path:
        try:
            fields = key_fields(source, landing_key)
            return _load(lake, source, path, landing_key, partition_key, ingested_at, fields, content_hash)
        except UnreadableFile as error:
            input_rows = error.input_rows if error.input_rows is not None else count_input_rows(path, source)
            return _quarantine_file(lake, source, path, landing_key, partition_key, str(error), input_rows, ingested_at)


def _expand_archive(landing, lake, source, landing_key, partition_key, ingested_at) -> IngestResult:
    try:
        expansion = expand_zip(landing, source, landing_key)
    except UnreadableFile as error:
        with landing.local_copy(landing_key) as path:
            return _quarantine_file(lake, source, path, landing_key, partition_key, str(error), 0, ingested_at)
    refusals_key = quarantined_file_key(source, partition_key) + ".refused.json"
    if expansion.refused:
        lake.put_bytes(refusals_key, refusal_record(landing_key, expansion))
    else:
        lake.delete(refusals_key)
    reason = f"{len(expansion.refused)} members not landed: {expansion.refused}" if expansion.refused else None
    return IngestResult(
        landing_key, "expanded", 0, 0, 0, reason=reason,
        archive_members=expansion.members, refused_members=expansion.refused,
    )


def key_fields(source: Source, landing_key: str) -> dict[str, str]:
    """The named fields of the source's key template, read from the landing key."""
    if not source.key_template:
        return {}
    relative = landing_key.removeprefix(source.landing_prefix)
    pattern = re.escape(source.key_template)
    for name in source.key_fields:
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/]+)")
    match = re.fullmatch(pattern, relative)
    if match is None:
        raise UnreadableFile(f"key {relative!r} does not match key_template {source.key_template!r}")
    return match.groupdict()


def _load(lake, source, path, landing_key, partition_key, ingested_at, fields, content_hash) -> IngestResult:
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        staged = stage(con, path, source)
        con.execute(f"create temp view checked as {checked_select(source, staged.extra)}")
        total, rejected = con.execute("select count(*), count(*) filter (where len(_rules) > 0) from checked").fetchone()
        by_rule = dict(con.execute("select r, count(*) from checked, unnest(_rules) as u(r) group by r order by r").fetchall())
        first_line = 2 if source.format == "csv" and source.csv.header else 1
        lineage = ", ".join(
            [f"{sql_string(value)} as {quote(name)}" for name, value in fields.items()]
            + [
                f"{sql_string(landing_key)} as _source_key",
                f"{sql_string(content_hash)} as _content_hash",
                f"cast({sql_string(ingested_at.isoformat(sep=' '))} as timestamp) as _ingested_at",
                f"cast(_row + {first_line} as bigint) as _line_number",
            ]
        )
        typed = ", ".join([quote(c.column_name) for c in source.columns] + [quote(e) for e in staged.extra])
        text = ", ".join([f"{text_column(c.column_name)} as {quote(c.column_name)}" for c in source.columns] + [quote(e) for e in staged.extra])
        out_key, q_key = raw_key(source, partition_key), quarantined_rows_key(source, partition_key)
        write_split(con, lake, "checked", f"{typed}, {lineage}", f"{text}, {lineage}", out_key, q_key, order="_row")
        children = write_children(con, lake, source, partition_key, lineage) if source.children else {}
        _forget_quarantined_file(lake, source, partition_key)
        return IngestResult(
            landing_key, "loaded", total, total - rejected, rejected, by_rule, None, out_key, q_key if rejected else None,
            new_columns=staged.extra, missing_columns=staged.missing, children=children, content_hash=content_hash,
        )
    finally:
        con.close()


def write_split(con, lake: Lake, relation: str, loaded: str, rejected: str, raw: str, quarantine: str, *, order: str) -> None:
    """Rows of `relation` without broken rules -> `raw` (always written, so a file's old rows are replaced);
    the others, with their rules and messages -> `quarantine` (removed when there are none)."""
    with lake.staged_write(raw) as target:
        con.execute(
            f"copy (select {loaded} from {relation} where len(_rules) = 0 order by {order}) "
            f"to {sql_string(str(target))} (format parquet, compression zstd)"
        )
    if con.execute(f"select count(*) from {relation} where len(_rules) > 0").fetchone()[0]:
        with lake.staged_write(quarantine) as target:
            con.execute(
                f"copy (select {rejected}, _rules, _errors from {relation} where len(_rules) > 0 order by {order}) "
                f"to {sql_string(str(target))} (format parquet, compression zstd)"
            )
    else:
        lake.delete(quarantine)


def _quarantine_file(lake, source, path, landing_key, partition_key, reason, input_rows, ingested_at) -> IngestResult:
    key = quarantined_file_key(source, partition_key)
    with lake.staged_write(key) as target, open(path, "rb") as original:
        with open(target, "wb") as copy:
            for chunk in iter(lambda: original.read(1 << 20), b""):
                copy.write(chunk)
    record = {"landing_key": landing_key, "reason": reason, "input_rows": input_rows, "quarantined_at": ingested_at.isoformat()}
    lake.put_bytes(key + ".reason.json", json.dumps(record, indent=2).encode())
    # The file's earlier content (if any) no longer counts anywhere downstream.
    lake.delete(raw_key(source, partition_key))
    lake.delete(quarantined_rows_key(source, partition_key))
    forget_children(lake, source, partition_key)
    return IngestResult(landing_key, "quarantined", input_rows, 0, input_rows, {"unreadable_file": input_rows}, reason, None, key)


def _forget_quarantined_file(lake: Lake, source: Source, partition_key: str) -> None:
    key = quarantined_file_key(source, partition_key)
    lake.delete(key)
    lake.delete(key + ".reason.json")
