"""What a processed table's SQL reads: its dependencies come from the SQL itself."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

LAYERS = ("raw", "processed")


class SqlError(ValueError):
    pass


def sql_dependencies(sql: str) -> list[str]:
    """Catalog tables (`raw.x`, `processed.y`) a query reads, sorted."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError as error:
        raise SqlError(f"SQL does not parse: {error.errors[0]['description'] if error.errors else error}") from error
    return sorted({f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db in LAYERS and t.name})
