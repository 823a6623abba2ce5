"""The dashboard viewer: SQL compiled from stored QuickSight Definitions, served over HTTP, computed by DuckDB.

A tiny catalog (8 service requests) and a fake QuickSight client returning botocore-shaped responses; the
server runs on a free port in a thread. Expected numbers are worked out by hand from ROWS below.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import duckdb
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from qs_platform.local.viewer import catalog as viewer_catalog
from qs_platform.local.viewer import make_viewer_server
from qs_platform.local.viewer.expressions import ExpressionError, Sql, translate

from qs_platform_tests.conftest import CONFIG_DIR, PROJECT

ACCOUNT = "111122223333"
REGION = "us-east-1"
DASHBOARD_ID = "service-overview"
BROKEN_DASHBOARD_ID = "service-broken"
DATASOURCE_ARN = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:datasource/local-catalog"

# id, division, service_result, ward_id, start_date, estimated_cost, business_days
ROWS = [
    (1, "Parks", "PASS", 1, "2024-01-05", "100.00", 2),
    (2, "Parks", "FAIL", 1, "2024-01-20", "250.50", 4),
    (3, "Roads", "PASS", 2, "2024-02-03", "1000.00", 10),
    (4, "Roads", "PASS", 2, "2024-02-14", "400.00", 6),
    (5, "Roads", "FAIL", 3, "2024-03-01", "50.25", 1),
    (6, "Water", "PASS", 3, "2024-03-09", "300.00", 3),
    (7, "Water", "PASS", 3, "2024-03-30", "200.00", 2),
    (8, "Water", "FAIL", 1, "2024-01-31", "1200.00", 12),
]
TOTAL_COST = 3500.75


# ---- the catalog ------------------------------------------------------------------------------------------


def build_catalog(path: Path) -> Path:
    """schemas raw/processed, one view per table, like the pipeline's catalog."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA raw; CREATE SCHEMA processed;")
        con.execute(
            "CREATE TABLE raw.service_requests_data (id BIGINT, division VARCHAR, service_result VARCHAR, ward_id INTEGER,"
            " start_date DATE, estimated_cost DECIMAL(18,2), business_days BIGINT)"
        )
        con.executemany("INSERT INTO raw.service_requests_data VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
        con.execute("CREATE VIEW raw.service_requests AS SELECT * FROM raw.service_requests_data")
        con.execute("CREATE VIEW processed.service_requests AS SELECT * FROM raw.service_requests")
    finally:
        con.close()
    return path


# ---- QuickSight shapes ------------------------------------------------------------------------------------


def dataset_arn(dataset_id: str) -> str:
    return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/{dataset_id}"


def datasets() -> dict[str, dict]:
    requests_columns = [
        {"Name": "id", "Type": "INTEGER"},
        {"Name": "division", "Type": "STRING"},
        {"Name": "service_result", "Type": "STRING"},
        {"Name": "ward_id", "Type": "INTEGER"},
        {"Name": "start_date", "Type": "DATETIME"},
        {"Name": "estimated_cost", "Type": "DECIMAL"},
        {"Name": "business_days", "Type": "INTEGER"},
    ]
    return {
        "service_requests": {
            "Arn": dataset_arn("service_requests"),
            "DataSetId": "service_requests",
            "Name": "Service requests",
            "ImportMode": "SPICE",
            "PhysicalTableMap": {
                "requests-table": {
                    "RelationalTable": {
                        "DataSourceArn": DATASOURCE_ARN,
                        "Catalog": "AwsDataCatalog",
                        "Schema": "processed",
                        "Name": "service_requests",
                        "InputColumns": requests_columns,
                    }
                }
            },
            "LogicalTableMap": {
                "requests-logical": {"Alias": "service_requests", "Source": {"PhysicalTableId": "requests-table"}}
            },
            "OutputColumns": [{"Name": c["Name"], "Type": c["Type"]} for c in requests_columns],
        },
        "division_kpis": {
            "Arn": dataset_arn("division_kpis"),
            "DataSetId": "division_kpis",
            "Name": "Division KPIs",
            "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {
                "division-sql": {
                    "CustomSql": {
                        "DataSourceArn": DATASOURCE_ARN,
                        "Name": "division_kpis",
                        "SqlQuery": (
                            "select division, count(*) as requests, sum(estimated_cost) as total_cost\n"
                            "from processed.service_requests group by division;"
                        ),
                        "Columns": [
                            {"Name": "division", "Type": "STRING"},
                            {"Name": "requests", "Type": "INTEGER"},
                            {"Name": "total_cost", "Type": "DECIMAL"},
                        ],
                    }
                }
            },
        },
    }


