"""Two deployments of the same QuickSight resources at once, against the strict local backend (one SQLite store, as
two processes would share the account): both see the resource missing, both create, QuickSight answers the loser
ResourceExistsException — which must become describe-and-update, not a failure. Then throttling: bounded retries,
a clear failure when it never stops, and a deployment that completes once it does."""

import threading

import pytest
from botocore.exceptions import ClientError

from qs_platform.catalog.base import CatalogTable
from qs_platform.config.models import Dataset
from qs_platform.local.quicksight import LocalQuickSightBackend, local_quicksight_client
from qs_platform.quicksight.common import SPEC_HASH_TAG, ThrottledClient, TokenBucket, arn, tag_value
from qs_platform.quicksight.dashboards import ensure_dashboard
from qs_platform.quicksight.datasets import DATA_SOURCE_ID, dataset_request, ensure_data_source, ensure_dataset
from qs_platform_tests.quicksight.conftest import ACCOUNT, REGION

DATASET = Dataset(id="division_kpis", table="processed.division_kpis", import_mode="DIRECT_QUERY")
TABLE = CatalogTable("processed.division_kpis", [("division", "VARCHAR"), ("requests", "BIGINT")], 5)


def instant(_seconds: float) -> None:
    pass


class RacingClient:
    """A QuickSight client whose first describe of each kind waits until every racer has made it: all of them see the
    resource missing before any creates it."""

    def __init__(self, client, barrier: threading.Barrier):
        self._client, self._barrier, self._waited = client, barrier, set()

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not name.startswith("describe_") or name.endswith("_permissions"):
            return attribute

        def describe(**kwargs):
            first = name not in self._waited
            self._waited.add(name)
            try:
                return attribute(**kwargs)
            finally:
                if first:
                    self._barrier.wait(timeout=10)

        return describe


def client_for(store, **options) -> ThrottledClient:
    return ThrottledClient(
        local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, **options),
        TokenBucket(10_000),
        sleep=instant,
    )


def kpi_dashboard() -> dict:
    field = {
        "NumericalMeasureField": {
            "FieldId": "requests",
            "Column": {"DataSetIdentifier": "kpis", "ColumnName": "requests"},
            "AggregationFunction": {"SimpleNumericalAggregation": "SUM"},
        }
    }
    visual = {"KPIVisual": {"VisualId": "requests", "ChartConfiguration": {"FieldWells": {"Values": [field]}}}}
    return {
        "AwsAccountId": ACCOUNT,
        "DashboardId": "kpis",
        "Name": "KPIs",
        "Definition": {
            "DataSetIdentifierDeclarations": [
                {"Identifier": "kpis", "DataSetArn": arn(ACCOUNT, REGION, "dataset", DATASET.id)}
            ],
            "Sheets": [{"SheetId": "main", "Name": "Main", "Visuals": [visual]}],
        },
    }


def race(deploy, racers: int = 2) -> list:
    barrier = threading.Barrier(racers)
    results: list = [None] * racers

    def run(n):
        try:
            results[n] = deploy(barrier)
        except Exception as error:  # reported below, with the racer's number
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_deployments_of_the_same_resources_both_succeed(tmp_path):
    store = tmp_path / "qs.sqlite"
    source_arn = arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)

    def deploy(barrier):
        client = RacingClient(client_for(store), barrier)
        return (
            ensure_data_source(client, ACCOUNT, REGION, sleep=instant).action,
            ensure_dataset(client, ACCOUNT, REGION, dataset_request(DATASET, TABLE, source_arn)).action,
            ensure_dashboard(client, ACCOUNT, REGION, kpi_dashboard(), sleep=instant).action,
        )

    first, second = race(deploy)
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
    for kind in range(3):  # one racer created each resource, the other found it and compared (or updated) it
        assert sorted([first[kind], second[kind]]) in (["created", "unchanged"], ["created", "updated"]), (
            first,
            second,
        )
    calls = LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION).call_log()
    lost = [c["operation"] for c in calls if c["error"] == "ResourceExistsException"]
    assert sorted(lost) == ["CreateDashboard", "CreateDataSet", "CreateDataSource"], "both racers really did create"
    check = client_for(store)
    assert (
        check.describe_data_set(AwsAccountId=ACCOUNT, DataSetId=DATASET.id)["DataSet"]["Name"] == DATASET.display_name
    )
    dashboard = check.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="kpis")["Dashboard"]
    tags = check.list_tags_for_resource(ResourceArn=dashboard["Arn"])["Tags"]
    assert dashboard["Version"]["Status"].endswith("SUCCESSFUL") and tag_value(tags, SPEC_HASH_TAG)
    again = ensure_dashboard(check, ACCOUNT, REGION, kpi_dashboard(), sleep=instant)
    assert again.action == "unchanged", "the race left the dashboard as a single deployment would"


def test_throttling_is_retried_a_bounded_number_of_times_then_fails_clearly(tmp_path):
    store = tmp_path / "qs.sqlite"
    source_arn = arn(ACCOUNT, REGION, "datasource", DATA_SOURCE_ID)
    waits = []
    stuck = ThrottledClient(
        local_quicksight_client(store, account_id=ACCOUNT, region=REGION, throttle_every=1),
        TokenBucket(10_000),
        attempts=4,
        backoff=0.01,
        sleep=waits.append,
    )
    with pytest.raises(ClientError, match="ThrottlingException.*Rate exceeded"):
        ensure_dataset(stuck, ACCOUNT, REGION, dataset_request(DATASET, TABLE, source_arn))
    assert stuck.throttled_retries == 3 and len(waits) == 3, "4 attempts in all, then the error"
    calls = LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION).call_log()
    assert [c["error"] for c in calls] == ["ThrottlingException"] * 4 and not any(
        c["mutating"] for c in calls if not c["error"]
    )

    flaky = client_for(store, throttle_every=2)  # every other call throttled: the deployment completes
    assert ensure_dataset(flaky, ACCOUNT, REGION, dataset_request(DATASET, TABLE, source_arn)).action == "created"
    assert ensure_dataset(flaky, ACCOUNT, REGION, dataset_request(DATASET, TABLE, source_arn)).action == "unchanged"
    later = LocalQuickSightBackend(store, account_id=ACCOUNT, region=REGION).call_log()[4:]
    throttled = [c for c in later if c["error"] == "ThrottlingException"]
    assert throttled and flaky.throttled_retries == len(throttled), "each throttled call retried once, and went through"
    assert [c["operation"] for c in later if c["mutating"] and not c["error"]] == ["CreateDataSet"], "created once"
