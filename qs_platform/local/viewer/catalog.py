"""Read-only queries against the local DuckDB catalog.

Other processes (pipeline runs) write to the catalog, so a connection is opened read-only for one query
and closed right after: the viewer never holds DuckDB's file lock for longer than a query. While a writer
holds the lock, opening is retried briefly, then `CatalogUnavailable` says so.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

LOCK_RETRIES = 5
LOCK_RETRY_DELAY = 0.1  # seconds, doubled after each attempt (0.1 + 0.2 + 0.4 + 0.8)


class CatalogUnavailable(RuntimeError):
    """The catalog file is missing, locked by a writer, or cannot be opened."""


class QueryFailed(RuntimeError):
    """DuckDB rejected or failed a query; the message is a readable sentence (`readable_error`), not DuckDB's."""


_READABLE = [  # DuckDB's message (its first line, without the error class) -> what a dashboard reader is told
    (
        r"Cannot compare values of type (\w+) and type (\w+)",
        "a {0} value is compared with a {1} one: the dataset's column types are not the ones the Definition expects",
    ),
    (
        r"Cannot mix values of type (\w+) and (\w+) in (\w+) expression",
        "an ifelse/switch gives both {0} and {1} values: the dataset's column types are not the ones the Definition "
        "expects",
    ),
    (
        r"Could not convert string '(.*)' to (\w+) when casting from source column (.*)",
        "column {2} holds {0!r}, which is not the number the Definition compares it with",
    ),
    (
        r'column "(.*)" must appear in the GROUP BY clause',
        "column {0} is used over the visual's rows but is not one of the visual's fields",
    ),
    (
        r"Could not convert string '(.*)' to (\w+)",
        "the value {0!r} is not a valid {1}",
    ),
    (
        r"No function matches the given name and argument types '(\w+)\((.*?)\)'",
        "{0}() cannot take a {1} value: the dataset's column types are not the ones the Definition expects",
    ),
]


def readable_error(message: str) -> str:
    """DuckDB's error as a sentence naming what does not fit (its SQL context and caret lines dropped)."""
    first = message.strip().split("\n")[0]
    detail = re.sub(r"^[A-Za-z ]+Error: ", "", first).strip()
    for pattern, text in _READABLE:
        match = re.search(pattern, detail)
        if match:
            return text.format(*match.groups())
    return detail.rstrip(".")


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text or "different configuration" in text or "already open" in text


@contextmanager
def read_only_connection(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if not path.is_file():
        raise CatalogUnavailable(f"catalog {path} does not exist yet: run the pipeline to build it")
    delay = LOCK_RETRY_DELAY
    for attempt in range(LOCK_RETRIES):
        try:
            connection = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.Error as error:
            if not _is_lock_error(error):
                raise CatalogUnavailable(f"cannot open catalog {path}: {error}") from None
            if attempt == LOCK_RETRIES - 1:
                raise CatalogUnavailable(
                    f"catalog {path} is locked by another process (probably a pipeline run writing to it); try again in a moment"
                ) from None
            time.sleep(delay)
            delay *= 2
    try:
        yield connection
    finally:
        connection.close()


def run_query(path: str | Path, sql: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[list[Any]]]:
    """(column names, rows) of one query; values are JSON-ready."""
    with read_only_connection(path) as connection:
        try:
            result = connection.execute(sql, params or {})
            columns = [d[0] for d in result.description]
            rows = [[json_value(v) for v in row] for row in result.fetchall()]
        except duckdb.Error as error:
            raise QueryFailed(readable_error(str(error))) from None
    return columns, rows


def json_value(value: Any) -> Any:
    """A DuckDB / boto3 value as something `json.dumps` writes and `JSON.parse` reads."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_value(v) for v in value]
    return str(value)
