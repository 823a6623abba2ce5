"""The data source and datasets as on AWS (datasets.py), on the strict local backend: created once and put back when
changed by hand, typed from the catalog, polled while QuickSight works, SPICE refreshes and their daily cap."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from qs_platform.catalog.base import CatalogTable
from qs_platform.config.models import Dataset
from qs_platform.local.quicksight import (
    local_quicksight_client,
)
from qs_platform.quicksight.common import (
    arn,
    tag_value,
)
from qs_platform.quicksight.datasets import (
    DATA_SOURCE_ID,
    DATA_VERSION_TAG,
    SpiceRefreshFailed,
    dataset_request,
    ensure_data_source,
    ensure_dataset,
    refresh_spice,
)
from qs_platform_tests.quicksight.conftest import (
    ACCOUNT,
    CATALOG_COLUMNS,
    REGION,
    SOURCE_ARN,
    deploy,
    log_of,
    mutating,
    no_sleep,
    qs_client,
)


def test_a_dataset_changed_by_hand_is_put_back_and_only_that(store, config):
    client = qs_client(store)
    deploy(client, config)
    described = client.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]
    client.update_data_set(
        AwsAccountId=ACCOUNT,
        DataSetId="division_kpis",
        Name="edited in the console",
        ImportMode=described["ImportMode"],
        PhysicalTableMap=described["PhysicalTableMap"],
    )
    log_of(store).reset_call_log()

    dataset = config.dataset("division_kpis")
    request = dataset_request(dataset, CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 10), SOURCE_ARN)
    outcome = ensure_dataset(client, ACCOUNT, REGION, request)

    assert (outcome.action, outcome.changes) == ("updated", ("Name",))
    assert mutating(store) == ["UpdateDataSet"]
    assert (
        client.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]["Name"]
        == dataset.display_name
    )


def test_create_of_an_existing_id_and_describe_of_a_missing_one_fail_as_on_aws(store):
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True)
    ensure_data_source(raw, ACCOUNT, REGION)
    with pytest.raises(ClientError, match="ResourceExistsException"):
        raw.create_data_source(AwsAccountId=ACCOUNT, DataSourceId=DATA_SOURCE_ID, Name="again", Type="ATHENA")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        raw.update_data_set(AwsAccountId=ACCOUNT, DataSetId="nope", Name="n", ImportMode="SPICE", PhysicalTableMap={})


def test_custom_sql_dataset_is_typed_from_the_catalog_and_deployed_once(store):
    client = qs_client(store)
    dataset = Dataset(
        id="big_divisions",
        table="processed.division_kpis",
        import_mode="DIRECT_QUERY",
        sql="select * from processed.division_kpis where requests > 100",
    )
    request = dataset_request(dataset, CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 3), SOURCE_ARN)
    custom = request["PhysicalTableMap"]["table"]["CustomSql"]
    assert custom["SqlQuery"] == dataset.sql
    assert custom["Columns"] == [
        {"Name": "division", "Type": "STRING"},
        {"Name": "requests", "Type": "INTEGER"},
        {"Name": "total_estimated_cost", "Type": "DECIMAL"},
    ]
    created = ensure_dataset(client, ACCOUNT, REGION, request)
    assert created.action == "created" and "IngestionId" not in created.response, "DIRECT_QUERY has no SPICE ingestion"
    assert ensure_dataset(client, ACCOUNT, REGION, request).action == "unchanged"


def test_relational_table_names_the_glue_database_of_its_layer(config):
    dataset = config.dataset("division_kpis")
    table = CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 5)
    assert (
        dataset_request(dataset, table, SOURCE_ARN)["PhysicalTableMap"]["table"]["RelationalTable"]["Schema"]
        == "processed"
    )
    named = dataset_request(dataset, table, SOURCE_ARN, database="qs_processed")["PhysicalTableMap"]["table"][
        "RelationalTable"
    ]
    assert (named["Catalog"], named["Schema"], named["Name"]) == ("AwsDataCatalog", "qs_processed", "division_kpis")


def test_a_new_or_changed_data_source_is_polled_until_quicksight_is_done(store):
    client, waits = qs_client(store), []
    ensure_data_source(client, ACCOUNT, REGION, sleep=waits.append)
    assert len(waits) == 1, "CREATION_IN_PROGRESS on the first describe (strict)"
    outcome = ensure_data_source(client, ACCOUNT, REGION, workgroup="analytics", sleep=waits.append)
    assert (outcome.action, outcome.changes) == ("updated", ("DataSourceParameters.AthenaParameters.WorkGroup",))
    assert len(waits) == 2, "UPDATE_IN_PROGRESS on the first describe after the update"
    described = client.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId=DATA_SOURCE_ID)["DataSource"]
    assert (described["Status"], described["DataSourceParameters"]) == (
        "UPDATE_SUCCESSFUL",
        {"AthenaParameters": {"WorkGroup": "analytics"}},
    )


class DataSourceThatFails:
    """A client whose ATHENA data source ends CREATION_FAILED, as AWS reports a missing workgroup."""

    def __init__(self):
        self.described = 0

    def describe_data_source(self, **_):
        self.described += 1
        if self.described == 1:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "DescribeDataSource")
        error = {"Type": "UNKNOWN_HOST", "Message": "workgroup nope does not exist"}
        return {"DataSource": {"Status": "CREATION_FAILED", "ErrorInfo": error}}

    def create_data_source(self, **_):
        return {"Arn": SOURCE_ARN, "CreationStatus": "CREATION_IN_PROGRESS"}

    def update_data_source(self, **_):
        raise AssertionError("a missing data source is created, not updated")


def test_a_failed_data_source_names_its_workgroup_and_error_info():
    from qs_platform.quicksight.datasets import DataSourceFailed

    with pytest.raises(
        DataSourceFailed,
        match=r"data source qs-platform-lake \(ATHENA, workgroup 'nope'\) CREATION_FAILED: UNKNOWN_HOST: workgroup nope does not exist",
    ):
        ensure_data_source(DataSourceThatFails(), ACCOUNT, REGION, workgroup="nope", sleep=no_sleep)


# ---- SPICE -------------------------------------------------------------------------------------------------


@pytest.fixture
def spice_dataset(store, config):
    """A SPICE dataset created and refreshed once (data version v1), with the call log emptied."""
    client = qs_client(store)
    ensure_data_source(client, ACCOUNT, REGION, sleep=no_sleep)
    dataset = config.dataset("division_kpis")
    outcome = ensure_dataset(
        client,
        ACCOUNT,
        REGION,
        dataset_request(dataset, CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 5), SOURCE_ARN),
    )
    refresh_spice(
        client,
        ACCOUNT,
        REGION,
        "division_kpis",
        data_version="v1",
        started_ingestion=outcome.response["IngestionId"],
        sleep=no_sleep,
    )
    log_of(store).reset_call_log()
    return client


def test_unchanged_data_makes_no_ingestion_and_new_data_one(store, spice_dataset):
    unchanged = refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v1", sleep=no_sleep)
    assert unchanged.status == "unchanged" and "already at data version v1" in unchanged.message
    assert mutating(store) == []

    refreshed = refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", sleep=no_sleep)
    assert refreshed.status == "refreshed"
    assert set(refreshed.row_info) >= {"RowsIngested", "RowsDropped"}
    assert mutating(store) == ["CreateIngestion", "TagResource"]
    tags = spice_dataset.list_tags_for_resource(ResourceArn=arn(ACCOUNT, REGION, "dataset", "division_kpis"))["Tags"]
    assert tag_value(tags, DATA_VERSION_TAG) == "v2"


def test_spice_cap_exhausted_is_a_clear_skip_and_counts_only_the_last_24_hours(store, spice_dataset):
    for n in range(8):  # eight manual refreshes today: the STANDARD edition's whole allowance
        spice_dataset.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="division_kpis", IngestionId=f"earlier-{n}")
    log_of(store).reset_call_log()

    skipped = refresh_spice(
        spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", edition="STANDARD", sleep=no_sleep
    )

    assert skipped.status == "skipped_cap"
    assert (skipped.refreshes_last_24h, skipped.cap) == (8, 8)
    assert "skipped: 8 of 8 manual refreshes allowed in 24 h (STANDARD edition) already used" in skipped.message
    assert mutating(store) == []
    assert (
        refresh_spice(
            spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", edition="ENTERPRISE", sleep=no_sleep
        ).status
        == "refreshed"
    )
    tomorrow = datetime.now(UTC) + timedelta(hours=25)
    later = refresh_spice(
        spice_dataset,
        ACCOUNT,
        REGION,
        "division_kpis",
        data_version="v3",
        edition="STANDARD",
        now=tomorrow,
        sleep=no_sleep,
    )
    assert (later.status, later.refreshes_last_24h) == ("refreshed", 1)


def test_a_failed_ingestion_spells_out_its_error_info(store, spice_dataset):
    failing = qs_client(
        store, ingestion_error={"Type": "ROW_SIZE_LIMIT_EXCEEDED", "Message": "a row is larger than 20 MB"}
    )
    with pytest.raises(SpiceRefreshFailed, match=r"FAILED: ROW_SIZE_LIMIT_EXCEEDED: a row is larger than 20 MB"):
        refresh_spice(failing, ACCOUNT, REGION, "division_kpis", data_version="v2", sleep=no_sleep)
    tags = failing.list_tags_for_resource(ResourceArn=arn(ACCOUNT, REGION, "dataset", "division_kpis"))["Tags"]
    assert tag_value(tags, DATA_VERSION_TAG) == "v1", "a failed refresh is retried by the next run"


def test_ingestion_is_polled_until_it_completes(store, spice_dataset):
    waits = []
    refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", sleep=waits.append)
    polls = [c for c in log_of(store).call_log() if c["operation"] == "DescribeIngestion"]
    assert len(polls) == 2 and len(waits) == 1, "RUNNING on the first describe (strict), COMPLETED on the second"


def test_dataset_with_new_columns_is_updated_once(tmp_path, config):
    client = local_quicksight_client(tmp_path / "qs.sqlite", account_id=ACCOUNT, region=REGION)
    dataset = config.dataset("division_kpis")
    source_arn = arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)
    before = dataset_request(dataset, CatalogTable(dataset.table, [("division", "VARCHAR")], 5), source_arn)
    after = dataset_request(
        dataset, CatalogTable(dataset.table, [("division", "VARCHAR"), ("requests", "BIGINT")], 5), source_arn
    )
    assert ensure_dataset(client, ACCOUNT, REGION, before).action == "created"
    assert ensure_dataset(client, ACCOUNT, REGION, after).action == "updated"
    assert ensure_dataset(client, ACCOUNT, REGION, after).action == "unchanged"
    stored = client.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]
    columns = stored["PhysicalTableMap"]["table"]["RelationalTable"]["InputColumns"]
    assert columns == [{"Name": "division", "Type": "STRING"}, {"Name": "requests", "Type": "INTEGER"}]
