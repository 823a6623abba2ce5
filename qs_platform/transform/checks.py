"""Asset checks declared on processed tables, evaluated on the new data before it is published."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qs_platform.config.models import (
    AcceptedValuesCheck,
    FreshnessCheck,
    NotNullCheck,
    RowCountCheck,
    SqlCheck,
    UniqueCheck,
)
from qs_platform.sql.text import quote, sql_string

SAMPLE_ROWS = 5


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    blocking: bool
    description: str
    violations: int
    sample: list[tuple]


def violations_sql(check, table: str) -> str:
    """A query returning the rows that break the check (for row counts and freshness: one row when broken)."""
    if isinstance(check, RowCountCheck):
        bounds = ([f"n < {check.min}"] if check.min is not None else []) + (
            [f"n > {check.max}"] if check.max is not None else []
        )
        return f"select n as row_count from (select count(*) as n from {table}) where {' or '.join(bounds) or 'false'}"
    if isinstance(check, UniqueCheck):
        keys = ", ".join(quote(c) for c in check.columns)
        return f"select {keys}, count(*) as copies from {table} group by {keys} having count(*) > 1"
    if isinstance(check, NotNullCheck):
        return f"select * from {table} where " + " or ".join(f"{quote(c)} is null" for c in check.columns)
    if isinstance(check, AcceptedValuesCheck):
        allowed = ", ".join(sql_string(str(v)) for v in check.values)
        return f"select * from {table} where {quote(check.column)} is not null and cast({quote(check.column)} as varchar) not in ({allowed})"
    if isinstance(check, FreshnessCheck):
        newest = f"(select max(cast({quote(check.column)} as timestamp)) from {table})"
        return (
            f"select {newest} as newest where {newest} is null or "
            f"{newest} < cast(timezone('UTC', now()) as timestamp) - interval {int(check.max_age_hours * 3600)} second"
        )
    if isinstance(check, SqlCheck):
        return check.sql.replace("{table}", table)
    raise TypeError(f"unknown check {check!r}")


def _describe(check, violations: int) -> str:
    if violations == 0:
        return "passed"
    if isinstance(check, RowCountCheck):
        return f"row count outside [{check.min if check.min is not None else ''}, {check.max if check.max is not None else ''}]"
    if isinstance(check, FreshnessCheck):
        return f"newest {check.column} is older than {check.max_age_hours} h (or missing)"
    return f"{violations} violating rows"


def evaluate_checks(con: duckdb.DuckDBPyConnection, checks: list, table: str) -> list[CheckOutcome]:
    outcomes = []
    for check in checks:
        query = violations_sql(check, table)
        count = con.execute(f"select count(*) from ({query})").fetchone()[0]
        sample = con.execute(f"select * from ({query}) limit {SAMPLE_ROWS}").fetchall() if count else []
        outcomes.append(CheckOutcome(check.name, count == 0, check.blocking, _describe(check, count), count, sample))
    return outcomes
