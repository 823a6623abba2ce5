"""Athena faults against moto.server (botocore fault hooks): a timed-out or throttled request is retried by botocore
with the same idempotency token (a statement never runs twice), a query is polled with backoff until it finishes, a
failed query or one that never finishes fails clearly and within its bounds; a failed CTAS publishes nothing."""

import json
import re
import time
import uuid

import boto3
import duckdb
import pytest
from botocore.exceptions import ClientError

from qs_platform.catalog.athena import Athena, AthenaQueryFailed
from qs_platform.catalog.glue import GlueCatalog, GlueTarget
from qs_platform.config.models import ProjectConfig, Table
from qs_platform.config.settings import AwsSettings
from qs_platform.lake import S3Lake
from qs_platform.transform.athena import run_athena_transform
from qs_platform_tests.aws.conftest import ACCOUNT


@pytest.fixture
def bucket(faults):
    name = f"athena-{uuid.uuid4().hex[:10]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def state(value: str, reason: str = ""):
    """GetQueryExecution's answer in a given state (moto's own answers SUCCEEDED at once)."""

    def answer(request):
        execution_id = json.loads(request.body)["QueryExecutionId"]
        status = {"State": value, **({"StateChangeReason": reason} if reason else {})}
        return {"QueryExecution": {"QueryExecutionId": execution_id, "Query": "select 1", "Status": status}}

    return answer


def test_athena_requests_are_retried_with_one_token_and_queries_polled_until_they_finish(faults, bucket):
    athena = Athena(
        region="us-east-1", output_location=f"s3://{bucket}/results/", max_poll_seconds=0.05, max_attempts=3
    )
    start = faults.add("athena", "StartQueryExecution", "timeout", times=1)
    throttled = faults.add("athena", "GetQueryExecution", "throttle", times=1)
    running = faults.add("athena", "GetQueryExecution", "answer", times=3, answer=state("RUNNING"))

    execution = athena.execute("select 1")

    assert execution["Status"]["State"] == "SUCCEEDED"
    tokens = {json.loads(body)["ClientRequestToken"] for body in start.bodies}
    assert start.attempts == 2 and len(tokens) == 1, "the retried start carries the first one's idempotency token"
    assert throttled.injected == 1 and throttled.retried_to_success()
    assert running.injected == 3, "polled while RUNNING, then read SUCCEEDED"


def test_a_failed_a_never_ending_and_a_throttled_query_each_fail_clearly_within_bounds(faults, bucket):
    athena = Athena(
        region="us-east-1", output_location=f"s3://{bucket}/results/", max_poll_seconds=0.05, max_attempts=3
    )
    failed = faults.add(
        "athena",
        "GetQueryExecution",
        "answer",
        times=1,
        answer=state("FAILED", "HIVE_BAD_DATA: Error parsing field value '1.5' for field 2"),
    )
    with pytest.raises(AthenaQueryFailed, match="FAILED: HIVE_BAD_DATA: Error parsing field value") as error:
        athena.execute("select 1")
    assert "workgroup primary" in str(error.value) and failed.injected == 1

    faults.add("athena", "GetQueryExecution", "answer", answer=state("RUNNING"))
    stop = faults.add("athena", "StopQueryExecution", "500", times=0)  # only counted
    patient = athena.model_copy(update={"timeout_seconds": 0.5})
    started = time.monotonic()
    with pytest.raises(AthenaQueryFailed, match=r"still RUNNING after 0\.5 s: stopped"):
        patient.execute("select 1")
    assert time.monotonic() - started < 5 and stop.attempts == 1, (
        "bounded by timeout_seconds, then the query is stopped"
    )

    faults.clear()
    refused = faults.add("athena", "StartQueryExecution", "throttle")
    with pytest.raises(ClientError, match=r"ThrottlingException.*reached max retries: 2"):
        athena.execute("select 1")
    assert refused.attempts == 3, "QS_AWS_MAX_ATTEMPTS tries in all"


def test_a_failed_ctas_publishes_nothing_keeps_the_previous_data_and_cleans_up(faults, bucket, tmp_path):
    lake = S3Lake(f"s3://{bucket}/root", cache_dir=tmp_path / "cache")
    aws = AwsSettings(
        region="us-east-1",
        lake_url=lake.url,
        quicksight_account_id=ACCOUNT,
        glue_database_prefix=f"f{uuid.uuid4().hex[:6]}_",
    )
    table = Table(name="totals", sql="select sum(n) as n from processed.events", engine="athena")
    config = ProjectConfig(tables=[table])
    previous = tmp_path / "previous.parquet"
    duckdb.execute(f"copy (select 5 as n) to '{previous}' (format parquet)")
    lake.put_bytes("processed/totals/data.parquet", previous.read_bytes())
    lake.put_bytes("processed/events/data.parquet", previous.read_bytes())

    started = faults.add("athena", "StartQueryExecution", "500", times=0)  # only recorded: the CTAS names its location

    def staged_then_failed(request):  # Athena wrote part of its output where the CTAS said, then failed
        location = re.search(r"external_location = '([^']+)'", json.loads(started.bodies[-1])["QueryString"]).group(1)
        key = location.removeprefix(lake.url.rstrip("/") + "/") + "part-0"
        assert key.startswith("_athena/staging/totals/"), key
        lake.put_bytes(key, previous.read_bytes())
        return state("FAILED", "INTERNAL_ERROR_QUERY_ENGINE: Amazon Athena experienced an internal error")(request)

    faults.add("athena", "GetQueryExecution", "answer", times=1, answer=staged_then_failed)
    athena = Athena(
        region="us-east-1", output_location=f"s3://{bucket}/results/", max_poll_seconds=0.05, max_attempts=3
    )
    with pytest.raises(AthenaQueryFailed, match="INTERNAL_ERROR_QUERY_ENGINE"):
        run_athena_transform(athena, GlueCatalog(lake, config, GlueTarget.of(aws)), config, table)
    assert [o.key for o in lake.list("processed/totals/")] == ["processed/totals/data.parquet"], (
        "the previous data stays"
    )
    assert duckdb.execute(f"select n from {lake.parquet_scan('processed/totals/')}").fetchall() == [(5,)]
    assert started.attempts == 1 and list(lake.list("_athena/staging/")) == [], "the staged output is removed"
