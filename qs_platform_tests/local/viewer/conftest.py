"""Shared by the viewer tests: a tiny catalog (8 service requests, expected numbers worked out by hand from ROWS),
hand-written Definitions in botocore's shapes (the service overview, a gallery of visual types, every type at once),
a fake QuickSight client, the exported logistics Definition over a generated catalog, and a viewer on a free port."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from botocore.exceptions import ClientError

from qs_platform.local.quicksight import local_quicksight_client
from qs_platform.local.viewer import make_viewer_server
from qs_platform.local.viewer.expressions import ExpressionError, Sql, translate
from qs_platform_tests.conftest import CONFIG_DIR, SEEDS

ACCOUNT = "111122223333"


REGION = "us-east-1"


DASHBOARD_ID = "service-overview"


BROKEN_DASHBOARD_ID = "service-broken"


DATASOURCE_ARN = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:datasource/local-catalog"


def catalog_quicksight(store: Path):
    """A local QuickSight client (its store at `store`) with the data source the viewer's datasets read from."""
    client = local_quicksight_client(store, region=REGION, account_id=ACCOUNT)
    client.create_data_source(
        AwsAccountId=ACCOUNT,
        DataSourceId=DATASOURCE_ARN.rsplit("/", 1)[-1],
        Name="catalog",
        Type="ATHENA",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}},
    )
    return client


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


# g, x, n, d, s, j: the four rows of table `t` (fixture `con`) that expression and compile tests run on
FOUR_ROWS = [
    ("a", 1.0, 1, dt.datetime(2024, 1, 1), "Ab-Cd-Ef", '{"k": "v1"}'),
    ("a", 2.0, 2, dt.datetime(2024, 1, 15), "x y", '{"k": "v2"}'),
    ("b", 3.0, 3, dt.datetime(2024, 2, 1), "  pad ", '{"k": "v3"}'),
    ("b", 4.0, 4, dt.datetime(2024, 3, 1), "1.5", '{"k": "v4"}'),
]
FOUR_COLUMNS = ("g", "x", "n", "d", "s", "j")


