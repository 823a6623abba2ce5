"""A small Definition with one visual of every type of botocore's `Visual` union, a narrative insight, a text box,
a titled `${Parameter}`, a rolling-date filter, a relative-date filter of type THIS, a sort by a calculated field that
uses a parameter and a datetime parameter default sent as '2024/01/01' -- deployed through the local backend
(what an exported dashboard goes through), then every visual asked of the viewer.

Expected numbers are worked out from test_viewer.ROWS (8 service requests, 3 divisions).
"""

from __future__ import annotations

import boto3
import pytest

from qs_platform.local.quicksight import local_quicksight_client
from qs_platform.local.viewer.visual_types import VISUAL_TYPES
from qs_platform_tests.local.viewer.test_server import (
    ACCOUNT,
    REGION,
    TOTAL_COST,
    build_catalog,
    category,
    col,
    dataset_arn,
    datasets,
    kpi,
    measure,
    start_viewer,
    title,
)

EVERY_ID = "every-type"
SHEET = "everything"


def wells(kind: str, key: str, **fields) -> dict:
    return {"ChartConfiguration": {"FieldWells": {key: fields}}} if key else {"ChartConfiguration": {"FieldWells": fields}}


def every_visual() -> list[dict]:
    division, cost = category("d", "division"), measure("c", "estimated_cost", "SUM")
    result = category("r", "service_result")
    return [
        {"KPIVisual": {"VisualId": "kpi", "Title": title("Cost at ${Growth}% growth"), **wells("KPIVisual", "", Values=[measure("k", "projected")])}},
        {"TableVisual": {"VisualId": "table", **wells("", "TableAggregatedFieldWells", GroupBy=[division], Values=[cost])}},
        {"PivotTableVisual": {"VisualId": "pivot", **wells("", "PivotTableAggregatedFieldWells", Rows=[division], Columns=[result], Values=[cost])}},
        {"BarChartVisual": {"VisualId": "bar", "ChartConfiguration": {
            "FieldWells": {"BarChartAggregatedFieldWells": {"Category": [division], "Values": [cost]}},
            "SortConfiguration": {"CategorySort": [{"ColumnSort": {"SortBy": col("projected"), "Direction": "DESC"}}]},
        }}},
        {"PieChartVisual": {"VisualId": "pie", **wells("", "PieChartAggregatedFieldWells", Category=[division], Values=[cost])}},
        {"GaugeChartVisual": {"VisualId": "gauge", **wells("", "", Values=[cost], TargetValues=[measure("t", "business_days", "SUM")])}},
        {"LineChartVisual": {"VisualId": "line", **wells("", "LineChartAggregatedFieldWells", Category=[
            {"DateDimensionField": {"FieldId": "m", "Column": col("start_date"), "DateGranularity": "MONTH"}}], Values=[cost])}},
        {"HeatMapVisual": {"VisualId": "heat", **wells("", "HeatMapAggregatedFieldWells", Rows=[division], Columns=[result], Values=[cost])}},
        {"TreeMapVisual": {"VisualId": "tree", **wells("", "TreeMapAggregatedFieldWells", Groups=[division], Sizes=[cost])}},
        {"GeospatialMapVisual": {"VisualId": "geo", **wells("", "GeospatialMapAggregatedFieldWells", Geospatial=[division], Values=[cost])}},
        {"FilledMapVisual": {"VisualId": "filled", **wells("", "FilledMapAggregatedFieldWells", Geospatial=[division], Values=[cost])}},
        {"LayerMapVisual": {"VisualId": "layers", "DataSetIdentifier": "requests"}},
        {"FunnelChartVisual": {"VisualId": "funnel", **wells("", "FunnelChartAggregatedFieldWells", Category=[division], Values=[cost])}},
        {"ScatterPlotVisual": {"VisualId": "scatter", **wells("", "ScatterPlotCategoricallyAggregatedFieldWells", Category=[division],
                                                              XAxis=[measure("x", "business_days", "SUM")], YAxis=[cost])}},
        {"ComboChartVisual": {"VisualId": "combo", **wells("", "ComboChartAggregatedFieldWells", Category=[division], BarValues=[cost],
                                                          LineValues=[measure("l", "business_days", "AVERAGE")])}},
        {"BoxPlotVisual": {"VisualId": "box", **wells("", "BoxPlotAggregatedFieldWells", GroupBy=[division], Values=[measure("b", "estimated_cost")])}},
        {"WaterfallVisual": {"VisualId": "waterfall", **wells("", "WaterfallChartAggregatedFieldWells", Categories=[division], Values=[cost])}},
        {"HistogramVisual": {"VisualId": "histogram", "ChartConfiguration": {
            "FieldWells": {"HistogramAggregatedFieldWells": {"Values": [measure("h", "estimated_cost")]}},
            "BinOptions": {"BinCount": {"Value": 4}},
        }}},
        {"WordCloudVisual": {"VisualId": "cloud", **wells("", "WordCloudAggregatedFieldWells", GroupBy=[division], Size=[cost])}},
        {"InsightVisual": {"VisualId": "insight", "DataSetIdentifier": "requests", "InsightConfiguration": {
            "Computations": [
                {"TotalAggregation": {"ComputationId": "c1", "Name": "Total", "Value": cost}},
                {"TopBottomRanked": {"ComputationId": "c2", "Name": "Top", "Category": division, "Value": cost, "ResultSize": 2, "Type": "TOP"}},
                {"Forecast": {"ComputationId": "c3", "Name": "Later", "Time": {"DateDimensionField": {"FieldId": "ft", "Column": col("start_date")}}}},
            ],
            "CustomNarrative": {"Narrative": (
                '<narrative><if condition="Total.totalAggregate.value &gt; 0">Total cost: '
                "<expression>Total.totalAggregate.formattedValue</expression></if><br/>"
                '<if condition="Total.totalAggregate.value &lt; 0">never shown</if>'
                '<for listExpression="Top.items"><ul><li><expression>Top.items[index].categoryValue.formattedValue</expression>'
                "\u00a0(<expression>Top.items[index].value.formattedValue</expression>)</li></ul></for>"
                "Growth <expression>concat(toString(${Growth}), '%')</expression></narrative>"
            )},
        }}},
        {"SankeyDiagramVisual": {"VisualId": "sankey", **wells("", "SankeyDiagramAggregatedFieldWells", Source=[division], Destination=[result], Weight=[cost])}},
        {"CustomContentVisual": {"VisualId": "custom", "DataSetIdentifier": "requests",
                                 "ChartConfiguration": {"ContentUrl": "https://example.com/", "ContentType": "OTHER_EMBEDDED_CONTENT"}}},
        {"EmptyVisual": {"VisualId": "empty", "DataSetIdentifier": "requests"}},
        {"RadarChartVisual": {"VisualId": "radar", **wells("", "RadarChartAggregatedFieldWells", Category=[division], Values=[cost])}},
        {"PluginVisual": {"VisualId": "plugin", "PluginArn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:plugin/word-art"}},
    ]