def col(name: str, dataset: str = "requests") -> dict:
    return {"DataSetIdentifier": dataset, "ColumnName": name}


def measure(field_id: str, name: str, aggregation: str | None = None, dataset: str = "requests", fmt: dict | None = None) -> dict:
    field: dict = {"FieldId": field_id, "Column": col(name, dataset)}
    if aggregation:
        field["AggregationFunction"] = {"SimpleNumericalAggregation": aggregation}
    if fmt:
        field["FormatConfiguration"] = {"FormatConfiguration": fmt}
    return {"NumericalMeasureField": field}


def category(field_id: str, name: str, dataset: str = "requests") -> dict:
    return {"CategoricalDimensionField": {"FieldId": field_id, "Column": col(name, dataset)}}


def title(text: str) -> dict:
    return {"Visibility": "VISIBLE", "FormatText": {"PlainText": text}}


def kpi(visual_id: str, text: str, value: dict) -> dict:
    return {"KPIVisual": {"VisualId": visual_id, "Title": title(text), "ChartConfiguration": {"FieldWells": {"Values": [value]}}}}


def grid(*elements: tuple[str, int, int, int, int]) -> list[dict]:
    return [
        {
            "Configuration": {
                "GridLayout": {
                    "Elements": [
                        {"ElementId": eid, "ElementType": "VISUAL", "ColumnIndex": c, "ColumnSpan": cs, "RowIndex": r, "RowSpan": rs}
                        for eid, c, cs, r, rs in elements
                    ]
                }
            }
        }
    ]


def selected(sheet_id: str, *visual_ids: str) -> dict:
    scope = {"SheetId": sheet_id, "Scope": "SELECTED_VISUALS" if visual_ids else "ALL_VISUALS"}
    if visual_ids:
        scope["VisualIds"] = list(visual_ids)
    return {"SelectedSheets": {"SheetVisualScopingConfigurations": [scope]}}


CURRENCY = {"CurrencyDisplayFormatConfiguration": {"Symbol": "USD", "DecimalPlacesConfiguration": {"DecimalPlaces": 2}}}