@pytest.fixture(scope="module")
def con():
    """An in-memory DuckDB with table `t` holding FOUR_ROWS."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (g VARCHAR, x DOUBLE, n BIGINT, d TIMESTAMP, s VARCHAR, j VARCHAR)")
    connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", FOUR_ROWS)
    yield connection
    connection.close()


def _t_fields(kind: str, names) -> list[dict]:
    return [{kind: {"FieldId": n, "Column": {"DataSetIdentifier": "t", "ColumnName": n}}} for n in names]


def bar_visual(category: str, *values: str, visual_id: str = "v") -> dict:
    """A bar chart of dataset `t`: `category` on the axis, each of `values` a measure (a column or calculated field)."""
    wells = {
        "Category": _t_fields("CategoricalDimensionField", [category]),
        "Values": _t_fields("NumericalMeasureField", values),
    }
    return {
        "BarChartVisual": {
            "VisualId": visual_id,
            "ChartConfiguration": {"FieldWells": {"BarChartAggregatedFieldWells": wells}},
        }
    }


def table_visual(group_by: tuple[str, ...], values: tuple[str, ...], visual_id: str = "v") -> dict:
    """A table of dataset `t` grouped by the `group_by` columns, with the `values` measures."""
    wells = {
        "GroupBy": _t_fields("CategoricalDimensionField", group_by),
        "Values": _t_fields("NumericalMeasureField", values),
    }
    return {
        "TableVisual": {
            "VisualId": visual_id,
            "ChartConfiguration": {"FieldWells": {"TableAggregatedFieldWells": wells}},
        }
    }


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


def measure(
    field_id: str, name: str, aggregation: str | None = None, dataset: str = "requests", fmt: dict | None = None
) -> dict:
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
    return {
        "KPIVisual": {
            "VisualId": visual_id,
            "Title": title(text),
            "ChartConfiguration": {"FieldWells": {"Values": [value]}},
        }
    }


def grid(*elements: tuple[str, int, int, int, int]) -> list[dict]:
    return [
        {
            "Configuration": {
                "GridLayout": {
                    "Elements": [
                        {
                            "ElementId": eid,
                            "ElementType": "VISUAL",
                            "ColumnIndex": c,
                            "ColumnSpan": cs,
                            "RowIndex": r,
                            "RowSpan": rs,
                        }
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
                        "SortConfiguration": {
                            "CategorySort": [{"FieldSort": {"FieldId": "f-total", "Direction": "DESC"}}]
                        },
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
                                    {
                                        "DateDimensionField": {
                                            "FieldId": "f-month",
                                            "Column": col("start_date"),
                                            "DateGranularity": "MONTH",
                                        }
                                    }
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
                                "GroupBy": [
                                    {"NumericalDimensionField": {"FieldId": "f-ward", "Column": col("ward_id")}}
                                ],
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
                                "FilterListConfiguration": {
                                    "MatchOperator": "EQUALS",
                                    "CategoryValues": ["Roads", "Water"],
                                }
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
                            "Configuration": {
                                "CustomFilterConfiguration": {
                                    "MatchOperator": "EQUALS",
                                    "ParameterName": "Result",
                                    "NullOption": "NON_NULLS_ONLY",
                                }
                            },
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
                            "RangeMinimumValue": {"StaticValue": dt.datetime(2024, 2, 1, tzinfo=dt.UTC)},
                            "RangeMaximumValue": {"StaticValue": dt.datetime(2024, 3, 1, tzinfo=dt.UTC)},
                            "NullOption": "NON_NULLS_ONLY",
                        }
                    },
                    {
                        "CategoryFilter": {
                            "FilterId": "f-division-param",
                            "Column": col("division"),
                            "Configuration": {
                                "CustomFilterConfiguration": {
                                    "MatchOperator": "EQUALS",
                                    "ParameterName": "Division",
                                    "NullOption": "NON_NULLS_ONLY",
                                }
                            },
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
        {
            "DataSetIdentifier": "requests",
            "Name": "share_of_division",
            "Expression": "sum({estimated_cost}) / periodToDatePercentile({estimated_cost}, 50, {start_date}, YEAR)",
        }
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
            {
                "Error": {"Code": "ResourceNotFoundException", "Message": f"{what} not found"},
                "ResponseMetadata": {"HTTPStatusCode": 404},
            },
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
                    "CreatedTime": dt.datetime(2024, 4, 1, tzinfo=dt.UTC),
                    "LastUpdatedTime": dt.datetime(2024, 4, 2, tzinfo=dt.UTC),
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


@dataclass
class RunningViewer:
    url: str
    client: FakeQuickSight
    catalog: Path

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        return status, (json.loads(raw) if kind.startswith("application/json") else raw.decode())

    def get(self, path: str) -> tuple[int, dict | str]:
        return self.request("GET", path)

    def visual(
        self, visual_id: str, parameters: dict | None = None, dashboard: str = DASHBOARD_ID, sheet_id: str | None = None
    ) -> tuple[int, dict]:
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
            [
                (i, start, end, div, res, ward, cost)
                for i, start, end, div, res, ward, cost in [
                    (1, "2024-01-02", "2024-01-09", "Parks and Recreation", "PASS", 1, "120.00"),
                    (2, "2024-01-15", "2024-01-17", "Parks and Recreation", "FAIL", 2, "80.50"),
                    (3, "2024-02-05", "2024-02-19", "Roads", "PASS", 2, "1500.00"),
                    (4, "2024-03-11", "2024-03-12", "Water", "PASS", 3, "300.00"),
                ]
            ],
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
    from qs_platform.quicksight.datasets import quicksight_type
    from qs_platform.quicksight.definition import compile_definition

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
                            "DataSourceArn": DATASOURCE_ARN,
                            "Catalog": "AwsDataCatalog",
                            "Schema": schema,
                            "Name": name,
                            "InputColumns": [{"Name": c, "Type": t} for c, t in columns[data_set.id].items()],
                        }
                    }
                },
            }
    finally:
        con.close()
    dashboards = {
        d.id: (
            d.name,
            compile_definition(d, {ds: dataset_arn(ds) for ds in d.datasets}, {ds: columns[ds] for ds in d.datasets}),
        )
        for d in config.dashboards
    }
    assert dashboards, "assets_config has no dashboards"
    with_rows = {d.id: all(has_rows[ds] for ds in d.datasets) for d in config.dashboards}
    return catalog, FakeQuickSight(dashboards, data_sets), dashboards, with_rows


GALLERY_ID = "visual-gallery"


LOGISTICS_ID = "logistics-template"


LOGISTICS_DEFINITION = SEEDS / "logistics" / "quicksight" / "dashboard_definition_template.json"


# site, region, latitude, longitude, visits
SITES = [
    ("Oslo", "North", 59.91, 10.75, 120),
    ("Bergen", "North", 60.39, 5.32, 80),
    ("Madrid", "South", 40.42, -3.70, 200),
    ("Lisbon", "South", 38.72, -9.14, 60),
    ("Berlin", "Central", 52.52, 13.40, 150),
]


def build_gallery_catalog(path: Path) -> Path:
    build_catalog(path)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE processed.sites (site VARCHAR, region VARCHAR, latitude DOUBLE, longitude DOUBLE, visits BIGINT)"
        )
        con.executemany("INSERT INTO processed.sites VALUES (?, ?, ?, ?, ?)", SITES)
    finally:
        con.close()
    return path


def gallery_datasets() -> dict[str, dict]:
    columns = [
        {"Name": "site", "Type": "STRING"},
        {"Name": "region", "Type": "STRING"},
        {"Name": "latitude", "Type": "DECIMAL"},
        {"Name": "longitude", "Type": "DECIMAL"},
        {"Name": "visits", "Type": "INTEGER"},
    ]
    sites = {
        "Arn": dataset_arn("sites"),
        "DataSetId": "sites",
        "Name": "Sites",
        "ImportMode": "DIRECT_QUERY",
        "PhysicalTableMap": {
            "sites-table": {
                "RelationalTable": {
                    "DataSourceArn": DATASOURCE_ARN,
                    "Schema": "processed",
                    "Name": "sites",
                    "InputColumns": columns,
                }
            }
        },
        "LogicalTableMap": {
            "sites-logical": {
                "Alias": "sites",
                "Source": {"PhysicalTableId": "sites-table"},
                "DataTransforms": [
                    {"TagColumnOperation": {"ColumnName": "latitude", "Tags": [{"ColumnGeographicRole": "LATITUDE"}]}},
                    {
                        "TagColumnOperation": {
                            "ColumnName": "longitude",
                            "Tags": [{"ColumnGeographicRole": "LONGITUDE"}],
                        }
                    },
                ],
            }
        },
    }
    return {**datasets(), "sites": sites}


def dim(field_id: str, name: str, dataset: str = "requests") -> dict:
    return category(field_id, name, dataset)


def number_dim(field_id: str, name: str, dataset: str = "requests") -> dict:
    return {"NumericalDimensionField": {"FieldId": field_id, "Column": col(name, dataset)}}


def month(field_id: str) -> dict:
    return {"DateDimensionField": {"FieldId": field_id, "Column": col("start_date"), "DateGranularity": "MONTH"}}


def visuals() -> list[dict]:
    return [
        kpi("kpi-projected", "Projected cost (what-if)", measure("g-proj", "projected_cost")),
        kpi("kpi-filtered", "Requests (filter controls)", measure("g-req", "id", "COUNT")),
        {
            "PivotTableVisual": {
                "VisualId": "pivot",
                "Title": title("Cost by division and result"),
                "ChartConfiguration": {
                    "FieldWells": {
                        "PivotTableAggregatedFieldWells": {
                            "Rows": [dim("pv-div", "division")],
                            "Columns": [dim("pv-res", "service_result")],
                            "Values": [measure("pv-cost", "estimated_cost", "SUM"), measure("pv-count", "id", "COUNT")],
                        }
                    },
                    "TotalOptions": {
                        "RowTotalOptions": {"TotalsVisibility": "VISIBLE"},
                        "ColumnTotalOptions": {"TotalsVisibility": "VISIBLE"},
                    },
                },
            }
        },
        {
            "ComboChartVisual": {
                "VisualId": "combo",
                "Title": title("Cost (bars) and requests (line) by month"),
                "ChartConfiguration": {
                    "FieldWells": {
                        "ComboChartAggregatedFieldWells": {
                            "Category": [month("cb-month")],
                            "BarValues": [measure("cb-cost", "estimated_cost", "SUM")],
                            "LineValues": [measure("cb-count", "id", "COUNT")],
                        }
                    },
                    "BarsArrangement": "CLUSTERED",
                },
            }
        },
        {
            "ScatterPlotVisual": {
                "VisualId": "scatter",
                "Title": title("Requests vs cost per division"),
                "ChartConfiguration": {
                    "FieldWells": {
                        "ScatterPlotCategoricallyAggregatedFieldWells": {
                            "XAxis": [measure("sc-count", "id", "COUNT")],
                            "YAxis": [measure("sc-cost", "estimated_cost", "SUM")],
                            "Category": [dim("sc-div", "division")],
                            "Size": [measure("sc-days", "business_days", "AVERAGE")],
                        }
                    },
                },
            }
        },
        {
            "HeatMapVisual": {
                "VisualId": "heat",
                "Title": title("Requests by division and ward"),
                "ChartConfiguration": {
                    "FieldWells": {
                        "HeatMapAggregatedFieldWells": {
                            "Rows": [dim("hm-div", "division")],
                            "Columns": [number_dim("hm-ward", "ward_id")],
                            "Values": [measure("hm-count", "id", "COUNT")],
                        }
                    },
                },
            }
        },
        {
            "GeospatialMapVisual": {
                "VisualId": "geo",
                "Title": title("Visits by site"),
                "ChartConfiguration": {
                    "FieldWells": {
                        "GeospatialMapAggregatedFieldWells": {
                            "Geospatial": [
                                number_dim("geo-lat", "latitude", "sites"),
                                number_dim("geo-lon", "longitude", "sites"),
                            ],
                            "Values": [measure("geo-visits", "visits", "SUM", "sites")],
                            "Colors": [dim("geo-region", "region", "sites")],
                        }
                    },
                },
            }
        },
        {
            "FilledMapVisual": {
                "VisualId": "filled",
                "Title": title("Visits by region"),
                "ChartConfiguration": {
                    "FieldWells": {
                        "FilledMapAggregatedFieldWells": {
                            "Geospatial": [dim("fm-region", "region", "sites")],
                            "Values": [measure("fm-visits", "visits", "SUM", "sites")],
                        }
                    },
                },
            }
        },
        {
            "PluginVisual": {
                "VisualId": "cloud",
                "Title": title("Not drawn locally"),
                "PluginArn": "arn:aws:quicksight:us-east-1:111122223333:plugin/word-art",
            }
        },
    ]


def gallery_sheet() -> dict:
    return {
        "SheetId": "gallery",
        "Name": "Gallery",
        "ParameterControls": [
            {
                "Slider": {
                    "ParameterControlId": "growth",
                    "Title": "What-if: cost growth (%)",
                    "SourceParameterName": "CostGrowthPct",
                    "MinimumValue": 0,
                    "MaximumValue": 50,
                    "StepSize": 5,
                }
            },
            {"DateTimePicker": {"ParameterControlId": "since", "Title": "Since", "SourceParameterName": "Since"}},
            {
                "TextField": {
                    "ParameterControlId": "search",
                    "Title": "Division contains",
                    "SourceParameterName": "Search",
                }
            },
        ],
        "FilterControls": [
            {
                "Dropdown": {
                    "FilterControlId": "division-filter",
                    "Title": "Division",
                    "SourceFilterId": "f-division",
                    "Type": "MULTI_SELECT",
                }
            },
            {
                "Slider": {
                    "FilterControlId": "cost-filter",
                    "Title": "Estimated cost",
                    "SourceFilterId": "f-cost",
                    "Type": "RANGE",
                    "MinimumValue": 0,
                    "MaximumValue": 1500,
                    "StepSize": 50,
                }
            },
            {
                "DateTimePicker": {
                    "FilterControlId": "dates-filter",
                    "Title": "Start date",
                    "SourceFilterId": "f-dates",
                    "Type": "DATE_RANGE",
                }
            },
            {"CrossSheet": {"FilterControlId": "result-filter", "SourceFilterId": "f-result"}},
        ],
        "Visuals": visuals(),
        "Layouts": grid(
            ("kpi-projected", 0, 9, 0, 5),
            ("kpi-filtered", 9, 9, 0, 5),
            ("cloud", 18, 18, 0, 5),
            ("pivot", 0, 18, 5, 8),
            ("combo", 18, 18, 5, 8),
            ("scatter", 0, 18, 13, 9),
            ("heat", 18, 18, 13, 9),
            ("geo", 0, 18, 22, 10),
            ("filled", 18, 18, 22, 10),
        ),
    }


def more_sheet() -> dict:
    """Filters without controls: top/bottom, relative dates, nested."""
    return {
        "SheetId": "more",
        "Name": "More filters",
        "Visuals": [
            {
                "TableVisual": {
                    "VisualId": "top-divisions",
                    "Title": title("Top 2 divisions by cost"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "TableAggregatedFieldWells": {
                                "GroupBy": [dim("t-div", "division")],
                                "Values": [measure("t-cost", "estimated_cost", "SUM")],
                            }
                        }
                    },
                }
            },
            kpi("kpi-relative", "Requests in the month before the anchor", measure("r-count", "id", "COUNT")),
            kpi("kpi-nested", "Requests in wards that have Parks requests", measure("n-count", "id", "COUNT")),
            {
                "KPIVisual": {
                    "VisualId": "kpi-trend",
                    "Title": title("Cost this month vs the largest request and last month"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "Values": [measure("k-cost", "estimated_cost", "SUM")],
                            "TargetValues": [measure("k-max", "estimated_cost", "MAX")],
                            "TrendGroups": [month("k-month")],
                        }
                    },
                }
            },
            {
                "ScatterPlotVisual": {
                    "VisualId": "scatter-rows",
                    "Title": title("Business days vs cost, one point per request"),
                    "ChartConfiguration": {
                        "FieldWells": {
                            "ScatterPlotUnaggregatedFieldWells": {
                                "XAxis": [number_dim("su-days", "business_days")],
                                "YAxis": [number_dim("su-cost", "estimated_cost")],
                                "Category": [dim("su-div", "division")],
                            }
                        }
                    },
                }
            },
        ],
    }


def scoped(group_id: str, scope: dict, filter_: dict) -> dict:
    return {
        "FilterGroupId": group_id,
        "Filters": [filter_],
        "ScopeConfiguration": scope,
        "Status": "ENABLED",
        "CrossDataset": "SINGLE_DATASET",
    }


def filter_groups() -> list[dict]:
    control_visuals = selected("gallery", "kpi-filtered", "pivot")
    return [
        scoped(
            "fg-division",
            control_visuals,
            {
                "CategoryFilter": {
                    "FilterId": "f-division",
                    "Column": col("division"),  # CONTAINS: how QuickSight exports an include list
                    "Configuration": {
                        "FilterListConfiguration": {
                            "MatchOperator": "CONTAINS",
                            "SelectAllOptions": "FILTER_ALL_VALUES",
                        }
                    },
                }
            },
        ),
        scoped(
            "fg-cost",
            control_visuals,
            {
                "NumericRangeFilter": {
                    "FilterId": "f-cost",
                    "Column": col("estimated_cost"),
                    "NullOption": "NON_NULLS_ONLY",
                    "RangeMinimum": {"StaticValue": 0.0},
                    "RangeMaximum": {"StaticValue": 1500.0},
                }
            },
        ),
        scoped(
            "fg-dates",
            control_visuals,
            {
                "TimeRangeFilter": {
                    "FilterId": "f-dates",
                    "Column": col("start_date"),
                    "NullOption": "NON_NULLS_ONLY",
                    "RangeMinimumValue": {"StaticValue": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)},
                    "RangeMaximumValue": {"StaticValue": dt.datetime(2024, 12, 31, tzinfo=dt.UTC)},
                }
            },
        ),
        scoped(
            "fg-result",
            {"AllSheets": {}},
            {
                "CategoryFilter": {
                    "FilterId": "f-result",
                    "Column": col("service_result"),
                    "Configuration": {
                        "FilterListConfiguration": {"MatchOperator": "EQUALS", "SelectAllOptions": "FILTER_ALL_VALUES"}
                    },
                    "DefaultFilterControlConfiguration": {
                        "Title": "Result",
                        "ControlOptions": {
                            "DefaultDropdownOptions": {
                                "Type": "SINGLE_SELECT",
                                "SelectableValues": {"Values": ["PASS", "FAIL"]},
                            }
                        },
                    },
                }
            },
        ),
        scoped(
            "fg-since",
            selected("gallery", "kpi-filtered"),
            {
                "TimeRangeFilter": {
                    "FilterId": "f-since",
                    "Column": col("start_date"),
                    "NullOption": "NON_NULLS_ONLY",
                    "RangeMinimumValue": {"Parameter": "Since"},
                }
            },
        ),
        scoped(
            "fg-search",
            selected("gallery", "kpi-filtered"),
            {
                "CategoryFilter": {
                    "FilterId": "f-search",
                    "Column": col("division"),
                    "Configuration": {
                        "CustomFilterConfiguration": {
                            "MatchOperator": "CONTAINS",
                            "ParameterName": "Search",
                            "NullOption": "NON_NULLS_ONLY",
                        }
                    },
                }
            },
        ),
        scoped(
            "fg-top",
            selected("more", "top-divisions"),
            {
                "TopBottomFilter": {
                    "FilterId": "f-top",
                    "Column": col("division"),
                    "Limit": 2,
                    "AggregationSortConfigurations": [
                        {
                            "Column": col("estimated_cost"),
                            "SortDirection": "DESC",
                            "AggregationFunction": {
                                "NumericalAggregationFunction": {"SimpleNumericalAggregation": "SUM"}
                            },
                        }
                    ],
                }
            },
        ),
        scoped(
            "fg-relative",
            selected("more", "kpi-relative"),
            {
                "RelativeDatesFilter": {
                    "FilterId": "f-relative",
                    "Column": col("start_date"),
                    "NullOption": "NON_NULLS_ONLY",
                    "AnchorDateConfiguration": {"AnchorOption": "NOW", "ParameterName": "Anchor"},
                    "TimeGranularity": "MONTH",
                    "RelativeDateType": "PREVIOUS",
                    "RelativeDateValue": 1,
                }
            },
        ),
        scoped(
            "fg-nested",
            selected("more", "kpi-nested"),
            {
                "NestedFilter": {
                    "FilterId": "f-nested",
                    "Column": col("ward_id"),
                    "IncludeInnerSet": True,
                    "InnerFilter": {
                        "CategoryInnerFilter": {
                            "Column": col("division"),
                            "Configuration": {
                                "FilterListConfiguration": {"MatchOperator": "EQUALS", "CategoryValues": ["Parks"]}
                            },
                        }
                    },
                }
            },
        ),
    ]


def gallery_definition() -> dict:
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": "requests", "DataSetArn": dataset_arn("service_requests")},
            {"Identifier": "sites", "DataSetArn": dataset_arn("sites")},
        ],
        "Sheets": [gallery_sheet(), more_sheet()],
        "CalculatedFields": [
            {
                "DataSetIdentifier": "requests",
                "Name": "projected_cost",
                "Expression": "sum({estimated_cost}) * (1 + ${CostGrowthPct} / 100)",
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
            {"DateTimeParameterDeclaration": {"Name": "Since", "TimeGranularity": "DAY"}},
            {
                "DateTimeParameterDeclaration": {
                    "Name": "Anchor",
                    "TimeGranularity": "DAY",
                    "DefaultValues": {"StaticValues": [dt.datetime(2024, 3, 15, tzinfo=dt.UTC)]},
                }
            },
            {"StringParameterDeclaration": {"ParameterValueType": "SINGLE_VALUED", "Name": "Search"}},
        ],
        "FilterGroups": filter_groups(),
    }


def gallery_client() -> FakeQuickSight:
    return FakeQuickSight({GALLERY_ID: ("Visual gallery", gallery_definition())}, gallery_datasets())


class _Recorder:
    """Resolver that records the physical columns an expression needs (following calculated fields)."""

    def __init__(self, calculated: dict[str, str], used: set[str]):
        self.calculated, self.used = calculated, used

    def column(self, name: str) -> Sql:
        if name in self.calculated:
            return translate(self.calculated.pop(name), self)
        self.used.add(name)
        return Sql(f'"{name}"')

    def parameter(self, name: str) -> Sql:
        return Sql("1")


_STRING_USES = {"CategoricalDimensionField", "CategoricalMeasureField", "CategoryFilter"}


_STRING_IN_EXPRESSION = r"(startsWith\(\s*\{{?{0}\b|\{{?\b{0}\}}?\s*=\s*['\"])"


def logistics_tables(definition: dict) -> dict[str, dict[str, str]]:
    """Dataset identifier -> {column: DuckDB type}: every physical column the Definition uses, typed by use."""
    uses: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))

    def walk(node, context=""):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict) and {"DataSetIdentifier", "ColumnName"} <= value.keys():
                    uses[value["DataSetIdentifier"]][value["ColumnName"]].add(context)
                walk(value, key if key.endswith(("Field", "Filter")) else context)
        elif isinstance(node, list):
            for item in node:
                walk(item, context)

    walk(definition)
    expressions = defaultdict(dict)
    for field in definition["CalculatedFields"]:
        expressions[field["DataSetIdentifier"]][field["Name"]] = field["Expression"]
    tables = {}
    for identifier in {d["Identifier"] for d in definition["DataSetIdentifierDeclarations"]}:
        calculated, physical = dict(expressions[identifier]), set()
        for name in list(uses[identifier]) + list(expressions[identifier]):
            try:
                _Recorder(calculated, physical).column(name)
            except ExpressionError:  # an expression the viewer cannot read: its visuals will say so
                continue
        text = " ".join(expressions[identifier].values())
        tables[identifier] = {
            name: "VARCHAR"
            if uses[identifier].get(name, set()) & _STRING_USES
            or re.search(_STRING_IN_EXPRESSION.format(re.escape(name)), text)
            else "DOUBLE"
            for name in sorted(physical)
        }
    return tables


def logistics_catalog(path: Path, tables: dict[str, dict[str, str]]) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA processed")
        for identifier, columns in tables.items():
            con.execute(
                f'CREATE TABLE processed."{identifier}" ({", ".join(f"{json.dumps(c)} {t}" for c, t in columns.items())})'
            )
            for i in range(6):
                row = [f"{c} {i % 3}" if t == "VARCHAR" else float(i * 10 + 5) for c, t in columns.items()]
                con.execute(f'INSERT INTO processed."{identifier}" VALUES ({", ".join("?" for _ in row)})', row)
    finally:
        con.close()


MISSING_COLUMN = ("cosix_embark_dataset_template", "REQUIREMENT")  # left out on purpose: those visuals must say so


def load_logistics(tmp_path: Path):
    """The exported Definition deployed through the local backend's normal create calls, bound to a test catalog."""
    definition = json.loads(LOGISTICS_DEFINITION.read_text())
    tables = logistics_tables(definition)
    del tables[MISSING_COLUMN[0]][MISSING_COLUMN[1]]
    catalog = tmp_path / "logistics.duckdb"
    logistics_catalog(catalog, tables)
    client = catalog_quicksight(tmp_path / "quicksight.sqlite")
    for declaration in definition["DataSetIdentifierDeclarations"]:
        identifier = declaration["Identifier"]
        columns = [
            {"Name": c, "Type": "STRING" if t == "VARCHAR" else "DECIMAL"} for c, t in tables[identifier].items()
        ]
        client.create_data_set(
            AwsAccountId=ACCOUNT,
            DataSetId=declaration["DataSetArn"].rsplit("/", 1)[-1],
            Name=identifier,
            ImportMode="DIRECT_QUERY",
            PhysicalTableMap={
                "t": {
                    "RelationalTable": {
                        "DataSourceArn": DATASOURCE_ARN,
                        "Schema": "processed",
                        "Name": identifier,
                        "InputColumns": columns,
                    }
                }
            },
        )
    client.create_dashboard(
        AwsAccountId=ACCOUNT, DashboardId=LOGISTICS_ID, Name="Logistics (exported template)", Definition=definition
    )
    return catalog, client, definition


