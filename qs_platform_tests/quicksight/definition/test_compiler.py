"""Dashboards as code: every visual type, parameter control and filter compiles to a Definition that botocore and the
validator accept and the local QuickSight backend creates; ids are the spec's, so Definitions diff readably."""

import json

import pytest

from qs_platform.config.models import Dashboard
from qs_platform.local.quicksight import local_quicksight_client
from qs_platform.quicksight.dashboards import dashboard_request, ensure_dashboard
from qs_platform.quicksight.definition import (
    DashboardError,
    build_definition,
    compile_definition,
)
from qs_platform_tests.quicksight.conftest import ACCOUNT, REGION, arns
from qs_platform_tests.quicksight.definition.conftest import COLUMNS, GEOGRAPHIC


def visuals_by_id(definition: dict) -> dict[str, tuple[str, dict]]:
    return {v["VisualId"]: (kind, v) for s in definition["Sheets"] for w in s["Visuals"] for kind, v in w.items()}


def test_every_visual_type_compiles_and_passes_botocore_and_the_validator(spec):
    definition, pruned = build_definition(spec, arns(spec), COLUMNS, geographic=GEOGRAPHIC)
    dashboard_request(spec, ACCOUNT, definition)  # botocore's ParamValidator over the whole request
    kinds = {vid: kind for vid, (kind, _) in visuals_by_id(definition).items()}
    assert kinds == {
        "kpi": "KPIVisual",
        "what-if": "KPIVisual",
        "bar": "BarChartVisual",
        "line": "LineChartVisual",
        "pie": "PieChartVisual",
        "combo": "ComboChartVisual",
        "scatter": "ScatterPlotVisual",
        "heatmap": "HeatMapVisual",
        "map": "GeospatialMapVisual",
        "table": "TableVisual",
        "pivot": "PivotTableVisual",
        "targets-table": "TableVisual",
    }
    assert pruned.as_dict() == {}
    wells = {vid: v["ChartConfiguration"]["FieldWells"] for vid, (_, v) in visuals_by_id(definition).items()}
    assert (
        wells["bar"]["BarChartAggregatedFieldWells"]["Colors"][0]["CategoricalDimensionField"]["FieldId"]
        == "bar.product"
    )
    assert (
        wells["line"]["LineChartAggregatedFieldWells"]["Category"][0]["DateDimensionField"]["DateGranularity"]
        == "MONTH"
    )
    assert (
        wells["combo"]["ComboChartAggregatedFieldWells"]["LineValues"][0]["NumericalMeasureField"]["FieldId"]
        == "combo.units.avg"
    )
    scatter = wells["scatter"]["ScatterPlotCategoricallyAggregatedFieldWells"]
    assert [next(iter(f.values()))["FieldId"] for f in scatter["XAxis"] + scatter["YAxis"] + scatter["Size"]] == [
        "scatter.units.sum",
        "scatter.amount.sum",
        "scatter.amount.max",
    ]
    assert (
        wells["heatmap"]["HeatMapAggregatedFieldWells"]["Columns"][0]["CategoricalDimensionField"]["Column"][
            "ColumnName"
        ]
        == "product"
    )
    assert (
        wells["map"]["GeospatialMapAggregatedFieldWells"]["Geospatial"][0]["CategoricalDimensionField"]["Column"][
            "ColumnName"
        ]
        == "country"
    )
    pivot = wells["pivot"]["PivotTableAggregatedFieldWells"]
    assert pivot["Values"][1] == {
        "CategoricalMeasureField": {
            "FieldId": "pivot.product.distinct_count",
            "Column": {"DataSetIdentifier": "sales", "ColumnName": "product"},
            "AggregationFunction": "DISTINCT_COUNT",
        }
    }


def test_parameters_controls_and_filters_compile_with_readable_ids(spec):
    definition = compile_definition(spec, arns(spec), COLUMNS)
    declarations = {next(iter(p)): next(iter(p.values())) for p in definition["ParameterDeclarations"]}
    assert declarations["DateTimeParameterDeclaration"] == {
        "Name": "AsOf",
        "DefaultValues": {"StaticValues": ["2024-01-31T00:00:00"]},
        "TimeGranularity": "DAY",
    }
    assert declarations["DecimalParameterDeclaration"]["DefaultValues"]["StaticValues"] == [0.1]
    charts, tables = definition["Sheets"]
    assert [next(iter(c)) for c in charts["ParameterControls"]] == ["Slider", "Dropdown", "TextField", "DateTimePicker"]
    assert [(next(iter(c)), next(iter(c.values()))["SourceFilterId"]) for c in charts["FilterControls"]] == [
        ("Dropdown", "region-pick"),
        ("Slider", "amount-range"),
        ("DateTimePicker", "dates"),
    ]
    assert [next(iter(c.values()))["FilterControlId"] for c in tables["FilterControls"]] == ["control-amount-range"]
    groups = {g["FilterGroupId"]: g for g in definition["FilterGroups"]}
    assert groups["group-dates"]["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"] == [
        {"SheetId": "charts", "Scope": "SELECTED_VISUALS", "VisualIds": ["line"]}
    ]
    assert [
        s["SheetId"]
        for s in groups["group-amount-range"]["ScopeConfiguration"]["SelectedSheets"][
            "SheetVisualScopingConfigurations"
        ]
    ] == ["charts", "tables"]
    custom = groups["group-region-param"]["Filters"][0]["CategoryFilter"]["Configuration"]["CustomFilterConfiguration"]
    assert custom["ParameterName"] == "Region"
    grid = charts["Layouts"][0]["Configuration"]["GridLayout"]["Elements"]
    assert [e["ElementId"] for e in grid] == [v.id for v in spec.sheets[0].visuals] and all(
        e["ColumnIndex"] + e["ColumnSpan"] <= 36 for e in grid
    )


