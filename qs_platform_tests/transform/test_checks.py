"""Declared checks on processed tables: each kind finds exactly the violating rows."""

import duckdb
import pytest

from qs_platform.config.models import Table
from qs_platform.transform.checks import evaluate_checks


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("""create table t as select * from (values
        (1, 'PASS', 10, now()::timestamp), (2, 'FAIL', 20, now()::timestamp - interval 3 day),
        (2, 'MAYBE', null, null)) v(id, result, cost, updated_at)""")
    return con


CHECKS = [
    {"name": "rows_1_to_2", "kind": "row_count", "min": 1, "max": 2, "blocking": True},
    {"name": "rows_at_least_1", "kind": "row_count", "min": 1},
    {"name": "id_unique", "kind": "unique", "columns": ["id"]},
    {"name": "cost_present", "kind": "not_null", "columns": ["cost"]},
    {"name": "known_result", "kind": "accepted_values", "column": "result", "values": ["PASS", "FAIL"]},
    {"name": "fresh_1h", "kind": "freshness", "column": "updated_at", "max_age_hours": 1},
    {"name": "fresh_within_2_days", "kind": "freshness", "column": "updated_at", "max_age_hours": 48},
    {"name": "cheap", "kind": "sql", "sql": "select * from {table} where cost > 15"},
]


def test_each_check_kind(con):
    table = Table.model_validate({"name": "t", "sql": "select 1 from processed.x", "checks": CHECKS})
    outcomes = {o.name: o for o in evaluate_checks(con, table.checks, "t")}
    assert {n: (o.passed, o.violations) for n, o in outcomes.items()} == {
        "rows_1_to_2": (False, 1),
        "rows_at_least_1": (True, 0),
        "id_unique": (False, 1),
        "cost_present": (False, 1),
        "known_result": (False, 1),
        "fresh_1h": (True, 0),
        "fresh_within_2_days": (True, 0),
        "cheap": (False, 1),
    }
    assert outcomes["rows_1_to_2"].blocking and outcomes["rows_1_to_2"].description == "row count outside [1, 2]"
    assert outcomes["id_unique"].sample == [(2, 2)]
    assert outcomes["known_result"].sample[0][1] == "MAYBE"


def test_check_names_are_unique():
    with pytest.raises(ValueError, match="check names must be unique"):
        Table.model_validate({"name": "t", "sql": "select 1", "checks": [CHECKS[0], CHECKS[0]]})


def test_stale_and_empty_tables_fail_freshness(con):
    con.execute("create view stale as select * from t where updated_at < now()::timestamp - interval 1 day")
    con.execute("create view empty as select * from t where false")
    table = Table.model_validate(
        {
            "name": "t",
            "sql": "select 1",
            "checks": [{"name": "fresh", "kind": "freshness", "column": "updated_at", "max_age_hours": 48}],
        }
    )
    [stale] = evaluate_checks(con, table.checks, "stale")
    [empty] = evaluate_checks(con, table.checks, "empty")
    assert (stale.passed, empty.passed) == (False, False)
    assert stale.description == "newest updated_at is older than 48.0 h (or missing)"