def every_definition() -> dict:
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": "requests", "DataSetArn": dataset_arn("service_requests")}],
        "Sheets": [{
            "SheetId": SHEET, "Name": "Everything", "Visuals": every_visual(),
            "TextBoxes": [{"SheetTextBoxId": "note", "Content": (
                "<text-box><b>About</b><br/><ul><li>first point</li><li>second\u00a0point</li></ul></text-box>")}],
        }],
        "CalculatedFields": [
            # a comment, a name ending in a space, a window over the visual's rows and a level-aware one
            {"DataSetIdentifier": "requests", "Name": "projected", "Expression": "// what-if\nsum({estimated_cost}) * (1 + ${Growth} / 100)"},
            {"DataSetIdentifier": "requests", "Name": "share ", "Expression": "sum({estimated_cost}) / sumOver(sum({estimated_cost}), [])"},
            {"DataSetIdentifier": "requests", "Name": "division total", "Expression": "sumOver({estimated_cost}, [{division}], PRE_AGG)"},
        ],
        "ParameterDeclarations": [
            {"IntegerParameterDeclaration": {"ParameterValueType": "SINGLE_VALUED", "Name": "Growth", "DefaultValues": {"StaticValues": [10]}}},
            {"DateTimeParameterDeclaration": {"Name": "Since", "DefaultValues": {"StaticValues": ["2024/01/01"]}}},
        ],
        "FilterGroups": [
            {"FilterGroupId": "since", "CrossDataset": "SINGLE_DATASET", "Status": "ENABLED",
             "ScopeConfiguration": {"AllSheets": {}},
             "Filters": [{"TimeRangeFilter": {
                 "FilterId": "since-f", "Column": col("start_date"), "NullOption": "NON_NULLS_ONLY",
                 "RangeMinimumValue": {"Parameter": "Since"},
                 "RangeMaximumValue": {"RollingDate": {"Expression": "addDateTime(1, 'YYYY', truncDate('YYYY', now()))"}},
             }}]},
            {"FilterGroupId": "this", "CrossDataset": "SINGLE_DATASET", "Status": "ENABLED",
             "ScopeConfiguration": {"SelectedSheets": {"SheetVisualScopingConfigurations": [{"SheetId": SHEET, "Scope": "SELECTED_VISUALS", "VisualIds": ["pie"]}]}},
             "Filters": [{"RelativeDatesFilter": {
                 "FilterId": "this-f", "Column": col("start_date"), "TimeGranularity": "YEAR", "RelativeDateType": "THIS",
                 "AnchorDateConfiguration": {"AnchorOption": "NOW"}, "NullOption": "NON_NULLS_ONLY",
             }}]},
        ],
    }