def overview_sheet() -> dict:
    return {
        "SheetId": "overview",
        "Name": "Overview",
        "ParameterControls": [
            {
                "Slider": {
                    "ParameterControlId": "growth-slider",
                    "Title": "What-if: cost growth (%)",
                    "SourceParameterName": "CostGrowthPct",
                    "MinimumValue": 0,
                    "MaximumValue": 50,
                    "StepSize": 5,
                }
            },
            {
                "Dropdown": {
                    "ParameterControlId": "result-dropdown",
                    "Title": "Result",
                    "SourceParameterName": "Result",
                    "Type": "SINGLE_SELECT",
                    "SelectableValues": {"Values": ["PASS", "FAIL"]},
                }
            },
        ],
        "Visuals": [
            kpi("kpi-requests", "Requests", measure("f-req", "id", "COUNT")),
            kpi("kpi-total-cost", "Total estimated cost", measure("f-cost", "estimated_cost", "SUM", fmt=CURRENCY)),
            kpi("kpi-projected", "Projected cost (what-if)", measure("f-proj", "projected_cost")),
            kpi("kpi-result", "Requests with the selected result", measure("f-res", "id", "COUNT")),
            {
                "BarChartVisual": {
                    "VisualId": "bar-division",
                    "Title": title("Estimated cost by division"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "BarChartAggregatedFieldWells": {
                                "Category": [category("f-div", "division", "kpis")],
                                "Values": [measure("f-total", "total_cost", "SUM", "kpis")],
                            }
                        },
                        "SortConfiguration": {"CategorySort": [{"FieldSort": {"FieldId": "f-total", "Direction": "DESC"}}]},
                        "Orientation": "HORIZONTAL",
                    },
                }
            },
            {
                "PieChartVisual": {
                    "VisualId": "pie-result",
                    "Title": title("PASS / FAIL"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "PieChartAggregatedFieldWells": {
                                "Category": [category("f-pie-res", "service_result")],
                                "Values": [measure("f-pie-count", "id", "COUNT")],
                            }
                        },
                        "DonutOptions": {"ArcOptions": {"ArcThickness": "MEDIUM"}},
                    },
                }
            },
            {
                "LineChartVisual": {
                    "VisualId": "line-month",
                    "Title": title("Requests by start month"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "LineChartAggregatedFieldWells": {
                                "Category": [
                                    {"DateDimensionField": {"FieldId": "f-month", "Column": col("start_date"), "DateGranularity": "MONTH"}}
                                ],
                                "Values": [measure("f-line-count", "id", "COUNT")],
                            }
                        }
                    },
                }
            },
            {
                "BarChartVisual": {
                    "VisualId": "bar-division-result",
                    "Title": title("Requests by division and result"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "BarChartAggregatedFieldWells": {
                                "Category": [category("f-div2", "division")],
                                "Values": [measure("f-count2", "id", "COUNT")],
                                "Colors": [category("f-res2", "service_result")],
                            }
                        },
                        "Orientation": "VERTICAL",
                        "BarsArrangement": "STACKED",
                    },
                }
            },
            {
                "TableVisual": {
                    "VisualId": "table-by-ward",
                    "Title": title("Roads & Water requests by ward"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "TableAggregatedFieldWells": {
                                "GroupBy": [{"NumericalDimensionField": {"FieldId": "f-ward", "Column": col("ward_id")}}],
                                "Values": [
                                    measure("f-t-count", "id", "COUNT"),
                                    measure("f-t-days", "business_days", "AVERAGE"),
                                    measure("f-t-cost", "estimated_cost", "SUM", fmt=CURRENCY),
                                ],
                            }
                        },
                        "SortConfiguration": {"RowSort": [{"FieldSort": {"FieldId": "f-ward", "Direction": "ASC"}}]},
                        "FieldOptions": {
                            "SelectedFieldOptions": [
                                {"FieldId": "f-ward", "CustomLabel": "Ward"},
                                {"FieldId": "f-t-count", "CustomLabel": "Requests"},
                            ]
                        },
                    },
                }
            },
        ],
        "Layouts": grid(
            ("kpi-requests", 0, 9, 0, 5),
            ("kpi-total-cost", 9, 9, 0, 5),
            ("kpi-projected", 18, 9, 0, 5),
            ("kpi-result", 27, 9, 0, 5),
            ("bar-division", 0, 18, 5, 10),
            ("pie-result", 18, 18, 5, 10),
            ("line-month", 0, 18, 15, 10),
            ("bar-division-result", 18, 18, 15, 10),
            ("table-by-ward", 0, 36, 25, 7),
        ),
    }


def details_sheet() -> dict:
    return {
        "SheetId": "details",
        "Name": "Details",
        "ParameterControls": [
            {
                "Dropdown": {
                    "ParameterControlId": "division-dropdown",
                    "Title": "Division",
                    "SourceParameterName": "Division",
                    "SelectableValues": {"LinkToDataSetColumn": col("division")},
                }
            }
        ],
        "Visuals": [
            {
                "TableVisual": {
                    "VisualId": "table-rows",
                    "Title": title("February requests"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "TableUnaggregatedFieldWells": {
                                "Values": [
                                    {"FieldId": "u-id", "Column": col("id")},
                                    {"FieldId": "u-div", "Column": col("division")},
                                    {"FieldId": "u-date", "Column": col("start_date")},
                                    {"FieldId": "u-cost", "Column": col("estimated_cost")},
                                    {"FieldId": "u-band", "Column": col("size_band")},
                                ]
                            }
                        },
                        "SortConfiguration": {"RowSort": [{"FieldSort": {"FieldId": "u-id", "Direction": "ASC"}}]},
                    },
                }
            }
        ],
    }


