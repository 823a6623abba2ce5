"""QuickSight deployment as on AWS: the local backend in strict mode (ResourceExists/NotFound, asynchronous
versions and ingestions, injected throttling), describe-and-compare idempotency, permissions, SPICE refreshes
and their daily cap, the token bucket and the retry on throttling."""

import time
from datetime import UTC, datetime, timedelta

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from qs_platform.catalog.base import CatalogTable
from qs_platform.config.models import Dataset
from qs_platform.quicksight.common import (
    SPEC_HASH_TAG,
    ThrottledClient,
    TokenBucket,
    arn,
    permissions_for,
    tag_value,
)
from qs_platform.quicksight.dashboards import (
    DASHBOARD_OWNER_ACTIONS,
    DashboardError,
    ensure_dashboard,
)
from qs_platform.quicksight.datasets import (
    DATA_SOURCE_ID,
    DATA_SOURCE_OWNER_ACTIONS,
    DATA_VERSION_TAG,
    DATASET_OWNER_ACTIONS,
    SpiceRefreshFailed,
    dataset_request,
    ensure_data_source,
    ensure_dataset,
    refresh_spice,
)
from qs_platform.local.quicksight import (
    LocalQuickSightBackend,
    local_quicksight_client,
)

ACCOUNT, REGION = "111122223333", "us-east-1"
ANALYST = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:user/default/analyst"
VIEWERS = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:group/default/viewers"
SOURCE_ARN = arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)
CATALOG_COLUMNS = {  # DuckDB types, as the catalog reports them
    "service_requests": [
        ("id", "BIGINT"), ("start_date", "DATE"), ("division", "VARCHAR"), ("service_result", "VARCHAR"), ("ward_id", "BIGINT"),
        ("estimated_cost", "DOUBLE"), ("business_days_to_completion", "BIGINT"),
    ],
    "division_kpis": [("division", "VARCHAR"), ("requests", "BIGINT"), ("total_estimated_cost", "DECIMAL(18,2)")],
}
MUTATING_INGESTION = "CreateIngestion"


def no_sleep(_seconds: float) -> None:
    pass


def dashboard_request(name: str = "Service requests by division") -> dict:
    """A small Definition over both datasets (compiling specs is tested elsewhere; this file tests deploying)."""
    measure = {"NumericalMeasureField": {"FieldId": "kpi.requests", "Column": {"DataSetIdentifier": "division_kpis", "ColumnName": "requests"},
                                         "AggregationFunction": {"SimpleNumericalAggregation": "SUM"}}}
    definition = {
        "DataSetIdentifierDeclarations": [{"Identifier": ds, "DataSetArn": arn(ACCOUNT, REGION, "dataset", ds)} for ds in CATALOG_COLUMNS],
        "Sheets": [{"SheetId": "overview", "Name": "Overview",
                    "Visuals": [{"KPIVisual": {"VisualId": "kpi-requests", "ChartConfiguration": {"FieldWells": {"Values": [measure]}}}}]}],
    }
    return {"AwsAccountId": ACCOUNT, "DashboardId": "service-division", "Name": name, "Definition": definition}


def qs_client(store, **backend_options):
    """A strict local QuickSight client behind the throttling wrapper (a generous bucket, retries without waiting)."""
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, **backend_options)
    return ThrottledClient(raw, TokenBucket(10_000), sleep=no_sleep)


def log_of(store) -> LocalQuickSightBackend:
    return LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION)


def mutating(store) -> list[str]:
    return [c["operation"] for c in log_of(store).call_log() if c["mutating"] and not c["error"]]


