"""Dagster resources: thin handles on the lake, the catalog and QuickSight, configured from Settings."""

from __future__ import annotations

import dagster as dg

from qs_platform.catalog.base import Catalog
from qs_platform.catalog.local import LocalCatalog
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import AwsSettings, Settings
from qs_platform.lake import Lake, open_lake


class LakeResource(dg.ConfigurableResource):
    """The data lake (a local folder, later s3://)."""

    url: str
    layer_urls: dict[str, str] = {}  # layers in buckets/prefixes of their own (aws profile)

    def get(self) -> Lake:
        if self.layer_urls:
            from qs_platform.lake.s3 import LayeredLake

            return LayeredLake(open_lake(self.url), {layer: open_lake(url) for layer, url in self.layer_urls.items()})
        return open_lake(self.url)


class IngestResource(dg.ConfigurableResource):
    """How landed files are grouped into runs, and when a file that keeps killing its run is given up on."""

    max_files_per_run: int = 500
    max_bytes_per_run: int = 2 << 30
    max_runs_in_flight: int = 4  # per source: queued or running raw runs the landing sensor leaves before it waits
    max_run_deaths: int = 3  # a file whose loading killed the run this many times is quarantined


class SqsResource(dg.ConfigurableResource):
    """SQS, for landing sensors that drain S3 event notifications (endpoint from the standard AWS settings)."""

    region: str

    def client(self):
        import boto3

        return boto3.client("sqs", region_name=self.region)


class CatalogResource(dg.ConfigurableResource):
    """Where tables are registered for queries: a DuckDB file locally, Glue databases under the aws profile."""

    path: str
    aws_settings: str = ""  # AwsSettings as JSON under the aws profile (nothing secret in it)

    @property
    def aws(self) -> AwsSettings | None:
        return AwsSettings.model_validate_json(self.aws_settings) if self.aws_settings else None

    def athena(self):
        """The Athena resource of the aws profile (for `engine: athena` tables); None under the local profile."""
        return athena_resource(self.aws) if self.aws_settings else None

    def get(self, lake: Lake, config: ProjectConfig) -> Catalog:
        if self.aws_settings:
            from qs_platform.catalog.glue import GlueCatalog

            return GlueCatalog(lake, config, self.aws)
        return LocalCatalog(self.path, lake, config)


class QuickSightResource(dg.ConfigurableResource):
    """A boto3 QuickSight client: the local backend when `local_store` is set, else AWS (adaptive retries).

    Every call goes through a token bucket shared by the account's clients in this process and is retried on
    ThrottlingException with jittered exponential backoff (quicksight/common.py ThrottledClient)."""

    account_id: str
    region: str
    local_store: str = ""
    viewer_url: str = ""
    requests_per_second: float = 5.0
    edition: str = "ENTERPRISE"  # the SPICE refresh cap: 32 manual refreshes a day (ENTERPRISE) or 8 (STANDARD)
    principals: list[str] = []  # user/group ARNs granted the data source, datasets and dashboards
    athena_workgroup: str = "primary"  # the workgroup of the ATHENA data source

    def client(self):
        from qs_platform.quicksight.common import throttled

        return throttled(self.raw_client(), rate=self.requests_per_second, scope=f"{self.region}:{self.account_id}")

    def raw_client(self):
        if self.local_store:
            from qs_platform.quicksight.local_backend import local_quicksight_client

            return local_quicksight_client(self.local_store, region=self.region, account_id=self.account_id)
        import boto3
        from botocore.config import Config

        return boto3.client("quicksight", region_name=self.region, config=Config(retries={"mode": "adaptive", "max_attempts": 10}))


def athena_resource(aws: AwsSettings):
    from qs_platform.catalog.athena import AthenaResource

    return AthenaResource(region=aws.region, workgroup=aws.athena_workgroup, output_location=aws.athena_output + "/")


def resources_for(settings: Settings) -> dict:
    return {
        "lake": LakeResource(url=settings.lake_url, layer_urls=settings.aws.layer_urls if settings.aws else {}),
        "landing": LakeResource(url=settings.landing_url),
        "sqs": SqsResource(region=settings.aws_region),
        "ingest": IngestResource(max_run_deaths=settings.max_run_deaths),
        "catalog": CatalogResource(path=str(settings.catalog_path), aws_settings=settings.aws.model_dump_json() if settings.aws else ""),
        **({"athena": athena_resource(settings.aws)} if settings.aws else {}),
        "quicksight": QuickSightResource(
            account_id=settings.aws_account_id, region=settings.aws_region,
            local_store=str(settings.quicksight_store) if settings.local_quicksight else "",
            viewer_url=settings.viewer_url, requests_per_second=settings.quicksight_requests_per_second,
            edition=settings.aws.quicksight_edition if settings.aws else "ENTERPRISE",
            principals=list(settings.aws.quicksight_principals) if settings.aws else [],
            athena_workgroup=settings.aws.athena_workgroup if settings.aws else "primary",
        ),
    }
