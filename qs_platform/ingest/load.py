"""Landed file -> typed Parquet in `raw/`, bad rows (or a whole unreadable file) in `quarantine/`.

DuckDB streams the file as text columns with a strict, declared dialect (no sniffing: sniffing silently
drops malformed rows). Types, date formats and validation rules are applied in SQL, so every input row is
either loaded or quarantined with the rules it broke, and loaded + rejected = input rows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb

from qs_platform.config.models import (
    AcceptedValuesRule,
    Column,
    ExpressionRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    Source,
    normalise_column_name,
)
from qs_platform.lake import Lake
from qs_platform.lake.local import sql_string

LINEAGE_COLUMNS = {"_source_key": "VARCHAR", "_ingested_at": "TIMESTAMP", "_line_number": "BIGINT"}


class UnreadableFile(Exception):
    """The file as a whole cannot be read with the source's declaration; the message says why."""


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

    @property
    def reconciled(self) -> bool:
        return self.loaded_rows + self.rejected_rows == self.input_rows


def raw_key(source: Source, partition_key: str) -> str:
    return f"raw/{source.name}/{partition_key}.parquet"


def quarantined_rows_key(source: Source, partition_key: str) -> str:
    return f"quarantine/{source.name}/rows/{partition_key}.parquet"


def quarantined_file_key(source: Source, partition_key: str) -> str:
    return f"quarantine/{source.name}/files/{partition_key}"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# ---- typing and rules as SQL ---------------------------------------------------------------------------------


def text_column(name: str) -> str:
    return quote("text_" + name)


def typed_expression(column: Column) -> str:
    """SQL turning the text value of `column` into its declared type; NULL when it does not convert."""
    text = f"nullif(trim({text_column(column.column_name)}), '')"
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


def checked_select(source: Source) -> str:
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
    texts = ", ".join(f"{quote(c.column_name)} as {text_column(c.column_name)}" for c in source.columns)
    typed = ", ".join(f"{typed_expression(c)} as {quote(c.column_name)}" for c in source.columns)
    return f"""
        with text as (select rowid as _row, {texts} from staged),
        typed as (select *, {typed} from text)
        select *,
               list_filter([{names}], lambda x: x is not null) as _rules,
               list_filter([{messages}], lambda x: x is not null) as _errors
        from typed
    """


# ---- reading ------------------------------------------------------------------------------------------------


def read_header(path, source: Source) -> list[str]:
    with open(path, "rb") as handle:
        first = handle.readline(1 << 20)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"line 1: not valid {source.csv.encoding} ({error.reason} at byte {error.start})") from error
    if not text.strip():
        raise UnreadableFile("the file is empty: expected a header line")
    row = next(csv.reader(io.StringIO(text), delimiter=source.csv.delimiter, quotechar=source.csv.quote))
    return [normalise_column_name(name) for name in row]


def check_header(header: list[str], source: Source) -> None:
    declared = [c.column_name for c in source.columns]
    missing = [c for c in declared if c not in header]
    unexpected = [c for c in header if c not in declared]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing or unexpected or duplicated:
        parts = [f"missing columns {missing}"] if missing else []
        parts += [f"unexpected columns {unexpected}"] if unexpected else []
        parts += [f"duplicated columns {duplicated}"] if duplicated else []
        raise UnreadableFile(f"line 1: header does not match the declaration ({'; '.join(parts)}); expected {declared}")


def stage_csv(con: duckdb.DuckDBPyConnection, path, source: Source, header: list[str]) -> None:
    """Load the file as text into the temp table `staged`, keeping file order for line numbers."""
    columns = "{" + ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in header) + "}"
    options = csv_options(source)
    try:
        con.execute(
            f"create temp table staged as select * from read_csv({sql_string(str(path))}, columns = {columns}, {options})"
        )
    except duckdb.Error as error:
        raise UnreadableFile(describe_duckdb_csv_error(error)) from error


def csv_options(source: Source) -> str:
    opts = source.csv
    return ", ".join(
        [
            f"delim = {sql_string(opts.delimiter)}",
            f"quote = {sql_string(opts.quote)}",
            f"escape = {sql_string(opts.escape)}",
            f"header = false, skip = {1 if opts.header else 0}",
            "auto_detect = false, strict_mode = true, null_padding = false",
        ]
    )


