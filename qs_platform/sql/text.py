"""SQL literals and identifiers, quoted: the one place any SQL text of the platform quotes a value or a name."""

from __future__ import annotations


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote(identifier: str) -> str:
    """A SQL identifier, quoted (any name: spaces, quotes, keywords)."""
    return '"' + identifier.replace('"', '""') + '"'


def constant_string(value: str) -> str:
    """A string constant repeated on every row of a written file, as an ENUM of its one value.

    DuckDB's Parquet writer hashes every row of a string column into the column's dictionary (about 0.1 s per
    2 M rows of a file key); an ENUM column is written from its dictionary directly. Readers see a string."""
    literal = sql_string(value)
    return f"cast({literal} as ENUM({literal}))"