def test_definition_is_stable_and_diffs_readably(spec):
    first = compile_definition(spec, arns(spec), COLUMNS)
    again = compile_definition(spec, arns(spec), COLUMNS)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    retitled = spec.model_copy(deep=True)
    retitled.sheets[0].visuals[2].__dict__["title"] = "Amount by region"  # frozen model: what a YAML edit would give
    changed = compile_definition(retitled, arns(spec), COLUMNS)
    diff = [vid for vid, (_, v) in visuals_by_id(changed).items() if v != visuals_by_id(first)[vid][1]]
    assert diff == ["bar"]


def test_local_backend_creates_the_compiled_dashboard(tmp_path, spec):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION)
    definition, _ = build_definition(spec, arns(spec), COLUMNS, geographic=GEOGRAPHIC)
    outcome = ensure_dashboard(
        client, ACCOUNT, REGION, dashboard_request(spec, ACCOUNT, definition), sleep=lambda _: None
    )
    assert outcome.action == "created"
    stored = client.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="every-visual")["Definition"]
    assert [s["SheetId"] for s in stored["Sheets"]] == ["charts", "tables"]
    assert len(visuals_by_id(stored)) == 12


def test_absent_optional_dataset_prunes_exactly_what_depends_on_it(spec):
    definition, pruned = build_definition(spec, arns(spec), COLUMNS, absent={"targets"}, geographic=GEOGRAPHIC)
    assert pruned.as_dict() == {
        "datasets": ["targets"],
        "visuals": ["targets-table"],
        "filters": ["north-targets"],
        "filter_groups": ["group-north-targets"],
    }
    assert [d["Identifier"] for d in definition["DataSetIdentifierDeclarations"]] == ["sales"]
    assert "targets-table" not in visuals_by_id(definition)
    layout = definition["Sheets"][1]["Layouts"][0]["Configuration"]["GridLayout"]["Elements"]
    assert [e["ElementId"] for e in layout] == ["table", "pivot"]
    dashboard_request(spec, ACCOUNT, definition)


def test_a_sheet_left_empty_is_pruned_with_its_filter_scopes():
    spec = Dashboard.model_validate(
        {
            "id": "two",
            "name": "Two",
            "datasets": ["sales", "targets"],
            "optional_datasets": ["targets"],
            "filters": [
                {
                    "id": "only-targets",
                    "dataset": "sales",
                    "column": "region",
                    "kind": "category",
                    "values": ["North"],
                    "control": "dropdown",
                    "scope": [{"sheet": "target-sheet"}],
                }
            ],
            "sheets": [
                {
                    "id": "sales-sheet",
                    "title": "Sales",
                    "visuals": [
                        {"id": "k", "type": "kpi", "title": "K", "dataset": "sales", "values": [{"column": "amount"}]}
                    ],
                },
                {
                    "id": "target-sheet",
                    "title": "Targets",
                    "visuals": [
                        {"id": "t", "type": "kpi", "title": "T", "dataset": "targets", "values": [{"column": "target"}]}
                    ],
                },
            ],
        }
    )
    definition, pruned = build_definition(spec, arns(spec), COLUMNS, absent={"targets"})
    assert [s["SheetId"] for s in definition["Sheets"]] == ["sales-sheet"]
    assert pruned.sheets == ["target-sheet"] and pruned.filter_groups == [
        "group-only-targets"
    ]  # its control left with its sheet
    assert "FilterGroups" not in definition and "FilterControls" not in definition["Sheets"][0]


def test_only_optional_datasets_may_be_absent(spec):
    with pytest.raises(
        DashboardError, match=r"datasets \['sales'\] are absent and not in optional_datasets \['targets'\]"
    ):
        build_definition(spec, arns(spec), COLUMNS, absent={"sales"})