def describe_duckdb_csv_error(error: Exception) -> str:
    """DuckDB's CSV errors span many lines; keep the line number, the problem and the original line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    where = next((l.removeprefix("Invalid Input Error: ").removeprefix("CSV Error on ").strip() for l in lines if "Line:" in l), "")
    problem = next(
        (l for l in lines if any(w in l for w in ("unterminated quote", "Expected Number of Columns", "Invalid unicode", "quote"))),
        lines[0] if lines else "unreadable",
    )
    original = next((l.removeprefix("Original Line: ") for l in lines if l.startswith("Original Line:")), None)
    text = f"{where.lower().replace('line: ', 'line ')}: {problem}" if where else problem
    if "Invalid unicode" in problem:
        text = f"{where.lower().replace('line: ', 'line ')}: not valid UTF-8 (declare the file's encoding)" if where else "not valid UTF-8"
    return text + (f" (original line: {original[:200]!r})" if original else "")


def count_lines(path) -> int:
    """Physical records in a file (a last line without newline counts), for files that cannot be parsed."""
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


# ---- the whole step -----------------------------------------------------------------------------------------


def ingest_file(lake: Lake, source: Source, landing_key: str, partition_key: str, *, ingested_at: datetime | None = None) -> IngestResult:
    ingested_at = (ingested_at or datetime.now(timezone.utc)).replace(tzinfo=None)
    with lake.local_copy(landing_key) as path:
        try:
            header = read_header(path, source) if source.csv.header else [c.column_name for c in source.columns]
            check_header(header, source)
            return _load(lake, source, path, header, landing_key, partition_key, ingested_at)
        except UnreadableFile as error:
            input_rows = max(count_lines(path) - (1 if source.csv.header else 0), 0)
            return _quarantine_file(lake, source, path, landing_key, partition_key, str(error), input_rows, ingested_at)


def _load(lake, source, path, header, landing_key, partition_key, ingested_at) -> IngestResult:
    con = duckdb.connect()
    try:
        stage_csv(con, path, source, header)
        con.execute(f"create temp view checked as {checked_select(source)}")
        total, rejected = con.execute("select count(*), count(*) filter (where len(_rules) > 0) from checked").fetchone()
        by_rule = dict(con.execute("select r, count(*) from checked, unnest(_rules) as u(r) group by r order by r").fetchall())
        lineage = (
            f"{sql_string(landing_key)} as _source_key, "
            f"cast({sql_string(ingested_at.isoformat(sep=' '))} as timestamp) as _ingested_at, "
            f"cast(_row + {2 if source.csv.header else 1} as bigint) as _line_number"
        )
        typed = ", ".join(quote(c.column_name) for c in source.columns)
        out_key = raw_key(source, partition_key)
        with lake.staged_write(out_key) as target:
            con.execute(
                f"copy (select {typed}, {lineage} from checked where len(_rules) = 0 order by _row) "
                f"to {sql_string(str(target))} (format parquet, compression zstd)"
            )
        q_key = quarantined_rows_key(source, partition_key)
        if rejected:
            text = ", ".join(f"{text_column(c.column_name)} as {quote(c.column_name)}" for c in source.columns)
            with lake.staged_write(q_key) as target:
                con.execute(
                    f"copy (select {text}, {lineage}, _rules, _errors from checked where len(_rules) > 0 order by _row) "
                    f"to {sql_string(str(target))} (format parquet, compression zstd)"
                )
        else:
            lake.delete(q_key)
        _forget_quarantined_file(lake, source, partition_key)
        return IngestResult(landing_key, "loaded", total, total - rejected, rejected, by_rule, None, out_key, q_key if rejected else None)
    finally:
        con.close()


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
    return IngestResult(landing_key, "quarantined", input_rows, 0, input_rows, {"unreadable_file": input_rows}, reason, None, key)


def _forget_quarantined_file(lake: Lake, source: Source, partition_key: str) -> None:
    key = quarantined_file_key(source, partition_key)
    lake.delete(key)
    lake.delete(key + ".reason.json")
