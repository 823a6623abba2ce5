"""Read a landed file as text records: one SQL relation, a text expression per declared column, and the extras.

Every format ends in the same shape (`FileRecords`), so typing, rules and quarantine are written once
(`validation.py`, `load.py`). Everything is read by DuckDB with the source's declared dialect, the header too
(no second parser that could disagree with it), and nothing is sniffed but the position of the header:
- declared columns are found by their name, a declared alias or (JSON) their path; missing optional ones are NULL,
  missing required ones make the file unreadable;
- columns nobody declared are kept as text under their normalised name (`Ship Date` → `ship_date`; names that
  normalise alike get `_2`, `_3` …, so no value is lost) and reported as drift, or the file is refused if so
  configured.
"""

from __future__ import annotations

import codecs
import gzip
import re
from dataclasses import dataclass, field

import duckdb

from qs_platform.config.models import Column, Source, normalise_column_name
from qs_platform.sql.text import quote, sql_string

DUCKDB_ENCODINGS = {"utf-8": "utf-8", "latin-1": "latin-1", "utf-16": "utf-16"}
PYTHON_ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}
LEADING_BYTES = 1 << 16  # enough to look at the lines before a header
DUCKDB_MAX_LINE_BYTES = 2_097_152  # DuckDB's default max_line_size


class UnreadableFile(Exception):
    """The file as a whole cannot be read with the source's declaration; the message says why and where.

    `input_rows` is the number of records when the reader could count them (else lines are counted).
    """

    def __init__(self, message: str, input_rows: int | None = None):
        super().__init__(message)
        self.input_rows = input_rows


@dataclass
class FileRecords:
    relation: str  # a DuckDB relation (table function call) yielding the file's records in order
    texts: dict[str, str]  # declared column name -> SQL text expression over the relation
    extras: dict[str, str]  # undeclared column (normalised, unique) -> SQL text expression
    missing: list[str] = field(default_factory=list)  # declared optional columns absent from the file (NULL)
    renamed: dict[str, str] = field(default_factory=dict)  # undeclared name in the file -> its column name
    first_line: int = 1  # the line (CSV) or record number of the first record


def read_records(con: duckdb.DuckDBPyConnection, path: str, source: Source) -> FileRecords:
    reader = {"csv": _csv_records, "json": _json_records, "parquet": _parquet_records}[source.format]
    try:
        return reader(con, str(path), source)
    except duckdb.Error as error:
        raise UnreadableFile(describe_duckdb_error(error, path)) from error


def _text(column: Column, expression: str) -> str:
    for old, new in column.replace.items():
        expression = f"replace({expression}, {sql_string(old)}, {sql_string(new)})"
    return expression


def extra_names(names: list[str], reserved: set[str]) -> dict[str, str]:
    """Undeclared column -> the name it has in the file: its normalised name, made unique (`_2`, `_3` …) against
    the declared columns, the key template's fields and each other, so two names never share one column."""
    extras: dict[str, str] = {}
    taken = set(reserved)
    for name in names:
        base = normalise_column_name(name)
        unique, n = base, 2
        while unique in taken:
            unique, n = f"{base}_{n}", n + 1
        taken.add(unique)
        extras[unique] = name
    return extras