def deploy(client, config, *, principals=(), data_version="v1", edition="ENTERPRISE") -> dict:
    """What the data source, dataset and dashboard assets do, in order."""
    outcomes = {"data_source": ensure_data_source(client, ACCOUNT, REGION, principals=principals, sleep=no_sleep)}
    for dataset in [config.dataset(ds) for ds in CATALOG_COLUMNS]:
        table = CatalogTable(dataset.table, CATALOG_COLUMNS[dataset.id], 10)
        outcome = ensure_dataset(client, ACCOUNT, REGION, dataset_request(dataset, table, SOURCE_ARN), principals=principals)
        outcomes[dataset.id] = outcome
        outcomes[f"{dataset.id}/spice"] = refresh_spice(
            client, ACCOUNT, REGION, dataset.id, data_version=data_version, edition=edition,
            started_ingestion=outcome.response.get("IngestionId"), sleep=no_sleep,
        )
    outcomes["dashboard"] = ensure_dashboard(
        client, ACCOUNT, REGION, dashboard_request(), permissions=permissions_for(principals, DASHBOARD_OWNER_ACTIONS), sleep=no_sleep
    )
    return outcomes


def actions(outcomes: dict) -> dict:
    return {name: getattr(o, "action", None) or o.status for name, o in outcomes.items()}


@pytest.fixture
def store(tmp_path):
    return tmp_path / "qs.sqlite"


# ---- idempotency ------------------------------------------------------------------------------------------


def test_second_deploy_with_nothing_changed_makes_no_mutating_call_and_no_ingestion(store, config):
    client = qs_client(store)
    first = deploy(client, config, principals=(ANALYST,))
    assert actions(first) == {
        "data_source": "created", "service_requests": "created", "service_requests/spice": "refreshed",
        "division_kpis": "created", "division_kpis/spice": "refreshed", "dashboard": "created",
    }
    assert MUTATING_INGESTION not in mutating(store), "the ingestion AWS starts on create is awaited, not doubled"
    log_of(store).reset_call_log()

    second = deploy(client, config, principals=(ANALYST,))

    assert set(actions(second).values()) == {"unchanged"}
    assert mutating(store) == []
    reads = {c["operation"] for c in log_of(store).call_log()}
    assert {"DescribeDataSet", "DescribeDataSetPermissions", "DescribeDashboardPermissions", "ListTagsForResource"} <= reads


def test_every_request_of_a_deploy_passes_botocore_validation(store, config):
    deploy(qs_client(store), config, principals=(ANALYST,))
    model = botocore.session.get_session().get_service_model("quicksight")
    validator = ParamValidator()
    calls = log_of(store).call_log()
    assert {"CreateDataSource", "CreateDataSet", "DescribeIngestion", "CreateDashboard", "DescribeDashboard", "TagResource"} <= {c["operation"] for c in calls}
    problems = {
        c["operation"]: report.generate_report()
        for c in calls
        if (report := validator.validate(c["params"], model.operation_model(c["operation"]).input_shape)).has_errors()
    }
    assert problems == {}


def test_a_dataset_changed_by_hand_is_put_back_and_only_that(store, config):
    client = qs_client(store)
    deploy(client, config)
    described = client.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]
    client.update_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis", Name="edited in the console",
                           ImportMode=described["ImportMode"], PhysicalTableMap=described["PhysicalTableMap"])
    log_of(store).reset_call_log()

    dataset = config.dataset("division_kpis")
    request = dataset_request(dataset, CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 10), SOURCE_ARN)
    outcome = ensure_dataset(client, ACCOUNT, REGION, request)

    assert (outcome.action, outcome.changes) == ("updated", ("Name",))
    assert mutating(store) == ["UpdateDataSet"]
    assert client.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]["Name"] == dataset.display_name


def test_create_of_an_existing_id_and_describe_of_a_missing_one_fail_as_on_aws(store):
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True)
    ensure_data_source(raw, ACCOUNT, REGION)
    with pytest.raises(ClientError, match="ResourceExistsException"):
        raw.create_data_source(AwsAccountId=ACCOUNT, DataSourceId=DATA_SOURCE_ID, Name="again", Type="ATHENA")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        raw.update_data_set(AwsAccountId=ACCOUNT, DataSetId="nope", Name="n", ImportMode="SPICE", PhysicalTableMap={})


