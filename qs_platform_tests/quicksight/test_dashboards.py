"""Dashboards (dashboards.py): Definitions compile and validate; resources are created once and left alone after; a new
version is polled out of creation and published, a failing one names its errors and is retried."""

import copy

import pytest

from qs_platform.catalog.base import CatalogTable
from qs_platform.local.quicksight import LocalQuickSightBackend, local_quicksight_client
from qs_platform.quicksight.common import SPEC_HASH_TAG, arn, tag_value
from qs_platform.quicksight.dashboards import (
    DashboardError,
    compile_definition,
    dashboard_request,
    ensure_dashboard,
    validate_request,
)
from qs_platform.quicksight.datasets import DATA_SOURCE_ID, dataset_request, ensure_data_source, ensure_dataset
from qs_platform_tests.quicksight.conftest import (
    ACCOUNT,
    REGION,
    arns,
    deploy,
    log_of,
    mutating,
    no_sleep,
    qs_client,
    small_dashboard_request,
)

COLUMNS = {
    "service_requests": {
        "id": "INTEGER",
        "start_date": "DATETIME",
        "division": "STRING",
        "service_result": "STRING",
        "ward_id": "INTEGER",
        "estimated_cost": "DECIMAL",
        "business_days_to_completion": "INTEGER",
    },
    "division_kpis": {"division": "STRING", "requests": "INTEGER"},
}


@pytest.fixture
def dashboard(config):
    return config.dashboard("service-division")


def test_shipped_dashboard_compiles_to_a_valid_definition(dashboard):
    definition = compile_definition(dashboard, arns(dashboard), COLUMNS)
    request = dashboard_request(dashboard, ACCOUNT, definition)  # runs botocore's validator
    sheet = definition["Sheets"][0]
    assert [next(iter(v.values()))["VisualId"] for v in sheet["Visuals"]] == [v.id for v in dashboard.sheets[0].visuals]
    line = next(v["LineChartVisual"] for v in sheet["Visuals"] if "LineChartVisual" in v)
    assert (
        line["ChartConfiguration"]["FieldWells"]["LineChartAggregatedFieldWells"]["Category"][0]["DateDimensionField"][
            "DateGranularity"
        ]
        == "MONTH"
    )
    pie = next(v["PieChartVisual"] for v in sheet["Visuals"] if "PieChartVisual" in v)
    assert (
        pie["ChartConfiguration"]["FieldWells"]["PieChartAggregatedFieldWells"]["Category"][0][
            "CategoricalDimensionField"
        ]["Column"]["ColumnName"]
        == "service_result"
    )
    grid = sheet["Layouts"][0]["Configuration"]["GridLayout"]["Elements"]
    assert all(e["ColumnIndex"] + e["ColumnSpan"] <= 36 for e in grid)
    assert request["Definition"]["ParameterDeclarations"][0]["IntegerParameterDeclaration"]["DefaultValues"][
        "StaticValues"
    ] == [0]


def test_unknown_column_is_refused_naming_sheet_visual_and_field(dashboard):
    columns = copy.deepcopy(COLUMNS)
    del columns["service_requests"]["ward_id"]
    with pytest.raises(
        DashboardError,
        match=r"sheet overview: visual table-by-ward: field 'ward_id' is not a column of dataset 'service_requests'",
    ):
        compile_definition(dashboard, arns(dashboard), columns)


def test_botocore_validation_runs_before_any_call():
    with pytest.raises(DashboardError, match="Unknown parameter"):
        validate_request(
            "CreateDashboard", {"AwsAccountId": ACCOUNT, "DashboardId": "d", "Name": "n", "Definition": {"Sheetz": []}}
        )


def test_resources_are_created_once_then_left_alone(tmp_path, dashboard, config):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION, strict=True)
    backend = LocalQuickSightBackend(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION)

    def deploy():
        source = ensure_data_source(client, ACCOUNT, REGION)
        outcomes = [source]
        for dataset in [config.dataset(ds) for ds in COLUMNS]:  # the datasets of this dashboard
            table = CatalogTable(
                dataset.table,
                [
                    (c, {"STRING": "VARCHAR", "INTEGER": "BIGINT", "DECIMAL": "DOUBLE", "DATETIME": "DATE"}[t])
                    for c, t in COLUMNS[dataset.id].items()
                ],
                1,
            )
            outcomes.append(
                ensure_dataset(
                    client,
                    ACCOUNT,
                    REGION,
                    dataset_request(dataset, table, arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)),
                )
            )
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
        client.create_data_set(
            AwsAccountId=ACCOUNT,
            DataSetId=dataset_id,
            Name=dataset_id,
            ImportMode="DIRECT_QUERY",
            PhysicalTableMap={
                "t": {
                    "CustomSql": {
                        "DataSourceArn": arn(ACCOUNT, REGION, "datasource", "x"),
                        "Name": "t",
                        "SqlQuery": "select 1",
                        "Columns": [{"Name": "a", "Type": "INTEGER"}],
                    }
                }
            },
        )
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


# ---- versions on the strict backend ------------------------------------------------------------------------


def test_a_failing_dashboard_version_names_its_errors_and_is_retried(store, config):
    client = qs_client(store)
    deploy(client, config)
    errors = [
        {
            "Type": "COLUMN_REPLACEMENT_MISSING",
            "Message": "column ward_id has no replacement",
            "ViolatedEntities": [{"Path": "sheet/overview/visual/table-by-ward"}],
        }
    ]
    failing = qs_client(store, version_errors=errors)
    request = small_dashboard_request("Renamed")

    with pytest.raises(DashboardError) as failure:
        ensure_dashboard(failing, ACCOUNT, REGION, request, sleep=no_sleep)

    assert str(failure.value) == (
        "dashboard service-division version 2 CREATION_FAILED: COLUMN_REPLACEMENT_MISSING: column ward_id has no replacement "
        "(at sheet/overview/visual/table-by-ward)"
    )
    published = client.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="service-division")["Dashboard"]["Version"]
    assert published["VersionNumber"] == 1, "the failed version is not published"
    log_of(store).reset_call_log()
    assert ensure_dashboard(client, ACCOUNT, REGION, request, sleep=no_sleep).action == "updated"
    assert "UpdateDashboardPublishedVersion" in mutating(store)


def test_a_new_dashboard_version_is_polled_out_of_creation_in_progress(store, config):
    client = qs_client(store)
    waits = []
    deploy(client, config)
    request = small_dashboard_request("Renamed")
    log_of(store).reset_call_log()
    outcome = ensure_dashboard(client, ACCOUNT, REGION, request, sleep=waits.append)
    assert outcome.changes == ("Definition",)
    polls = [
        c
        for c in log_of(store).call_log()
        if c["operation"] == "DescribeDashboard" and c["params"].get("VersionNumber") == 2
    ]
    assert len(polls) == 2 and len(waits) == 1, (
        "CREATION_IN_PROGRESS on the first describe (strict), then CREATION_SUCCESSFUL"
    )
    tags = client.list_tags_for_resource(ResourceArn=outcome.arn)["Tags"]
    assert tag_value(tags, SPEC_HASH_TAG) and tag_value(tags, "ManagedBy") == "qs-platform"
