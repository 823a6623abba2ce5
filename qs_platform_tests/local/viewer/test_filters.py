"""Filter groups on a visual's query (`viewer/filters.py`), compiled and run on the conftest's four rows."""

from __future__ import annotations

from qs_platform.local.viewer.datasets import DatasetSource
from qs_platform.local.viewer.sql import compile_visual
from qs_platform_tests.local.viewer.conftest import FOUR_COLUMNS, bar_visual

SOURCE = DatasetSource("t", "t", "t", FOUR_COLUMNS)


def with_filter(filter_: dict) -> dict:
    scope = {"SelectedSheets": {"SheetVisualScopingConfigurations": [{"SheetId": "s", "Scope": "ALL_VISUALS"}]}}
    group = {"FilterGroupId": "fg", "Filters": [filter_], "ScopeConfiguration": scope, "Status": "ENABLED"}
    return {"FilterGroups": [group]}


def run(con, definition: dict, parameters: dict | None = None) -> tuple[list[tuple], list[str]]:
    query = compile_visual(definition, "s", bar_visual("g", "x"), SOURCE, parameters or {})
    return sorted(con.execute(query.sql, query.params).fetchall()), query.notes


def test_a_filter_on_an_undeclared_parameter_is_not_applied_and_the_visual_says_so(con):
    """Exports keep a filter whose parameter was deleted as `MissingParameter…` (CID's health events and CUDOS), and
    QuickSight accepts them: the parameter has no value, so the filter, like one on an unset parameter, keeps all."""
    custom = {"MatchOperator": "EQUALS", "NullOption": "NON_NULLS_ONLY", "ParameterName": "MissingParameter7c90"}
    definition = with_filter(
        {
            "CategoryFilter": {
                "FilterId": "f",
                "Column": {"DataSetIdentifier": "t", "ColumnName": "g"},
                "Configuration": {"CustomFilterConfiguration": custom},
            }
        }
    )

    rows, notes = run(con, definition)

    assert rows == [("a", 3.0), ("b", 7.0)]
    assert notes == [
        "filter parameter 'MissingParameter7c90' is not declared in the Definition: the filter is not applied"
    ]
    assert run(con, definition, {"MissingParameter7c90": "b"}) == ([("b", 7.0)], [])  # once declared, it filters


def relative_dates(anchor: str, **options) -> dict:
    return {
        "ParameterDeclarations": [
            {"DateTimeParameterDeclaration": {"Name": "At", "DefaultValues": {"StaticValues": [anchor]}}}
        ],
        **with_filter(
            {
                "RelativeDatesFilter": {
                    "FilterId": "f",
                    "Column": {"DataSetIdentifier": "t", "ColumnName": "d"},
                    "AnchorDateConfiguration": {"ParameterName": "At"},
                    "TimeGranularity": "MONTH",
                    "RelativeDateType": "LAST",
                    "RelativeDateValue": 3,
                    "NullOption": "NON_NULLS_ONLY",
                    **options,
                }
            }
        ),
    }


def test_a_relative_dates_filter_leaves_out_its_excluded_periods(con):
    """The last 3 months up to 2024-03-10 (from 2023-12-10 on) hold all four rows. Excluding the last month leaves out
    March; the last two, February too; a disabled exclusion changes nothing."""
    at = {"At": "2024-03-10T00:00:00"}

    assert run(con, relative_dates("2024-03-10T00:00:00"), at)[0] == [("a", 3.0), ("b", 7.0)]
    one = {"ExcludePeriodConfiguration": {"Amount": 1, "Granularity": "MONTH", "Status": "ENABLED"}}
    assert run(con, relative_dates("2024-03-10T00:00:00", **one), at)[0] == [("a", 3.0), ("b", 3.0)]
    two = {"ExcludePeriodConfiguration": {"Amount": 2, "Granularity": "MONTH", "Status": "ENABLED"}}
    assert run(con, relative_dates("2024-03-10T00:00:00", **two), at)[0] == [("a", 3.0)]
    off = {"ExcludePeriodConfiguration": {"Amount": 2, "Granularity": "MONTH", "Status": "DISABLED"}}
    assert run(con, relative_dates("2024-03-10T00:00:00", **off), at)[0] == [("a", 3.0), ("b", 7.0)]