def definition() -> dict:
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": "requests", "DataSetArn": dataset_arn("service_requests")},
            {"Identifier": "kpis", "DataSetArn": dataset_arn("division_kpis")},
        ],
        "Sheets": [overview_sheet(), details_sheet()],
        "CalculatedFields": [
            {
                "DataSetIdentifier": "requests",
                "Name": "projected_cost",
                "Expression": "sum({estimated_cost}) * (1 + ${CostGrowthPct} / 100)",
            },
            {
                "DataSetIdentifier": "requests",
                "Name": "size_band",
                "Expression": 'ifelse({estimated_cost} >= 1000, "Large", {estimated_cost} >= 200, "Medium", "Small")',
            },
        ],
        "ParameterDeclarations": [
            {
                "IntegerParameterDeclaration": {
                    "ParameterValueType": "SINGLE_VALUED",
                    "Name": "CostGrowthPct",
                    "DefaultValues": {"StaticValues": [0]},
                }
            },
            {
                "StringParameterDeclaration": {
                    "ParameterValueType": "SINGLE_VALUED",
                    "Name": "Result",
                    "DefaultValues": {"StaticValues": ["PASS"]},
                }
            },
            {"StringParameterDeclaration": {"ParameterValueType": "SINGLE_VALUED", "Name": "Division"}},
        ],
        "FilterGroups": [
            {
                "FilterGroupId": "fg-division",
                "Filters": [
                    {
                        "CategoryFilter": {
                            "FilterId": "f-division",
                            "Column": col("division"),
                            "Configuration": {
                                "FilterListConfiguration": {"MatchOperator": "EQUALS", "CategoryValues": ["Roads", "Water"]}
                            },
                        }
                    }
                ],
                "ScopeConfiguration": selected("overview", "table-by-ward"),
                "Status": "ENABLED",
                "CrossDataset": "SINGLE_DATASET",
            },
            {
                "FilterGroupId": "fg-result",
                "Filters": [
                    {
                        "CategoryFilter": {
                            "FilterId": "f-result",
                            "Column": col("service_result"),
                            "Configuration": {"CustomFilterConfiguration": {"MatchOperator": "EQUALS", "ParameterName": "Result", "NullOption": "NON_NULLS_ONLY"}},
                        }
                    }
                ],
                "ScopeConfiguration": selected("overview", "kpi-result"),
                "Status": "ENABLED",
                "CrossDataset": "SINGLE_DATASET",
            },
            {
                "FilterGroupId": "fg-disabled",
                "Filters": [
                    {
                        "NumericRangeFilter": {
                            "FilterId": "f-disabled",
                            "Column": col("estimated_cost"),
                            "RangeMaximum": {"StaticValue": -1.0},
                            "NullOption": "NON_NULLS_ONLY",
                        }
                    }
                ],
                "ScopeConfiguration": {"AllSheets": {}},
                "Status": "DISABLED",
                "CrossDataset": "SINGLE_DATASET",
            },
            {
                "FilterGroupId": "fg-february",
                "Filters": [
                    {
                        "TimeRangeFilter": {
                            "FilterId": "f-february",
                            "Column": col("start_date"),
                            "IncludeMinimum": True,
                            "IncludeMaximum": False,
                            "RangeMinimumValue": {"StaticValue": dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)},
                            "RangeMaximumValue": {"StaticValue": dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)},
                            "NullOption": "NON_NULLS_ONLY",
                        }
                    },
                    {
                        "CategoryFilter": {
                            "FilterId": "f-division-param",
                            "Column": col("division"),
                            "Configuration": {"CustomFilterConfiguration": {"MatchOperator": "EQUALS", "ParameterName": "Division", "NullOption": "NON_NULLS_ONLY"}},
                        }
                    },
                ],
                "ScopeConfiguration": selected("details"),
                "Status": "ENABLED",
                "CrossDataset": "SINGLE_DATASET",
            },
        ],
    }


def broken_definition() -> dict:
    broken = definition()
    broken["CalculatedFields"].append(
        {"DataSetIdentifier": "requests", "Name": "share_of_division", "Expression": "sum({estimated_cost}) / periodToDatePercentile({estimated_cost}, 50, {start_date}, YEAR)"}
    )
    broken["Sheets"][0]["Visuals"].append(kpi("kpi-broken", "Share (broken)", measure("f-broken", "share_of_division")))
    return broken


