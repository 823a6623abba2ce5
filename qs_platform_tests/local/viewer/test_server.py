"""The dashboard viewer: SQL compiled from stored QuickSight Definitions, served over HTTP, computed by DuckDB.

A tiny catalog (8 service requests) and a fake QuickSight client returning botocore-shaped responses; the
server runs on a free port in a thread. Expected numbers are worked out by hand from ROWS below.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time

import boto3
import duckdb
import pytest
from botocore.validate import ParamValidator

from qs_platform.local.viewer import catalog as viewer_catalog
from qs_platform.local.viewer.expressions import ExpressionError, Sql, translate
from qs_platform.local.viewer.server import ViewerApp
from qs_platform_tests.conftest import PROJECT
from qs_platform_tests.local.viewer.conftest import (
    ACCOUNT,
    BROKEN_DASHBOARD_ID,
    DASHBOARD_ID,
    REGION,
    TOTAL_COST,
    FakeQuickSight,
    broken_definition,
    build_catalog,
    catalog_quicksight,
    category,
    col,
    datasets,
    definition,
    fake_client,
    kpi,
    measure,
    project_dashboards,
    selected,
    start_viewer,
    title,
)

# ---- the catalog ------------------------------------------------------------------------------------------


# ---- QuickSight shapes ------------------------------------------------------------------------------------


# ---- the running server -----------------------------------------------------------------------------------


@pytest.fixture
def viewer(tmp_path):
    server, running = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), fake_client())
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


# ---- the fixtures are real QuickSight shapes --------------------------------------------------------------


def test_fixture_definition_and_datasets_validate_against_botocore():
    model = boto3.client("quicksight", region_name=REGION).meta.service_model
    validator = ParamValidator()
    for dashboard_id, body in ((DASHBOARD_ID, definition()), (BROKEN_DASHBOARD_ID, broken_definition())):
        request = {"AwsAccountId": ACCOUNT, "DashboardId": dashboard_id, "Name": dashboard_id, "Definition": body}
        report = validator.validate(request, model.operation_model("CreateDashboard").input_shape)
        assert not report.has_errors(), report.generate_report()
    for data_set in datasets().values():
        request = {k: data_set[k] for k in ("DataSetId", "Name", "PhysicalTableMap", "ImportMode")}
        if "LogicalTableMap" in data_set:
            request["LogicalTableMap"] = data_set["LogicalTableMap"]
        report = validator.validate(
            {"AwsAccountId": ACCOUNT, **request}, model.operation_model("CreateDataSet").input_shape
        )
        assert not report.has_errors(), report.generate_report()


# ---- pages and metadata -----------------------------------------------------------------------------------


def test_healthz(viewer):
    status, payload = viewer.get("/healthz")
    assert status == 200
    assert payload["status"] == "ok" and payload["catalog_exists"] is True


def test_index_lists_every_dashboard_across_pages(viewer):
    status, page = viewer.get("/")
    assert status == 200
    assert "Service requests overview" in page and f'href="/dashboards/{DASHBOARD_ID}"' in page
    assert "Service requests (with a broken field)" in page  # second page of list_dashboards (NextToken)
    status, payload = viewer.get("/api/dashboards")
    assert status == 200
    assert [d["dashboard_id"] for d in payload["dashboards"]] == [BROKEN_DASHBOARD_ID, DASHBOARD_ID]
    assert payload["dashboards"][1]["url"] == f"/dashboards/{DASHBOARD_ID}"


def test_dashboard_page_is_offline_html(viewer):
    status, page = viewer.get(f"/dashboards/{DASHBOARD_ID}")
    assert status == 200
    assert '<script src="/static/viewer.js"' in page
    static_dir = PROJECT / "qs_platform" / "local" / "viewer" / "static"
    for path in static_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        external = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"']*", text)
        assert [u for u in external if "www.w3.org/2000/svg" not in u] == [], path.name
    for name in ("viewer.js", "charts.js", "viewer.css", "favicon.svg"):
        status, _ = viewer.get(f"/static/{name}")
        assert status == 200, name
    assert viewer.get("/static/..%2Fserver.py")[0] == 404


def test_dashboard_api_describes_sheets_parameters_and_controls(viewer):
    status, payload = viewer.get(f"/api/dashboards/{DASHBOARD_ID}")
    assert status == 200
    assert payload["name"] == "Service requests overview"
    assert {p["name"]: p["default"] for p in payload["parameters"]} == {
        "CostGrowthPct": 0,
        "Result": "PASS",
        "Division": None,
    }
    overview, details = payload["sheets"]
    assert [overview["sheet_id"], details["sheet_id"]] == ["overview", "details"]
    slider = overview["controls"][0]
    assert (slider["kind"], slider["parameter"], slider["min"], slider["max"], slider["step"]) == (
        "Slider",
        "CostGrowthPct",
        0,
        50,
        5,
    )
    assert overview["controls"][1]["values"] == ["PASS", "FAIL"]
    assert details["controls"][0]["linked"] is True
    visuals = {v["visual_id"]: v for v in overview["visuals"]}
    assert visuals["kpi-projected"]["title"] == "Projected cost (what-if)"
    assert visuals["bar-division"]["layout"] == {"column": 0, "column_span": 18, "row": 5, "row_span": 10}
    assert visuals["pie-result"]["options"]["donut"] is True
    assert payload["definition"]["FilterGroups"][3]["Filters"][0]["TimeRangeFilter"]["RangeMinimumValue"][
        "StaticValue"
    ].startswith("2024-02-01")


# ---- numbers ----------------------------------------------------------------------------------------------


def test_kpis(viewer):
    assert viewer.rows("kpi-requests") == [[8]]
    assert viewer.rows("kpi-total-cost") == [[TOTAL_COST]]
    assert viewer.rows("kpi-projected") == [[TOTAL_COST]]  # CostGrowthPct defaults to 0
    assert viewer.rows("kpi-result") == [[5]]  # Result defaults to PASS
    status, payload = viewer.visual("kpi-total-cost")
    assert payload["columns"] == ["estimated_cost (Sum)"]
    assert payload["fields"][0]["format"]["kind"] == "currency"


def test_what_if_parameter_changes_the_kpi_and_is_bound(viewer):
    status, payload = viewer.visual("kpi-projected", {"CostGrowthPct": 20})
    assert status == 200
    assert payload["rows"][0][0] == pytest.approx(TOTAL_COST * 1.2)
    assert "$p0" in payload["sql"] and "20" not in payload["sql"]
    assert payload["params"] == {"p0": 20}
    assert viewer.rows("kpi-projected", {"CostGrowthPct": "35"})[0][0] == pytest.approx(TOTAL_COST * 1.35)
    assert viewer.rows("kpi-result", {"Result": "FAIL"}) == [[3]]


def test_parameter_values_are_never_pasted_into_sql(viewer):
    injection = "PASS' OR '1'='1"
    status, payload = viewer.visual("kpi-result", {"Result": injection})
    assert status == 200 and payload["rows"] == [[0]]
    assert injection not in payload["sql"]


def test_bar_from_custom_sql_dataset_sorted_by_value(viewer):
    status, payload = viewer.visual("bar-division")
    assert status == 200
    assert payload["rows"] == [["Water", 1700.0], ["Roads", 1450.25], ["Parks", 350.5]]
    assert payload["columns"] == ["division", "total_cost (Sum)"]
    assert "(select division, count(*) as requests" in payload["sql"]


def test_bar_with_colors(viewer):
    assert viewer.rows("bar-division-result") == [
        ["Parks", "FAIL", 1],
        ["Parks", "PASS", 1],
        ["Roads", "FAIL", 1],
        ["Roads", "PASS", 2],
        ["Water", "FAIL", 1],
        ["Water", "PASS", 2],
    ]


def test_pie(viewer):
    assert viewer.rows("pie-result") == [["PASS", 5], ["FAIL", 3]]


def test_line_by_month(viewer):
    status, payload = viewer.visual("line-month")
    assert payload["rows"] == [["2024-01-01", 3], ["2024-02-01", 2], ["2024-03-01", 3]]
    assert payload["fields"][0]["granularity"] == "MONTH"
    assert "date_trunc('month'" in payload["sql"]


def test_aggregated_table_with_a_filter_scoped_to_it(viewer):
    status, payload = viewer.visual("table-by-ward")
    assert status == 200
    assert payload["columns"] == ["Ward", "Requests", "business_days (Average)", "estimated_cost (Sum)"]
    # Roads & Water only (fg-division is scoped to this table)
    assert payload["rows"] == [[1, 1, 12.0, 1200.0], [2, 2, 8.0, 1400.0], [3, 3, 2.0, 550.25]]
    assert "LIMIT 1000" in payload["sql"]


def test_a_filter_scoped_to_one_visual_does_not_affect_another(viewer):
    assert viewer.rows("kpi-requests") == [[8]]  # fg-division and fg-result do not apply
    _, payload = viewer.visual("kpi-requests")
    assert "WHERE" not in payload["sql"]  # nor does the DISABLED fg-disabled nor fg-february (other sheet)


def test_unaggregated_table_time_filter_and_row_level_calculated_field(viewer):
    status, payload = viewer.visual("table-rows", sheet_id="details")
    assert status == 200
    assert payload["rows"] == [[3, "Roads", "2024-02-03", 1000.0, "Large"], [4, "Roads", "2024-02-14", 400.0, "Medium"]]
    assert "GROUP BY" not in payload["sql"]
    assert viewer.rows("table-rows", {"Division": "Water"}) == []
    assert len(viewer.rows("table-rows", {"Division": "Roads"})) == 2
    assert len(viewer.rows("table-rows", {"Division": ""})) == 2  # cleared: no filter


def test_dropdown_linked_to_a_dataset_column(viewer):
    status, payload = viewer.get(f"/api/dashboards/{DASHBOARD_ID}/controls/division-dropdown/values")
    assert status == 200
    assert payload["values"] == ["Parks", "Roads", "Water"]
    status, payload = viewer.get(f"/api/dashboards/{DASHBOARD_ID}/controls/result-dropdown/values")
    assert payload["values"] == ["PASS", "FAIL"]


# ---- errors -----------------------------------------------------------------------------------------------


def test_unknown_dashboards_visuals_and_endpoints_are_404_json(viewer):
    status, payload = viewer.get("/api/dashboards/nope")
    assert status == 404 and "not found" in payload["error"]
    status, payload = viewer.visual("kpi-requests", dashboard="nope")
    assert status == 404 and "nope" in payload["error"]
    status, payload = viewer.visual("no-such-visual")
    assert status == 404 and "no-such-visual" in payload["error"]
    status, payload = viewer.visual("kpi-requests", sheet_id="details")
    assert status == 404
    status, payload = viewer.get("/api/nothing-here")
    assert status == 404 and "error" in payload
    status, page = viewer.get("/dashboards/nope")
    assert status == 404 and "not found" in page
    status, payload = viewer.request("GET", f"/api/dashboards/{DASHBOARD_ID}/visuals/kpi-requests")
    assert status == 405


def test_broken_expression_gives_a_readable_error_and_other_visuals_still_work(viewer):
    status, payload = viewer.visual("kpi-broken", dashboard=BROKEN_DASHBOARD_ID)
    assert status == 422
    assert payload["error"] == (
        "calculated field 'share_of_division': function periodToDatePercentile() is not supported by the local viewer (no translation yet)"
    )
    assert viewer.rows("kpi-requests", dashboard=BROKEN_DASHBOARD_ID) == [[8]]


def test_bad_parameter_value_is_400(viewer):
    status, payload = viewer.visual("kpi-projected", {"CostGrowthPct": "lots"})
    assert status == 400
    assert payload["error"] == "parameter CostGrowthPct: 'lots' is not a valid integer value"
    status, payload = viewer.request("POST", f"/api/dashboards/{DASHBOARD_ID}/visuals/kpi-requests", None)
    assert status == 200  # no body: defaults


def test_missing_catalog_is_a_clear_503(tmp_path):
    server, running = start_viewer(tmp_path / "not-built-yet.duckdb", fake_client())
    try:
        status, payload = running.visual("kpi-requests")
        assert status == 503
        assert "does not exist yet" in payload["error"]
        assert running.get("/healthz")[1]["catalog_exists"] is False
    finally:
        server.shutdown()
        server.server_close()


def test_catalog_locked_by_a_writer_is_retried_then_a_clear_503(viewer, monkeypatch):
    monkeypatch.setattr(viewer_catalog, "LOCK_RETRY_DELAY", 0.01)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(viewer.catalog),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        status, payload = viewer.visual("kpi-requests")
        assert status == 503
        assert "locked by another process" in payload["error"]
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while viewer.visual("kpi-requests")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert viewer.rows("kpi-requests") == [[8]]


def test_the_viewer_does_not_keep_the_catalog_open(viewer):
    assert viewer.rows("kpi-requests") == [[8]]
    writer = duckdb.connect(
        str(viewer.catalog)
    )  # read-write in this process: fails if a read-only handle is still open
    try:
        writer.execute("INSERT INTO raw.service_requests_data VALUES (9, 'Parks', 'PASS', 2, DATE '2024-03-15', 10, 1)")
    finally:
        writer.close()
    assert viewer.rows("kpi-requests") == [[9]]


# ---- more field wells, filters and parameters -------------------------------------------------------------

EXTRA_DASHBOARD_ID = "service-extra"


def extra_definition() -> dict:
    def table(visual_id: str, group_by: list, values: list, sort: list | None = None) -> dict:
        config: dict = {"FieldWells": {"TableAggregatedFieldWells": {"GroupBy": group_by, "Values": values}}}
        if sort:
            config["SortConfiguration"] = {"RowSort": sort}
        return {"TableVisual": {"VisualId": visual_id, "Title": title(visual_id), "ChartConfiguration": config}}

    def scoped(group_id: str, visual_id: str, filter_: dict) -> dict:
        return {
            "FilterGroupId": group_id,
            "Filters": [filter_],
            "ScopeConfiguration": selected("extra", visual_id),
            "Status": "ENABLED",
            "CrossDataset": "SINGLE_DATASET",
        }

    body = definition()
    body["Sheets"] = [
        {
            "SheetId": "extra",
            "Name": "Extra",
            "Visuals": [
                {
                    "BarChartVisual": {
                        "VisualId": "bar-top2",
                        "ChartConfiguration": {
                            "FieldWells": {
                                "BarChartAggregatedFieldWells": {
                                    "Category": [category("x-div", "division")],
                                    "Values": [measure("x-cost", "estimated_cost", "SUM")],
                                }
                            },
                            "SortConfiguration": {
                                "CategorySort": [{"FieldSort": {"FieldId": "x-cost", "Direction": "DESC"}}],
                                "CategoryItemsLimit": {"ItemsLimit": 2, "OtherCategories": "EXCLUDE"},
                            },
                        },
                    }
                },
                table(
                    "table-having",
                    [category("h-div", "division")],
                    [measure("h-count", "id", "COUNT")],
                    [{"FieldSort": {"FieldId": "h-div", "Direction": "ASC"}}],
                ),
                table(
                    "table-colsort",
                    [category("c-res", "service_result")],
                    [measure("c-cost", "estimated_cost", "SUM")],
                    [
                        {
                            "ColumnSort": {
                                "SortBy": col("estimated_cost"),
                                "Direction": "ASC",
                                "AggregationFunction": {
                                    "NumericalAggregationFunction": {"SimpleNumericalAggregation": "SUM"}
                                },
                            }
                        }
                    ],
                ),
                kpi(
                    "kpi-distinct",
                    "Divisions",
                    {
                        "CategoricalMeasureField": {
                            "FieldId": "d-div",
                            "Column": col("division"),
                            "AggregationFunction": "DISTINCT_COUNT",
                        }
                    },
                ),
                kpi("kpi-since", "Requests since", measure("s-count", "id", "COUNT")),
                kpi("kpi-median", "Median days", measure("m-days", "business_days", "MEDIAN")),
                kpi(
                    "kpi-p50",
                    "P50 days",
                    {
                        "NumericalMeasureField": {
                            "FieldId": "p-days",
                            "Column": col("business_days"),
                            "AggregationFunction": {"PercentileAggregation": {"PercentileValue": 50}},
                        }
                    },
                ),
                kpi("kpi-nested", "Total with growth", measure("n-total", "total_with_growth")),
                kpi("kpi-loop", "Loop", measure("l-loop", "loop_a")),
                {
                    "PluginVisual": {
                        "VisualId": "cloud",
                        "PluginArn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:plugin/word-art",
                    }
                },
            ],
        }
    ]
    body["CalculatedFields"] += [
        {
            "DataSetIdentifier": "requests",
            "Name": "cost_with_growth",
            "Expression": "{estimated_cost} * (1 + ${CostGrowthPct} / 100)",
        },
        {"DataSetIdentifier": "requests", "Name": "total_with_growth", "Expression": "sum({cost_with_growth})"},
        {"DataSetIdentifier": "requests", "Name": "loop_a", "Expression": "sum({loop_b})"},
        {"DataSetIdentifier": "requests", "Name": "loop_b", "Expression": "{loop_a} + 1"},
    ]
    body["ParameterDeclarations"] += [
        {
            "DecimalParameterDeclaration": {
                "ParameterValueType": "SINGLE_VALUED",
                "Name": "MinCost",
                "DefaultValues": {"StaticValues": [1000.0]},
            }
        },
        {
            "StringParameterDeclaration": {
                "ParameterValueType": "MULTI_VALUED",
                "Name": "Divisions",
                "DefaultValues": {"StaticValues": ["Parks", "Roads"]},
            }
        },
        {
            "DateTimeParameterDeclaration": {
                "Name": "Since",
                "TimeGranularity": "DAY",
                "DefaultValues": {"StaticValues": [dt.datetime(2024, 3, 1, tzinfo=dt.UTC)]},
            }
        },
    ]
    body["FilterGroups"] = [
        scoped(
            "g-having",
            "table-having",
            {
                "NumericRangeFilter": {
                    "FilterId": "x-having",
                    "Column": col("estimated_cost"),
                    "IncludeMinimum": True,
                    "RangeMinimum": {"Parameter": "MinCost"},
                    "NullOption": "NON_NULLS_ONLY",
                    "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": "SUM"}},
                }
            },
        ),
        scoped(
            "g-divisions",
            "kpi-distinct",
            {
                "CategoryFilter": {
                    "FilterId": "x-divisions",
                    "Column": col("division"),
                    "Configuration": {
                        "CustomFilterConfiguration": {
                            "MatchOperator": "EQUALS",
                            "ParameterName": "Divisions",
                            "NullOption": "NON_NULLS_ONLY",
                        }
                    },
                }
            },
        ),
        scoped(
            "g-since",
            "kpi-since",
            {
                "TimeRangeFilter": {
                    "FilterId": "x-since",
                    "Column": col("start_date"),
                    "IncludeMinimum": True,
                    "RangeMinimumValue": {"Parameter": "Since"},
                    "NullOption": "NON_NULLS_ONLY",
                }
            },
        ),
    ]
    return body


@pytest.fixture
def extra_viewer(tmp_path):
    client = FakeQuickSight({EXTRA_DASHBOARD_ID: ("Extra", extra_definition())}, datasets())
    server, running = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), client)
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()


def test_extra_definition_validates_against_botocore():
    model = boto3.client("quicksight", region_name=REGION).meta.service_model
    request = {
        "AwsAccountId": ACCOUNT,
        "DashboardId": EXTRA_DASHBOARD_ID,
        "Name": "Extra",
        "Definition": extra_definition(),
    }
    report = ParamValidator().validate(request, model.operation_model("CreateDashboard").input_shape)
    assert not report.has_errors(), report.generate_report()


def test_items_limit_and_column_sort(extra_viewer):
    rows = lambda vid, params=None: extra_viewer.rows(vid, params, dashboard=EXTRA_DASHBOARD_ID)  # noqa: E731
    assert rows("bar-top2") == [["Water", 1700.0], ["Roads", 1450.25]]
    assert rows("table-colsort") == [["FAIL", 1500.75], ["PASS", 2000.0]]


def test_aggregated_range_filter_uses_having_and_a_decimal_parameter(extra_viewer):
    status, payload = extra_viewer.visual("table-having", dashboard=EXTRA_DASHBOARD_ID)
    assert payload["rows"] == [["Roads", 3], ["Water", 3]]
    assert 'HAVING sum("estimated_cost") >= $p0' in payload["sql"]
    assert extra_viewer.rows("table-having", {"MinCost": 1500}, dashboard=EXTRA_DASHBOARD_ID) == [["Water", 3]]


def test_multi_valued_and_datetime_parameters(extra_viewer):
    rows = lambda vid, params=None: extra_viewer.rows(vid, params, dashboard=EXTRA_DASHBOARD_ID)  # noqa: E731
    assert rows("kpi-distinct") == [[2]]  # Parks, Roads
    assert rows("kpi-distinct", {"Divisions": ["Water"]}) == [[1]]
    assert rows("kpi-distinct", {"Divisions": []}) == [[2]]  # cleared: ValueWhenUnset defaults to RECOMMENDED_VALUE
    assert rows("kpi-since") == [[3]]  # on or after 2024-03-01
    assert rows("kpi-since", {"Since": "2024-02-01"}) == [[5]]
    status, payload = extra_viewer.visual("kpi-since", {"Since": "not a date"}, dashboard=EXTRA_DASHBOARD_ID)
    assert status == 400 and "datetime" in payload["error"]


def test_median_percentile_and_nested_calculated_fields(extra_viewer):
    rows = lambda vid, params=None: extra_viewer.rows(vid, params, dashboard=EXTRA_DASHBOARD_ID)  # noqa: E731
    assert rows("kpi-median") == [[3.5]]
    assert rows("kpi-p50") == [[3.5]]
    assert rows("kpi-nested") == [[TOTAL_COST]]
    assert rows("kpi-nested", {"CostGrowthPct": 10})[0][0] == pytest.approx(TOTAL_COST * 1.1)


def test_unsupported_things_are_readable_422s(extra_viewer):
    status, payload = extra_viewer.visual("kpi-loop", dashboard=EXTRA_DASHBOARD_ID)
    assert status == 422 and payload["error"] == "calculated field 'loop_a' refers to itself"
    status, payload = extra_viewer.visual("cloud", dashboard=EXTRA_DASHBOARD_ID)
    assert status == 422 and payload["error"].startswith("unsupported visual: PluginVisual (third-party plugin code")


# ---- integration: the real local backend, the project's own dashboards --------------------------------------


def test_viewer_through_the_local_quicksight_backend(tmp_path):
    client = catalog_quicksight(tmp_path / "quicksight.sqlite")
    for data_set in datasets().values():
        request = {
            k: data_set[k]
            for k in ("DataSetId", "Name", "PhysicalTableMap", "ImportMode", "LogicalTableMap")
            if k in data_set
        }
        client.create_data_set(AwsAccountId=ACCOUNT, **request)
    client.create_dashboard(
        AwsAccountId=ACCOUNT, DashboardId=DASHBOARD_ID, Name="Service requests overview", Definition=definition()
    )
    server, running = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), client)
    try:
        assert running.get("/api/dashboards")[1]["dashboards"][0]["dashboard_id"] == DASHBOARD_ID
        _, summary = running.get(f"/api/dashboards/{DASHBOARD_ID}")
        for sheet in summary["sheets"]:
            for visual in sheet["visuals"]:
                status, payload = running.visual(visual["visual_id"], sheet_id=sheet["sheet_id"])
                assert status == 200, payload
        assert running.rows("kpi-projected", {"CostGrowthPct": 20})[0][0] == pytest.approx(TOTAL_COST * 1.2)
        assert running.rows("table-rows", sheet_id="details")[0][:2] == [
            3,
            "Roads",
        ]  # TimeRangeFilter with datetimes from botocore
    finally:
        server.shutdown()
        server.server_close()


def test_every_visual_of_the_project_dashboards_renders(tmp_path):
    catalog, client, dashboards, with_rows = project_dashboards(tmp_path)
    assert any(with_rows.values())
    server, running = start_viewer(catalog, client)
    try:
        for dashboard_id, (_, body) in dashboards.items():
            for sheet in body["Sheets"]:
                for wrapper in sheet["Visuals"]:
                    visual_id = next(iter(wrapper.values()))["VisualId"]
                    status, payload = running.visual(visual_id, dashboard=dashboard_id, sheet_id=sheet["SheetId"])
                    assert status == 200, (dashboard_id, visual_id, payload)
                    # only service_requests has rows in this catalog: dashboards over other tables compute, empty
                    if with_rows[dashboard_id]:
                        assert payload["rows"], (dashboard_id, visual_id)
    finally:
        server.shutdown()
        server.server_close()


# ---- expression translation -------------------------------------------------------------------------------


class _Columns:
    def column(self, name: str) -> Sql:
        return Sql(f'"{name}"')

    def parameter(self, name: str) -> Sql:
        return Sql(f"${name}")


@pytest.mark.parametrize(
    "expression, sql, aggregate",
    [
        ("sum({a}) * (1 + ${P} / 100)", '(sum("a") * (1 + ($P / NULLIF(100, 0))))', True),
        (
            "ifelse({a} > 1 AND {b} <> 'x', 'big', 'small')",
            """CASE WHEN (("a" > 1) AND ("b" <> 'x')) THEN 'big' ELSE 'small' END""",
            False,
        ),
        ("distinct_count({a})", 'count(DISTINCT "a")', True),
        ('concat({a}, " - ", toString({b}))', """("a" || ' - ' || CAST("b" AS VARCHAR))""", False),
        ("round(abs(coalesce({a}, 0)), 2)", 'round(abs(coalesce("a", 0)), 2)', False),
        ("in({a}, ['x', 'it''s'])", """("a" IN ('x', 'it''s'))""", False),
        ("truncDate('MM', {d})", """date_trunc('month', CAST("d" AS TIMESTAMP))""", False),
        ("NOT isNull({a}) OR {b} = -2", '((NOT ("a" IS NULL)) OR ("b" = (-2)))', False),
        ("amount * 2", '("amount" * 2)', False),  # a column name without braces, as QuickSight accepts
        (
            "sumIf({a}, {b} = 'x') / count({a})",
            """(sum("a") FILTER (WHERE ("b" = 'x')) / NULLIF(count("a"), 0))""",
            True,
        ),
    ],
)
def test_expression_translation(expression, sql, aggregate):
    result = translate(expression, _Columns())
    assert (result.text, result.aggregate) == (sql, aggregate)


@pytest.mark.parametrize(
    "expression, message",
    [
        ("medianOver({a}, [{b}])", "unknown function medianOver() at position 0 (not in QuickSight's function list)"),
        (
            "periodToDatePercentile({a}, 50, {b}, YEAR)",
            "function periodToDatePercentile() is not supported by the local viewer",
        ),
        ("sum({a}", "expected ')' at position 7, found the end of the expression"),
        ("ifelse({a} > 1, 2)", "ifelse() takes condition, value pairs"),
        ("sum(sum({a}))", "nested aggregation"),
        ("{a} + ", "unexpected the end of the expression at position 6"),
        ("{a} # 2", "unexpected character '#' at position 4"),
        ("", "the expression is empty"),
    ],
)
def test_expression_errors_are_readable(expression, message):
    with pytest.raises(ExpressionError) as error:
        translate(expression, _Columns())
    assert message in str(error.value)


def test_a_control_that_fails_answers_inline_when_the_page_asks(viewer):
    path = f"/api/dashboards/{DASHBOARD_ID}/controls/no-such-control/values"
    status, payload = viewer.get(path)
    assert status == 404
    status, payload = viewer.get(path + "?inline_errors=1")
    assert status == 200 and payload["error_status"] == 404 and "no-such-control" in payload["error"]


class CountingClient:
    """A QuickSight client answering describe_dashboard_definition with a new version on every call."""

    def __init__(self):
        self.described = 0

    def describe_dashboard_definition(self, AwsAccountId, DashboardId):  # noqa: N803 - boto3's names
        self.described += 1
        return {"DashboardId": DashboardId, "Name": f"version {self.described}", "Definition": {}}


def test_visuals_are_computed_from_the_definition_the_page_loaded(tmp_path):
    client = CountingClient()
    app = ViewerApp(quicksight_client=client, account_id="111122223333", catalog_path=tmp_path / "catalog.duckdb")
    assert app.dashboard("d", fresh=False)["Name"] == "version 1"  # nothing loaded yet: described
    app.summary("d")  # the page loads: described again
    assert [app.dashboard("d", fresh=False)["Name"] for _ in range(3)] == ["version 2"] * 3
    assert client.described == 2
    app.summary("d")  # a reload sees the dashboard as it is now
    assert app.dashboard("d", fresh=False)["Name"] == "version 3"