def test_custom_sql_dataset_is_typed_from_the_catalog_and_deployed_once(store):
    client = qs_client(store)
    dataset = Dataset(id="big_divisions", table="processed.division_kpis", import_mode="DIRECT_QUERY",
                      sql="select * from processed.division_kpis where requests > 100")
    request = dataset_request(dataset, CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 3), SOURCE_ARN)
    custom = request["PhysicalTableMap"]["table"]["CustomSql"]
    assert custom["SqlQuery"] == dataset.sql
    assert custom["Columns"] == [
        {"Name": "division", "Type": "STRING"}, {"Name": "requests", "Type": "INTEGER"}, {"Name": "total_estimated_cost", "Type": "DECIMAL"}
    ]
    created = ensure_dataset(client, ACCOUNT, REGION, request)
    assert created.action == "created" and "IngestionId" not in created.response, "DIRECT_QUERY has no SPICE ingestion"
    assert ensure_dataset(client, ACCOUNT, REGION, request).action == "unchanged"


# ---- permissions ------------------------------------------------------------------------------------------


def permissions_of(client) -> dict:
    ident = {"AwsAccountId": ACCOUNT}
    described = {
        "data_source": client.describe_data_source_permissions(**ident, DataSourceId=DATA_SOURCE_ID),
        "dataset": client.describe_data_set_permissions(**ident, DataSetId="division_kpis"),
        "dashboard": client.describe_dashboard_permissions(**ident, DashboardId="service-division"),
    }
    return {kind: {p["Principal"]: set(p["Actions"]) for p in d["Permissions"]} for kind, d in described.items()}


def test_configured_principals_get_the_standard_actions_and_equal_permissions_are_not_resent(store, config):
    client = qs_client(store)
    deploy(client, config, principals=(ANALYST,))
    assert permissions_of(client) == {
        "data_source": {ANALYST: set(DATA_SOURCE_OWNER_ACTIONS)},
        "dataset": {ANALYST: set(DATASET_OWNER_ACTIONS)},
        "dashboard": {ANALYST: set(DASHBOARD_OWNER_ACTIONS)},
    }
    log_of(store).reset_call_log()

    deploy(client, config, principals=(ANALYST, VIEWERS))
    grants = [c for c in log_of(store).call_log() if c["operation"].endswith("Permissions") and c["mutating"]]
    assert len(grants) == 4  # data source, two datasets, dashboard
    assert all([p["Principal"] for p in c["params"]["GrantPermissions"]] == [VIEWERS] for c in grants), "only the new principal is granted"
    assert all("RevokePermissions" not in c["params"] for c in grants)

    log_of(store).reset_call_log()
    outcomes = deploy(client, config, principals=(VIEWERS,))
    assert outcomes["dashboard"].changes == ("Permissions",)
    assert permissions_of(client)["dashboard"] == {VIEWERS: set(DASHBOARD_OWNER_ACTIONS)}, "a principal no longer configured is revoked"


# ---- SPICE ------------------------------------------------------------------------------------------------


@pytest.fixture
def spice_dataset(store, config):
    """A SPICE dataset created and refreshed once (data version v1), with the call log emptied."""
    client = qs_client(store)
    ensure_data_source(client, ACCOUNT, REGION, sleep=no_sleep)
    dataset = config.dataset("division_kpis")
    outcome = ensure_dataset(client, ACCOUNT, REGION, dataset_request(dataset, CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 5), SOURCE_ARN))
    refresh_spice(client, ACCOUNT, REGION, "division_kpis", data_version="v1", started_ingestion=outcome.response["IngestionId"], sleep=no_sleep)
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

    skipped = refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", edition="STANDARD", sleep=no_sleep)

    assert skipped.status == "skipped_cap"
    assert (skipped.refreshes_last_24h, skipped.cap) == (8, 8)
    assert "skipped: 8 of 8 manual refreshes allowed in 24 h (STANDARD edition) already used" in skipped.message
    assert mutating(store) == []
    assert refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", edition="ENTERPRISE", sleep=no_sleep).status == "refreshed"
    tomorrow = datetime.now(UTC) + timedelta(hours=25)
    later = refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v3", edition="STANDARD", now=tomorrow, sleep=no_sleep)
    assert (later.status, later.refreshes_last_24h) == ("refreshed", 1)


