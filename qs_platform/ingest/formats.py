"""Stage a landed file as text: the temp table `staged`, one VARCHAR per declared column, then the extras.

Every format ends in the same shape, so typing, rules and quarantine are written once (load.py):
- declared columns are found by their name, a declared alias, or (JSON) their path; missing optional ones are
  NULL, missing required ones make the file unreadable;
- columns nobody declared are kept as text and reported as drift (or the file is refused, if so configured).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field

import duckdb

from qs_platform.config.models import Column, Source, normalise_column_name
from qs_platform.lake.local import sql_string

ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}


class UnreadableFile(Exception):
    """The file as a whole cannot be read with the source's declaration; the message says why.

    `input_rows` is the number of records when the reader could count them (else lines are counted).
    """

    def __init__(self, message: str, input_rows: int | None = None):
        super().__init__(message)
        self.input_rows = input_rows


@dataclass
class Staged:
    missing: list[str] = field(default_factory=list)  # declared optional columns absent (NULL)
    extra: list[str] = field(default_factory=list)  # undeclared columns kept as text


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def stage(con: duckdb.DuckDBPyConnection, path: str, source: Source) -> Staged:
    stager = {"csv": _stage_csv, "json": _stage_json, "parquet": _stage_parquet}[source.format]
    try:
        return stager(con, path, source)
    except duckdb.Error as error:  # name the file by its landing key (in the message's context), not a temp path
        raise UnreadableFile(describe_duckdb_error(error).replace(f'in file "{path}", ', "").replace(str(path), "the file")) from error


def _match_columns(found: list[str], source: Source) -> tuple[dict[str, str], Staged]:
    """Map declared column -> the file's name for it; check required and undeclared columns."""
    by_normalised = {}
    for name in found:
        by_normalised.setdefault(normalise_column_name(name), name)
    mapping: dict[str, str] = {}
    for column in source.columns:
        for candidate in [column.name, *column.aliases]:
            if normalise_column_name(candidate) in by_normalised:
                mapping[column.column_name] = by_normalised[normalise_column_name(candidate)]
                break
    claimed = {normalise_column_name(n) for c in source.columns for n in [c.name, *c.aliases]}
    extra = [normalise_column_name(n) for n in found if normalise_column_name(n) not in claimed]
    missing_required = [c.column_name for c in source.columns if c.required and c.column_name not in mapping]
    if missing_required:
        raise UnreadableFile(f"missing required columns {missing_required}; the file has {found}")
    if extra and source.extra_columns == "quarantine":
        raise UnreadableFile(f"undeclared columns {extra} (extra_columns: quarantine); declared {[c.column_name for c in source.columns]}")
    missing = [c.column_name for c in source.columns if c.column_name not in mapping]
    return mapping, Staged(missing=missing, extra=sorted(set(extra)))


def _text(column: Column, expression: str) -> str:
    for old, new in column.replace.items():
        expression = f"replace({expression}, {sql_string(old)}, {sql_string(new)})"
    return expression


def _create_staged(con, source: Source, relation: str, expressions: dict[str, str], staged: Staged) -> Staged:
    columns = [f"{_text(c, expressions[c.column_name]) if c.column_name in expressions else 'cast(null as varchar)'} as {quote(c.column_name)}"
               for c in source.columns]
    columns += [f"{expressions[name]} as {quote(name)}" for name in staged.extra]
    # A table keeps insertion (= file) order in its rowid, which becomes the line number.
    con.execute(f"create temp table staged as select {', '.join(columns)} from {relation}")
    return staged


# ---- CSV ----------------------------------------------------------------------------------------------------


def read_csv_header(path: str, source: Source) -> list[str]:
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            first = handle.readline(1 << 20)
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise UnreadableFile(f"cannot decompress: {error}") from error
    try:
        text = first.decode(ENCODINGS[source.csv.encoding])
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"line 1: not valid {source.csv.encoding} ({error.reason} at byte {error.start})") from error
    if not text.strip():
        raise UnreadableFile("the file is empty: expected a header line")
    return next(csv.reader(io.StringIO(text), delimiter=source.csv.delimiter, quotechar=source.csv.quote or None))


def _stage_csv(con, path: str, source: Source) -> Staged:
    opts = source.csv
    header = read_csv_header(path, source) if opts.header else [c.name for c in source.columns]
    if len(set(header)) != len(header):
        raise UnreadableFile(f"line 1: duplicated column names in header {header}")
    header = [h if normalise_column_name(h) not in {normalise_column_name(x) for x in header[:i]} else f"{h}_{i + 1}" for i, h in enumerate(header)]
    mapping, staged = _match_columns(header, source)
    positional = [f"c{i}" for i in range(len(header))]
    columns = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in positional) + "}"
    options = ", ".join([
        f"columns = {columns}",
        f"delim = {sql_string(opts.delimiter)}",
        f"quote = {sql_string(opts.quote)}",
        f"escape = {sql_string(opts.escape)}",
        f"encoding = {sql_string(opts.encoding)}",
        f"header = false, skip = {1 if opts.header else 0}",
        "auto_detect = false, strict_mode = true, null_padding = false",
    ])
    by_name = {normalise_column_name(h): f"c{i}" for i, h in enumerate(header)}
    expressions = {declared: quote(by_name[normalise_column_name(found)]) for declared, found in mapping.items()}
    expressions.update({name: quote(by_name[name]) for name in staged.extra})
    con.execute(f"create temp view file_rows as select * from read_csv({sql_string(str(path))}, {options})")
    return _create_staged(con, source, "file_rows", expressions, staged)


