"""Queries on the catalog (`viewer/catalog.py`): a query DuckDB refuses says what does not fit, not DuckDB's text."""

from __future__ import annotations

import duckdb
import pytest

from qs_platform.local.viewer.catalog import QueryFailed, run_query


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "catalog.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t (name VARCHAR, amount DOUBLE, day TIMESTAMP)")
        con.execute("INSERT INTO t VALUES ('type 0', 1.5, TIMESTAMP '2024-01-01')")
    return path


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT day >= amount FROM t", "a TIMESTAMP value is compared with a DOUBLE one: the dataset's column types"),
        ("SELECT CASE WHEN amount > 1 THEN name ELSE amount END FROM t", "gives both DOUBLE and VARCHAR values"),
        ("SELECT name = 1 FROM t", "column name holds 'type 0', which is not the number the Definition compares"),
        ("SELECT sum(name) FROM t", "sum() cannot take a VARCHAR value"),
        (
            "SELECT name, sum(amount) FROM t",
            "column name is used over the visual's rows but is not one of the visual's",
        ),
        ("SELECT CAST('x' AS INTEGER)", "the value 'x' is not a valid INT32"),
        ("SELECT nothing FROM t", 'Referenced column "nothing" not found in FROM clause!'),
    ],
)
def test_a_refused_query_says_what_does_not_fit_in_one_line(catalog, sql, message):
    with pytest.raises(QueryFailed) as error:
        run_query(catalog, sql)
    assert message in str(error.value)
    assert "\n" not in str(error.value) and "LINE " not in str(error.value) and "Error:" not in str(error.value)