def match_columns(found: list[str], source: Source, where: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(declared column -> the file's name for it, extra column -> the file's name, missing optional columns).

    A declared column takes the first name in the file matching its name or an alias (normalised); every other
    name is an extra. `where` names the header or the records in messages.
    """
    remaining = list(found)
    mapping: dict[str, str] = {}
    for column in source.columns:
        wanted = {normalise_column_name(n) for n in [column.name, *column.aliases]}
        match = next((name for name in remaining if normalise_column_name(name) in wanted), None)
        if match is not None:
            mapping[column.column_name] = match
            remaining.remove(match)
    missing_required = [c.column_name for c in source.columns if c.required and c.column_name not in mapping]
    if missing_required:
        raise UnreadableFile(f"{where}: missing required columns {missing_required}; it has {found}")
    extras = extra_names(remaining, {c.column_name for c in source.columns} | set(source.key_fields))
    if extras and source.extra_columns == "quarantine":
        raise UnreadableFile(
            f"{where}: undeclared columns {list(extras.values())} (extra_columns: quarantine); "
            f"declared {[c.column_name for c in source.columns]}"
        )
    missing = [c.column_name for c in source.columns if c.column_name not in mapping]
    return mapping, extras, missing


# ---- CSV ----------------------------------------------------------------------------------------------------


def _dialect(source: Source) -> list[str]:
    """DuckDB's reader options for the declared dialect; defaults are left out (DuckDB's own are the fastest)."""
    opts = source.csv
    options = [
        f"delim = {sql_string(opts.delimiter)}",
        f"quote = {sql_string(opts.quote)}",
        f"escape = {sql_string(opts.escape)}",
        f"encoding = {sql_string(DUCKDB_ENCODINGS[opts.encoding])}",
    ]
    if opts.null_values:
        options.append(f"nullstr = [{', '.join(sql_string(v) for v in dict.fromkeys(['', *opts.null_values]))}]")
    if opts.max_line_bytes != DUCKDB_MAX_LINE_BYTES:
        options += [f"max_line_size = {opts.max_line_bytes}", f"buffer_size = {max(opts.max_line_bytes * 2, 32 << 20)}"]
    return options


def _compression(path: str) -> list[str]:
    return ["compression = 'gzip'"] if path.endswith(".gz") else []


def _sniff(con, path: str, source: Source) -> tuple[int, int]:
    """(lines before the header, fields in the file's records), found by DuckDB with the declared dialect."""
    options = ", ".join(
        _dialect(source)[:4] + _compression(path) + ["header = false", "all_varchar = true", "strict_mode = true"]
    )
    row = con.execute(f"select SkipRows, len(Columns) from sniff_csv({sql_string(path)}, {options})").fetchone()
    return int(row[0]), int(row[1])


def _leading_lines(path: str, source: Source) -> list[str]:
    """The lines in the file's first `LEADING_BYTES` (the last one possibly cut)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        head = handle.read(LEADING_BYTES)
    text = codecs.getincrementaldecoder(PYTHON_ENCODINGS[source.csv.encoding])(errors="replace").decode(head)
    return text.splitlines()


def csv_header(con, path: str, source: Source) -> tuple[list[str], int]:
    """The header's fields as DuckDB reads them with the declared dialect, and the lines before it.

    Only blank lines are skipped: a file whose first line is not blank has its header there (a title line, a
    header with fewer fields than the records stays the header, and the records that do not fit it are named when
    they are read), read on its own, sized by its delimiters (sized again by DuckDB when a quoted field holds one).
    Before blank lines, DuckDB's sniffer (dialect fixed) says how many lines come before the header and how many
    fields the records have; when it cannot parse the first lines at all (an unterminated quote in them), the
    header is read as above, so that the reason names the line DuckDB stops at.
    """
    leading = _leading_lines(path, source)
    if leading and leading[0].strip():  # the first line is the header, whatever the records hold: nothing to sniff
        skip, width = 0, _delimited_width(leading, source)
    else:
        try:
            skip, width = _sniff(con, path, source)
        except duckdb.Error:
            skip, width = 0, _delimited_width(leading, source)
        if skip and any(line.strip() for line in leading[:skip]):
            skip, width = 0, _delimited_width(leading, source)
    for attempt in range(2):
        try:
            row = _first_record(con, path, source, skip, width)
            break
        except duckdb.Error as error:
            found = re.search(r"Expected Number of Columns: \d+ Found: (\d+)", str(error))
            if attempt or not found or "Line: 1\n" not in str(error) + "\n":
                raise UnreadableFile(describe_duckdb_error(error, path)) from error
            width = int(found.group(1))
    if row is None:
        raise UnreadableFile("the file is empty: expected a header line")
    return [value or "" for value in row], skip


def _first_record(con, path: str, source: Source, skip: int, width: int):
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    options = ", ".join(
        [
            f"columns = {columns}",
            *_dialect(source),
            *_compression(path),
            f"skip = {skip}",
            "header = false",
            "auto_detect = false",
            "strict_mode = true",
            "null_padding = false",
        ]
    )
    return con.execute(f"select * from read_csv({sql_string(path)}, {options}) limit 1").fetchone()


def _delimited_width(leading: list[str], source: Source) -> int:
    """The fields of the first line that is not blank, counted by its delimiters (quotes ignored)."""
    lines = [line for line in leading if line.strip()]
    return lines[0].count(source.csv.delimiter) + 1 if lines else 1


def _csv_records(con, path: str, source: Source) -> FileRecords:
    if source.csv.header:
        header, skip = csv_header(con, path, source)
        mapping, extras, missing = match_columns(header, source, f"header (line {skip + 1})")
    else:
        header, skip = [c.name for c in source.columns], 0
        mapping, extras, missing = {c.column_name: c.name for c in source.columns}, {}, []
    position = {name: i for i, name in reversed(list(enumerate(header)))}
    positional = [f"${i}" for i in range(len(header))]
    columns = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in positional) + "}"
    options = ", ".join(
        [
            f"columns = {columns}",
            *_dialect(source),
            *_compression(path),
            f"header = {'true' if source.csv.header else 'false'}",
            f"skip = {skip}",
            "auto_detect = false",
            "strict_mode = true",
            "null_padding = false",
        ]
    )
    relation = f"read_csv({sql_string(path)}, {options})"
    by_column = {c.column_name: c for c in source.columns}
    texts = {name: _text(by_column[name], quote(positional[position[found]])) for name, found in mapping.items()}
    extra_texts = {name: quote(positional[position[found]]) for name, found in extras.items()}
    renamed = {found: name for name, found in extras.items() if found != name}
    first_line = skip + (2 if source.csv.header else 1)
    return FileRecords(relation, texts, extra_texts, missing, renamed, first_line)


# ---- JSON ---------------------------------------------------------------------------------------------------


def _path_segment(key: str) -> str:
    return '."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def json_path(path: str) -> str:
    """A DuckDB JSON path for a dotted path (`customer.billing_address.city`), each key quoted."""
    return "$" + "".join(_path_segment(part) for part in path.split("."))


def json_key_text(key: str, document: str = "json") -> str:
    """The text of a top-level key of `document` (the empty key has no JSON path: it is looked up by key)."""
    if key == "":
        return f"(select json_extract_string(e.value, '$') from json_each({document}) as e where e.key = '')"
    return f"json_extract_string({document}, {sql_string('$' + _path_segment(key))})"  # one key, dots and all


def _json_records(con, path: str, source: Source) -> FileRecords:
    relation = f"read_json_objects({sql_string(path)}, format = 'auto')"
    records, bad = con.execute(
        f"select count(*), count(*) filter (where json_type(json) <> 'OBJECT') from {relation}"
    ).fetchone()
    if bad:
        first = con.execute(
            f"select n, left(json::varchar, 120) from (select row_number() over () as n, json from {relation}) "
            "where json_type(json) <> 'OBJECT' limit 1"
        ).fetchone()
        raise UnreadableFile(
            f"{bad} of {records} records are not JSON objects (record {first[0]}: {first[1]!r})", input_rows=records
        )
    if not records:
        raise UnreadableFile(
            "the file holds no JSON records: expected JSON objects (lines, an array or concatenated)", input_rows=0
        )
    keys = [
        r[0] for r in con.execute(f"select distinct unnest(json_keys(json)) as k from {relation} order by k").fetchall()
    ]
    top_level = [c.path.split(".")[0] if c.path else None for c in source.columns]
    by_name: dict[str, list[str]] = {}
    for key in keys:  # `createdAt` and `created_at` both normalise to created_at: read whichever a record has
        by_name.setdefault(normalise_column_name(key), []).append(key)
    texts, missing, claimed = {}, [], set()
    for column, root in zip(source.columns, top_level):
        if root is not None:
            found = [k for k in keys if normalise_column_name(k) == normalise_column_name(root)][:1]
            extracted = (
                [f"json_extract_string(json, {sql_string(json_path(column.path.replace(root, found[0], 1)))})"]
                if found
                else []
            )
        else:
            names = dict.fromkeys(normalise_column_name(n) for n in [column.name, *column.aliases])
            found = [k for n in names for k in by_name.get(n, [])]
            extracted = [json_key_text(k) for k in found]
        claimed.update(found)
        if not extracted:
            missing.append(column.column_name)
            continue
        expression = extracted[0] if len(extracted) == 1 else f"coalesce({', '.join(extracted)})"
        texts[column.column_name] = _text(column, expression)
    required = [c.column_name for c in source.columns if c.required and c.column_name in missing]
    if required:
        raise UnreadableFile(
            f"records: missing required fields {required}; the records have {keys}", input_rows=records
        )
    children = {child.path.split(".")[0] for child in source.children}
    undeclared = [k for k in keys if k not in claimed and k not in children]
    extras = extra_names(undeclared, {c.column_name for c in source.columns} | set(source.key_fields))
    if extras and source.extra_columns == "quarantine":
        raise UnreadableFile(f"records: undeclared fields {undeclared} (extra_columns: quarantine)", input_rows=records)
    extra_texts = {name: json_key_text(found) for name, found in extras.items()}
    renamed = {found: name for name, found in extras.items() if found != name}
    return FileRecords(relation, texts, extra_texts, missing, renamed, 1)


# ---- Parquet ------------------------------------------------------------------------------------------------


def _parquet_records(con, path: str, source: Source) -> FileRecords:
    relation = f"read_parquet({sql_string(path)})"
    found = [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]
    mapping, extras, missing = match_columns(found, source, "schema")
    by_column = {c.column_name: c for c in source.columns}
    texts = {name: _text(by_column[name], f"cast({quote(original)} as varchar)") for name, original in mapping.items()}
    extra_texts = {name: f"cast({quote(original)} as varchar)" for name, original in extras.items()}
    renamed = {found: name for name, found in extras.items() if found != name}
    return FileRecords(relation, texts, extra_texts, missing, renamed, 1)


# ---- errors -------------------------------------------------------------------------------------------------

EXPLANATIONS = [
    ("unterminated quote", "a quoted value is never closed (unterminated quote)"),
    ("Expected Number of Columns", None),  # DuckDB's own words are clear: kept
    ("Invalid unicode", None),
    (
        "reached an invalid state",
        "the CSV cannot be parsed with the declared dialect: typically a quote inside an "
        "unquoted value, or line endings mixing \\r and \\n",
    ),
    ("Maximum line size", "a line is longer than the source's csv.max_line_bytes"),
    ("maximum line size", "a line is longer than the source's csv.max_line_bytes"),
    ("Error when sniffing", "the first lines cannot be parsed with the declared dialect"),
    ("not in the gzip format", "not a gzip file"),
    ("gzip", None),
    ("Malformed JSON", None),
]


def describe_duckdb_error(error: Exception, path: str | None = None) -> str:
    """DuckDB's reader errors span many lines: keep the line number, the problem and the original line.

    DuckDB prints the dialect it was given (`quote = " (Set By User)` …) after the problem; those lines are never
    the reason.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    lines = [
        text
        for text in lines
        if "(Set By User)" not in text and "(Auto-Detected)" not in text and not text.startswith(("*", "Possible"))
    ]
    where = next((text for text in lines if "Line:" in text), "")
    where = where.split("Line:", 1)[1].strip() if where else ""
    original = next(
        (text.removeprefix("Original Line:").strip() for text in lines if text.startswith("Original Line:")), None
    )
    body = [text for text in lines if not text.startswith(("Original Line:", "file =")) and "Line:" not in text]
    problem = body[0] if body else "unreadable"
    for marker, explanation in EXPLANATIONS:
        matching = next((text for text in body if marker in text), None)
        if matching:
            problem = explanation or matching
            break
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", problem)
    if counts:
        expected_fields, found_fields = int(counts.group(1)), int(counts.group(2))
        problem = (
            f"more fields than the {expected_fields} of the header"
            if found_fields > expected_fields
            else f"{found_fields} fields where the header has {expected_fields}"
        )
    if "Invalid unicode" in problem:
        problem = "not valid UTF-8: declare the file's encoding (csv.encoding: latin-1 or utf-16)"
    for prefix in ("Invalid Input Error: ", "Conversion Error: ", "IO Error: ", "Binder Error: "):
        problem = problem.removeprefix(prefix)
    if path:
        problem = problem.replace(f'"{path}"', "the file").replace(str(path), "the file")
    text = f"line {where}: {problem}" if where else problem
    return text + (f" (the line reads {original[:200]!r})" if original else "")