# ---- JSON ---------------------------------------------------------------------------------------------------


def _json_path(path: str) -> str:
    return "$" + "".join(f'."{part}"' for part in path.split("."))


def _stage_json(con, path: str, source: Source) -> Staged:
    con.execute(
        f"create temp table file_rows as select json from read_json_objects({sql_string(str(path))}, format = 'auto')"
    )
    records, bad = con.execute("select count(*), count(*) filter (where json_type(json) <> 'OBJECT') from file_rows").fetchone()
    if bad:
        raise UnreadableFile(f"{bad} of {records} records are not JSON objects", input_rows=records)
    if not records:
        raise UnreadableFile("the file holds no JSON records", input_rows=0)
    keys = [r[0] for r in con.execute("select distinct unnest(json_keys(json)) as k from file_rows order by k").fetchall()]
    top_level = {c.column_name: [c.path.split(".")[0]] if c.path else [c.name, *c.aliases] for c in source.columns}
    claimed = {normalise_column_name(n) for names in top_level.values() for n in names}
    claimed |= {normalise_column_name(child.path.split(".")[0]) for child in source.children}  # read as child tables
    extra = sorted({normalise_column_name(k) for k in keys if normalise_column_name(k) not in claimed})
    keys_by_name: dict[str, list[str]] = {}
    for key in keys:  # `createdAt` and `created_at` both normalise to created_at: read whichever a record has
        keys_by_name.setdefault(normalise_column_name(key), []).append(key)
    expressions, missing = {}, []
    for column in source.columns:
        if column.path:
            found = [_json_path(column.path)] if normalise_column_name(column.path.split(".")[0]) in keys_by_name else []
        else:
            names = dict.fromkeys(normalise_column_name(n) for n in [column.name, *column.aliases])
            found = [_json_path(k) for n in names for k in keys_by_name.get(n, [])]
        if not found:
            missing.append(column.column_name)
            continue
        extracted = [f"json_extract_string(json, {sql_string(p)})" for p in found]
        expressions[column.column_name] = extracted[0] if len(extracted) == 1 else f"coalesce({', '.join(extracted)})"
    required_missing = [c.column_name for c in source.columns if c.required and c.column_name in missing]
    if required_missing:
        raise UnreadableFile(f"missing required fields {required_missing}; the records have {keys}", input_rows=records)
    if extra and source.extra_columns == "quarantine":
        raise UnreadableFile(f"undeclared fields {extra} (extra_columns: quarantine)", input_rows=records)
    for name in extra:
        original = next(k for k in keys if normalise_column_name(k) == name)
        expressions[name] = f"json_extract_string(json, {sql_string(_json_path(original))})"
    staged = Staged(missing=missing, extra=extra)
    return _create_staged(con, source, "file_rows", expressions, staged)


# ---- Parquet ------------------------------------------------------------------------------------------------


def _stage_parquet(con, path: str, source: Source) -> Staged:
    con.execute(f"create temp view file_rows as select * from read_parquet({sql_string(str(path))})")
    found = [r[0] for r in con.execute("describe file_rows").fetchall()]
    mapping, staged = _match_columns(found, source)
    expressions = {declared: f"cast({quote(name)} as varchar)" for declared, name in mapping.items()}
    by_name = {normalise_column_name(n): n for n in found}
    expressions.update({name: f"cast({quote(by_name[name])} as varchar)" for name in staged.extra})
    return _create_staged(con, source, "file_rows", expressions, staged)


# ---- errors -------------------------------------------------------------------------------------------------


def describe_duckdb_error(error: Exception) -> str:
    """DuckDB's reader errors span many lines; keep the line number, the problem and the original line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    where = next((l.removeprefix("Invalid Input Error: ").removeprefix("CSV Error on ").strip() for l in lines if "Line:" in l), "")
    where = where.lower().replace("line: ", "line ")
    problem = next(
        (l for l in lines if any(w in l for w in ("unterminated quote", "Expected Number of Columns", "Invalid unicode", "quote"))),
        lines[0] if lines else "unreadable",
    )
    original = next((l.removeprefix("Original Line: ") for l in lines if l.startswith("Original Line:")), None)
    if "Invalid unicode" in problem:
        problem = "not valid UTF-8 (declare the file's encoding)"
    problem = problem.removeprefix("Invalid Input Error: ")
    text = f"{where}: {problem}" if where else problem
    return text + (f" (original line: {original[:200]!r})" if original else "")