EVERY_ID = "every-type"


SHEET = "everything"


def wells(kind: str, key: str, **fields) -> dict:
    return (
        {"ChartConfiguration": {"FieldWells": {key: fields}}} if key else {"ChartConfiguration": {"FieldWells": fields}}
    )


def every_visual() -> list[dict]:
    division, cost = category("d", "division"), measure("c", "estimated_cost", "SUM")
    result = category("r", "service_result")
    return [
        {
            "KPIVisual": {
                "VisualId": "kpi",
                "Title": title("Cost at ${Growth}% growth"),
                **wells("KPIVisual", "", Values=[measure("k", "projected")]),
            }
        },
        {
            "TableVisual": {
                "VisualId": "table",
                **wells("", "TableAggregatedFieldWells", GroupBy=[division], Values=[cost]),
            }
        },
        {
            "PivotTableVisual": {
                "VisualId": "pivot",
                **wells("", "PivotTableAggregatedFieldWells", Rows=[division], Columns=[result], Values=[cost]),
            }
        },
        {
            "BarChartVisual": {
                "VisualId": "bar",
                "ChartConfiguration": {
                    "FieldWells": {"BarChartAggregatedFieldWells": {"Category": [division], "Values": [cost]}},
                    "SortConfiguration": {
                        "CategorySort": [{"ColumnSort": {"SortBy": col("projected"), "Direction": "DESC"}}]
                    },
                },
            }
        },
        {
            "PieChartVisual": {
                "VisualId": "pie",
                **wells("", "PieChartAggregatedFieldWells", Category=[division], Values=[cost]),
            }
        },
        {
            "GaugeChartVisual": {
                "VisualId": "gauge",
                **wells("", "", Values=[cost], TargetValues=[measure("t", "business_days", "SUM")]),
            }
        },
        {
            "LineChartVisual": {
                "VisualId": "line",
                **wells(
                    "",
                    "LineChartAggregatedFieldWells",
                    Category=[
                        {
                            "DateDimensionField": {
                                "FieldId": "m",
                                "Column": col("start_date"),
                                "DateGranularity": "MONTH",
                            }
                        }
                    ],
                    Values=[cost],
                ),
            }
        },
        {
            "HeatMapVisual": {
                "VisualId": "heat",
                **wells("", "HeatMapAggregatedFieldWells", Rows=[division], Columns=[result], Values=[cost]),
            }
        },
        {
            "TreeMapVisual": {
                "VisualId": "tree",
                **wells("", "TreeMapAggregatedFieldWells", Groups=[division], Sizes=[cost]),
            }
        },
        {
            "GeospatialMapVisual": {
                "VisualId": "geo",
                **wells("", "GeospatialMapAggregatedFieldWells", Geospatial=[division], Values=[cost]),
            }
        },
        {
            "FilledMapVisual": {
                "VisualId": "filled",
                **wells("", "FilledMapAggregatedFieldWells", Geospatial=[division], Values=[cost]),
            }
        },
        {"LayerMapVisual": {"VisualId": "layers", "DataSetIdentifier": "requests"}},
        {
            "FunnelChartVisual": {
                "VisualId": "funnel",
                **wells("", "FunnelChartAggregatedFieldWells", Category=[division], Values=[cost]),
            }
        },
        {
            "ScatterPlotVisual": {
                "VisualId": "scatter",
                **wells(
                    "",
                    "ScatterPlotCategoricallyAggregatedFieldWells",
                    Category=[division],
                    XAxis=[measure("x", "business_days", "SUM")],
                    YAxis=[cost],
                ),
            }
        },
        {
            "ComboChartVisual": {
                "VisualId": "combo",
                **wells(
                    "",
                    "ComboChartAggregatedFieldWells",
                    Category=[division],
                    BarValues=[cost],
                    LineValues=[measure("l", "business_days", "AVERAGE")],
                ),
            }
        },
        {
            "BoxPlotVisual": {
                "VisualId": "box",
                **wells("", "BoxPlotAggregatedFieldWells", GroupBy=[division], Values=[measure("b", "estimated_cost")]),
            }
        },
        {
            "WaterfallVisual": {
                "VisualId": "waterfall",
                **wells("", "WaterfallChartAggregatedFieldWells", Categories=[division], Values=[cost]),
            }
        },
        {
            "HistogramVisual": {
                "VisualId": "histogram",
                "ChartConfiguration": {
                    "FieldWells": {"HistogramAggregatedFieldWells": {"Values": [measure("h", "estimated_cost")]}},
                    "BinOptions": {"BinCount": {"Value": 4}},
                },
            }
        },
        {
            "WordCloudVisual": {
                "VisualId": "cloud",
                **wells("", "WordCloudAggregatedFieldWells", GroupBy=[division], Size=[cost]),
            }
        },
        {
            "InsightVisual": {
                "VisualId": "insight",
                "DataSetIdentifier": "requests",
                "InsightConfiguration": {
                    "Computations": [
                        {"TotalAggregation": {"ComputationId": "c1", "Name": "Total", "Value": cost}},
                        {
                            "TopBottomRanked": {
                                "ComputationId": "c2",
                                "Name": "Top",
                                "Category": division,
                                "Value": cost,
                                "ResultSize": 2,
                                "Type": "TOP",
                            }
                        },
                        {
                            "Forecast": {
                                "ComputationId": "c3",
                                "Name": "Later",
                                "Time": {"DateDimensionField": {"FieldId": "ft", "Column": col("start_date")}},
                            }
                        },
                    ],
                    "CustomNarrative": {
                        "Narrative": (
                            '<narrative><if condition="Total.totalAggregate.value &gt; 0">Total cost: '
                            "<expression>Total.totalAggregate.formattedValue</expression></if><br/>"
                            '<if condition="Total.totalAggregate.value &lt; 0">never shown</if>'
                            '<for listExpression="Top.items"><ul><li><expression>Top.items[index].categoryValue.formattedValue</expression>'
                            "\u00a0(<expression>Top.items[index].value.formattedValue</expression>)</li></ul></for>"
                            "Growth <expression>concat(toString(${Growth}), '%')</expression></narrative>"
                        )
                    },
                },
            }
        },
        {
            "SankeyDiagramVisual": {
                "VisualId": "sankey",
                **wells(
                    "", "SankeyDiagramAggregatedFieldWells", Source=[division], Destination=[result], Weight=[cost]
                ),
            }
        },
        {
            "CustomContentVisual": {
                "VisualId": "custom",
                "DataSetIdentifier": "requests",
                "ChartConfiguration": {"ContentUrl": "https://example.com/", "ContentType": "OTHER_EMBEDDED_CONTENT"},
            }
        },
        {"EmptyVisual": {"VisualId": "empty", "DataSetIdentifier": "requests"}},
        {
            "RadarChartVisual": {
                "VisualId": "radar",
                **wells("", "RadarChartAggregatedFieldWells", Category=[division], Values=[cost]),
            }
        },
        {"PluginVisual": {"VisualId": "plugin", "PluginArn": f"arn:aws:quicksight:{REGION}:{ACCOUNT}:plugin/word-art"}},
    ]