class FakeQuickSight:
    """The three read calls the viewer makes, answering like boto3 (ClientError for unknown ids)."""

    def __init__(self, dashboards: dict[str, tuple[str, dict]], data_sets: dict[str, dict], page_size: int = 1):
        self.dashboards = dashboards
        self.data_sets = data_sets
        self.page_size = page_size
        self.calls: list[str] = []

    def _check(self, account: str) -> None:
        if account != ACCOUNT:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "wrong account"}}, "Describe")

    @staticmethod
    def _not_found(operation: str, what: str) -> ClientError:
        return ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": f"{what} not found"}, "ResponseMetadata": {"HTTPStatusCode": 404}},
            operation,
        )

    def list_dashboards(self, AwsAccountId: str, NextToken: str | None = None, MaxResults: int | None = None) -> dict:
        self._check(AwsAccountId)
        self.calls.append("list_dashboards")
        ids = sorted(self.dashboards)
        start = int(NextToken or 0)
        page = ids[start : start + self.page_size]
        response = {
            "DashboardSummaryList": [
                {
                    "Arn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dashboard/{i}",
                    "DashboardId": i,
                    "Name": self.dashboards[i][0],
                    "CreatedTime": dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc),
                    "LastUpdatedTime": dt.datetime(2024, 4, 2, tzinfo=dt.timezone.utc),
                    "PublishedVersionNumber": 1,
                }
                for i in page
            ],
            "Status": 200,
            "RequestId": "req-1",
        }
        if start + self.page_size < len(ids):
            response["NextToken"] = str(start + self.page_size)
        return response

    def describe_dashboard_definition(self, AwsAccountId: str, DashboardId: str, **_: object) -> dict:
        self._check(AwsAccountId)
        self.calls.append("describe_dashboard_definition")
        if DashboardId not in self.dashboards:
            raise self._not_found("DescribeDashboardDefinition", f"dashboard {DashboardId}")
        name, body = self.dashboards[DashboardId]
        return {
            "DashboardId": DashboardId,
            "Name": name,
            "Definition": copy.deepcopy(body),
            "ResourceStatus": "CREATION_SUCCESSFUL",
            "Status": 200,
            "RequestId": "req-2",
        }

    def describe_data_set(self, AwsAccountId: str, DataSetId: str) -> dict:
        self._check(AwsAccountId)
        self.calls.append("describe_data_set")
        if DataSetId not in self.data_sets:
            raise self._not_found("DescribeDataSet", f"dataset {DataSetId}")
        return {"DataSet": copy.deepcopy(self.data_sets[DataSetId]), "Status": 200, "RequestId": "req-3"}


def fake_client() -> FakeQuickSight:
    return FakeQuickSight(
        {
            DASHBOARD_ID: ("Service requests overview", definition()),
            BROKEN_DASHBOARD_ID: ("Service requests (with a broken field)", broken_definition()),
        },
        datasets(),
    )


# ---- the running server -----------------------------------------------------------------------------------


@dataclass
class RunningViewer:
    url: str
    client: FakeQuickSight
    catalog: Path

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        return status, (json.loads(raw) if kind.startswith("application/json") else raw.decode())

    def get(self, path: str) -> tuple[int, dict | str]:
        return self.request("GET", path)

    def visual(self, visual_id: str, parameters: dict | None = None, dashboard: str = DASHBOARD_ID, sheet_id: str | None = None) -> tuple[int, dict]:
        body: dict = {"parameters": parameters or {}}
        if sheet_id:
            body["sheet_id"] = sheet_id
        return self.request("POST", f"/api/dashboards/{dashboard}/visuals/{visual_id}", body)  # type: ignore[return-value]

    def rows(self, visual_id: str, parameters: dict | None = None, **kwargs) -> list[list]:
        status, payload = self.visual(visual_id, parameters, **kwargs)
        assert status == 200, payload
        return payload["rows"]


