"""SQL literals and identifiers, quoted: the one place any SQL text of the platform quotes a value or a name."""

from __future__ import annotations


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote(identifier: str) -> str:
    """A SQL identifier, quoted (any name: spaces, quotes, keywords)."""
    return '"' + identifier.replace('"', '""') + '"'
