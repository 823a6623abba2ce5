"""A dataset's relation (`viewer/datasets.py`): transforms applied, and column names kept apart where QuickSight,
which is case-sensitive, has two that DuckDB, which is not, would take for one."""

from __future__ import annotations

import duckdb

from qs_platform.local.viewer.datasets import dataset_source
from qs_platform.local.viewer.sql import compile_visual
from qs_platform_tests.local.viewer.conftest import table_visual


def dataset(transforms: list[dict]) -> dict:
    columns = [{"Name": n, "Type": "STRING"} for n in ("resource id", "resourceid")] + [
        {"Name": "x", "Type": "DECIMAL"}
    ]
    return {
        "DataSetId": "r",
        "PhysicalTableMap": {"p": {"RelationalTable": {"Name": "r", "InputColumns": columns}}},
        "LogicalTableMap": {"l": {"Source": {"PhysicalTableId": "p"}, "DataTransforms": transforms}},
    }


def rows(transforms: list[dict], group_by: tuple[str, ...], calculated: list[dict] | None = None) -> list[tuple]:
    con = duckdb.connect()
    con.execute('CREATE TABLE r ("resource id" VARCHAR, resourceid VARCHAR, x DOUBLE)')
    con.execute("INSERT INTO r VALUES ('lower-1', 'plain-1', 1), ('lower-2', 'plain-2', 2)")
    source = dataset_source("t", dataset(transforms))
    definition = {"CalculatedFields": calculated or []}
    query = compile_visual(definition, "s", table_visual(group_by, ("x",)), source, {})
    return sorted(con.execute(query.sql, query.params).fetchall())


def test_a_column_renamed_to_the_name_of_another_but_for_case_keeps_its_own_values():
    """CID's Trusted Advisor dataset has `resource id` and `Resource Id`: two columns in QuickSight."""
    rename = {"RenameColumnOperation": {"ColumnName": "resourceid", "NewColumnName": "Resource Id"}}

    assert rows([rename], ("resource id", "Resource Id")) == [("lower-1", "plain-1", 1.0), ("lower-2", "plain-2", 2.0)]
    assert rows([rename], ("Resource Id",)) == [("plain-1", 1.0), ("plain-2", 2.0)]


def test_a_created_column_named_like_another_but_for_case_and_the_expressions_over_both():
    create = {"CreateColumnsOperation": {"Columns": [{"ColumnName": "Resource Id", "Expression": "concat('R-', {x})"}]}}
    keep = {"FilterOperation": {"ConditionExpression": "{Resource Id} <> 'R-2.0' OR {resource id} = 'lower-2'"}}
    calculated = [{"DataSetIdentifier": "t", "Name": "both", "Expression": "concat({resource id}, '/', {Resource Id})"}]

    assert rows([create, keep], ("both",), calculated) == [("lower-1/R-1.0", 1.0), ("lower-2/R-2.0", 2.0)]
    assert rows([create], ("resource id",)) == [("lower-1", 1.0), ("lower-2", 2.0)]


def test_a_rename_that_only_changes_case_is_a_plain_rename():
    rename = {"RenameColumnOperation": {"ColumnName": "resource id", "NewColumnName": "Resource ID"}}
    source = dataset_source("t", dataset([rename]))

    assert source.sql_names == {} and "Resource ID" in source.columns and "resource id" not in source.columns
    assert rows([rename], ("Resource ID",)) == [("lower-1", 1.0), ("lower-2", 2.0)]


def test_cast_column_type_operations_give_the_column_the_dataset_s_type():
    """An account id stored as a number and cast to STRING by the dataset takes text in an ifelse (QuickSight refuses
    mixed branches; DuckDB too), and a text column cast to DATETIME with a Java pattern is a timestamp."""
    con = duckdb.connect()
    con.execute("CREATE TABLE r (account_id BIGINT, day VARCHAR, x DOUBLE)")
    con.execute("INSERT INTO r VALUES (123456789012, '01/02/2024', 1), (NULL, 'not a date', 2)")
    columns = [
        {"Name": "account_id", "Type": "INTEGER"},
        {"Name": "day", "Type": "STRING"},
        {"Name": "x", "Type": "DECIMAL"},
    ]
    casts = [
        {"CastColumnTypeOperation": {"ColumnName": "account_id", "NewColumnType": "STRING"}},
        {"CastColumnTypeOperation": {"ColumnName": "day", "NewColumnType": "DATETIME", "Format": "dd/MM/yyyy"}},
    ]
    source = dataset_source(
        "t",
        {
            "DataSetId": "r",
            "PhysicalTableMap": {"p": {"RelationalTable": {"Name": "r", "InputColumns": columns}}},
            "LogicalTableMap": {"l": {"Source": {"PhysicalTableId": "p"}, "DataTransforms": casts}},
        },
    )
    calculated = [
        {"DataSetIdentifier": "t", "Name": "who", "Expression": "ifelse(isNull({account_id}), 'nobody', {account_id})"},
        {"DataSetIdentifier": "t", "Name": "month", "Expression": "extract('MM', {day})"},
    ]
    query = compile_visual({"CalculatedFields": calculated}, "s", table_visual(("who", "month"), ("x",)), source, {})

    assert sorted(con.execute(query.sql, query.params).fetchall(), key=str) == [
        ("123456789012", 2, 1.0),
        ("nobody", None, 2.0),
    ]