def start_viewer(catalog: Path, client: FakeQuickSight):
    server = make_viewer_server(quicksight_client=client, account_id=ACCOUNT, catalog_path=catalog, port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    return server, RunningViewer(f"http://{host}:{port}", client, catalog)


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
        report = validator.validate({"AwsAccountId": ACCOUNT, **request}, model.operation_model("CreateDataSet").input_shape)
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
    assert {p["name"]: p["default"] for p in payload["parameters"]} == {"CostGrowthPct": 0, "Result": "PASS", "Division": None}
    overview, details = payload["sheets"]
    assert [overview["sheet_id"], details["sheet_id"]] == ["overview", "details"]
    slider = overview["controls"][0]
    assert (slider["kind"], slider["parameter"], slider["min"], slider["max"], slider["step"]) == ("Slider", "CostGrowthPct", 0, 50, 5)
    assert overview["controls"][1]["values"] == ["PASS", "FAIL"]
    assert details["controls"][0]["linked"] is True
    visuals = {v["visual_id"]: v for v in overview["visuals"]}
    assert visuals["kpi-projected"]["title"] == "Projected cost (what-if)"
    assert visuals["bar-division"]["layout"] == {"column": 0, "column_span": 18, "row": 5, "row_span": 10}
    assert visuals["pie-result"]["options"]["donut"] is True
    assert payload["definition"]["FilterGroups"][3]["Filters"][0]["TimeRangeFilter"]["RangeMinimumValue"]["StaticValue"].startswith("2024-02-01")


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
        ["Parks", "FAIL", 1], ["Parks", "PASS", 1],
        ["Roads", "FAIL", 1], ["Roads", "PASS", 2],
        ["Water", "FAIL", 1], ["Water", "PASS", 2],
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
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)", str(viewer.catalog)],
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
    writer = duckdb.connect(str(viewer.catalog))  # read-write in this process: fails if a read-only handle is still open
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
            "FilterGroupId": group_id, "Filters": [filter_], "ScopeConfiguration": selected("extra", visual_id),
            "Status": "ENABLED", "CrossDataset": "SINGLE_DATASET",
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
                            "FieldWells": {"BarChartAggregatedFieldWells": {
                                "Category": [category("x-div", "division")], "Values": [measure("x-cost", "estimated_cost", "SUM")],
                            }},
                            "SortConfiguration": {
                                "CategorySort": [{"FieldSort": {"FieldId": "x-cost", "Direction": "DESC"}}],
                                "CategoryItemsLimit": {"ItemsLimit": 2, "OtherCategories": "EXCLUDE"},
                            },
                        },
                    }
                },
                table("table-having", [category("h-div", "division")], [measure("h-count", "id", "COUNT")],
                      [{"FieldSort": {"FieldId": "h-div", "Direction": "ASC"}}]),
                table("table-colsort", [category("c-res", "service_result")], [measure("c-cost", "estimated_cost", "SUM")],
                      [{"ColumnSort": {"SortBy": col("estimated_cost"), "Direction": "ASC",
                                       "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": "SUM"}}}}]),
                kpi("kpi-distinct", "Divisions", {"CategoricalMeasureField": {"FieldId": "d-div", "Column": col("division"), "AggregationFunction": "DISTINCT_COUNT"}}),
                kpi("kpi-since", "Requests since", measure("s-count", "id", "COUNT")),
                kpi("kpi-median", "Median days", measure("m-days", "business_days", "MEDIAN")),
                kpi("kpi-p50", "P50 days", {"NumericalMeasureField": {
                    "FieldId": "p-days", "Column": col("business_days"),
                    "AggregationFunction": {"PercentileAggregation": {"PercentileValue": 50}},
                }}),
                kpi("kpi-nested", "Total with growth", measure("n-total", "total_with_growth")),
                kpi("kpi-loop", "Loop", measure("l-loop", "loop_a")),
                {"PluginVisual": {"VisualId": "cloud", "PluginArn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:plugin/word-art"}},
            ],
        }
    ]
    body["CalculatedFields"] += [
        {"DataSetIdentifier": "requests", "Name": "cost_with_growth", "Expression": "{estimated_cost} * (1 + ${CostGrowthPct} / 100)"},
        {"DataSetIdentifier": "requests", "Name": "total_with_growth", "Expression": "sum({cost_with_growth})"},
        {"DataSetIdentifier": "requests", "Name": "loop_a", "Expression": "sum({loop_b})"},
        {"DataSetIdentifier": "requests", "Name": "loop_b", "Expression": "{loop_a} + 1"},
    ]
    body["ParameterDeclarations"] += [
        {"DecimalParameterDeclaration": {"ParameterValueType": "SINGLE_VALUED", "Name": "MinCost", "DefaultValues": {"StaticValues": [1000.0]}}},
        {"StringParameterDeclaration": {"ParameterValueType": "MULTI_VALUED", "Name": "Divisions", "DefaultValues": {"StaticValues": ["Parks", "Roads"]}}},
        {"DateTimeParameterDeclaration": {
            "Name": "Since", "TimeGranularity": "DAY",
            "DefaultValues": {"StaticValues": [dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)]},
        }},
    ]
    body["FilterGroups"] = [
        scoped("g-having", "table-having", {"NumericRangeFilter": {
            "FilterId": "x-having", "Column": col("estimated_cost"), "IncludeMinimum": True,
            "RangeMinimum": {"Parameter": "MinCost"}, "NullOption": "NON_NULLS_ONLY",
            "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": "SUM"}},
        }}),
        scoped("g-divisions", "kpi-distinct", {"CategoryFilter": {
            "FilterId": "x-divisions", "Column": col("division"),
            "Configuration": {"CustomFilterConfiguration": {"MatchOperator": "EQUALS", "ParameterName": "Divisions", "NullOption": "NON_NULLS_ONLY"}},
        }}),
        scoped("g-since", "kpi-since", {"TimeRangeFilter": {
            "FilterId": "x-since", "Column": col("start_date"), "IncludeMinimum": True,
            "RangeMinimumValue": {"Parameter": "Since"}, "NullOption": "NON_NULLS_ONLY",
        }}),
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
    request = {"AwsAccountId": ACCOUNT, "DashboardId": EXTRA_DASHBOARD_ID, "Name": "Extra", "Definition": extra_definition()}
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
    from qs_platform.local.quicksight import local_quicksight_client

    client = local_quicksight_client(tmp_path / "quicksight.sqlite", region=REGION, account_id=ACCOUNT)
    client.create_data_source(
        AwsAccountId=ACCOUNT, DataSourceId="local-catalog", Name="catalog", Type="ATHENA",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}},
    )
    for data_set in datasets().values():
        request = {k: data_set[k] for k in ("DataSetId", "Name", "PhysicalTableMap", "ImportMode", "LogicalTableMap") if k in data_set}
        client.create_data_set(AwsAccountId=ACCOUNT, **request)
    client.create_dashboard(AwsAccountId=ACCOUNT, DashboardId=DASHBOARD_ID, Name="Service requests overview", Definition=definition())
    server, running = start_viewer(build_catalog(tmp_path / "catalog.duckdb"), client)
    try:
        assert running.get("/api/dashboards")[1]["dashboards"][0]["dashboard_id"] == DASHBOARD_ID
        _, summary = running.get(f"/api/dashboards/{DASHBOARD_ID}")
        for sheet in summary["sheets"]:
            for visual in sheet["visuals"]:
                status, payload = running.visual(visual["visual_id"], sheet_id=sheet["sheet_id"])
                assert status == 200, payload
        assert running.rows("kpi-projected", {"CostGrowthPct": 20})[0][0] == pytest.approx(TOTAL_COST * 1.2)
        assert running.rows("table-rows", sheet_id="details")[0][:2] == [3, "Roads"]  # TimeRangeFilter with datetimes from botocore
    finally:
        server.shutdown()
        server.server_close()