def every_type_client(store):
    client = local_quicksight_client(store, region=REGION, account_id=ACCOUNT)
    for dataset in datasets().values():
        client.create_data_set(AwsAccountId=ACCOUNT, **{k: dataset[k] for k in ("DataSetId", "Name", "ImportMode", "PhysicalTableMap", "LogicalTableMap") if k in dataset})
    client.create_dashboard(AwsAccountId=ACCOUNT, DashboardId=EVERY_ID, Name="Every visual type", Definition=every_definition())
    return client


@pytest.fixture
def every(tmp_path):
    server, running = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), every_type_client(tmp_path / "qs.sqlite"))
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


def ask(viewer, visual_id: str, **body) -> dict:
    status, payload = viewer.request("POST", f"/api/dashboards/{EVERY_ID}/visuals/{visual_id}", {"sheet_id": SHEET, **body})
    assert status in (200, 422), payload
    return payload


def test_the_definition_uses_every_type_of_the_botocore_visual_union():
    union = boto3.client("quicksight", region_name=REGION).meta.service_model.shape_for("Visual").members
    assert {next(iter(v)) for v in every_visual()} == set(union) == set(VISUAL_TYPES)


def test_the_page_summary_loads_and_names_what_is_unsupported(every):
    status, summary = every.get(f"/api/dashboards/{EVERY_ID}")
    assert status == 200
    since = next(p for p in summary["parameters"] if p["name"] == "Since")
    assert since["default"].startswith("2024-01-01") and since["problem"] == ""  # a timestamp, as QuickSight answers
    visuals = {v["visual_id"]: v for v in summary["sheets"][0]["visuals"]}
    unsupported = {vid: v["unsupported_reason"] for vid, v in visuals.items() if not v["supported"]}
    assert set(unsupported) == {"layers", "custom", "plugin"} and all(unsupported.values())
    assert visuals["kpi"]["title"] == "Cost at ${Growth}% growth"  # the page fills it with the parameter's value
    assert summary["sheets"][0]["text_boxes"][0]["lines"] == ["About", "• first point", "• second point"]


def test_every_supported_visual_renders_with_rows(every):
    for visual in every_visual():
        kind, body = next(iter(visual.items()))
        payload = ask(every, body["VisualId"])
        if VISUAL_TYPES[kind].status == "unsupported":
            assert payload["error"].startswith(f"unsupported visual: {kind} ({VISUAL_TYPES[kind].how}")
        elif kind == "EmptyVisual":
            assert payload["rows"] == [] and "error" not in payload
        elif kind == "InsightVisual":
            assert payload["narrative"], payload
        else:  # the pie's THIS YEAR filter keeps no 2024 row once 2024 is over: it runs, that is what counts there
            assert "error" not in payload and (payload["rows"] or kind == "PieChartVisual"), (kind, payload)


def test_filters_rolling_dates_this_and_a_sort_by_a_parameterised_field(every):
    assert ask(every, "table")["rows"] == [["Parks", 350.5], ["Roads", 1450.25], ["Water", 1700.0]]  # all of 2024
    bar = ask(every, "bar", parameters={"Growth": 50})  # sorted by `projected`, which binds ${Growth}
    assert [r[0] for r in bar["rows"]] == ["Water", "Roads", "Parks"] and "$p" in bar["sql"].split("ORDER BY")[1]
    pie = ask(every, "pie")  # THIS YEAR relative to now: no 2024 rows unless it is 2024
    assert "error" not in pie, pie


def test_box_plot_waterfall_sankey_gauge_and_histogram_numbers(every):
    box = ask(every, "box")
    assert [f["well"] for f in box["fields"]] == ["category", "min", "q1", "median", "q3", "max"]
    assert box["rows"][0][:2] == ["Parks", 100.0] and box["rows"][0][-1] == 250.5
    assert [r[0] for r in ask(every, "waterfall")["rows"]] == ["Parks", "Roads", "Water"]
    sankey = ask(every, "sankey")
    assert sum(r[2] for r in sankey["rows"]) == pytest.approx(TOTAL_COST)
    assert ask(every, "gauge")["rows"] == [[TOTAL_COST, 40]]
    assert sorted(r[0] for r in ask(every, "histogram")["rows"]) == sorted(float(r[5]) for r in __import__("qs_platform_tests.local.viewer.test_server", fromlist=["ROWS"]).ROWS)


def test_insight_computations_fill_the_narrative(every):
    payload = ask(every, "insight")
    assert payload["narrative"] == ["Total cost: 3,500.75", "• Water (1,700)", "• Roads (1,450.25)", "Growth 10%"]
    assert ask(every, "insight", parameters={"Growth": 25})["narrative"][-1] == "Growth 25%"
