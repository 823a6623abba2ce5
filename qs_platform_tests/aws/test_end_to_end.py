"""The aws profile end to end against moto.server on 127.0.0.1: a file landed in S3 → raw/processed Parquet on S3 →
Glue tables → QuickSight (the local backend, strict) — and the IAM policy covers every AWS call the run made."""

import json
from collections import Counter
from functools import partial

import boto3
import duckdb
import pytest

from qs_platform.cli.iam import allows, build_policy, iam_action, policy_actions, queue_arn
from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import lineage_config, load_config
from qs_platform.config.settings import Settings
from qs_platform.lake import S3Lake
from qs_platform.local import quicksight as local_backend
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, SERVICE_REQUESTS_CSV

ACCOUNT = "123456789012"
MUTATING_PREFIXES = ("Create", "Update", "Delete", "Put", "Tag", "Untag", "Cancel")


class AwsCalls:
    """Every AWS call made through boto3's default session or a session created meanwhile (dagster-aws's S3Resource
    makes its own): (IAM service prefix, operation, parameters)."""

    def __init__(self, session: boto3.Session):
        self.calls: list[tuple[str, str, dict]] = []
        self.watch(session)

    def watch(self, session) -> None:
        session.events.register("before-parameter-build.*.*", self._record)

    def _record(self, params, model, **_):
        self.calls.append((model.service_model.signing_name, model.name, dict(params)))

    def operations(self, service: str) -> Counter:
        return Counter(name for s, name, _ in self.calls if s == service)


S3_BUCKET_OPERATIONS = {"ListObjectsV2", "ListObjects", "HeadBucket", "GetBucketLocation", "ListMultipartUploads"}


def call_resources(service: str, operation: str, params: dict, settings: Settings) -> list[tuple[str, str, dict]]:
    """(IAM action, resource ARN, condition context) that one recorded call needs."""
    region, account = settings.aws.region, settings.aws.quicksight_account_id
    action = iam_action(service, operation)
    if service == "s3":
        bucket = params["Bucket"]
        if operation in S3_BUCKET_OPERATIONS:
            context = {"s3:prefix": params.get("Prefix", "")} if action == "s3:ListBucket" else {}
            return [(action, f"arn:aws:s3:::{bucket}", context)]
        needs = [(action, f"arn:aws:s3:::{bucket}/{params['Key']}", {})]
        if operation in ("CopyObject", "UploadPartCopy"):
            source = params["CopySource"]
            needs.append(("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}", {}))
        return needs
    if service == "glue":
        database = params.get("DatabaseName") or params.get("Name") or params.get("DatabaseInput", {}).get("Name")
        table = (
            params.get("TableName")
            or (params.get("Name") if "DatabaseName" in params else None)
            or params.get("TableInput", {}).get("Name")
        )
        if table:
            return [(action, f"arn:aws:glue:{region}:{account}:table/{database}/{table}", {})]
        return [(action, f"arn:aws:glue:{region}:{account}:database/{database}", {})]
    if service == "athena":
        return [
            (
                action,
                f"arn:aws:athena:{region}:{account}:workgroup/{params.get('WorkGroup', settings.aws.athena_workgroup)}",
                {},
            )
        ]
    if service == "quicksight":
        qs = f"arn:aws:quicksight:{region}:{account}"
        if "ResourceArn" in params:
            resource = params["ResourceArn"]
        elif "IngestionId" in params:
            resource = f"{qs}:dataset/{params['DataSetId']}/ingestion/{params['IngestionId']}"
        elif "DataSetId" in params:
            resource = f"{qs}:dataset/{params['DataSetId']}"
        elif "DashboardId" in params:
            resource = f"{qs}:dashboard/{params['DashboardId']}"
        elif "DataSourceId" in params:
            resource = f"{qs}:datasource/{params['DataSourceId']}"
        else:
            resource = f"{qs}:dashboard/*"  # ListDashboards
        return [(action, resource, {})]
    if service == "sqs":
        return [(action, queue_arn(params["QueueUrl"]), {})]
    return [(action, "*", {})]


@pytest.fixture
def recorded(aws_env, monkeypatch):
    session = boto3.Session()
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    calls = AwsCalls(session)
    created = boto3.session.Session.__init__

    def init(self, *args, **kwargs):
        created(self, *args, **kwargs)
        calls.watch(self)

    monkeypatch.setattr(boto3.session.Session, "__init__", init)
    # The QuickSight local backend in strict mode: ingestions and dashboard versions report in progress first.
    monkeypatch.setattr(
        local_backend, "local_quicksight_client", partial(local_backend.local_quicksight_client, strict=True)
    )
    return calls


