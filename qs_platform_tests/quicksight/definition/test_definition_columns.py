"""`infer_definition_columns`: an exported Definition's own columns, typed by how the Definition uses them."""

from __future__ import annotations

from qs_platform.quicksight.definition.columns import infer_definition_columns


def ref(name: str) -> dict:
    return {"DataSetIdentifier": "ds", "ColumnName": name}


def definition() -> dict:
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": "ds", "DataSetArn": "arn:aws:quicksight:::dataset/x"}],
        "CalculatedFields": [
            {"DataSetIdentifier": "ds", "Name": "Cost", "Expression": "ifelse(${Kind} = 'a', {unblended}, {net})"},
            {"DataSetIdentifier": "ds", "Name": "Nat", "Expression": "contains({resource_id}, 'natgateway')"},
            {"DataSetIdentifier": "ds", "Name": "Days", "Expression": "ifelse(parseInt(month) = 4, 30, 31)"},
            {"DataSetIdentifier": "ds", "Name": "Next", "Expression": "addDateTime(1, MONTH, {billing_period})"},
            {"DataSetIdentifier": "ds", "Name": "Ratio", "Expression": "{a} / {b}"},
            {
                "DataSetIdentifier": "ds",
                "Name": "Share",
                "Expression": "percentOfTotal(sum({b}), [toString(usage_date)])",
            },
        ],
        "Sheets": [
            {
                "SheetId": "s",
                "Visuals": [
                    {
                        "BarChartVisual": {
                            "VisualId": "v",
                            "ChartConfiguration": {
                                "FieldWells": {
                                    "BarChartAggregatedFieldWells": {
                                        "Category": [
                                            {"DateDimensionField": {"FieldId": "d", "Column": ref("usage_date")}},
                                            {"CategoricalDimensionField": {"FieldId": "r", "Column": ref("region")}},
                                        ],
                                        "Values": [{"NumericalMeasureField": {"FieldId": "c", "Column": ref("Cost")}}],
                                    }
                                }
                            },
                        }
                    }
                ],
            }
        ],
        "FilterGroups": [
            {
                "Filters": [
                    {
                        "CategoryFilter": {
                            "FilterId": "f",
                            "Column": ref("region"),
                            "Configuration": {
                                "FilterListConfiguration": {
                                    "MatchOperator": "CONTAINS",
                                    "CategoryValues": ["eu-west-1"],
                                }
                            },
                        }
                    }
                ]
            }
        ],
    }


def test_columns_typed_by_use_and_calculated_fields_followed():
    columns = infer_definition_columns(definition())["ds"]
    types = {name: column["type"] for name, column in columns.items()}
    assert types == {
        "usage_date": "DATETIME",  # a date field (toString takes any type: no string evidence)
        "region": "STRING",  # a categorical field and a category filter
        "unblended": "DECIMAL",  # read by a calculated field summed as a measure
        "net": "DECIMAL",
        "resource_id": "STRING",  # a string function's argument
        "month": "STRING",  # a bare column named like a period, parsed as text
        "billing_period": "DATETIME",  # a date function's argument (its MONTH is the period, not a column)
        "a": "DECIMAL",  # arithmetic
        "b": "DECIMAL",
    }
    assert "Cost" not in columns  # calculated fields are not physical columns
    assert columns["region"]["values"] == ["eu-west-1"]  # the values the Definition filters on, for sample rows


def test_comparisons_with_now_or_a_number_and_sorts_by_a_sum_type_their_columns():
    """CID's `now() >= {year_3_start}` reads a date; `AssessmentTypeID = 1` a number; a sort by the sum of a column a
    number too (before, each of these made a STRING or a DECIMAL the viewer's query then failed on)."""
    d = definition()
    d["CalculatedFields"] += [
        {"DataSetIdentifier": "ds", "Name": "Period", "Expression": "ifelse(now() >= {year_3_start}, 3, 1)"},
        {"DataSetIdentifier": "ds", "Name": "Ended", "Expression": "{ends} < now()"},
        {"DataSetIdentifier": "ds", "Name": "Kind", "Expression": "ifelse({type_id} = 1, 'one', 'other')"},
        {"DataSetIdentifier": "ds", "Name": "Later", "Expression": "sum({Period}) + sum({Ended})"},
    ]
    chart = d["Sheets"][0]["Visuals"][0]["BarChartVisual"]["ChartConfiguration"]
    chart["SortConfiguration"] = {
        "CategorySort": [
            {
                "ColumnSort": {
                    "SortBy": ref("sort_index"),
                    "Direction": "ASC",
                    "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": "SUM"}},
                }
            }
        ]
    }

    columns = infer_definition_columns(d)["ds"]

    assert {name: columns[name]["type"] for name in ("year_3_start", "ends", "type_id", "sort_index")} == {
        "year_3_start": "DATETIME",
        "ends": "DATETIME",
        "type_id": "DECIMAL",
        "sort_index": "DECIMAL",
    }


def test_the_text_a_column_is_searched_for_is_one_of_its_values():
    """cora's `contains({recommended_resource_summary}, 'three years')`: synthetic rows holding it make it match."""
    d = definition()
    d["CalculatedFields"].append(
        {"DataSetIdentifier": "ds", "Name": "Term", "Expression": "ifelse(contains({summary}, 'three years'), 3, 1)"}
    )

    assert infer_definition_columns(d)["ds"]["summary"] == {"type": "STRING", "values": ["three years"]}