def build_project_catalog(path: Path, config) -> None:
    """raw.service_requests with a few rows, and every processed table as a view of its configured SQL."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA raw; CREATE SCHEMA processed;")
        con.execute(
            "CREATE TABLE raw.service_requests (id BIGINT, start_date DATE, end_date DATE, service_division_owner VARCHAR,"
            " service_result VARCHAR, ward_id INTEGER, estimated_cost DECIMAL(18,2), notes VARCHAR,"
            " _ingested_at TIMESTAMP, _source_key VARCHAR)"
        )
        con.executemany(
            "INSERT INTO raw.service_requests VALUES (?, ?, ?, ?, ?, ?, ?, NULL, TIMESTAMP '2024-04-01 00:00:00', 'landing/a.csv')",
            [(i, start, end, div, res, ward, cost) for i, start, end, div, res, ward, cost in [
                (1, "2024-01-02", "2024-01-09", "Parks and Recreation", "PASS", 1, "120.00"),
                (2, "2024-01-15", "2024-01-17", "Parks and Recreation", "FAIL", 2, "80.50"),
                (3, "2024-02-05", "2024-02-19", "Roads", "PASS", 2, "1500.00"),
                (4, "2024-03-11", "2024-03-12", "Water", "PASS", 3, "300.00"),
            ]],
        )
        from qs_platform.catalog.tables import empty_raw_select

        for name in config.catalog_tables:  # every other raw table exists, empty and typed
            if name.startswith("raw.") and name != "raw.service_requests":
                source, child = config.raw_owner(name)
                con.execute(f"CREATE VIEW {name} AS {empty_raw_select(source, child)}")
        pending = list(config.tables)
        for _ in range(len(pending) ** 2 + 1):  # processed tables may read each other: dependency order
            if not pending:
                break
            table = pending.pop(0)
            try:
                con.execute(f"CREATE VIEW processed.{table.name} AS {table.sql}")
            except duckdb.CatalogException:
                pending.append(table)
        assert not pending, f"processed tables that cannot be created: {[t.name for t in pending]}"
    finally:
        con.close()


def project_dashboards(tmp_path: Path):
    """(catalog, fake client, {dashboard id: (name, Definition)}, dashboard id -> whether all its tables have rows)
    for every dashboard of assets_config, compiled like the dashboard assets do."""
    from qs_platform.config.loader import load_config
    from qs_platform.quicksight.definition import compile_definition
    from qs_platform.quicksight.datasets import quicksight_type

    config = load_config(CONFIG_DIR)
    catalog = tmp_path / "catalog.duckdb"
    build_project_catalog(catalog, config)
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        data_sets, columns, has_rows = {}, {}, {}
        for data_set in config.datasets:
            schema, name = data_set.table.split(".")
            described = con.execute(f"DESCRIBE {schema}.{name}").fetchall()
            has_rows[data_set.id] = con.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0] > 0
            columns[data_set.id] = {c[0]: quicksight_type(c[1]) for c in described}
            data_sets[data_set.id] = {
                "Arn": dataset_arn(data_set.id),
                "DataSetId": data_set.id,
                "Name": data_set.display_name,
                "ImportMode": data_set.import_mode,
                "PhysicalTableMap": {
                    "table": {
                        "RelationalTable": {
                            "DataSourceArn": DATASOURCE_ARN, "Catalog": "AwsDataCatalog", "Schema": schema, "Name": name,
                            "InputColumns": [{"Name": c, "Type": t} for c, t in columns[data_set.id].items()],
                        }
                    }
                },
            }
    finally:
        con.close()
    dashboards = {
        d.id: (d.name, compile_definition(d, {ds: dataset_arn(ds) for ds in d.datasets}, {ds: columns[ds] for ds in d.datasets}))
        for d in config.dashboards
    }
    assert dashboards, "assets_config has no dashboards"
    with_rows = {d.id: all(has_rows[ds] for ds in d.datasets) for d in config.dashboards}
    return catalog, FakeQuickSight(dashboards, data_sets), dashboards, with_rows


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
        ("ifelse({a} > 1 AND {b} <> 'x', 'big', 'small')", """CASE WHEN (("a" > 1) AND ("b" <> 'x')) THEN 'big' ELSE 'small' END""", False),
        ("distinct_count({a})", 'count(DISTINCT "a")', True),
        ('concat({a}, " - ", toString({b}))', """("a" || ' - ' || CAST("b" AS VARCHAR))""", False),
        ("round(abs(coalesce({a}, 0)), 2)", 'round(abs(coalesce("a", 0)), 2)', False),
        ("in({a}, ['x', 'it''s'])", """("a" IN ('x', 'it''s'))""", False),
        ("truncDate('MM', {d})", """date_trunc('month', CAST("d" AS TIMESTAMP))""", False),
        ("NOT isNull({a}) OR {b} = -2", '((NOT ("a" IS NULL)) OR ("b" = (-2)))', False),
        ("amount * 2", '("amount" * 2)', False),  # a column name without braces, as QuickSight accepts
        ("sumIf({a}, {b} = 'x') / count({a})", """(sum("a") FILTER (WHERE ("b" = 'x')) / NULLIF(count("a"), 0))""", True),
    ],
)
def test_expression_translation(expression, sql, aggregate):
    result = translate(expression, _Columns())
    assert (result.text, result.aggregate) == (sql, aggregate)


@pytest.mark.parametrize(
    "expression, message",
    [
        ("medianOver({a}, [{b}])", "unknown function medianOver() at position 0 (not in QuickSight's function list)"),
        ("periodToDatePercentile({a}, 50, {b}, YEAR)", "function periodToDatePercentile() is not supported by the local viewer"),
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
