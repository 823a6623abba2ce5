"""What every managed QuickSight resource goes through (common.py), on the strict local backend: describe-and-compare
idempotency of a whole deploy, permissions granted and revoked, the throttled client (retries, the token bucket) and
polling."""

import time

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from qs_platform.local.quicksight import (
    local_quicksight_client,
)
from qs_platform.quicksight.common import (
    ThrottledClient,
    TokenBucket,
)
from qs_platform.quicksight.dashboards import (
    DASHBOARD_OWNER_ACTIONS,
)
from qs_platform.quicksight.datasets import (
    DATA_SOURCE_ID,
    DATA_SOURCE_OWNER_ACTIONS,
    DATASET_OWNER_ACTIONS,
)
from qs_platform_tests.quicksight.conftest import (
    ACCOUNT,
    ANALYST,
    MUTATING_INGESTION,
    REGION,
    VIEWERS,
    actions,
    deploy,
    log_of,
    mutating,
    no_sleep,
    qs_client,
)

# ---- idempotency -------------------------------------------------------------------------------------------


def test_second_deploy_with_nothing_changed_makes_no_mutating_call_and_no_ingestion(store, config):
    client = qs_client(store)
    first = deploy(client, config, principals=(ANALYST,))
    assert actions(first) == {
        "data_source": "created",
        "service_requests": "created",
        "service_requests/spice": "refreshed",
        "division_kpis": "created",
        "division_kpis/spice": "refreshed",
        "dashboard": "created",
    }
    assert MUTATING_INGESTION not in mutating(store), "the ingestion AWS starts on create is awaited, not doubled"
    log_of(store).reset_call_log()

    second = deploy(client, config, principals=(ANALYST,))

    assert set(actions(second).values()) == {"unchanged"}
    assert mutating(store) == []
    reads = {c["operation"] for c in log_of(store).call_log()}
    assert {
        "DescribeDataSet",
        "DescribeDataSetPermissions",
        "DescribeDashboardPermissions",
        "ListTagsForResource",
    } <= reads


def test_every_request_of_a_deploy_passes_botocore_validation(store, config):
    deploy(qs_client(store), config, principals=(ANALYST,))
    model = botocore.session.get_session().get_service_model("quicksight")
    validator = ParamValidator()
    calls = log_of(store).call_log()
    assert {
        "CreateDataSource",
        "CreateDataSet",
        "DescribeIngestion",
        "CreateDashboard",
        "DescribeDashboard",
        "TagResource",
    } <= {c["operation"] for c in calls}
    problems = {
        c["operation"]: report.generate_report()
        for c in calls
        if (report := validator.validate(c["params"], model.operation_model(c["operation"]).input_shape)).has_errors()
    }
    assert problems == {}


# ---- permissions -------------------------------------------------------------------------------------------


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
    assert all([p["Principal"] for p in c["params"]["GrantPermissions"]] == [VIEWERS] for c in grants), (
        "only the new principal is granted"
    )
    assert all("RevokePermissions" not in c["params"] for c in grants)

    log_of(store).reset_call_log()
    outcomes = deploy(client, config, principals=(VIEWERS,))
    assert outcomes["dashboard"].changes == ("Permissions",)
    assert permissions_of(client)["dashboard"] == {VIEWERS: set(DASHBOARD_OWNER_ACTIONS)}, (
        "a principal no longer configured is revoked"
    )


# ---- throttling --------------------------------------------------------------------------------------------


def test_throttling_injected_every_third_call_is_survived(store, config):
    raw = local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, throttle_every=3)
    with pytest.raises(ClientError, match="ThrottlingException"):  # unwrapped, the third call fails
        for _ in range(3):
            raw.list_dashboards(AwsAccountId=ACCOUNT)

    client = ThrottledClient(
        local_quicksight_client(store, account_id=ACCOUNT, region=REGION, strict=True, throttle_every=3),
        TokenBucket(10_000),
        sleep=no_sleep,
    )
    outcomes = deploy(client, config, principals=(ANALYST,))

    assert outcomes["dashboard"].action == "created"
    throttled = [c for c in log_of(store).call_log() if c["error"] == "ThrottlingException"]
    assert (
        len(throttled) >= 10 and client.throttled_retries == len(throttled) - 1
    )  # the first one was the unwrapped client's
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
    client = ThrottledClient(
        local_quicksight_client(store, account_id=ACCOUNT, region=REGION), TokenBucket(40), sleep=no_sleep
    )
    started = time.monotonic()
    for _ in range(21):
        client.list_dashboards(AwsAccountId=ACCOUNT)
    elapsed = time.monotonic() - started
    assert elapsed >= 20 / 40 * 0.95, f"21 calls at 40/s take at least 0.5 s, took {elapsed:.3f}"
    assert 20 / elapsed <= 40 * 1.05


def test_token_bucket_allows_a_burst_of_its_capacity_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(5, capacity=5, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(15)]
    assert waits[:5] == [0] * 5 and all(w > 0 for w in waits[5:])
    assert clock.now - 100 == pytest.approx(10 / 5), "15 calls: 5 at once, 10 more at 5 a second"


def test_wrapped_client_passes_meta_and_exceptions_through(store):
    client = qs_client(store)
    assert client.meta.service_model.service_name == "quicksight"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="missing")


# ---- polling -----------------------------------------------------------------------------------------------


def test_polling_gives_up_with_a_timeout_naming_what_it_waited_for():
    from qs_platform.quicksight.common import poll

    with pytest.raises(
        TimeoutError,
        match=r"SPICE ingestion x of dataset d: still not finished after 0.05s \(last state: \{'IngestionStatus': 'RUNNING'\}\)",
    ):
        poll(
            lambda: {"IngestionStatus": "RUNNING"},
            lambda i: False,
            what="SPICE ingestion x of dataset d",
            timeout=0.05,
            sleep=lambda s: time.sleep(0.01),
        )