def test_a_failed_ingestion_spells_out_its_error_info(store, spice_dataset):
    failing = qs_client(store, ingestion_error={"Type": "ROW_SIZE_LIMIT_EXCEEDED", "Message": "a row is larger than 20 MB"})
    with pytest.raises(SpiceRefreshFailed, match=r"FAILED: ROW_SIZE_LIMIT_EXCEEDED: a row is larger than 20 MB"):
        refresh_spice(failing, ACCOUNT, REGION, "division_kpis", data_version="v2", sleep=no_sleep)
    tags = failing.list_tags_for_resource(ResourceArn=arn(ACCOUNT, REGION, "dataset", "division_kpis"))["Tags"]
    assert tag_value(tags, DATA_VERSION_TAG) == "v1", "a failed refresh is retried by the next run"


def test_ingestion_is_polled_until_it_completes(store, spice_dataset):
    waits = []
    refresh_spice(spice_dataset, ACCOUNT, REGION, "division_kpis", data_version="v2", sleep=waits.append)
    polls = [c for c in log_of(store).call_log() if c["operation"] == "DescribeIngestion"]
    assert len(polls) == 2 and len(waits) == 1, "RUNNING on the first describe (strict), COMPLETED on the second"


# ---- dashboards -------------------------------------------------------------------------------------------


def test_a_failing_dashboard_version_names_its_errors_and_is_retried(store, config):
    client = qs_client(store)
    deploy(client, config)
    errors = [{"Type": "COLUMN_REPLACEMENT_MISSING", "Message": "column ward_id has no replacement",
               "ViolatedEntities": [{"Path": "sheet/overview/visual/table-by-ward"}]}]
    failing = qs_client(store, version_errors=errors)
    request = dashboard_request("Renamed")

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
    request = dashboard_request("Renamed")
    log_of(store).reset_call_log()
    outcome = ensure_dashboard(client, ACCOUNT, REGION, request, sleep=waits.append)
    assert outcome.changes == ("Definition",)
    polls = [c for c in log_of(store).call_log() if c["operation"] == "DescribeDashboard" and c["params"].get("VersionNumber") == 2]
    assert len(polls) == 2 and len(waits) == 1, "CREATION_IN_PROGRESS on the first describe (strict), then CREATION_SUCCESSFUL"
    tags = client.list_tags_for_resource(ResourceArn=outcome.arn)["Tags"]
    assert tag_value(tags, SPEC_HASH_TAG) and tag_value(tags, "ManagedBy") == "qs-platform"


# ---- throttling -------------------------------------------------------------------------------------------


def test_throttling_injected_every_third_call_is_survived(store, config):
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, throttle_every=3)
    with pytest.raises(ClientError, match="ThrottlingException"):  # unwrapped, the third call fails
        for _ in range(3):
            raw.list_dashboards(AwsAccountId=ACCOUNT)

    client = ThrottledClient(local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, throttle_every=3),
                             TokenBucket(10_000), sleep=no_sleep)
    outcomes = deploy(client, config, principals=(ANALYST,))

    assert outcomes["dashboard"].action == "created"
    throttled = [c for c in log_of(store).call_log() if c["error"] == "ThrottlingException"]
    assert len(throttled) >= 10 and client.throttled_retries == len(throttled) - 1  # the first one was the unwrapped client's
    assert set(actions(deploy(client, config, principals=(ANALYST,))).values()) == {"unchanged"}


