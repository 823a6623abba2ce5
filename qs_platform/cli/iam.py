"""`qs-platform iam-policy`: the least-privilege IAM policy for the aws profile.

Exactly the actions the platform calls (S3, SQS, Glue, Athena, QuickSight), each scoped to the configured lake and
landing prefixes, Glue databases, Athena workgroup and the QuickSight resources the configuration declares.
Two kinds of actions are not API calls of ours: `quicksight:PassDataSource` / `PassDataSet` (permission-only,
checked when a dataset names the data source and a dashboard names datasets), and what Athena does with the caller's
permissions (Glue reads and CTAS table/partition writes, and on the result location `s3:GetBucketLocation`,
`ListBucketMultipartUploads`, `ListMultipartUploadParts`, `AbortMultipartUpload`, as AWS documents for Athena). `iam_action` maps a botocore operation to the IAM action it needs (the tests record every
call of a run and check this policy covers it).
"""

from __future__ import annotations

from urllib.parse import urlparse

from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.lake.s3 import parse_s3_url
from qs_platform.quicksight.datasets import DATA_SOURCE_ID

# Operations whose IAM action has another name (S3), or that need no permission of their own.
S3_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "GetBucketLocation": "s3:GetBucketLocation",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListParts": "s3:ListMultipartUploadParts",
}
OTHER_ACTIONS = {("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage"}

S3_OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
]
S3_BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
GLUE_ACTIONS = [
    "glue:GetDatabase",
    "glue:CreateDatabase",
    "glue:GetTable",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:GetPartitions",
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
]
ATHENA_ACTIONS = [
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StopQueryExecution",
]
QUICKSIGHT_DATA_SOURCE_ACTIONS = [
    "quicksight:DescribeDataSource",
    "quicksight:CreateDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:PassDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:UpdateDataSourcePermissions",
]
QUICKSIGHT_DATASET_ACTIONS = [
    "quicksight:DescribeDataSet",
    "quicksight:CreateDataSet",
    "quicksight:UpdateDataSet",
    "quicksight:PassDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:UpdateDataSetPermissions",
    "quicksight:CreateIngestion",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
]
QUICKSIGHT_DASHBOARD_ACTIONS = [
    "quicksight:DescribeDashboard",
    "quicksight:DescribeDashboardDefinition",
    "quicksight:CreateDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:UpdateDashboardPublishedVersion",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPermissions",
]
QUICKSIGHT_TAG_ACTIONS = ["quicksight:TagResource", "quicksight:ListTagsForResource"]
SQS_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]


class PolicyError(ValueError):
    pass


def iam_action(service: str, operation: str) -> str:
    """The IAM action a botocore call needs: `s3`/`ListObjectsV2` → `s3:ListBucket`, else `<service>:<Operation>`."""
    if service == "s3":
        return S3_ACTIONS.get(operation, f"s3:{operation}")
    return OTHER_ACTIONS.get((service, operation), f"{service}:{operation}")


def _s3_statements(urls: list[str]) -> list[dict]:
    by_bucket: dict[str, set[str]] = {}
    for url in urls:
        bucket, root = parse_s3_url(url)
        by_bucket.setdefault(bucket, set()).add(root)
    objects = sorted(f"arn:aws:s3:::{b}/{r + '/' if r else ''}*" for b, roots in by_bucket.items() for r in roots)
    statements = [{"Sid": "LakeObjects", "Effect": "Allow", "Action": S3_OBJECT_ACTIONS, "Resource": objects}]
    for n, (bucket, roots) in enumerate(sorted(by_bucket.items())):
        listing = {
            "Sid": f"LakeList{n}",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{bucket}",
        }
        if "" not in roots:  # listing only below the configured prefixes
            listing["Condition"] = {"StringLike": {"s3:prefix": sorted({p for r in roots for p in (r, f"{r}/*")})}}
        others = [a for a in S3_BUCKET_ACTIONS if a != "s3:ListBucket"]  # these carry no s3:prefix to condition on
        statements += [
            listing,
            {"Sid": f"LakeBucket{n}", "Effect": "Allow", "Action": others, "Resource": f"arn:aws:s3:::{bucket}"},
        ]
    return statements


def queue_arn(queue_url: str) -> str:
    """https://sqs.<region>.amazonaws.com/<account>/<name> → arn:aws:sqs:<region>:<account>:<name>."""
    parsed = urlparse(queue_url)
    account, name = parsed.path.strip("/").split("/")[-2:]
    region = parsed.hostname.split(".")[1] if parsed.hostname and parsed.hostname.startswith("sqs.") else "*"
    return f"arn:aws:sqs:{region}:{account}:{name}"


