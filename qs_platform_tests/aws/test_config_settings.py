"""The aws profile (environment variables and a YAML file) and `qs-platform iam-policy`."""

import json

import pytest
from typer.testing import CliRunner

from qs_platform.cli.iam import allows, build_policy, iam_action, queue_arn
from qs_platform.cli.main import app
from qs_platform.config.settings import ProfileError, Settings
from qs_platform.orchestration.resources import resources_for
from qs_platform_tests.conftest import CONFIG_DIR

ACCOUNT = "123456789012"
AWS_ENV = {
    "QS_PROFILE": "aws",
    "QS_CONFIG_DIR": str(CONFIG_DIR),
    "QS_LAKE_URL": "s3://acme-lake/qs",
    "QS_AWS_ACCOUNT_ID": ACCOUNT,
    "AWS_REGION": "eu-west-1",
    "QS_GLUE_DATABASE_PREFIX": "qs_",
    "QS_ATHENA_WORKGROUP": "analytics",
    "QS_QUICKSIGHT_PRINCIPALS": f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:group/default/bi-readers",
}


def test_local_profile_is_the_unchanged_default(tmp_path):
    settings = Settings.from_env({"QS_LAKE_URL": str(tmp_path / "lake")})
    assert settings.profile == "local" and settings.aws is None and settings.local_quicksight
    resources = resources_for(settings)
    assert type(resources["catalog"]).__name__ == "LocalCatalogResource" and resources["catalog"].athena() is None
    assert resources["quicksight"].local_store == str(settings.quicksight_store)