def every_definition() -> dict:
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": "requests", "DataSetArn": dataset_arn("service_requests")}],
        "Sheets": [
            {
                "SheetId": SHEET,
                "Name": "Everything",
                "Visuals": every_visual(),
                "TextBoxes": [
                    {
                        "SheetTextBoxId": "note",
                        "Content": (
                            "<text-box><b>About</b><br/><ul><li>first point</li><li>second\u00a0point</li></ul></text-box>"
                        ),
                    }
                ],
            }
        ],
        "CalculatedFields": [
            # a comment, a name ending in a space, a window over the visual's rows and a level-aware one
            {
                "DataSetIdentifier": "requests",
                "Name": "projected",
                "Expression": "// what-if\nsum({estimated_cost}) * (1 + ${Growth} / 100)",
            },
            {
                "DataSetIdentifier": "requests",
                "Name": "share ",
                "Expression": "sum({estimated_cost}) / sumOver(sum({estimated_cost}), [])",
            },
            {
                "DataSetIdentifier": "requests",
                "Name": "division total",
                "Expression": "sumOver({estimated_cost}, [{division}], PRE_AGG)",
            },
        ],
        "ParameterDeclarations": [
            {
                "IntegerParameterDeclaration": {
                    "ParameterValueType": "SINGLE_VALUED",
                    "Name": "Growth",
                    "DefaultValues": {"StaticValues": [10]},
                }
            },
            {"DateTimeParameterDeclaration": {"Name": "Since", "DefaultValues": {"StaticValues": ["2024/01/01"]}}},
        ],
        "FilterGroups": [
            {
                "FilterGroupId": "since",
                "CrossDataset": "SINGLE_DATASET",
                "Status": "ENABLED",
                "ScopeConfiguration": {"AllSheets": {}},
                "Filters": [
                    {
                        "TimeRangeFilter": {
                            "FilterId": "since-f",
                            "Column": col("start_date"),
                            "NullOption": "NON_NULLS_ONLY",
                            "RangeMinimumValue": {"Parameter": "Since"},
                            "RangeMaximumValue": {
                                "RollingDate": {"Expression": "addDateTime(1, 'YYYY', truncDate('YYYY', now()))"}
                            },
                        }
                    }
                ],
            },
            {
                "FilterGroupId": "this",
                "CrossDataset": "SINGLE_DATASET",
                "Status": "ENABLED",
                "ScopeConfiguration": {
                    "SelectedSheets": {
                        "SheetVisualScopingConfigurations": [
                            {"SheetId": SHEET, "Scope": "SELECTED_VISUALS", "VisualIds": ["pie"]}
                        ]
                    }
                },
                "Filters": [
                    {
                        "RelativeDatesFilter": {
                            "FilterId": "this-f",
                            "Column": col("start_date"),
                            "TimeGranularity": "YEAR",
                            "RelativeDateType": "THIS",
                            "AnchorDateConfiguration": {"AnchorOption": "NOW"},
                            "NullOption": "NON_NULLS_ONLY",
                        }
                    }
                ],
            },
        ],
    }


def every_type_client(store):
    client = local_quicksight_client(store, region=REGION, account_id=ACCOUNT)
    for dataset in datasets().values():
        client.create_data_set(
            AwsAccountId=ACCOUNT,
            **{
                k: dataset[k]
                for k in ("DataSetId", "Name", "ImportMode", "PhysicalTableMap", "LogicalTableMap")
                if k in dataset
            },
        )
    client.create_dashboard(
        AwsAccountId=ACCOUNT, DashboardId=EVERY_ID, Name="Every visual type", Definition=every_definition()
    )
    return client