def build_policy(settings: Settings, config: ProjectConfig) -> dict:
    aws = settings.aws
    if aws is None:
        raise PolicyError(
            "iam-policy describes the aws profile: set QS_PROFILE=aws and its settings (README: Running on AWS)"
        )
    region, account = aws.region, aws.quicksight_account_id
    urls = aws.s3_urls + ([settings.landing_url] if settings.landing_url.startswith("s3://") else [])
    databases = sorted(set(aws.glue_databases.values()))
    glue_resources = [f"arn:aws:glue:{region}:{account}:catalog"] + [
        arn
        for db in databases
        for arn in (f"arn:aws:glue:{region}:{account}:database/{db}", f"arn:aws:glue:{region}:{account}:table/{db}/*")
    ]
    qs = f"arn:aws:quicksight:{region}:{account}"
    datasets = [d.id for d in config.datasets]
    dashboards = [d.id for d in config.dashboards]
    statements = _s3_statements(urls) + [
        {"Sid": "GlueCatalog", "Effect": "Allow", "Action": GLUE_ACTIONS, "Resource": glue_resources},
        {
            "Sid": "AthenaWorkgroup",
            "Effect": "Allow",
            "Action": ATHENA_ACTIONS,
            "Resource": f"arn:aws:athena:{region}:{account}:workgroup/{aws.athena_workgroup}",
        },
        {
            "Sid": "QuickSightDataSource",
            "Effect": "Allow",
            "Action": QUICKSIGHT_DATA_SOURCE_ACTIONS + QUICKSIGHT_TAG_ACTIONS,
            "Resource": f"{qs}:datasource/{DATA_SOURCE_ID}",
        },
    ]
    if datasets:
        statements.append(
            {
                "Sid": "QuickSightDatasets",
                "Effect": "Allow",
                "Action": QUICKSIGHT_DATASET_ACTIONS + QUICKSIGHT_TAG_ACTIONS,
                "Resource": sorted(f"{qs}:dataset/{d}{suffix}" for d in datasets for suffix in ("", "/ingestion/*")),
            }
        )
    if dashboards:
        statements.append(
            {
                "Sid": "QuickSightDashboards",
                "Effect": "Allow",
                "Action": QUICKSIGHT_DASHBOARD_ACTIONS + QUICKSIGHT_TAG_ACTIONS,
                "Resource": sorted(f"{qs}:dashboard/{d}" for d in dashboards),
            }
        )
    statements.append(
        {
            "Sid": "QuickSightListDashboards",
            "Effect": "Allow",
            "Action": ["quicksight:ListDashboards"],
            "Resource": f"{qs}:dashboard/*",
        }
    )
    queues = sorted(
        {queue_arn(s.listing.queue_url) for s in config.sources if s.listing.mode == "events" and s.listing.queue_url}
    )
    if queues:
        statements.append({"Sid": "LandingNotifications", "Effect": "Allow", "Action": SQS_ACTIONS, "Resource": queues})
    return {"Version": "2012-10-17", "Statement": statements}


def policy_actions(policy: dict) -> set[str]:
    return {action for statement in policy["Statement"] for action in statement["Action"]}


def iam_policy() -> None:
    """Print the least-privilege IAM policy (JSON) for the aws profile's buckets, databases, workgroup and QuickSight."""
    import json

    import typer

    from qs_platform.config.loader import ConfigError, load_config
    from qs_platform.config.settings import ProfileError

    try:
        settings = Settings.from_env()
        policy = build_policy(settings, load_config(settings.config_dir))
    except (ConfigError, ProfileError, PolicyError) as error:
        typer.secho(str(error), fg="red", err=True)
        raise typer.Exit(2) from error
    typer.echo(json.dumps(policy, indent=2))


def allows(policy: dict, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    """Whether an Allow statement grants `action` on `resource` (IAM wildcards; StringLike conditions on `context`)."""
    from fnmatch import fnmatchcase

    context = context or {}
    for statement in policy["Statement"]:
        actions, resources = statement["Action"], statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement["Effect"] != "Allow" or not any(fnmatchcase(action, a) for a in actions):
            continue
        if not any(fnmatchcase(resource, r) for r in resources):
            continue
        conditions = statement.get("Condition", {}).get("StringLike", {})
        if all(
            key in context and any(fnmatchcase(context[key], p) for p in patterns)
            for key, patterns in conditions.items()
        ):
            return True
    return False
