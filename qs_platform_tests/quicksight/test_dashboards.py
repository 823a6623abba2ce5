"""QuickSight deployment: Definitions compile and validate; resources are created once and left alone after."""

import copy

import pytest

from qs_platform.catalog.base import CatalogTable
from qs_platform.quicksight.common import arn
from qs_platform.quicksight.dashboards import DashboardError, compile_definition, dashboard_request, ensure_dashboard, validate_request
from qs_platform.quicksight.datasets import DATA_SOURCE_ID, dataset_request, ensure_data_source, ensure_dataset
from qs_platform.local.quicksight import LocalQuickSightBackend, local_quicksight_client

ACCOUNT, REGION = "111122223333", "us-east-1"
COLUMNS = {
    "service_requests": {
        "id": "INTEGER", "start_date": "DATETIME", "division": "STRING", "service_result": "STRING", "ward_id": "INTEGER",
        "estimated_cost": "DECIMAL", "business_days_to_completion": "INTEGER",
    },
    "division_kpis": {"division": "STRING", "requests": "INTEGER"},
}


@pytest.fixture
def dashboard(config):
    return config.dashboard("service-division")


def arns(dashboard):
    return {ds: arn(ACCOUNT, REGION, "dataset", ds) for ds in dashboard.datasets}


def test_shipped_dashboard_compiles_to_a_valid_definition(dashboard):
    definition = compile_definition(dashboard, arns(dashboard), COLUMNS)
    request = dashboard_request(dashboard, ACCOUNT, definition)  # runs botocore's validator
    sheet = definition["Sheets"][0]
    assert [next(iter(v.values()))["VisualId"] for v in sheet["Visuals"]] == [v.id for v in dashboard.sheets[0].visuals]
    line = next(v["LineChartVisual"] for v in sheet["Visuals"] if "LineChartVisual" in v)
    assert line["ChartConfiguration"]["FieldWells"]["LineChartAggregatedFieldWells"]["Category"][0]["DateDimensionField"]["DateGranularity"] == "MONTH"
    pie = next(v["PieChartVisual"] for v in sheet["Visuals"] if "PieChartVisual" in v)
    assert pie["ChartConfiguration"]["FieldWells"]["PieChartAggregatedFieldWells"]["Category"][0]["CategoricalDimensionField"]["Column"]["ColumnName"] == "service_result"
    grid = sheet["Layouts"][0]["Configuration"]["GridLayout"]["Elements"]
    assert all(e["ColumnIndex"] + e["ColumnSpan"] <= 36 for e in grid)
    assert request["Definition"]["ParameterDeclarations"][0]["IntegerParameterDeclaration"]["DefaultValues"]["StaticValues"] == [0]


def test_unknown_column_is_refused_naming_sheet_visual_and_field(dashboard):
    columns = copy.deepcopy(COLUMNS)
    del columns["service_requests"]["ward_id"]
    with pytest.raises(DashboardError, match=r"sheet overview: visual table-by-ward: field 'ward_id' is not a column of dataset 'service_requests'"):
        compile_definition(dashboard, arns(dashboard), columns)


def test_botocore_validation_runs_before_any_call():
    with pytest.raises(DashboardError, match="Unknown parameter"):
        validate_request("CreateDashboard", {"AwsAccountId": ACCOUNT, "DashboardId": "d", "Name": "n", "Definition": {"Sheetz": []}})


def test_resources_are_created_once_then_left_alone(tmp_path, dashboard, config):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION, strict=True)
    backend = LocalQuickSightBackend(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION)

    def deploy():
        source = ensure_data_source(client, ACCOUNT, REGION)
        outcomes = [source]
        for dataset in [config.dataset(ds) for ds in COLUMNS]:  # the datasets of this dashboard
            table = CatalogTable(dataset.table, [(c, {"STRING": "VARCHAR", "INTEGER": "BIGINT", "DECIMAL": "DOUBLE", "DATETIME": "DATE"}[t]) for c, t in COLUMNS[dataset.id].items()], 1)
            outcomes.append(ensure_dataset(client, ACCOUNT, REGION, dataset_request(dataset, table, arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID))))
        request = dashboard_request(dashboard, ACCOUNT, compile_definition(dashboard, arns(dashboard), COLUMNS))
        outcomes.append(ensure_dashboard(client, ACCOUNT, REGION, request))
        return [o.action for o in outcomes]

    assert deploy() == ["created"] * 4
    published = client.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="service-division")["Dashboard"]
    assert published["Version"]["VersionNumber"] == 1
    backend.reset_call_log()
    assert deploy() == ["unchanged"] * 4
    assert [c["operation"] for c in backend.call_log() if c["mutating"]] == []


def test_changed_spec_updates_and_publishes_a_new_version(tmp_path, dashboard):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION, strict=True)
    first = dashboard_request(dashboard, ACCOUNT, compile_definition(dashboard, arns(dashboard), COLUMNS))
    for dataset_id in dashboard.datasets:  # strict mode refuses dashboards over datasets that do not exist
        client.create_data_set(AwsAccountId=ACCOUNT, DataSetId=dataset_id, Name=dataset_id, ImportMode="DIRECT_QUERY",
                               PhysicalTableMap={"t": {"CustomSql": {"DataSourceArn": arn(ACCOUNT, REGION, "datasource", "x"), "Name": "t", "SqlQuery": "select 1", "Columns": [{"Name": "a", "Type": "INTEGER"}]}}})
    assert ensure_dashboard(client, ACCOUNT, REGION, first).action == "created"
    second = copy.deepcopy(first)
    second["Name"] = "Renamed"
    assert ensure_dashboard(client, ACCOUNT, REGION, second).action == "updated"
    described = client.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="service-division")["Dashboard"]
    assert described["Version"]["VersionNumber"] == 2 and described["Name"] == "Renamed"


def test_failed_version_is_reported_with_its_errors(tmp_path, dashboard):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION, strict=True)
    request = dashboard_request(dashboard, ACCOUNT, compile_definition(dashboard, arns(dashboard), COLUMNS))
    with pytest.raises(DashboardError, match="DATA_SET_NOT_FOUND"):
        ensure_dashboard(client, ACCOUNT, REGION, request)


def test_dataset_with_new_columns_is_updated_once(tmp_path, config):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION)
    dataset = config.dataset("division_kpis")
    source_arn = arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)
    before = dataset_request(dataset, CatalogTable(dataset.table, [("division", "VARCHAR")], 5), source_arn)
    after = dataset_request(dataset, CatalogTable(dataset.table, [("division", "VARCHAR"), ("requests", "BIGINT")], 5), source_arn)
    assert ensure_dataset(client, ACCOUNT, REGION, before).action == "created"
    assert ensure_dataset(client, ACCOUNT, REGION, after).action == "updated"
    assert ensure_dataset(client, ACCOUNT, REGION, after).action == "unchanged"
    stored = client.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]
    columns = stored["PhysicalTableMap"]["table"]["RelationalTable"]["InputColumns"]
    assert columns == [{"Name": "division", "Type": "STRING"}, {"Name": "requests", "Type": "INTEGER"}]