def test_aws_profile_from_variables(tmp_path):
    settings = Settings.from_env(AWS_ENV)
    aws = settings.aws
    assert (
        settings.lake_url == "s3://acme-lake/qs"
        and settings.aws_region == "eu-west-1"
        and settings.aws_account_id == ACCOUNT
    )
    assert aws.glue_databases == {
        "raw": "qs_raw",
        "processed": "qs_processed",
        "quarantine": "qs_quarantine",
        "ledger": "qs_ledger",
    }
    assert aws.athena_output == "s3://acme-lake/qs/_athena/results" and aws.athena_workgroup == "analytics"
    assert aws.quicksight_principals == [f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:group/default/bi-readers"]
    assert settings.catalog_location == "glue:qs_raw,qs_processed,qs_quarantine,qs_ledger"
    resources = resources_for(settings)
    assert resources["quicksight"].local_store == "", "the real QuickSight unless QS_QUICKSIGHT_STORE is set"
    athena = resources["catalog"].athena()
    assert athena.workgroup == "analytics" and athena.output_location == "s3://acme-lake/qs/_athena/results/"
    assert type(resources["catalog"].get(resources["lake"].get(), None)).__name__ == "GlueCatalog"
    assert resources["catalog"].databases["processed"] == "qs_processed"


def test_aws_profile_from_a_yaml_file_with_variables_winning(tmp_path):
    file = tmp_path / "aws.yaml"
    file.write_text(
        "region: us-west-2\nlake_url: s3://from-file/lake\nquicksight_account_id: '210987654321'\n"
        "glue_databases: {processed: analytics}\nquicksight_edition: STANDARD\npartition_projection: false\n"
    )
    settings = Settings.from_env({"QS_PROFILE": "aws", "QS_AWS_SETTINGS_FILE": str(file), "QS_ATHENA_WORKGROUP": "wg"})
    aws = settings.aws
    assert (aws.region, aws.lake_url, aws.quicksight_account_id, aws.quicksight_edition) == (
        "us-west-2",
        "s3://from-file/lake",
        "210987654321",
        "STANDARD",
    )
    assert aws.glue_databases["processed"] == "analytics" and aws.glue_databases["raw"] == "raw"
    assert aws.athena_workgroup == "wg" and aws.partition_projection is False


@pytest.mark.parametrize(
    "env, message",
    [
        ({"QS_PROFILE": "azure"}, "QS_PROFILE: expected one of ['local', 'aws'], got 'azure'"),
        (
            {**AWS_ENV, "QS_LAKE_URL": "/tmp/lake"},
            "lake_url (QS_LAKE_URL): Value error, expected an s3://bucket/prefix URL",
        ),
        (
            {**AWS_ENV, "QS_AWS_ACCOUNT_ID": "", "QS_QUICKSIGHT_ACCOUNT_ID": "12"},
            "quicksight_account_id (QS_QUICKSIGHT_ACCOUNT_ID)",
        ),
        ({**AWS_ENV, "QS_QUICKSIGHT_PRINCIPALS": "bi-readers"}, "expected QuickSight user/group ARNs"),
    ],
)
def test_profile_errors_name_the_variable(env, message):
    with pytest.raises(
        ProfileError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")
    ):
        Settings.from_env(env)


def test_layers_in_buckets_of_their_own_reach_the_lake_and_the_policy():
    settings = Settings.from_env({**AWS_ENV, "QS_LAYER_URLS": "processed=s3://bi-bucket/qs/"})
    assert settings.aws.layer_urls == {"processed": "s3://bi-bucket/qs"}
    lake = resources_for(settings)["lake"].get()
    assert lake.uri("processed/t/data.parquet") == "s3://bi-bucket/qs/processed/t/data.parquet"
    assert lake.uri("raw/s/a.parquet") == "s3://acme-lake/qs/raw/s/a.parquet"
    policy = build_policy(settings, __import__("qs_platform.config.loader", fromlist=["x"]).load_config(CONFIG_DIR))
    assert allows(policy, "s3:PutObject", "arn:aws:s3:::bi-bucket/qs/processed/t/data.parquet")
    with pytest.raises(ProfileError, match="layer_urls.*unknown layers \\['gold'\\]"):
        Settings.from_env({**AWS_ENV, "QS_LAYER_URLS": "gold=s3://x/y"})


def test_the_policy_is_scoped_to_the_configured_resources():
    policy = build_policy(
        Settings.from_env(AWS_ENV), __import__("qs_platform.config.loader", fromlist=["x"]).load_config(CONFIG_DIR)
    )
    assert policy["Version"] == "2012-10-17" and all(
        {"Sid", "Effect", "Action", "Resource"} <= s.keys() for s in policy["Statement"]
    )
    assert allows(policy, "s3:GetObject", "arn:aws:s3:::acme-lake/qs/raw/service_requests/a.parquet")
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::acme-lake/other/a.parquet"), "only below the lake prefix"
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::another-bucket/qs/a.parquet")
    assert allows(policy, "s3:ListBucket", "arn:aws:s3:::acme-lake", {"s3:prefix": "qs/processed/x/"})
    assert not allows(policy, "s3:ListBucket", "arn:aws:s3:::acme-lake", {"s3:prefix": "elsewhere/"})
    assert allows(policy, "glue:UpdateTable", f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/qs_processed/division_kpis")
    assert not allows(policy, "glue:UpdateTable", f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/default/x")
    assert not allows(policy, "glue:DeleteDatabase", f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/qs_raw"), (
        "only what the platform calls"
    )
    assert allows(policy, "athena:StartQueryExecution", f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/analytics")
    assert not allows(policy, "athena:StartQueryExecution", f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/primary")
    assert allows(
        policy, "quicksight:UpdateDashboard", f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:dashboard/service-division"
    )
    assert not allows(
        policy, "quicksight:UpdateDashboard", f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:dashboard/someone-elses"
    )
    assert allows(
        policy,
        "quicksight:CreateIngestion",
        f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:dataset/division_kpis/ingestion/i-1",
    )
    assert not any(a.endswith("*") for s in policy["Statement"] for a in s["Action"]), "no action wildcards"


def test_iam_action_names_and_queue_arns():
    assert iam_action("s3", "ListObjectsV2") == "s3:ListBucket" and iam_action("s3", "HeadObject") == "s3:GetObject"
    assert (
        iam_action("sqs", "DeleteMessageBatch") == "sqs:DeleteMessage"
        and iam_action("glue", "GetTable") == "glue:GetTable"
    )
    assert (
        queue_arn(f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/landing")
        == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:landing"
    )


def test_iam_policy_command(monkeypatch):
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["iam-policy"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["Statement"]
    monkeypatch.setenv("QS_PROFILE", "local")
    refused = CliRunner().invoke(app, ["iam-policy"])
    assert refused.exit_code == 2 and "QS_PROFILE=aws" in refused.output