def test_aws_profile_from_landed_file_to_dashboard_and_a_quiet_second_sync(recorded, tmp_path, instance):
    bucket = "qs-e2e-lake"
    boto3.client("s3").create_bucket(Bucket=bucket)
    env = {
        "QS_PROFILE": "aws",
        "QS_CONFIG_DIR": str(CONFIG_DIR),
        "QS_LAKE_URL": f"s3://{bucket}/lake",
        "QS_AWS_ACCOUNT_ID": ACCOUNT,
        "AWS_REGION": "us-east-1",
        "QS_QUICKSIGHT_STORE": str(tmp_path / "quicksight.sqlite"),
        "QS_S3_CACHE_DIR": str(tmp_path / "cache"),
        "QS_ATHENA_WORKGROUP": "primary",
        "QS_QUICKSIGHT_PRINCIPALS": f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/bi-readers",
    }
    settings = Settings.from_env(env)
    config = lineage_config(load_config(settings.config_dir), ["service_requests"])  # what the landed file feeds
    lake = S3Lake(settings.lake_url)
    lake.put_bytes("landing/service_requests/division_data_24-12-23.csv", SERVICE_REQUESTS_CSV.read_bytes())
    defs = build_definitions(settings, config)
    setup = len(recorded.calls)  # the bucket and the landed file are the test's doing, not the platform's

    report = Syncer(defs, instance).sync()

    assert report.ok, report.failed_runs
    assert any(o.key.startswith("raw/service_requests/") for o in lake.list("raw/")), "raw Parquet on S3"
    assert lake.exists("processed/division_kpis/data.parquet")
    with duckdb.connect() as con:
        assert (
            con.execute(f"select sum(requests) from {lake.parquet_scan('processed/division_kpis/')}").fetchone()[0]
            == 19324
        )
    glue = boto3.client("glue")
    kpis = glue.get_table(DatabaseName="processed", Name="division_kpis")["Table"]
    assert kpis["StorageDescriptor"]["Location"] == lake.uri("processed/division_kpis/")
    assert kpis["Parameters"]["recordCount"] == "5"
    assert (
        glue.get_table(DatabaseName="raw", Name="service_requests")["Table"]["Parameters"]["classification"]
        == "parquet"
    )
    quicksight = local_backend.local_quicksight_client(settings.quicksight_store, account_id=ACCOUNT)
    dashboard = quicksight.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="service-division")["Dashboard"]
    assert dashboard["Version"]["Status"] in ("CREATION_SUCCESSFUL", "CREATION_IN_PROGRESS")
    dataset = quicksight.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="division_kpis")["DataSet"]
    table = next(iter(dataset["PhysicalTableMap"].values()))["RelationalTable"]
    assert (table["Schema"], table["Catalog"]) == ("processed", "AwsDataCatalog")
    # creating a SPICE dataset starts its first ingestion (AWS does so itself); the platform waits for it, no extra refresh
    assert recorded.operations("quicksight")["DescribeIngestion"] >= 1
    permissions = quicksight.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="service-division")[
        "Permissions"
    ]
    assert [p["Principal"] for p in permissions] == [f"arn:aws:quicksight:us-east-1:{ACCOUNT}:group/default/bi-readers"]

    policy = build_policy(settings, config)
    json.loads(json.dumps(policy))
    allowed = policy_actions(policy)
    needed = {iam_action(service, operation) for service, operation, _ in recorded.calls[setup:]}
    assert needed - allowed == set(), f"calls the IAM policy does not allow: {sorted(needed - allowed)}"
    refused = sorted(
        {
            f"{action} on {resource} {context or ''}"
            for service, operation, params in recorded.calls[setup:]
            for action, resource, context in call_resources(service, operation, params, settings)
            if not allows(policy, action, resource, context)
        }
    )
    assert refused == [], "calls outside the policy's resources:\n" + "\n".join(refused)
    assert {"s3", "glue", "quicksight"} <= {s for s, _, _ in recorded.calls[setup:]}

    first_run = len(recorded.calls)
    second = Syncer(defs, instance).sync()
    assert second.ok and second.materialized == []
    again = Counter(name for service, name, _ in recorded.calls[first_run:] if service == "quicksight")
    assert not [n for n in again if n.startswith(MUTATING_PREFIXES)], f"second sync mutated QuickSight: {again}"
    assert again["CreateIngestion"] == 0
