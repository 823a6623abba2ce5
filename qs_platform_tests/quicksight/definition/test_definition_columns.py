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