def test_retries_on_throttling_give_up_after_the_configured_attempts(store):
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, throttle_every=1)
    client = ThrottledClient(raw, TokenBucket(10_000), attempts=3, sleep=no_sleep)
    with pytest.raises(ClientError, match="ThrottlingException"):
        client.list_dashboards(AwsAccountId=ACCOUNT)
    assert client.throttled_retries == 2


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_holds_a_burst_to_the_configured_rate():
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(50):
        bucket.acquire()
        times.append(clock.now)
    elapsed = times[-1] - times[0]
    assert elapsed == pytest.approx(49 / 5)
    assert max(sum(1 for u in times if t <= u < t + 1) for t in times) == 5, "never more than 5 calls in any second"
    clock.now += 10  # idle: the next call goes at once
    assert bucket.acquire() == 0


def test_token_bucket_limits_a_real_burst_through_the_client(store):
    client = ThrottledClient(local_quicksight_client(store, account_id=ACCOUNT, region=REGION), TokenBucket(40), sleep=no_sleep)
    started = time.monotonic()
    for _ in range(21):
        client.list_dashboards(AwsAccountId=ACCOUNT)
    elapsed = time.monotonic() - started
    assert elapsed >= 20 / 40 * 0.95, f"21 calls at 40/s take at least 0.5 s, took {elapsed:.3f}"
    assert 20 / elapsed <= 40 * 1.05


def test_wrapped_client_passes_meta_and_exceptions_through(store):
    client = qs_client(store)
    assert client.meta.service_model.service_name == "quicksight"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="missing")


def test_relational_table_names_the_glue_database_of_its_layer(config):
    dataset = config.dataset("division_kpis")
    table = CatalogTable(dataset.table, CATALOG_COLUMNS["division_kpis"], 5)
    assert dataset_request(dataset, table, SOURCE_ARN)["PhysicalTableMap"]["table"]["RelationalTable"]["Schema"] == "processed"
    named = dataset_request(dataset, table, SOURCE_ARN, database="qs_processed")["PhysicalTableMap"]["table"]["RelationalTable"]
    assert (named["Catalog"], named["Schema"], named["Name"]) == ("AwsDataCatalog", "qs_processed", "division_kpis")


def test_token_bucket_allows_a_burst_of_its_capacity_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(5, capacity=5, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(15)]
    assert waits[:5] == [0] * 5 and all(w > 0 for w in waits[5:])
    assert clock.now - 100 == pytest.approx(10 / 5), "15 calls: 5 at once, 10 more at 5 a second"


def test_a_new_or_changed_data_source_is_polled_until_quicksight_is_done(store):
    client, waits = qs_client(store), []
    ensure_data_source(client, ACCOUNT, REGION, sleep=waits.append)
    assert len(waits) == 1, "CREATION_IN_PROGRESS on the first describe (strict)"
    outcome = ensure_data_source(client, ACCOUNT, REGION, workgroup="analytics", sleep=waits.append)
    assert (outcome.action, outcome.changes) == ("updated", ("DataSourceParameters.AthenaParameters.WorkGroup",))
    assert len(waits) == 2, "UPDATE_IN_PROGRESS on the first describe after the update"
    described = client.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId=DATA_SOURCE_ID)["DataSource"]
    assert (described["Status"], described["DataSourceParameters"]) == ("UPDATE_SUCCESSFUL", {"AthenaParameters": {"WorkGroup": "analytics"}})


def test_polling_gives_up_with_a_timeout_naming_what_it_waited_for():
    from qs_platform.quicksight.common import poll

    with pytest.raises(TimeoutError, match=r"SPICE ingestion x of dataset d: still not finished after 0.05s \(last state: \{'IngestionStatus': 'RUNNING'\}\)"):
        poll(lambda: {"IngestionStatus": "RUNNING"}, lambda i: False, what="SPICE ingestion x of dataset d", timeout=0.05, sleep=lambda s: time.sleep(0.01))


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

    with pytest.raises(DataSourceFailed, match=r"data source qs-platform-lake \(ATHENA, workgroup 'nope'\) CREATION_FAILED: UNKNOWN_HOST: workgroup nope does not exist"):
        ensure_data_source(DataSourceThatFails(), ACCOUNT, REGION, workgroup="nope", sleep=no_sleep)
